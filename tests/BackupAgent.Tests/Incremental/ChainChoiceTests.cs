using BackupAgent.Core.Helpers;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;
using static BackupAgent.Tests.Support.TestSets;

namespace BackupAgent.Tests.Incremental;

/// <summary>Where a backup's archive goes in its chain, or why it is a new full: the pure choice over what the store lists.</summary>
public sealed class ChainChoiceTests
{
    private const string Engine = "1111111111111111111111111111111111111111111111111111111111111111";
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 0, 0, 0, TimeSpan.Zero);
    private static readonly BackupSource Source = new(SourceKind.Volume, "db", "db", null, null, [], TarReadHelper.OfVolume("db", "backup of db"));

    private static BackupSet Link(string id, int level, string? baseId, string engine = Engine, bool snapshot = true, string? encryption = null) =>
        Set(id, Archive("db") with
        {
            Level = level,
            Base = baseId,
            Snapshot = snapshot ? "db.tar.zst.snar.gz" : null,
            SnapshotBytes = snapshot ? 10 : null,
            SnapshotSha256 = snapshot ? new string('a', 64) : null,
            Engine = engine,
            Encryption = encryption,
        });

    private static readonly BackupSet[] Chain =
    [
        Link("20260103T000000Z-cccccc", 2, "20260102T000000Z-bbbbbb"),
        Link("20260102T000000Z-bbbbbb", 1, "20260101T000000Z-aaaaaa"),
        Link("20260101T000000Z-aaaaaa", 0, null),
    ];

    private static (ChainLink? Base, string? Reason) Choose(ChainRequest request, IReadOnlyList<BackupSet> sets, bool encrypted = false, string engine = Engine) =>
        ChainStart.Choose(request, Source, new CatalogListing(sets, []), encrypted, engine, Now);

    [Fact]
    public void An_incremental_continues_the_latest_set_of_its_source()
    {
        var (link, reason) = Choose(new ChainRequest(Incremental: true), Chain);
        Assert.Null(reason);
        Assert.Equal("20260103T000000Z-cccccc", link!.Set.Id);
    }

    [Fact]
    public void Changed_exclusions_make_a_new_full_since_no_level_would_hold_what_they_no_longer_leave_out()
    {
        var excluded = Source with { Excludes = ["*.log"] };
        var (link, why) = ChainStart.Choose(new ChainRequest(Incremental: true), excluded, new CatalogListing(Chain, []), false, Engine, Now);
        Assert.Null(link);
        Assert.Equal("the exclusions of 'db' changed since set '20260103T000000Z-cccccc' (none then, '*.log' now)", why);
    }

    [Theory]
    [InlineData("nothing earlier", "the store holds no earlier backup of 'db'")]
    [InlineData("a plain backup", "has no snapshot file")]
    [InlineData("another engine", "was read on another engine")]
    [InlineData("encrypted now", "set '20260103T000000Z-cccccc' is not encrypted, and a chain is encrypted throughout")]
    [InlineData("a broken chain", "the chain of set '20260103T000000Z-cccccc' is broken")]
    public void A_snapshot_that_does_not_fit_makes_a_new_full_and_says_why(string what, string reason)
    {
        var (link, why) = what switch
        {
            "nothing earlier" => Choose(new ChainRequest(Incremental: true), []),
            "a plain backup" => Choose(new ChainRequest(Incremental: true), [Link("20260101T000000Z-aaaaaa", 0, null, snapshot: false)]),
            "another engine" => Choose(new ChainRequest(Incremental: true), Chain, engine: new string('2', 64)),
            "encrypted now" => Choose(new ChainRequest(Incremental: true), Chain, encrypted: true),
            _ => Choose(new ChainRequest(Incremental: true), [Chain[0], Chain[2]]),
        };
        Assert.True(link is null, what);
        Assert.Contains(reason, why);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Full_every_makes_a_full_after_that_many_incrementals(int every, bool continues)
    {
        var (link, reason) = Choose(new ChainRequest(Incremental: true) { FullEvery = every }, Chain);
        Assert.Equal(continues, link is not null);
        Assert.Equal(continues ? null : "set '20260103T000000Z-cccccc' is incremental 2 of its chain; a full is made after 2", reason);
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(10, true)]
    public void Full_cron_makes_a_full_once_it_fired_after_the_chains_full(int days, bool continues)
    {
        // The chain's full is of 2026-01-01 and now is 2026-01-10: the cron fires next 8 days (before now) or 10 days (after) after the full.
        var request = new ChainRequest(Incremental: true) { NextFullAfter = t => t.AddDays(days) };
        var (link, reason) = Choose(request, Chain);
        Assert.Equal(continues, link is not null);
        if (!continues)
        {
            Assert.StartsWith("a full is due since 2026-01-09 00:00:00Z by fullCron", reason);
        }
    }

    [Fact]
    public void A_full_asked_for_starts_a_chain_whatever_the_store_holds()
    {
        var (link, reason) = Choose(new ChainRequest(Incremental: false), Chain);
        Assert.Null(link);
        Assert.Equal("a full backup was asked for", reason);
    }
}
