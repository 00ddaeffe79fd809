using BackupAgent.Core.Formats;

namespace BackupAgent.Tests.Unit;

public sealed class TarIndexTests
{
    private static TarIndexEntry File(string path, string sha) => new(path, "0", 420, 0, 0, 1, 5, sha, null);

    private static TarIndexEntry Link(string path, string target) => new(path, "1", 420, 0, 0, 1, 0, null, target);

    [Fact]
    public void Hard_links_compare_equal_whichever_name_tar_saw_first()
    {
        TarIndexEntry[] backedUp = [File("./a", "h1"), Link("./b", "./a")];
        TarIndexEntry[] restored = [File("./b", "h1"), Link("./a", "./b")];
        Assert.Empty(TarIndex.Compare(backedUp, restored));
    }

    [Fact]
    public void Differences_name_the_path_and_what_differs()
    {
        var differences = TarIndex.Compare([File("./a", "h1"), File("./gone", "h2")], [File("./a", "h9"), File("./new", "h3")]);
        Assert.Equal(["'./a' differs: SHA-256 h1 in the backup, h9 restored", "'./gone' is missing", "'./new' was not in the backup"], differences);
    }

    [Fact]
    public async Task An_index_streams_through_json_lines_unchanged()
    {
        TarIndexEntry[] entries = [File("./a b\nc", "h1"), Link("./d", "./a b\nc"), new("./s", "2", 511, 1, 2, 3, 0, null, "target")];
        var buffer = new MemoryStream();
        await TarIndex.WriteAsync(entries.ToAsyncEnumerable(), buffer, CancellationToken.None);
        buffer.Position = 0;
        Assert.Equal(entries, await TarIndex.ReadAsync(buffer, CancellationToken.None));
    }
}
