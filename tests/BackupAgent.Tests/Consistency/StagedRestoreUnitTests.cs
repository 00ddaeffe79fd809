using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;
using BackupAgent.Storage.Directory;
using BackupAgent.Tests.Support;
using static BackupAgent.Tests.Support.CraftedSets;

namespace BackupAgent.Tests.Consistency;

/// <summary>
/// Restore staging against an engine in memory whose stage and swap helpers change the volumes' contents as their
/// scripts change the disk (<see cref="FakeDisk"/>): every target is staged before any is swapped, a failure or
/// cancellation before the swap leaves every target as it was, and the journal lets a later run settle the rest.
/// </summary>
public sealed class StagedRestoreUnitTests : IDisposable
{
    private readonly FakeEngine _engine = new();
    private readonly CollectingLog _log = new();
    private readonly string _backups = Path.Combine(Path.GetTempPath(), $"backup-agent-staged-{Guid.NewGuid():N}");

    /// <summary>Each journal write: the restores recorded, and what each target held at that moment.</summary>
    private readonly List<(string Restores, string Seen)> _journal = [];

    /// <summary>The targets of the restore under test, whose contents each journal write records.</summary>
    private string[] _targets = [];

    public StagedRestoreUnitTests()
    {
        _engine.AddVolume("db", ("app.db", "v1"), ("wal/0001", "old log"));
        _engine.AddVolume("web", ("index.html", "old page"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_backups))
        {
            Directory.Delete(_backups, recursive: true);
        }
    }

    [Fact]
    public async Task Every_target_is_staged_before_any_is_swapped_and_the_journal_records_each_state_before_it_is_entered()
    {
        await StageThenSwapAsync([Existing("db"), Created("cache")], [Tar(("app.db", "v2")), Tar(("hot", "x"))]);

        Assert.Equal(
        [
            ("db, cache", "db: app.db v1, wal/0001 old log | cache: absent"),
            ("db, cache (created)", "db: app.db v1, wal/0001 old log, staged app.db v2 | cache: empty"),
            ("db (committing), cache (created, committing)", "db: app.db v1, wal/0001 old log, staged app.db v2 | cache: staged hot x"),
            ("", "db: app.db v2 | cache: hot x"),
        ], _journal);
        Assert.Equal(["app.db: v2"], _engine.Disk.Listing("db"));
        Assert.Equal(["hot: x"], _engine.Disk.Listing("cache"));
    }

    [Fact]
    public async Task When_the_last_target_fails_to_stage_every_target_is_as_it_was_and_the_volume_the_restore_created_is_removed()
    {
        var failure = await Assert.ThrowsAsync<HelperFailedException>(() =>
            StageThenSwapAsync([Created("new"), Existing("db"), Existing("web")], [Tar(("a", "1")), Tar(("app.db", "v2")), Truncated(Tar(("index.html", new string('x', 2000))))]));

        Assert.StartsWith("restoring 'app' into 'web': the helper container exited with code 2: tar: Unexpected EOF in archive", failure.Message);
        Assert.DoesNotContain("new", _engine.Volumes);
        Assert.Equal(["app.db: v1", "wal/", "wal/0001: old log"], _engine.Disk.Listing("db"));
        Assert.Equal(["index.html: old page"], _engine.Disk.Listing("web"));
        Assert.Equal(
            ["restore of app into new", "restore of app into db", "restore of app into web", "rollback-if-empty of the restore into new", "rollback of the restore into db", "rollback of the restore into web"],
            _engine.Helpers.Select(h => h.Purpose));
        Assert.Equal("", _journal[^1].Restores);
    }

    [Fact]
    public async Task A_swap_that_fails_after_its_commit_point_stays_journalled_as_committing_and_settling_the_journal_completes_it()
    {
        var planned = new[] { Existing("db"), Existing("web") };
        _engine.Disk.FailAfterCommitPoint.Add("web");

        var failure = await Assert.ThrowsAsync<SwapIncompleteException>(() => StageThenSwapAsync(planned, [Tar(("app.db", "v2")), Tar(("index.html", "new page"))]));

        Assert.StartsWith("the commit of the restore into 'web': the helper container exited with code 65: mv: can't rename", failure.Message);
        Assert.EndsWith("the swap into 'web' is journalled and is completed by the next run against this engine or by recover, before the containers that use it start", failure.Message);
        Assert.Equal("db (committing), web (committing)", _journal[^1].Restores);
        Assert.Equal(["app.db: v2"], _engine.Disk.Listing("db"));
        Assert.Contains("index.html: old page", _engine.Disk.Listing("web"));

        _engine.Disk.FailAfterCommitPoint.Clear();
        foreach (var restore in planned)
        {
            await StagedTarget.SettleAsync(_engine, restore with { Committing = true }, _log.Logger, CancellationToken.None);
        }

        Assert.Equal(["app.db: v2"], _engine.Disk.Listing("db"));
        Assert.Equal(["index.html: new page"], _engine.Disk.Listing("web"));
    }

