using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// A manifest that is truncated, corrupt or of an unknown format version: every command names it, none restores older
/// data in its place without being asked, the other sets stay usable, and prune never deletes it.
/// </summary>
public sealed class BrokenManifestTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Theory]
    [InlineData("truncated", "is corrupt or truncated")]
    [InlineData("newer-format", "has format version 7; this agent reads version 1")]
    [InlineData("fifo", "it is not a regular file")]
    [InlineData("huge", "is larger than 67108864 bytes")]
    public async Task Every_command_names_an_unreadable_manifest_and_keeps_working_with_the_other_sets(string damage, string reason)
    {
        var volume = await _scope.CreateVolumeAsync("manifest");
        await TestScope.ShellInVolumeAsync(volume, "echo first > /d/f");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume);
        var older = Directory.GetDirectories(_scope.Backups).Single();
        await Task.Delay(1100); // set IDs have whole seconds
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume);
        var broken = Directory.GetDirectories(_scope.Backups).Single(d => d != older);
        var brokenId = Path.GetFileName(broken);
        var manifest = Path.Combine(broken, "manifest.json");
        var text = await File.ReadAllTextAsync(manifest);
        switch (damage)
        {
            case "fifo":
                // A FIFO in a manifest's place would block an open() forever.
                File.Delete(manifest);
                await HostCommand.RunAsync("mkfifo", manifest);
                break;
            case "huge":
                await using (var file = new FileStream(manifest, FileMode.Open))
                {
                    file.SetLength(100L << 20);
                }

                break;
            default:
                await File.WriteAllTextAsync(manifest, damage == "truncated" ? text[..(text.Length / 2)] : text.Replace("\"formatVersion\": 1", "\"formatVersion\": 7"));
                break;
        }

        var brokenFiles = Directory.GetFiles(broken).Order().ToList();

        var list = await Agent.RunAsync("list", "--from", _scope.Backups);
        Assert.Equal(1, list.ExitCode);
        Assert.Contains(Path.GetFileName(older), list.Stdout);
        Assert.Contains($"the manifest of backup set '{brokenId}'", list.Stderr);
        Assert.Contains(reason, list.Stderr);

        var target = _scope.Track(_scope.Name("manifest-target"));
        var restore = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{volume}={target}");
        Assert.Equal(1, restore.ExitCode);
        Assert.Contains("the newest backup set cannot be read, so 'latest' is unknown", restore.Stderr);
        Assert.Contains($"the newest readable one is {Path.GetFileName(older)}", restore.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--backup", Path.GetFileName(older), "--volume", $"{volume}={target}");
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(volume), await VolumeSnapshot.TakeAsync(target));

        var verify = await Agent.RunAsync("verify", "--from", _scope.Backups, "--backup", Path.GetFileName(older));
        Assert.Equal(0, verify.ExitCode);
        var broad = await Agent.RunAsync("verify", "--from", _scope.Backups, "--backup", brokenId);
        Assert.Equal(1, broad.ExitCode);
        Assert.Contains(reason, broad.Stderr);

        await Task.Delay(1100);
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume);
        var prune = await Agent.SucceedAsync("prune", "--from", _scope.Backups, "--keep-last", "1");
        Assert.Contains($"keep {brokenId}: its manifest cannot be read, so it is never pruned", prune.Stdout);
        Assert.False(Directory.Exists(older));
        Assert.Equal(brokenFiles, Directory.GetFiles(broken).Order().ToList());

        // The newest set verifies, and the store does not: the unreadable manifest fails it.
        var latest = await Agent.RunAsync("verify", "--from", _scope.Backups);
        Assert.Equal(1, latest.ExitCode);
        Assert.Contains($"{volume}: ok", latest.Stdout);
        Assert.Contains($"{brokenId}  manifest: FAILED", latest.Stdout);
        Assert.Contains("the manifests of 1 backup set(s) cannot be read", latest.Stderr);
    }
}
