namespace BackupAgent.Tests.Support;

/// <summary>Waiting for a state the test does not control the timing of.</summary>
public static class Poll
{
    /// <summary>Checks <paramref name="condition"/> every 10 ms; fails with <paramref name="failure"/> after <paramref name="seconds"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string failure, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(10);
        }
    }

    /// <summary>Waits until an archive being written into <paramref name="backups"/> (outside the set <paramref name="baseline"/>) passes 4 MiB.</summary>
    public static Task ArchiveGrowsAsync(string backups, string baseline) =>
        UntilAsync(() => Task.FromResult(Directory.EnumerateFiles(backups, "*", SearchOption.AllDirectories)
            .Any(f => !f.Contains(baseline) && new FileInfo(f).Length > (4 << 20))), "the archive never grew");
}
