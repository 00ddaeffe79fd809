using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// Migration to a tcp:// engine with TLS, as Docker clients take it (ca.pem, cert.pem, key.pem). The second engine
/// listens with TLS on 127.0.0.1:2376 inside its own network namespace, so the agent runs there (nsenter); it still
/// reaches the first engine through its unix socket.
/// </summary>
public sealed class MigrateTlsTests : IAsyncLifetime
{
    private const string Endpoint = "tcp://127.0.0.1:2376";

    private TestScope _scope = null!;
    private string _dir = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _dir = Environment.GetEnvironmentVariable("BACKUP_AGENT_TEST_ENGINE2_DIR") is { Length: > 0 } dir
            ? dir
            : throw new InvalidOperationException("BACKUP_AGENT_TEST_ENGINE2_DIR is not set: run the tests with install/test");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_volume_migrates_to_a_tls_engine_with_the_client_certificates_and_not_without_them()
    {
        var volume = await _scope.CreateVolumeAsync("tls");
        _scope.TrackOn(DockerCli.SecondEngine, "volume", volume);
        await TestScope.ShellInVolumeAsync(volume, "echo over-tls > /d/f; chmod 600 /d/f");
        var state = Path.Combine(_scope.Directory, "state");

        var refused = await RunInEngineNamespaceAsync("migrate", "--to-engine", Endpoint, "--volume", volume, "--state-dir", state);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"the Docker engine at {Endpoint}", refused.Stderr);

        var missing = await RunInEngineNamespaceAsync("migrate", "--to-engine", Endpoint, "--to-engine-cert-path", _scope.Directory, "--volume", volume, "--state-dir", state);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"the TLS directory '{_scope.Directory}' has no", missing.Stderr);

        var migrated = await RunInEngineNamespaceAsync("migrate", "--to-engine", Endpoint, "--to-engine-cert-path", Path.Combine(_dir, "tls"), "--volume", volume, "--state-dir", state);
        Assert.True(migrated.ExitCode == 0, migrated.Stderr);
        Assert.Contains("verified", migrated.Stdout);
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(volume), await VolumeSnapshot.TakeAsync(volume, DockerCli.SecondEngine));
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunInEngineNamespaceAsync(params string[] args)
    {
        var pid = (await File.ReadAllTextAsync(Path.Combine(_dir, "pid"))).Trim();
        await using var agent = AgentProcess.StartIn(["nsenter", $"--net=/proc/{pid}/ns/net"], args);
        var (code, stderr) = await agent.WaitAsync();
        return (code, await agent.StdoutAsync(), stderr);
    }
}
