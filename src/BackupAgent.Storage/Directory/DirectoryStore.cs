using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Storage;
using Microsoft.Win32.SafeHandles;

namespace BackupAgent.Storage.Directory;

/// <summary>
/// A store in a host directory. Items are written to a hidden temporary name, flushed to disk and renamed
/// into place, so that a crash never leaves a partial item under its name. Files are 0600, directories 0700.
/// Below the root nothing is trusted: names are checked by <see cref="StoreNames"/>, and every path is walked with
/// O_NOFOLLOW (<see cref="ItemDirectory"/>), so no read, write or delete follows a symbolic link out of the store.
/// </summary>
public sealed class DirectoryStore : IBackupStore
{
    private const string PartialMarker = ".partial-";
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = PrivateFile | UnixFileMode.UserExecute;

    private readonly string _root;

    private DirectoryStore(string root) => _root = root;

    public string Location => _root;

    /// <summary>
    /// Opens a store. A missing directory is an error unless <paramref name="forWriting"/>; then it is created
    /// (with its parents) at the first write, so that a run that fails its checks creates nothing.
    /// </summary>
    public static DirectoryStore Open(string root, bool forWriting)
    {
        if (File.Exists(root))
        {
            throw new BadInputException($"destination '{root}' is a file, not a directory");
        }

        if (!forWriting && !System.IO.Directory.Exists(root))
        {
            throw new BadInputException($"destination '{root}' does not exist");
        }

        return new DirectoryStore(root);
    }

    public async Task WriteAsync(string name, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
    {
        StoreNames.Validate(name, _root);
        using var directory = OpenDirectoryForWriting(name);
        var temp = "." + directory.FileName + PartialMarker + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var flags = NativeFile.WriteOnly | NativeFile.Create | NativeFile.Exclusive;
            ItemDirectory.Check(directory.OpenItem(temp, flags, out var fd), temp);
            await using (var file = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0))
            {
                await using var buffered = new BufferedStream(new FileErrorStream(file, this, name), OverlappedCopy.BufferBytes);
                await writeContent(buffered, cancellationToken);
                await buffered.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }

            ItemDirectory.Check(NativeFile.RenameAt(directory.Fd, temp, directory.FileName), name);
            NativeFile.FsyncBestEffort(directory.Fd);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Discard(directory, temp);
            throw WriteFailed(name, e);
        }
        catch
        {
            Discard(directory, temp);
            throw;
        }
    }

    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        StoreNames.Validate(name, _root);
        using var directory = Walk(name, "read") ?? throw new StoreItemNotFoundException(_root, name);
        var errno = directory.OpenRegularItem(directory.FileName, out var fd);
        return errno switch
        {
            0 => Task.FromResult<Stream>(new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, OverlappedCopy.BufferBytes)),
            NativeFile.NoSuchEntry or NativeFile.NotADirectory => throw new StoreItemNotFoundException(_root, name),
            NativeFile.TooManyLinks => throw ItemDirectory.LinkRefused(_root, name, Path.Combine(_root, name)),
            NativeFile.NotRegular => throw new BackupAgentException($"{_root} refuses item '{name}': it is not a regular file (a FIFO, a device or a directory)"),
            _ => throw new BackupAgentException($"cannot read '{name}' from {_root}: {Marshal.GetPInvokeErrorMessage(errno)}"),
        };
    }

    /// <summary>The directory of an item, walked without following links; a failure of the walk names the item.</summary>
    private ItemDirectory? Walk(string name, string what)
    {
        try
        {
            return ItemDirectory.Open(_root, name, create: false);
        }
        catch (IOException e)
        {
            throw new BackupAgentException($"cannot {what} '{name}' in {_root}: {e.Message}", inner: e);
        }
    }

    /// <summary>
    /// Lists the files; a symbolic link (to a file or a directory) is neither listed nor followed, and a directory that
    /// cannot be read is passed over (one such directory must not hide the rest). Reading refuses anything that is not
    /// a regular file.
    /// </summary>
    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (!System.IO.Directory.Exists(_root))
        {
            yield break;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        var files = new FileSystemEnumerable<string>(_root, (ref entry) => entry.ToFullPath(), options)
        {
            ShouldIncludePredicate = (ref entry) => !entry.IsDirectory && !IsLink(entry.Attributes),
            ShouldRecursePredicate = (ref entry) => !IsLink(entry.Attributes),
        };
        foreach (var path in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (!name.Contains(PartialMarker, StringComparison.Ordinal) && name.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return name;
            }
        }
    }

    /// <summary>Deletes an item (a symbolic link in its place is removed itself, never followed), and its directory when that is left empty.</summary>
    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        StoreNames.Validate(name, _root);
        using var directory = Walk(name, "delete");
        if (directory is not null && NativeFile.UnlinkAt(directory.Fd, directory.FileName) is not (0 or NativeFile.NoSuchEntry) and var errno)
        {
            throw new BackupAgentException($"cannot delete '{name}' from {_root}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        directory?.RemoveIfEmpty();
        return Task.CompletedTask;
    }

    /// <summary>Creates the root (with its parents, which are the user's) and then, without following links, the item's directories.</summary>
    private ItemDirectory OpenDirectoryForWriting(string name)
    {
        try
        {
            System.IO.Directory.CreateDirectory(_root, PrivateDirectory);
            return ItemDirectory.Open(_root, name, create: true)!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw WriteFailed(name, e);
        }
    }

    private static bool IsLink(FileAttributes attributes) => (attributes & FileAttributes.ReparsePoint) != 0;

    /// <summary>Deletes a temporary file, and its directory when that is left empty (never the root).</summary>
    private static void Discard(ItemDirectory directory, string temp)
    {
        _ = NativeFile.UnlinkAt(directory.Fd, temp);
        directory.RemoveIfEmpty();
    }

    internal BackupAgentException WriteFailed(string name, Exception e) =>
        new($"cannot write '{name}' to {_root}: {e.Message}", inner: e);
}
