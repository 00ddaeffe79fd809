using System.Text;
using BackupAgent.Core.Storage;

namespace BackupAgent.Tests.Stores;

/// <summary>What every backup store must do alike. Each backend's test class derives from this one.</summary>
public abstract class StoreContract : IAsyncLifetime
{
    protected IBackupStore Store { get; private set; } = null!;

    protected abstract Task<IBackupStore> CreateStoreAsync();

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public Task DisposeAsync() => DisposeStoreAsync();

    [Fact]
    public async Task What_is_written_reads_back_byte_for_byte()
    {
        var data = RandomBytes(3 * 1024 * 1024 + 17);
        await Store.WriteAsync("set1/data.tar.zst", async (s, ct) =>
        {
            for (var i = 0; i < data.Length; i += 65536)
            {
                await s.WriteAsync(data.AsMemory(i, Math.Min(65536, data.Length - i)), ct);
            }
        }, CancellationToken.None);

        Assert.Equal(data, await Store.ReadBytesAsync("set1/data.tar.zst", CancellationToken.None));
    }

    [Fact]
    public async Task Writing_an_existing_name_replaces_it()
    {
        await Store.WriteBytesAsync("a/x", "one"u8.ToArray(), CancellationToken.None);
        await Store.WriteBytesAsync("a/x", "two"u8.ToArray(), CancellationToken.None);
        Assert.Equal("two", Encoding.UTF8.GetString(await Store.ReadBytesAsync("a/x", CancellationToken.None)));
    }

    [Fact]
    public async Task List_returns_complete_items_under_a_prefix()
    {
        await Store.WriteBytesAsync("s1/manifest.json", "{}"u8.ToArray(), CancellationToken.None);
        await Store.WriteBytesAsync("s1/a.tar", "a"u8.ToArray(), CancellationToken.None);
        await Store.WriteBytesAsync("s2/a.tar", "a"u8.ToArray(), CancellationToken.None);

        Assert.Equal(["s1/a.tar", "s1/manifest.json", "s2/a.tar"], (await ListAsync("")).Order(StringComparer.Ordinal));
        Assert.Equal(["s1/a.tar", "s1/manifest.json"], (await ListAsync("s1/")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Deleting_removes_the_item_and_a_missing_one_is_no_error()
    {
        await Store.WriteBytesAsync("d/x", "x"u8.ToArray(), CancellationToken.None);
        await Store.DeleteAsync("d/x", CancellationToken.None);
        await Store.DeleteAsync("d/x", CancellationToken.None);
        Assert.Empty(await ListAsync(""));
        await Assert.ThrowsAsync<StoreItemNotFoundException>(() => Store.OpenReadAsync("d/x", CancellationToken.None));
    }

    [Fact]
    public async Task Reading_a_missing_item_throws_not_found_naming_it()
    {
        var e = await Assert.ThrowsAsync<StoreItemNotFoundException>(() => Store.OpenReadAsync("nope/manifest.json", CancellationToken.None));
        Assert.Contains("nope/manifest.json", e.Message);
    }

    [Fact]
    public async Task A_write_that_fails_midway_leaves_nothing_visible()
    {
        await Store.WriteBytesAsync("p/keep", "earlier"u8.ToArray(), CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.WriteAsync("p/partial", async (s, ct) =>
        {
            await s.WriteAsync(RandomBytes(2 * 1024 * 1024), ct);
            throw new InvalidOperationException("source died");
        }, CancellationToken.None));

        Assert.Equal(["p/keep"], await ListAsync(""));
        await Assert.ThrowsAsync<StoreItemNotFoundException>(() => Store.OpenReadAsync("p/partial", CancellationToken.None));
        Assert.Equal("earlier", Encoding.UTF8.GetString(await Store.ReadBytesAsync("p/keep", CancellationToken.None)));
    }

    public static TheoryData<string> NamesOutsideTheStore => ["", "/etc/passwd", "../x", "s/../../x", "s/..", "s//x", "s/./x", "s/", ".", "s/a\u0000b", "s/a\nb"];

    [Theory]
    [MemberData(nameof(NamesOutsideTheStore))]
    public async Task A_name_that_could_reach_outside_the_store_is_refused_by_write_read_and_delete(string name)
    {
        await Store.WriteBytesAsync("s/keep", "kept"u8.ToArray(), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidItemNameException>(() => Store.WriteBytesAsync(name, "x"u8.ToArray(), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidItemNameException>(() => Store.OpenReadAsync(name, CancellationToken.None));
        var e = await Assert.ThrowsAsync<InvalidItemNameException>(() => Store.DeleteAsync(name, CancellationToken.None));
        Assert.Contains("refuses the item name", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.Equal(["s/keep"], await ListAsync(""));
    }

    protected async Task<List<string>> ListAsync(string prefix)
    {
        var names = new List<string>();
        await foreach (var name in Store.ListAsync(prefix, CancellationToken.None))
        {
            names.Add(name);
        }

        return names;
    }

    protected static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
