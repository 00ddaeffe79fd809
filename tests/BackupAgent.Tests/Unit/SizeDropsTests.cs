using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;
using static BackupAgent.Tests.Support.TestSets;

namespace BackupAgent.Tests.Unit;

public sealed class SizeDropsTests
{
    [Theory]
    [InlineData(10_000_000, 4_000_000, true)]
    [InlineData(10_000_000, 5_000_000, false)]
    [InlineData(10_000_000, 0, true)]
    [InlineData(500_000, 0, false)]
    public void A_volume_that_shrank_below_half_of_its_previous_backup_is_flagged(long before, long after, bool flagged)
    {
        var previous = new[] { Set("20260101T000000Z-aaaaaa", Archive("db", 1)), Set("20260102T000000Z-bbbbbb", Archive("db", before)) };
        var warnings = SizeDrops.Compare(previous, [Archive("db", after)]);
        Assert.Equal(flagged, warnings.Count == 1);
        if (flagged)
        {
            Assert.Equal($"the contents of 'db' dropped from {before} to {after} bytes since backup set 20260102T000000Z-bbbbbb", warnings[0]);
        }
    }

    [Fact]
    public void An_incremental_is_not_compared_and_a_full_is_compared_with_the_latest_full_not_with_an_incremental()
    {
        var full = Set("20260101T000000Z-aaaaaa", Archive("db", 10_000_000));
        var level1 = Set("20260102T000000Z-bbbbbb", Archive("db", 50_000) with { Level = 1, Base = full.Id });

        // Only what changed: no drop.
        Assert.Empty(SizeDrops.Compare([full], [Archive("db", 50_000) with { Level = 1, Base = full.Id }]));

        // A new full of the same size is not a drop from the incremental; a wiped volume is one from the full.
        Assert.Empty(SizeDrops.Compare([full, level1], [Archive("db", 9_000_000)]));
        Assert.Equal(["the contents of 'db' dropped from 10000000 to 1000 bytes since backup set 20260101T000000Z-aaaaaa"], SizeDrops.Compare([full, level1], [Archive("db", 1000)]));
    }

    [Fact]
    public void A_first_backup_is_never_flagged() => Assert.Empty(SizeDrops.Compare([], [Archive("db", 0)]));
}
