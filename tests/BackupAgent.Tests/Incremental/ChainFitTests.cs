using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Incremental;

/// <summary>What becomes of a chain whose pieces are gone, changed or no longer fit: named, refused, or a new full with the reason.</summary>
public sealed class ChainFitTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _source = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _source = await _scope.CreateVolumeAsync("fit");
        await TestScope.ShellInVolumeAsync(_source, "printf 'kept\\n' > /d/kept && printf 'v1\\n' > /d/file && mkdir /d/dir && printf 'x\\n' > /d/dir/x");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private async Task<string> BackupAsync(string mode)
    {
        var result = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, mode);
        return result.Stdout.Split('\n')[0].Replace("backup set ", "").Trim();
    }

    [Fact]
    public async Task A_chain_whose_base_is_missing_is_named_by_list_and_refused_by_restore()
    {
        await BackupAsync("--full");
        await TestScope.ShellInVolumeAsync(_source, "printf 'v2\\n' > /d/file");
        var middle = await BackupAsync("--incremental");
        await TestScope.ShellInVolumeAsync(_source, "printf 'v3\\n' > /d/file");
        var latest = await BackupAsync("--incremental");
        Directory.Delete(Path.Combine(_scope.Backups, middle), recursive: true);

        var list = await Agent.RunAsync("list", "--from", _scope.Backups);
        Assert.Equal(1, list.ExitCode);
        Assert.Contains(latest, list.Stdout);
        Assert.Contains($"set '{latest}' cannot be restored", list.Stderr);
        Assert.Contains($"on set '{middle}', which is missing from the store", list.Stderr);

        var target = _scope.Name("fit-missing");
        var restore = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        Assert.NotEqual(0, restore.ExitCode);
        Assert.Contains($"backup set '{latest}' cannot be restored, no volume was touched", restore.Stderr);
        Assert.Contains("which is missing from the store", restore.Stderr);
        Assert.Single(restore.Stderr.Trim().Split("\n"), l => l.StartsWith("backup-agent:", StringComparison.Ordinal));
        Assert.Equal("", (await DockerCli.RunAsync("volume", "ls", "-q", "--filter", $"name=^{target}$")).Trim());

        var verify = await Agent.RunAsync("verify", "--from", _scope.Backups);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("which is missing from the store", verify.Stdout + verify.Stderr);

        // The next incremental backup does not build on the broken chain: it starts a new one.
        var next = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental");
        Assert.Contains("(full, level 0)", next.Stdout);
        Assert.Contains("is broken", next.Stderr);
    }

    [Fact]
    public async Task A_chain_whose_middle_level_is_damaged_fails_naming_it_and_leaves_the_target_as_it_was()
    {
        await BackupAsync("--full");
        await TestScope.ShellInVolumeAsync(_source, "printf 'v2\\n' > /d/file && rm /d/dir/x");
        var middle = await BackupAsync("--incremental");
        await TestScope.ShellInVolumeAsync(_source, "printf 'v3\\n' > /d/file");
        var latest = await BackupAsync("--incremental");
        var archive = Directory.GetFiles(Path.Combine(_scope.Backups, middle), "*.tar.zst").Single();
        var bytes = await File.ReadAllBytesAsync(archive);
        bytes[bytes.Length / 2] ^= 0xff;
        await File.WriteAllBytesAsync(archive, bytes);
        var target = await _scope.CreateVolumeAsync("fit-target");
        await TestScope.ShellInVolumeAsync(target, "printf 'old\\n' > /d/file && mkdir /d/mine && printf 'mine\\n' > /d/mine/m");
        var before = await VolumeSnapshot.TakeAsync(target);

        var restore = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}", "--force");

        Assert.Equal(1, restore.ExitCode);
        Assert.Contains($"backup set '{latest}' cannot be restored, no volume was touched", restore.Stderr);
        Assert.Contains($"(set '{middle}', level 1 of the chain)", restore.Stderr);
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task A_tampered_snapshot_file_starts_a_new_full_and_says_why()
    {
        var full = await BackupAsync("--full");
        var snar = Directory.GetFiles(Path.Combine(_scope.Backups, full), "*.snar.gz").Single();
        var bytes = await File.ReadAllBytesAsync(snar);
        bytes[^5] ^= 0xff;
        await File.WriteAllBytesAsync(snar, bytes);

        await TestScope.ShellInVolumeAsync(_source, "printf 'v2\\n' > /d/file");
        var next = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental");
        Assert.Contains("(full, level 0)", next.Stdout);
        Assert.Contains($"Backing up {_source} in full, starting a new chain: snapshot file '{Path.GetFileName(snar)}' of '{_source}' is corrupt or truncated", next.Stderr);

        var expected = await VolumeSnapshot.TakeAsync(_source);
        var target = _scope.Track(_scope.Name("fit-tampered"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task A_base_whose_tree_index_is_tampered_still_gets_its_level_without_a_tree_and_the_next_one_is_a_new_full()
    {
        await BackupAsync("--full");
        await TestScope.ShellInVolumeAsync(_source, "printf 'v2\\n' > /d/file");
        var first = await BackupAsync("--incremental");
        var tree = Directory.GetFiles(Path.Combine(_scope.Backups, first), "*.tree.jsonl.gz").Single();
        var bytes = await File.ReadAllBytesAsync(tree);
        bytes[^5] ^= 0xff;
        await File.WriteAllBytesAsync(tree, bytes);

        await TestScope.ShellInVolumeAsync(_source, "printf 'v3\\n' > /d/file && rm /d/dir/x");
        var second = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental");
        Assert.Contains($"(level 2 on {first})", second.Stdout);
        Assert.Contains($"No index of the whole tree of {_source} is written", second.Stderr);
        Assert.Contains($"the index of the whole tree of set '{first}' cannot be read", second.Stderr);
        var secondId = second.Stdout.Split('\n')[0].Replace("backup set ", "").Trim();
        Assert.Empty(Directory.GetFiles(Path.Combine(_scope.Backups, secondId), "*.tree.jsonl.gz"));

        // The level is whole: it restores. The next one cannot build a tree on it, so it starts a new chain.
        var expected = await VolumeSnapshot.TakeAsync(_source);
        var target = _scope.Track(_scope.Name("fit-tree"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));
        var third = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental");
        Assert.Contains("(full, level 0)", third.Stdout);
        Assert.Contains("has no index of the whole tree", third.Stderr);
    }

    [Fact]
    public async Task A_volume_recreated_under_its_name_gets_a_new_full()
    {
        await BackupAsync("--full");

        // The new volume's entries are of a later second than the full's dump (not a timed assertion: a wait).
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        await DockerCli.RunAsync("volume", "rm", _source);
        await DockerCli.RunAsync("volume", "create", "--label", $"{TestScope.TestLabel}={_scope.Id}", _source);
        await TestScope.ShellInVolumeAsync(_source, "printf 'other\\n' > /d/file && touch -d '2001-02-03 04:05:06' /d/file");
        var next = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental");
        Assert.Contains("(full, level 0)", next.Stdout);
        Assert.Contains("the volume was recreated", next.Stderr);

        var expected = await VolumeSnapshot.TakeAsync(_source);
        var target = _scope.Track(_scope.Name("fit-recreated"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task Prune_keeps_every_set_a_kept_incremental_builds_on()
    {
        var full = await BackupAsync("--full");
        await TestScope.ShellInVolumeAsync(_source, "printf 'v2\\n' > /d/file");
        var first = await BackupAsync("--incremental");
        await TestScope.ShellInVolumeAsync(_source, "rm /d/dir/x && printf 'v3\\n' > /d/file");
        var latest = await BackupAsync("--incremental");
        var expected = await VolumeSnapshot.TakeAsync(_source);

        var dry = await Agent.SucceedAsync("prune", "--from", _scope.Backups, "--keep-last", "1", "--dry-run");
        Assert.Contains($"keep    {first}  (kept as the base of {latest})", dry.Stdout);
        Assert.Contains($"keep    {full}  (kept as the base of {latest})", dry.Stdout);

        await Agent.SucceedAsync("prune", "--from", _scope.Backups, "--keep-last", "1");
        Assert.True(Directory.Exists(Path.Combine(_scope.Backups, full)));
        var target = _scope.Track(_scope.Name("fit-pruned"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));

        // A new full ends the old chain's claim: pruning to the last set now deletes it.
        await BackupAsync("--full");
        await Agent.SucceedAsync("prune", "--from", _scope.Backups, "--keep-last", "1");
        Assert.False(Directory.Exists(Path.Combine(_scope.Backups, full)));
        Assert.False(Directory.Exists(Path.Combine(_scope.Backups, latest)));
    }
}
