using BackupAgent.Core.Sets;

namespace BackupAgent.Tests.Unit;

public sealed class BackupSetIdTests
{
    [Fact]
    public void Ids_carry_the_utc_time_and_sort_by_it()
    {
        var early = BackupSetId.New(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)));
        var late = BackupSetId.New(new DateTimeOffset(2026, 1, 2, 3, 4, 6, TimeSpan.FromHours(2)));
        Assert.StartsWith("20260102T010405Z-", early);
        Assert.True(BackupSetId.IsValid(early));
        Assert.True(string.CompareOrdinal(early, late) < 0);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("20260102T010405Z")]
    [InlineData("../20260102T010405Z-abcdef")]
    [InlineData("20260102T010405Z-ABCDEF")]
    public void Anything_else_is_not_an_id(string value) => Assert.False(BackupSetId.IsValid(value));
}
