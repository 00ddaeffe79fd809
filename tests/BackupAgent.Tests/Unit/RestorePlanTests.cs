using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Unit;

public sealed class RestorePlanTests
{
    private static readonly BackupSet Set = TestSets.Set(
        "20260101T000000Z-abcdef",
        TestSets.Archive("db", mountPath: "/var/lib/db"), TestSets.Archive("web", mountPath: "/srv"), TestSets.Archive("/host/conf", mountPath: "/etc/app", kind: SourceKind.Bind));

    [Fact]
    public void A_bind_mount_named_by_its_mount_path_without_a_target_goes_back_to_its_host_path_only_with_to_original_paths()
    {
        var e = Assert.Throws<BadInputException>(() => RestorePlan.Create(Set, [VolumeMapping.Parse("/etc/app")]));
        Assert.Contains("is of the bind mount '/host/conf', a host path", e.Message);
        Assert.Equal("/host/conf", Assert.Single(RestorePlan.Create(Set, [VolumeMapping.Parse("/etc/app")], toOriginalPaths: true).Steps).Target);
    }

    [Fact]
    public void Without_volumes_every_archive_goes_back_where_it_came_from()
    {
        var plan = RestorePlan.Create(Set, [], toOriginalPaths: true);
        Assert.Equal(["db", "web", "/host/conf"], plan.Steps.Select(s => s.Target));
        Assert.True(plan.Steps[2].TargetIsHostPath);
    }

    [Theory]
    [InlineData("db=db2", "db", "db2")]
    [InlineData("db", "db", "db")]
    [InlineData("/var/lib/db=restored", "db", "restored")]
    [InlineData("/var/lib/db", "db", "db")]
    [InlineData("web=/mnt/web", "web", "/mnt/web")]
    public void A_volume_is_chosen_by_name_or_mount_path_and_mapped(string mapping, string archive, string target)
    {
        var step = Assert.Single(RestorePlan.Create(Set, [VolumeMapping.Parse(mapping)]).Steps);
        Assert.Equal(archive, step.Archive.Volume);
        Assert.Equal(target, step.Target);
    }

    [Theory]
    [InlineData(new[] { "nope" }, "has no volume 'nope' (it has 'db', 'web', '/host/conf')")]
    [InlineData(new[] { "db=x", "web=x" }, "'db' and 'web' would both be restored into 'x'")]
    [InlineData(new[] { "db=a", "db=b" }, "names 'db' more than once")]
    [InlineData(new[] { "db=bad name" }, "'bad name' is not a valid volume name")]
    public void Mistakes_are_all_reported_before_anything_is_touched(string[] mappings, string message)
    {
        var e = Assert.Throws<BadInputException>(() => RestorePlan.Create(Set, mappings.Select(VolumeMapping.Parse).ToList()));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Without_volumes_a_set_with_a_bind_mount_is_refused_naming_the_archive_and_the_way_out()
    {
        var e = Assert.Throws<BadInputException>(() => RestorePlan.Create(Set, []));
        Assert.Equal(
            "archive 'host_conf.tar.zst' of backup set '20260101T000000Z-abcdef' is of the bind mount '/host/conf', a host path: give a target (--volume /host/conf=TARGET) or --to-original-paths to restore it there",
            OptionNames.Describe(e));
    }

    [Fact]
    public void Without_volumes_a_set_of_volumes_only_needs_no_flag()
    {
        var plan = RestorePlan.Create(TestSets.Set("20260101T000000Z-abcdef", "db", "web"), []);
        Assert.Equal(["db", "web"], plan.Steps.Select(s => s.Target));
        Assert.DoesNotContain(plan.Steps, s => s.TargetIsHostPath);
    }

    /// <summary>Where a bind mount's archive goes: only where the command line says.</summary>
    [Theory]
    [InlineData(new[] { "/host/conf=/host/conf" }, false, "/host/conf")]
    [InlineData(new[] { "/host/conf" }, false, "/host/conf")]
    [InlineData(new[] { "/host/conf=/srv/elsewhere" }, false, "/srv/elsewhere")]
    [InlineData(new[] { "/host/conf=conf-volume" }, false, "conf-volume")]
    [InlineData(new[] { "/etc/app=/srv/conf" }, false, "/srv/conf")]
    [InlineData(new string[0], true, "/host/conf")]
    public void A_bind_mount_goes_where_the_command_line_names_or_back_with_to_original_paths(string[] mappings, bool toOriginalPaths, string target)
    {
        var plan = RestorePlan.Create(Set, mappings.Select(VolumeMapping.Parse).ToList(), toOriginalPaths);
        Assert.Equal(target, plan.Steps.Single(s => s.Archive.Kind == SourceKind.Bind).Target);
    }

    [Theory]
    [InlineData("=x")]
    [InlineData("x=")]
    [InlineData("")]
    public void A_mapping_needs_both_sides(string value)
    {
        Assert.Throws<BadInputException>(() => VolumeMapping.Parse(value));
    }
}
