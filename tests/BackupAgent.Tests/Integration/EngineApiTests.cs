using System.Text.RegularExpressions;
using BackupAgent.Docker;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// What the agent asks of this engine: a proxy in front of its socket records every request of a backup and a
/// restore. Each carries one API version, inside what the engine's /version says it accepts (MinAPIVersion to
/// ApiVersion), and the newest that both sides speak; the one unversioned request is that /version.
/// </summary>
public sealed partial class EngineApiTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_backup_and_a_restore_ask_this_engine_for_an_api_version_it_accepts()
    {
        var range = (await DockerCli.RunAsync("version", "--format", "{{.Server.APIVersion}} {{.Server.MinAPIVersion}}")).Trim().Split(' ');
        var (newest, oldest) = (Version.Parse(range[0]), Version.Parse(range[1]));
        await using var proxy = new RecordingEngineProxy(Path.Combine(_scope.Directory, "engine.sock"));
        var source = await _scope.CreateVolumeAsync("api");
        await TestScope.ShellInVolumeAsync(source, "echo api > /d/f; chown 7:8 /d/f; chmod 640 /d/f; mkdir /d/sub");
        var before = await VolumeSnapshot.TakeAsync(source);
        var target = _scope.Track(_scope.Name("api-restored"));

        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--docker-host", proxy.Endpoint);
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}", "--docker-host", proxy.Endpoint,
            "--state-dir", Path.Combine(_scope.Directory, "state"));

        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));
        var requests = proxy.Requests;
        Assert.Equal(2, requests.Count(r => r == "GET /version"));
        var versioned = requests.Where(r => r != "GET /version").ToList();
        Assert.Contains(versioned, r => r.Contains("/containers/create"));
        var versions = versioned.Select(r => VersionedPath().Match(r) is { Success: true } m ? m.Groups[1].Value : $"none in '{r}'").Distinct().ToList();
        var used = Version.Parse(Assert.Single(versions));
        Assert.InRange(used, oldest, newest);
        Assert.Equal(newest < EngineApiVersion.Newest ? newest : EngineApiVersion.Newest, used);
    }

    [GeneratedRegex(@"^[A-Z]+ /v(\d+\.\d+)/")]
    private static partial Regex VersionedPath();
}