    [Fact]
    public async Task Settling_a_committing_restore_completes_the_swap()
    {
        await StageAsync(Existing("web"), Tar(("index.html", "new page")));

        await StagedTarget.SettleAsync(_engine, Existing("web") with { Committing = true }, _log.Logger, CancellationToken.None);

        Assert.Equal(["index.html: new page"], _engine.Disk.Listing("web"));
    }

    [Fact]
    public async Task Settling_a_staged_restore_rolls_it_back_leaving_nothing_of_it_in_the_target()
    {
        await StageAsync(Existing("web"), Tar(("index.html", "new page")));

        await StagedTarget.SettleAsync(_engine, Existing("web"), _log.Logger, CancellationToken.None);

        Assert.Equal(["index.html: old page"], _engine.Disk.Listing("web"));
        Assert.Equal("rollback of the restore into web", _engine.Helpers[^1].Purpose);
    }

    [Fact]
    public async Task Settling_a_staged_restore_whose_swap_had_passed_its_commit_point_finishes_the_swap()
    {
        await StageAsync(Existing("web"), Tar(("index.html", "new page")));
        _engine.Disk.FailAfterCommitPoint.Add("web");
        await Assert.ThrowsAsync<HelperFailedException>(() => new StagedTarget(_engine, "web", Existing("web").Token).CommitAsync(CancellationToken.None));
        _engine.Disk.FailAfterCommitPoint.Clear();

        await StagedTarget.SettleAsync(_engine, Existing("web"), _log.Logger, CancellationToken.None);

        Assert.Equal(["index.html: new page"], _engine.Disk.Listing("web"));
    }

    [Fact]
    public async Task Settling_a_staged_restore_into_a_volume_it_created_removes_the_volume()
    {
        _engine.AddVolume("new");
        await StageAsync(Created("new"), Tar(("a", "1")));

        await StagedTarget.SettleAsync(_engine, Created("new"), _log.Logger, CancellationToken.None);

        Assert.DoesNotContain("new", _engine.Volumes);
    }

    [Fact]
    public async Task Settling_a_staged_restore_into_a_volume_it_created_that_others_wrote_to_since_keeps_the_volume_with_a_warning()
    {
        _engine.AddVolume("new");
        await StageAsync(Created("new"), Tar(("a", "1")));
        _engine.Disk.Write("new", ("theirs", "data"));

        await StagedTarget.SettleAsync(_engine, Created("new"), _log.Logger, CancellationToken.None);

        Assert.Equal(["theirs: data"], _engine.Disk.Listing("new"));
        Assert.Contains(_log.Messages, m => m.Contains("Leaving the volume \"new\", which a restore created: it holds data the restore did not write"));
    }

