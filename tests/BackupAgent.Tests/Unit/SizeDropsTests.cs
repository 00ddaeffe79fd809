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
    public void A_first_backup_is_never_flagged() => Assert.Empty(SizeDrops.Compare([], [Archive("db", 0)]));
}
