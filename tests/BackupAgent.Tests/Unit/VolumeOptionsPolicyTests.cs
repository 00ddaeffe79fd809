using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Sets;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Unit;

public sealed class VolumeOptionsPolicyTests
{
    private static readonly Dictionary<string, string> BindToEtc = new() { ["type"] = "none", ["o"] = "bind", ["device"] = "/etc" };

    [Theory]
    [InlineData("local")]
    [InlineData(null)]
    [InlineData("vieux/sshfs")]
    public void Without_trust_every_driver_option_is_dropped_and_named(string? driver)
    {
        var (options, dropped) = VolumeOptionsPolicy.Apply(TestSets.Archive("v") with { Driver = driver, DriverOptions = BindToEtc }, trust: false);
        Assert.Empty(options);
        Assert.Equal(["device", "o", "type"], dropped);
    }

    [Fact]
    public void With_trust_the_options_of_the_manifest_are_used()
    {
        var (options, dropped) = VolumeOptionsPolicy.Apply(TestSets.Archive("v") with { Driver = "local", DriverOptions = BindToEtc }, trust: true);
        Assert.Equal(BindToEtc, options);
        Assert.Empty(dropped);
    }

    [Fact]
    public void A_volume_without_options_drops_nothing()
    {
        var (options, dropped) = VolumeOptionsPolicy.Apply(TestSets.Archive("v"), trust: false);
        Assert.Empty(options);
        Assert.Empty(dropped);
    }

    [Fact]
    public void The_warning_names_the_dropped_options_but_never_their_values()
    {
        var log = new CollectingLog(OptionNames.For);
        var archive = TestSets.Archive("v") with { DriverOptions = new Dictionary<string, string> { ["o"] = "addr=nas,password=hunter2", ["type"] = "cifs" } };
        Assert.Empty(VolumeOptionsPolicy.Choose(archive, "new", trust: false, log.Logger));
        var warning = Assert.Single(log.Messages);
        Assert.Contains("without the driver options", warning);
        Assert.Contains("o, type", warning);
        Assert.Contains("--trust-volume-options", warning);
        Assert.DoesNotContain("hunter2", warning);
    }
}
