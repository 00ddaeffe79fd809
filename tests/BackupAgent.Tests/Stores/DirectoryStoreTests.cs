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
    public void Reading_from_a_directory_that_does_not_exist_is_bad_input()
    {
        var e = Assert.Throws<BadInputException>(() => DirectoryStore.Open(_root + "-missing", forWriting: false));
        Assert.Contains("does not exist", e.Message);
    }
}
