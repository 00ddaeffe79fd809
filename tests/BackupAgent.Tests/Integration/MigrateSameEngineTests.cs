using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// A migration whose target engine is the source engine (found by the engine's ID, whatever the endpoint's spelling):
/// a volume is never written while it is read, and copying into other volumes works.
/// </summary>
public sealed class MigrateSameEngineTests : IAsyncLifetime
{
    /// <summary>The local engine by another name (/var/run is a link to /run).</summary>
    private const string SameEngine = "unix:///run/docker.sock";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Theory]
    [InlineData("itself", "would be written into itself")]
    [InlineData("swap", "which is read too")]
    public async Task A_migration_onto_a_volume_it_reads_exits_2_and_touches_nothing(string mapping, string message)
    {
        var a = await _scope.CreateVolumeAsync("same-a");
        var b = await _scope.CreateVolumeAsync("same-b");
        await TestScope.ShellInVolumeAsync(a, "head -c 5000000 /dev/urandom > /d/a");
        await TestScope.ShellInVolumeAsync(b, "echo b > /d/b");
        var before = (await VolumeSnapshot.TakeAsync(a), await VolumeSnapshot.TakeAsync(b));
        string[] volumes = mapping == "itself" ? ["--volume", $"{a}={a}"] : ["--volume", $"{a}={b}", "--volume", $"{b}={a}"];

        var result = await Agent.RunAsync(["migrate", "--to-engine", SameEngine, .. volumes, "--force"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--to-engine {SameEngine} is the engine the data comes from", result.Stderr);
        Assert.Contains(message, result.Stderr);
        VolumeSnapshot.AssertEqual(before.Item1, await VolumeSnapshot.TakeAsync(a));
        VolumeSnapshot.AssertEqual(before.Item2, await VolumeSnapshot.TakeAsync(b));
    }

    [Fact]
    public async Task A_migration_into_another_volume_of_the_same_engine_copies_it()
    {
        var a = await _scope.CreateVolumeAsync("same-src");
        await TestScope.ShellInVolumeAsync(a, "head -c 5000000 /dev/urandom > /d/a; mkdir /d/d; chown 7:7 /d/d");
        var copy = _scope.Track(_scope.Name("same-copy"));

        await Agent.SucceedAsync("migrate", "--to-engine", SameEngine, "--volume", $"{a}={copy}");

        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(a), await VolumeSnapshot.TakeAsync(copy));
    }
}
