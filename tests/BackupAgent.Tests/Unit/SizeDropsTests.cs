using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;

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
        var previous = new[] { Set("20260101T000000Z-aaaaaa", 1), Set("20260102T000000Z-bbbbbb", before) };
        var warnings = SizeDrops.Compare(previous, [Archive(after)]);
        Assert.Equal(flagged, warnings.Count == 1);
        if (flagged)
        {
            Assert.Equal($"the contents of 'db' dropped from {before} to {after} bytes since backup set 20260102T000000Z-bbbbbb", warnings[0]);
        }
    }

    [Fact]
    public void A_first_backup_is_never_flagged() => Assert.Empty(SizeDrops.Compare([], [Archive(0)]));

    private static BackupSet Set(string id, long bytes)
    {
        BackupSetId.TryGetTime(id, out var created);
        return new BackupSet { Id = id, CreatedAt = created, ToolVersion = "t", Archives = [Archive(bytes)] };
    }

    private static ArchiveInfo Archive(long contentBytes) => new()
    {
        File = "db.tar",
        Volume = "db",
        Kind = SourceKind.Volume,
        Compression = Compression.None,
        Bytes = 1,
        TarBytes = 1,
        ContentBytes = contentBytes,
        Files = 1,
        Sha256 = "00",
    };
}