    [Fact]
    public async Task Settling_a_restore_into_a_volume_that_no_longer_exists_runs_no_helper_so_the_volume_is_not_made_again()
    {
        await StagedTarget.SettleAsync(_engine, Created("gone"), _log.Logger, CancellationToken.None);

        Assert.Empty(_engine.Helpers);
        Assert.DoesNotContain("gone", _engine.Volumes);
        Assert.Contains(_log.Messages, m => m.Contains("The volume \"gone\" of an unfinished restore no longer exists; nothing to settle"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_restore_cancelled_before_its_swap_leaves_every_target_as_it_was(int cancelledBefore)
    {
        using var cancel = new CancellationTokenSource();
        var tars = new[] { Tar(("a", "1")), Tar(("app.db", "v2")), Tar(("index.html", "new page")) };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => StageThenSwapAsync([Created("new"), Existing("db"), Existing("web")], tars, cancel, cancelledBefore));

        Assert.DoesNotContain("new", _engine.Volumes);
        Assert.Equal(["app.db: v1", "wal/", "wal/0001: old log"], _engine.Disk.Listing("db"));
        Assert.Equal(["index.html: old page"], _engine.Disk.Listing("web"));
        Assert.DoesNotContain(_engine.Helpers, h => h.Purpose.StartsWith("commit", StringComparison.Ordinal));
        Assert.Equal("", _journal[^1].Restores);
    }

    [Fact]
    public async Task A_restore_of_a_set_replaces_each_target_with_its_archive()
    {
        var set = await StoreSetAsync(("db", Tar(("app.db", "v2"))), ("web", Tar(("index.html", "new page"))));

        await RestoreAsync(set, "db", "web");

        Assert.Equal(["app.db: v2"], _engine.Disk.Listing("db"));
        Assert.Equal(["index.html: new page"], _engine.Disk.Listing("web"));
    }

    [Fact]
    public async Task A_restore_whose_second_archive_is_damaged_leaves_both_targets_as_they_were_and_says_no_volume_was_touched()
    {
        var set = await StoreSetAsync(("db", Tar(("app.db", "v2"))), ("web", Tar(("index.html", "new page"))));
        var stored = Path.Combine(_backups, set.Id, "web.tar");
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[1024] ^= 1;
        await File.WriteAllBytesAsync(stored, bytes);

        var failure = await Assert.ThrowsAsync<BackupAgentException>(() => RestoreAsync(set, "db", "web"));

        Assert.StartsWith($"backup set '{set.Id}' cannot be restored, no volume was touched: ", failure.Message);
        Assert.Contains("web.tar", failure.Message);
        Assert.Equal(["app.db: v1", "wal/", "wal/0001: old log"], _engine.Disk.Listing("db"));
        Assert.Equal(["index.html: old page"], _engine.Disk.Listing("web"));
    }

    private static StagedRestore Existing(string target) => new(target, $"{target}-token", Created: false, Committing: false);

    private static StagedRestore Created(string target) => Existing(target) with { Created = true };

    private static byte[] Truncated(byte[] tar) => tar[..1024];

    /// <summary>Stages and swaps <paramref name="tars"/> into <paramref name="planned"/>, journalling into <see cref="_journal"/>; cancels before staging the target at <paramref name="cancelBefore"/>.</summary>
    private Task StageThenSwapAsync(IReadOnlyList<StagedRestore> planned, IReadOnlyList<byte[]> tars, CancellationTokenSource? cancel = null, int cancelBefore = -1)
    {
        _targets = [.. planned.Select(p => p.Target)];
        return StagedTarget.StageThenSwapAsync(
            _engine,
            planned,
            (i, ct) =>
            {
                if (i == cancelBefore)
                {
                    cancel!.Cancel();
                }

                return _engine.CreateVolumeAsync(new VolumeInfo(planned[i].Target, "local", new Dictionary<string, string>(), new Dictionary<string, string>()), ct);
            },
            (target, i, ct) =>
            {
                if (i == cancelBefore)
                {
                    cancel!.Cancel();
                }

                return StageTarAsync(target, tars[i], ct);
            },
            JournalAsync,
            _log.Logger,
            cancel?.Token ?? CancellationToken.None);
    }

    private Task StageAsync(StagedRestore restore, byte[] tar) => StageTarAsync(new StagedTarget(_engine, restore.Target, restore.Token), tar, CancellationToken.None);

    /// <summary>Stages a tar (of the volume "app") as a restore does: the helper takes it all, counted as it passes.</summary>
    private static async Task StageTarAsync(StagedTarget target, byte[] tar, CancellationToken cancellationToken)
    {
        var fed = new TarStatsStream(new MemoryStream(tar));
        await target.StageAsync("app", fed, fed.Stats, declared: null, replacing: true, cancellationToken);
    }

    private Task JournalAsync(IReadOnlyList<StagedRestore> restores, CancellationToken cancellationToken)
    {
        var recorded = restores.Select(r => r.Target + (r.Created || r.Committing ? $" ({string.Join(", ", new[] { r.Created ? "created" : null, r.Committing ? "committing" : null }.OfType<string>())})" : ""));
        _journal.Add((string.Join(", ", recorded), string.Join(" | ", _targets.Select(Seen))));
        return Task.CompletedTask;
    }

    /// <summary>What a volume holds, files only: its live ones, then those staged (the recorded mtime left out).</summary>
    private string Seen(string volume)
    {
        if (!_engine.Volumes.Contains(volume))
        {
            return $"{volume}: absent";
        }

        var files = _engine.Disk.Listing(volume).Where(e => !e.EndsWith('/') && !e.StartsWith(".backup-agent-was-", StringComparison.Ordinal))
            .Select(e => e.StartsWith(".backup-agent-stage-", StringComparison.Ordinal) ? "staged " + e[(e.IndexOf('/') + 1)..] : e)
            .Select(e => e.Replace(": ", " ", StringComparison.Ordinal)).OrderBy(e => e.StartsWith("staged ", StringComparison.Ordinal)).ToList();
        return $"{volume}: {(files.Count == 0 ? "empty" : string.Join(", ", files))}";
    }

    private async Task<BackupSet> StoreSetAsync(params (string Volume, byte[] Tar)[] archives)
    {
        var store = DirectoryStore.Open(_backups, forWriting: true);
        var id = BackupSetId.New(DateTimeOffset.UtcNow);
        var set = TestSets.Set(id, [.. await Task.WhenAll(archives.Select(a => StoreArchiveAsync(store, id, a.Volume, a.Tar)))]);
        await new BackupCatalog(store).SaveAsync(set, CancellationToken.None);
        return set;
    }

    /// <summary>Restores every archive of <paramref name="set"/> into the existing volume of its name, as the restore operation does once its targets are checked.</summary>
    private Task RestoreAsync(BackupSet set, params string[] targets) =>
        RestoreOperation.RestoreAsync(
            _engine,
            DirectoryStore.Open(_backups, forWriting: false),
            set,
            [.. RestorePlan.Create(set, [.. targets.Select(t => new VolumeMapping(t, t))]).Steps.Select(s => (s, new TargetCheck.State(Create: false, NonEmpty: true)))],
            key: null,
            trusted: false,
            JournalAsync,
            _log.Logger,
            CancellationToken.None);
}
