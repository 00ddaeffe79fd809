using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// Stage, verify, swap: a restore that fails anywhere before its swap leaves the target exactly as it was, file by
/// file; a swap that a killed agent left halfway is completed by recovery, whichever step it stopped at.
/// </summary>
public sealed class StagedRestoreTests : IAsyncLifetime
{
    private const string Token = "0123456789ab";

    private TestScope _scope = null!;
    private string _state = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _state = Path.Combine(_scope.Directory, "state");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_forced_restore_whose_archive_fails_its_hash_at_the_end_leaves_the_old_contents_file_by_file()
    {
        // A byte of file content, far from any tar header: only the SHA-256 at the end of the read can tell.
        var source = await BackupWithDamageAsync("hash-src", "head -c 3000000 /dev/urandom > /d/big; echo new > /d/new", 4000, b => (byte)(b ^ 0xff));

        var target = await OldContentsAsync("hash-target");
        var old = await VolumeSnapshot.TakeAsync(target);
        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}", "--force", "--state-dir", _state);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is corrupt or truncated", result.Stderr);
        Assert.Contains("no volume was touched", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        VolumeSnapshot.AssertEqual(old, await VolumeSnapshot.TakeAsync(target));
        Assert.Empty(JournalFiles());
    }

    [Fact]
    public async Task A_forced_restore_without_room_for_the_old_and_new_contents_side_by_side_is_refused_and_says_so()
    {
        var source = await _scope.CreateVolumeAsync("room-src");
        await TestScope.ShellInVolumeAsync(source, "head -c 5000000 /dev/urandom > /d/big");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--compression", "none");
        var target = _scope.Track(_scope.Name("room-target"));
        await DockerCli.RunAsync("volume", "create", "--label", $"{TestScope.TestLabel}={_scope.Id}", "--driver", "local",
            "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=8m", target);

        // A tmpfs volume keeps its contents while a container mounts it.
        await _scope.RunContainerAsync("room-keeper", ["-v", $"{target}:/d"], "head -c 5000000 /dev/urandom > /d/old; chmod 2751 /d; chown 101:104 /d; while true; do sleep 1; done");
        await Poll.UntilAsync(async () => (await TestScope.ShellInVolumeAsync(target, "stat -c %a /d")).Trim() == "2751", "the keeper never wrote the old contents");
        var old = await VolumeSnapshot.TakeAsync(target);

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}", "--force", "--no-stop", "--state-dir", _state);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"'{target}' has no room for '{source}', nothing was written into it", result.Stderr);
        Assert.Contains("the current contents stay until the restored ones replace them", result.Stderr);
        VolumeSnapshot.AssertEqual(old, await VolumeSnapshot.TakeAsync(target));
    }

    public static TheoryData<string> SwapPoints => ["staged", "moving-old-out", "moving-new-in", "removing-trash", "trash-half-removed", "journal-lost-its-commit"];

    [Theory]
    [MemberData(nameof(SwapPoints))]
    public async Task Recovery_settles_a_restore_that_a_killed_agent_left_at_any_step_of_its_swap(string point)
    {
        // The new contents as a restore stages them (the tar's root entry gives the staging directory the root's owner and mode).
        var expected = await _scope.CreateVolumeAsync("swap-expected");
        await TestScope.ShellInVolumeAsync(expected,
            "mkdir -p /d/dir/sub; echo one > /d/dir/sub/one; echo two > '/d/two words'; ln -s dir /d/link; touch -d @1700000000 /d/dir; " +
            "chown -R 70:71 /d/dir; chmod 2775 /d; chown 101:104 /d; touch -d @1600000000 /d");
        var target = await OldContentsAsync("swap-target");
        var old = await VolumeSnapshot.TakeAsync(target);
        var stage = point == "staged" ? ".backup-agent-stage-" + Token : ".backup-agent-commit-" + Token;
        var script = point switch
        {
            // Killed before the commit point: recovery rolls back.
            "staged" => $"touch -r /t/.backup-agent-stage-{Token} /t/.backup-agent-was-{Token}; touch -d @1500000000 /t/.backup-agent-was-{Token}",
            // Killed after the commit point, while the old entries were moving aside (one moved, one not).
            "moving-old-out" => $"mkdir $T/.backup-agent-old-{Token}; touch -r $S $T/.backup-agent-old-{Token}/.backup-agent-root-{Token}; mv $T/old1 $T/.backup-agent-old-{Token}/",
            // All old entries aside (the trash), the new ones partly moved up.
            "moving-new-in" => $"mkdir $T/.backup-agent-trash-{Token}; touch -r $S $T/.backup-agent-trash-{Token}/.backup-agent-root-{Token}; " +
                               $"mv $T/old1 $T/old2 $T/.backup-agent-trash-{Token}/; mv $S/dir $T/",
            // Everything in place, the emptied staging directory renamed, the trash not yet removed.
            "removing-trash" => $"mkdir $T/.backup-agent-trash-{Token}; touch -r $S $T/.backup-agent-trash-{Token}/.backup-agent-root-{Token}; " +
                 $"mv $T/old1 $T/old2 $T/.backup-agent-trash-{Token}/; mv $S/* $S/.[!.]* $T/ 2>/dev/null; mv $S $T/.backup-agent-done-{Token}",
            // Killed while the trash was going: the root's mtime had moved onto the emptied directory, the mark is gone.
            "trash-half-removed" => $"mkdir $T/.backup-agent-trash-{Token}; touch -r $S /tmp/root; mv $T/old1 $T/old2 $T/.backup-agent-trash-{Token}/; " +
                 $"mv $S/* $S/.[!.]* $T/ 2>/dev/null; mv $S $T/.backup-agent-done-{Token}; touch -r /tmp/root $T/.backup-agent-done-{Token}; rm -rf $T/.backup-agent-trash-{Token}/old2",
            // Past the commit point, but the journal still says it was staging (its rename was lost): the disk decides.
            _ => $"mkdir $T/.backup-agent-trash-{Token}; touch -r $S $T/.backup-agent-trash-{Token}/.backup-agent-root-{Token}; " +
                 $"mv $T/old1 $T/old2 $T/.backup-agent-trash-{Token}/; mv $S/dir $T/",
        };
        await TestScope.ShellAsync(["-v", $"{expected}:/e:ro", "-v", $"{target}:/t"],
            $"T=/t; S=/t/{stage}; mkdir $S && /bin/tar -C /e -cf - . | /bin/tar -C $S -xf - --numeric-owner --same-owner --same-permissions && {script}");
        WriteDeadRunEntry(target, committing: point is not ("staged" or "journal-lost-its-commit"));

        var recover = await Agent.RunAsync("recover", "--state-dir", _state);

        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.Contains(point is "staged" or "journal-lost-its-commit" ? $"Rolling back the restore into {target}" : $"Completing the restore into {target}", recover.Stderr);
        VolumeSnapshot.AssertEqual(point == "staged" ? old : await VolumeSnapshot.TakeAsync(expected), await VolumeSnapshot.TakeAsync(target));
        Assert.Empty(JournalFiles());
    }

    [Fact]
    public async Task Recovery_leaves_a_volume_the_restore_created_when_it_holds_data_the_restore_did_not_write()
    {
        // Killed while staging into a volume it had created; since then somebody put data there.
        var target = await _scope.CreateVolumeAsync("created-then-used");
        await TestScope.ShellInVolumeAsync(target, $"mkdir /d/.backup-agent-stage-{Token}; echo partial > /d/.backup-agent-stage-{Token}/x; echo theirs > /d/theirs");
        WriteDeadRunEntry(target, committing: false, created: true);

        var recover = await Agent.RunAsync("recover", "--state-dir", _state);

        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.Contains($"Leaving the volume {target}, which a restore created: it holds data the restore did not write", recover.Stderr);
        Assert.Equal("theirs\n", await TestScope.ShellInVolumeAsync(target, "ls -A /d"));
    }

    [Fact]
    public async Task Recovery_removes_a_volume_the_restore_created_that_holds_only_its_staging()
    {
        var target = await _scope.CreateVolumeAsync("created-staging");
        await TestScope.ShellInVolumeAsync(target, $"mkdir /d/.backup-agent-stage-{Token}; echo partial > /d/.backup-agent-stage-{Token}/x");
        WriteDeadRunEntry(target, committing: false, created: true);

        await Agent.SucceedAsync("recover", "--state-dir", _state);

        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));
    }

    [Fact]
    public async Task A_damaged_tar_header_that_makes_the_unpacking_fail_is_reported_as_a_damaged_archive_by_restore_and_deep_verify()
    {
        // The mode field of the second header: its checksum no longer matches, and tar fails.
        var source = await BackupWithDamageAsync("header-src", "echo a > /d/a; echo b > /d/b; echo c > /d/c", 512 + 100, _ => (byte)'9');

        var target = await OldContentsAsync("header-target");
        var old = await VolumeSnapshot.TakeAsync(target);
        var restore = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}", "--force", "--state-dir", _state);
        var verify = await Agent.RunAsync("verify", "--from", _scope.Backups, "--deep");

        Assert.Equal(1, restore.ExitCode);
        Assert.Contains("is corrupt or truncated", restore.Stderr);
        VolumeSnapshot.AssertEqual(old, await VolumeSnapshot.TakeAsync(target));
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("FAILED", verify.Stdout);
        Assert.Contains("is corrupt or truncated", verify.Stderr);
    }

    [Fact]
    public async Task A_restore_into_a_host_directory_with_another_file_system_mounted_inside_is_refused_before_anything_is_written()
    {
        var source = await _scope.CreateVolumeAsync("mounts-src");
        await TestScope.ShellInVolumeAsync(source, "echo new > /d/new");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source);
        var host = Path.Combine(_scope.Directory, "host-target");
        Directory.CreateDirectory(Path.Combine(host, "inner"));
        await File.WriteAllTextAsync(Path.Combine(host, "old"), "old\n");
        await HostCommand.RunAsync("mount", "-t", "tmpfs", "-o", "size=1m", "none", Path.Combine(host, "inner"));
        try
        {
            await File.WriteAllTextAsync(Path.Combine(host, "inner", "on-tmpfs"), "other\n");
            var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={host}", "--force", "--state-dir", _state);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"'{host}' cannot take '{source}', nothing was written into it: other file systems are mounted inside the target", result.Stderr);
            Assert.Equal(["inner", "old"], Directory.EnumerateFileSystemEntries(host).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal("other\n", await File.ReadAllTextAsync(Path.Combine(host, "inner", "on-tmpfs")));
        }
        finally
        {
            await HostCommand.RunAsync("umount", Path.Combine(host, "inner"));
        }
    }

    /// <summary>Backs up a volume filled by <paramref name="script"/> without compression, then changes one byte of its archive in the store.</summary>
    private async Task<string> BackupWithDamageAsync(string stem, string script, long offset, Func<int, byte> damage)
    {
        var source = await _scope.CreateVolumeAsync(stem);
        await TestScope.ShellInVolumeAsync(source, script);
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--compression", "none");
        var archive = Directory.EnumerateFiles(_scope.Backups, "*.tar", SearchOption.AllDirectories).Single();
        await using var file = new FileStream(archive, FileMode.Open);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte(damage(b));
        return source;
    }

    /// <summary>A volume with old contents of its own, a root with an unusual owner and mode included.</summary>
    private async Task<string> OldContentsAsync(string stem)
    {
        var target = await _scope.CreateVolumeAsync(stem);
        await TestScope.ShellInVolumeAsync(target,
            "echo old1 > /d/old1; mkdir /d/old2; echo deep > /d/old2/deep; chown -R 33:33 /d/old2; chmod 0750 /d; chown 5:6 /d; touch -d @1500000000 /d");
        return target;
    }

    /// <summary>The journal entry of a restore whose agent died: it names a process that is gone, on any engine.</summary>
    private void WriteDeadRunEntry(string target, bool committing, bool created = false)
    {
        Directory.CreateDirectory(Journal);
        var owner = $"{Environment.MachineName}:999999999:1";
        File.WriteAllText(Path.Combine(Journal, "restore-dead.json"), $$"""
            {"runId":"restore-dead","owner":"{{owner}}","startedAt":"2026-01-01T00:00:00Z","containers":[],
             "restores":[{"target":"{{target}}","token":"{{Token}}","created":{{(created ? "true" : "false")}},"committing":{{(committing ? "true" : "false")}}}]}
            """);
    }

    /// <summary>The journal of the agent's runs, in its state directory.</summary>
    private string Journal => Path.Combine(_state, "stopped");

    private IEnumerable<string> JournalFiles() =>
        Directory.Exists(Journal) ? Directory.EnumerateFiles(Journal, "*.json") : [];
}
