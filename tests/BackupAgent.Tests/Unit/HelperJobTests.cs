using System.Diagnostics;
using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Operations;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Unit;

/// <summary>What each helper job makes of its exit codes, and the mounts it asks for; no engine runs.</summary>
public sealed class HelperJobTests
{
    [Theory]
    [InlineData(0, TarReadOutcome.Complete)]
    [InlineData(1, TarReadOutcome.FilesChanged)]
    [InlineData(64, TarReadOutcome.NotADirectory)]
    public void A_tar_read_is_complete_complete_with_changed_files_or_not_a_directory(long code, TarReadOutcome expected)
    {
        var read = TarReadHelper.Interpret(new HelperExit(code, " tar: ./a: file changed as we read it\n"), "reading volume 'db'");
        Assert.Equal(expected, read.Outcome);
        Assert.Equal("tar: ./a: file changed as we read it", read.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(137)]
    [InlineData(65)]
    public void A_tar_read_that_exits_with_any_other_code_fails_with_that_code_and_stderr(long code)
    {
        var failure = Assert.Throws<HelperFailedException>(() => TarReadHelper.Interpret(new HelperExit(code, "boom\n"), "reading volume 'db'"));
        Assert.Equal(code, failure.ExitCode);
        Assert.Equal("boom\n", failure.Stderr);
        Assert.StartsWith($"reading volume 'db': the helper container exited with code {code}", failure.Message);
    }

    [Fact]
    public void A_tar_read_a_caller_cannot_use_fails_as_the_helper_exited()
    {
        var failure = TarReadHelper.Interpret(new HelperExit(64, "not a directory: /data\n"), "reading 'db' on fake:///engine").Failure();
        Assert.Equal("reading 'db' on fake:///engine: the helper container exited with code 64: not a directory: /data", failure.Message);
    }

    [Fact]
    public void A_tar_read_of_a_volume_mounts_it_read_only_and_of_a_container_mount_takes_the_containers_mounts()
    {
        var volume = TarReadHelper.OfVolume("db", "backup of volume db").Spec;
        Assert.Equal([new HelperMount("db", "/source", ReadOnly: true)], volume.Mounts);
        Assert.False(volume.Writes);
        Assert.Null(volume.VolumesFromContainer);

        var mount = TarReadHelper.OfContainerMount("c0ffee", "/var/lib/db", ["cache"], "backup of /var/lib/db of container app").Spec;
        Assert.Empty(mount.Mounts);
        Assert.Equal("c0ffee", mount.VolumesFromContainer);
        Assert.Equal(["/var/lib/db", "--exclude=./cache"], mount.Command.Skip(4));
    }

    [Fact]
    public async Task A_tar_read_of_a_path_that_is_not_a_directory_exits_with_the_code_its_interpreter_skips()
    {
        var spec = TarReadHelper.OfContainerMount("c0ffee", "/nonexistent/backup-agent", [], "backup").Spec;
        var exit = await ShellAsync(spec.Command);
        Assert.Equal(TarReadOutcome.NotADirectory, TarReadHelper.Interpret(exit, "reading").Outcome);
        Assert.Equal("not a directory: /nonexistent/backup-agent", exit.Stderr.Trim());
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    public void An_empty_check_says_whether_the_target_holds_entries(long code, bool holdsEntries) =>
        Assert.Equal(holdsEntries, EmptyCheckHelper.Interpret(new HelperExit(code, ""), "db"));

    [Fact]
    public void An_empty_check_that_exits_with_any_other_code_fails()
    {
        var failure = Assert.Throws<HelperFailedException>(() => EmptyCheckHelper.Interpret(new HelperExit(2, "ls: cannot open\n"), "db"));
        Assert.Equal("checking whether 'db' is empty: the helper container exited with code 2: ls: cannot open", failure.Message);
    }

    [Fact]
    public async Task An_empty_check_script_exits_with_the_codes_its_interpreter_reads()
    {
        var directory = Directory.CreateTempSubdirectory("backup-agent-empty-check-");
        try
        {
            var command = EmptyCheckHelper.Spec("db").Command.Take(4).Append(directory.FullName).ToList();
            Assert.False(EmptyCheckHelper.Interpret(await ShellAsync(command), "db"));
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, ".hidden"), "");
            Assert.True(EmptyCheckHelper.Interpret(await ShellAsync(command), "db"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_empty_check_through_the_engine_mounts_its_target_read_only()
    {
        var engine = new FakeEngine { RunHelper = _ => new FakeEngine.HelperRun([], EmptyCheckHelper.HoldsEntries, "") };
        Assert.True(await EmptyCheckHelper.HoldsEntriesAsync(engine, "db", CancellationToken.None));
        var spec = Assert.Single(engine.Helpers);
        Assert.Equal("check of db", spec.Purpose);
        Assert.All(spec.Mounts, m => Assert.True(m.ReadOnly));
        Assert.False(spec.Writes);
    }

    [Theory]
    [InlineData(0, StageOutcome.Staged, "")]
    [InlineData(66, StageOutcome.NoRoom, "the archive holds 9 bytes")]
    [InlineData(67, StageOutcome.NestedMounts, "the archive holds 9 bytes")]
    public void A_staging_is_staged_or_refused_for_room_or_nested_mounts(long code, StageOutcome expected, string reason)
    {
        var staging = StageHelper.Interpret(new HelperExit(code, "the archive holds 9 bytes\n"), "restoring 'db' into 'db2'");
        Assert.Equal(new Staging(expected, reason), staging);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(65)]
    public void A_staging_whose_tar_or_swap_step_fails_fails_with_that_code(long code)
    {
        var failure = Assert.Throws<HelperFailedException>(() => StageHelper.Interpret(new HelperExit(code, "tar: Unexpected EOF\n"), "restoring 'db' into 'db2'"));
        Assert.Equal(code, failure.ExitCode);
        Assert.Equal($"restoring 'db' into 'db2': the helper container exited with code {code}: tar: Unexpected EOF", failure.Message);
    }

    [Fact]
    public async Task A_staging_without_room_exits_with_the_code_its_interpreter_reads_before_it_writes_anything()
    {
        var directory = Directory.CreateTempSubdirectory("backup-agent-stage-");
        try
        {
            var spec = StageHelper.Spec("restore of db into db2", "db2", "0123456789ab", replacing: true, needBytes: long.MaxValue, needEntries: 1);
            Assert.True(spec.OpenStdin);
            Assert.True(spec.Writes);
            Assert.Equal([new HelperMount("db2", "/target", ReadOnly: false)], spec.Mounts);
            var exit = await ShellAsync([.. spec.Command.Take(4), directory.FullName, .. spec.Command.Skip(5)]);
            var staging = StageHelper.Interpret(exit, "restoring");
            Assert.Equal(StageOutcome.NoRoom, staging.Outcome);
            Assert.StartsWith($"the archive holds {long.MaxValue} bytes; the target's file system has ", staging.Reason);
            Assert.EndsWith(" (the current contents stay until the restored ones replace them)", staging.Reason);
            Assert.Empty(directory.EnumerateFileSystemInfos());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(0, SwapOutcome.Done)]
    [InlineData(68, SwapOutcome.NotEmpty)]
    public void A_swap_is_done_or_finds_entries_that_are_not_the_restores(long code, SwapOutcome expected) =>
        Assert.Equal(expected, SwapHelper.Interpret(new HelperExit(code, ""), "db2", SwapAction.RollbackIfEmpty));

    [Theory]
    [InlineData(SwapAction.Commit, "the commit of the restore into 'db2'")]
    [InlineData(SwapAction.Rollback, "the rollback of the restore into 'db2'")]
    [InlineData(SwapAction.RollbackIfEmpty, "the rollback-if-empty of the restore into 'db2'")]
    public void A_swap_that_fails_names_its_action_and_target(SwapAction action, string what)
    {
        var failure = Assert.Throws<HelperFailedException>(() => SwapHelper.Interpret(new HelperExit(SwapHelper.SwapFailed, "mv: cannot move\n"), "db2", action));
        Assert.Equal($"{what}: the helper container exited with code 65: mv: cannot move", failure.Message);
    }

    [Fact]
    public async Task Settling_a_restore_runs_the_swap_helper_with_the_target_writable_and_its_token()
    {
        var engine = new FakeEngine { RunHelper = _ => new FakeEngine.HelperRun([], 0, "") };
        engine.Volumes.Add("db2");
        await StagedTarget.SettleAsync(engine, new StagedRestore("db2", "0123456789ab", Created: false, Committing: true), new CollectingLog().Logger, CancellationToken.None);
        var spec = Assert.Single(engine.Helpers);
        Assert.Equal("commit of the restore into db2", spec.Purpose);
        Assert.Equal([new HelperMount("db2", "/target", ReadOnly: false)], spec.Mounts);
        Assert.True(spec.Writes);
        Assert.Equal(["/target", "0123456789ab", "commit"], spec.Command.Skip(4));
    }

    [Fact]
    public async Task Indexing_a_volume_that_changed_as_it_was_read_fails()
    {
        var engine = new FakeEngine { RunHelper = _ => new FakeEngine.HelperRun(new byte[1024], TarReadHelper.FilesChanged, "file changed as we read it\n") };
        var failure = await Assert.ThrowsAsync<HelperFailedException>(() => IndexHelper.IndexAsync(engine, "scratch", CancellationToken.None));
        Assert.Equal("reading the scratch volume scratch: the helper container exited with code 1: file changed as we read it", failure.Message);
        Assert.Equal([new HelperMount("scratch", "/source", ReadOnly: true)], Assert.Single(engine.Helpers).Mounts);
    }

    /// <summary>Runs a helper's "sh -c SCRIPT sh ARGS" on the test host, as busybox sh would in the helper.</summary>
    private static async Task<HelperExit> ShellAsync(IReadOnlyList<string> command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new HelperExit(process.ExitCode, await stderr);
    }
}
