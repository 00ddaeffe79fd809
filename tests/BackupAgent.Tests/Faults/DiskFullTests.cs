using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Faults;

/// <summary>A destination that fills up: the backup fails saying so, its partial file is removed, and earlier backups are kept.</summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string? _mount;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync()
    {
        if (_mount is not null)
        {
            await HostCommand.RunAsync("umount", _mount);
        }

        await _scope.DisposeAsync();
    }

    [Fact]
    public async Task A_destination_that_fills_up_fails_saying_so_removes_the_partial_file_and_keeps_earlier_backups()
    {
        _mount = Directory.CreateDirectory(Path.Combine(_scope.Directory, "small")).FullName;
        await HostCommand.RunAsync("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", _mount);
        var small = await _scope.CreateVolumeAsync("fits");
        await TestScope.ShellInVolumeAsync(small, "echo small > /d/f");
        var earlier = System.Text.Json.JsonDocument.Parse((await Agent.SucceedAsync("backup", "--to", _mount, "--volume", small, "--json")).Stdout)
            .RootElement.GetProperty("id").GetString()!;
        var big = await _scope.CreateVolumeAsync("too-big");
        await TestScope.ShellInVolumeAsync(big, "head -c 5000000 /dev/urandom > /d/big");

        var result = await Agent.RunAsync("backup", "--to", _mount, "--volume", big, "--compression", "none");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No space left on device", result.Stderr);
        Assert.DoesNotContain(Directory.EnumerateFiles(_mount, "*", SearchOption.AllDirectories), f => f.Contains("too-big"));
        Assert.Contains(small, (await Agent.SucceedAsync("list", "--from", _mount)).Stdout);
        await Agent.SucceedAsync("verify", "--from", _mount);

        // The next backup that fits succeeds, and both it and the earlier one restore whole.
        var next = await Agent.RunAsync("backup", "--to", _mount, "--volume", small);
        var expected = await VolumeSnapshot.TakeAsync(small);
        long lost = 0;
        foreach (var set in new[] { earlier, "latest" })
        {
            var restored = _scope.Track(_scope.Name($"fits-restored-{set[^6..]}"));
            var restore = await Agent.RunAsync("restore", "--from", _mount, "--backup", set, "--volume", $"{small}={restored}");
            lost += VolumeSnapshot.BytesLost(expected, restore.ExitCode == 0 ? await VolumeSnapshot.TakeAsync(restored) : null);
        }

        FaultLedger.Settle("a destination that fills up", 1, next.ExitCode == 0, lost);
    }
}
