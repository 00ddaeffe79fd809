using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// The agent needs no root: a user (with no name, even) that can reach the Docker socket backs up, verifies and
/// restores, including the local engine's FIFO fast path, whose helper is root without DAC_OVERRIDE.
/// </summary>
public sealed class NonRootTests : IAsyncLifetime
{
    private const int Uid = 4242;

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_user_in_the_socket_group_backs_up_with_a_stop_verifies_deeply_and_restores_every_owner_and_mode()
    {
        var volume = await _scope.CreateVolumeAsync("nonroot");
        await TestScope.ShellInVolumeAsync(volume,
            "echo secret > /d/private; chown 1000:1000 /d/private; chmod 600 /d/private; mkdir -m 700 /d/closed; echo x > /d/closed/f; chown -R 33:33 /d/closed");
        var writer = await _scope.RunContainerAsync("nonroot-writer", ["-v", $"{volume}:/data"], "while true; do sleep 1; done");
        var home = Directory.CreateDirectory(Path.Combine(_scope.Directory, "home")).FullName;
        var agent = CopyAgentFor(home);
        var backups = Path.Combine(home, "backups");

        var backup = await RunAsync(agent, home, "backup", "--to", backups, "--volume", volume, "--stop", "--verbose");
        Assert.True(backup.ExitCode == 0, backup.Stderr);
        Assert.Contains("its output comes through a FIFO", backup.Stderr);
        Assert.True(await TestScope.IsRunningAsync(writer));
        var set = Directory.GetDirectories(backups).Single();
        Assert.All(Directory.EnumerateFiles(set), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.Equal(Uid.ToString(), (await HostCommand.RunAsync("stat", "-c", "%u", Path.Combine(set, "manifest.json"))).Trim());

        var verify = await RunAsync(agent, home, "verify", "--from", backups, "--deep");
        Assert.True(verify.ExitCode == 0, verify.Stderr);
        var target = _scope.Track(_scope.Name("nonroot-restored"));
        var restore = await RunAsync(agent, home, "restore", "--from", backups, "--volume", $"{volume}={target}", "--verbose");
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        Assert.Contains("its input comes through a FIFO", restore.Stderr);
        // The user left no run directory behind. Other tests' agents make and remove theirs here all the while: one that
        // goes between listing and looking at its owner is not an error (find's -ignore_readdir_race), it is not this user's.
        Assert.Equal("", (await HostCommand.RunAsync("find", Path.GetTempPath(), "-maxdepth", "1", "-ignore_readdir_race",
            "-name", "backup-agent-run-*", "-uid", $"{Uid}")).Trim());
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(volume), await VolumeSnapshot.TakeAsync(target));
    }

    /// <summary>A copy of the agent that the user can read (the checkout may sit under a private home).</summary>
    private string CopyAgentFor(string home)
    {
        var bin = Path.Combine(_scope.Directory, "agent");
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(bin, Path.GetRelativePath(AppContext.BaseDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        File.SetUnixFileMode(_scope.Directory, (UnixFileMode)0x1ed); // 0755
        Chown(home);
        return Path.Combine(bin, "backup-agent.dll");
    }

    private static async Task<(int ExitCode, string Stderr)> RunAsync(string agent, string home, params string[] args)
    {
        var socketGroup = (await HostCommand.RunAsync("stat", "-c", "%g", "/var/run/docker.sock")).Trim();
        string[] asUser = ["setpriv", "--reuid", $"{Uid}", "--regid", $"{Uid}", "--groups", socketGroup, "--inh-caps=-all", "--", "env", $"HOME={home}"];
        await using var process = AgentProcess.StartFrom(agent, asUser, args);
        return await process.WaitAsync();
    }

    private static void Chown(string path) => HostCommand.RunAsync("chown", "-R", $"{Uid}:{Uid}", path).GetAwaiter().GetResult();
}
