using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.Directory;

namespace BackupAgent.Tests.Stores;

public sealed class DirectoryStoreTests : StoreContract
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"backup-agent-store-{Guid.NewGuid():N}", "backups");

    protected override Task<IBackupStore> CreateStoreAsync() => Task.FromResult<IBackupStore>(DirectoryStore.Open(_root, forWriting: true));

    protected override Task DisposeStoreAsync()
    {
        var parent = Path.GetDirectoryName(_root)!;
        if (Directory.Exists(parent))
        {
            Directory.Delete(parent, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task Files_are_private_to_the_owner()
    {
        await Store.WriteBytesAsync("s/a", "x"u8.ToArray(), CancellationToken.None);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_root, "s", "a")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(_root, "s")));
    }

    [Fact]
    public async Task A_failed_write_leaves_no_temporary_file_or_empty_set_directory()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.WriteAsync("s/x", (_, _) => throw new InvalidOperationException(), CancellationToken.None));
        Assert.False(Directory.Exists(Path.Combine(_root, "s")));
    }

    [Fact]
    public async Task A_symbolic_link_to_a_directory_below_the_root_is_never_followed()
    {
        var outside = Path.Combine(Path.GetDirectoryName(_root)!, "host");
        Directory.CreateDirectory(outside);
        await File.WriteAllTextAsync(Path.Combine(outside, "x"), "host file");
        await Store.WriteBytesAsync("s/a", "a"u8.ToArray(), CancellationToken.None);
        Directory.CreateSymbolicLink(Path.Combine(_root, "s", "sub"), outside);
        Directory.CreateSymbolicLink(Path.Combine(_root, "linked"), outside);

        foreach (var name in new[] { "s/sub/x", "linked/x" })
        {
            var read = await Assert.ThrowsAsync<BackupAgentException>(() => Store.OpenReadAsync(name, CancellationToken.None));
            Assert.Contains("is a symbolic link, and the store never follows links", read.Message);
            await Assert.ThrowsAsync<BackupAgentException>(() => Store.DeleteAsync(name, CancellationToken.None));
            await Assert.ThrowsAsync<BackupAgentException>(() => Store.WriteBytesAsync(name[..^1] + "y", "y"u8.ToArray(), CancellationToken.None));
        }

        Assert.Equal(["s/a"], await ListAsync(""));
        Assert.Equal("host file", await File.ReadAllTextAsync(Path.Combine(outside, "x")));
        Assert.Equal(["x"], Directory.GetFiles(outside).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_symbolic_link_as_an_item_is_not_listed_or_read_and_deleting_it_removes_only_the_link()
    {
        var outside = Path.Combine(Path.GetDirectoryName(_root)!, "secret");
        await Store.WriteBytesAsync("s/a", "a"u8.ToArray(), CancellationToken.None);
        await File.WriteAllTextAsync(outside, "host secret");
        File.CreateSymbolicLink(Path.Combine(_root, "s", "m"), outside);

        Assert.Equal(["s/a"], await ListAsync(""));
        await Assert.ThrowsAsync<BackupAgentException>(() => Store.OpenReadAsync("s/m", CancellationToken.None));
        await Store.DeleteAsync("s/m", CancellationToken.None);

        Assert.False(File.Exists(Path.Combine(_root, "s", "m")) || Directory.Exists(Path.Combine(_root, "s", "m")));
        Assert.Equal("host secret", await File.ReadAllTextAsync(outside));
    }

    [Fact]
    public void Reading_from_a_directory_that_does_not_exist_is_bad_input()
    {
        var e = Assert.Throws<BadInputException>(() => DirectoryStore.Open(_root + "-missing", forWriting: false));
        Assert.Contains("does not exist", e.Message);
    }
}
