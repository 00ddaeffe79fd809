using System.Diagnostics;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Faults a backup tool must survive without losing data: a full disk, and the agent killed mid-restore.</summary>
public sealed class FaultTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string? _mount;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync()
    {
        if (_mount is not null)
        {
            await RunAsync("umount", _mount);
        }

        await _scope.DisposeAsync();
    }

    [Fact]
    public async Task A_destination_that_fills_up_fails_saying_so_removes_the_partial_file_and_keeps_earlier_backups()
    {
        _mount = Directory.CreateDirectory(Path.Combine(_scope.Directory, "small")).FullName;
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", _mount);
        var small = await _scope.CreateVolumeAsync("fits");
        await TestScope.ShellInVolumeAsync(small, "echo small > /d/f");
        await Agent.SucceedAsync("backup", "--to", _mount, "--volume", small);
        var big = await _scope.CreateVolumeAsync("too-big");
        await TestScope.ShellInVolumeAsync(big, "head -c 5000000 /dev/urandom > /d/big");

        var result = await Agent.RunAsync("backup", "--to", _mount, "--volume", big, "--compression", "none");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No space left on device", result.Stderr);
        Assert.DoesNotContain(Directory.EnumerateFiles(_mount, "*", SearchOption.AllDirectories), f => f.Contains("too-big"));
        Assert.Contains(small, (await Agent.SucceedAsync("list", "--from", _mount)).Stdout);
        await Agent.SucceedAsync("verify", "--from", _mount);
    }

    [Fact]
    public async Task Killing_the_agent_mid_restore_leaves_the_backup_intact_and_the_next_restore_completes()
    {
        var volume = await _scope.CreateVolumeAsync("killed-restore");
        await TestScope.ShellInVolumeAsync(volume, "head -c 300000000 /dev/urandom > /d/big; echo tail > /d/small");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume, "--compression", "none");
        var target = _scope.Track(_scope.Name("killed-target"));

        await using (var agent = AgentProcess.Start("restore", "--from", _scope.Backups, "--volume", $"{volume}={target}", "--state-dir", Path.Combine(_scope.Directory, "state")))
        {
            // Kill it once the target exists and the unpacking helper is at work.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await DockerCli.RunAsync("ps", "-q", "--filter", "label=backup-agent.purpose=restore of " + volume + " into " + target)).Trim().Length == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the restore never started unpacking");
                await Task.Delay(20);
            }

            agent.Kill();
            await agent.WaitAsync();
        }

        await Agent.SucceedAsync("verify", "--from", _scope.Backups);
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{volume}={target}", "--force", "--state-dir", Path.Combine(_scope.Directory, "state"));
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(volume), await VolumeSnapshot.TakeAsync(target));
    }

    private static async Task RunAsync(string command, params string[] args)
    {
        using var process = Process.Start(command, args);
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }
}
