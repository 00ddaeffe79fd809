using System.Runtime.CompilerServices;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;

namespace BackupAgent.Storage.Directory;

/// <summary>
/// A store in a host directory. Items are written to a hidden temporary name, flushed to disk and renamed
/// into place, so that a crash never leaves a partial item under its name. Files are 0600, directories 0700.
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
        var path = PathOf(name);
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + PartialMarker + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            System.IO.Directory.CreateDirectory(directory, PrivateDirectory);
            await using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = PrivateFile,
                BufferSize = 0,
                Options = FileOptions.Asynchronous,
            }))
            {
                await using var buffered = new BufferedStream(new FileErrorStream(file, this, name), 1 << 20);
                await writeContent(buffered, cancellationToken);
                await buffered.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            NativeFile.FsyncDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Discard(temp);
            throw WriteFailed(name, e);
        }
        catch
        {
            Discard(temp);
            throw;
        }
    }

    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StoreItemNotFoundException(_root, name);
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (!System.IO.Directory.Exists(_root))
        {
            yield break;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var path in System.IO.Directory.EnumerateFiles(_root, "*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (!name.Contains(PartialMarker, StringComparison.Ordinal) && name.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return name;
            }
        }
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        Discard(PathOf(name));
        return Task.CompletedTask;
    }

    private string PathOf(string name)
    {
        var parts = name.Split('/');
        if (name.Length == 0 || parts.Any(p => p is "" or "." or ".."))
        {
            throw new ArgumentException($"'{name}' is not a valid item name", nameof(name));
        }

        return Path.Combine([_root, .. parts]);
    }

    /// <summary>Deletes a file, and its directory when that is left empty (never the root).</summary>
    private void Discard(string path)
    {
        try
        {
            File.Delete(path);
            var directory = Path.GetDirectoryName(path)!;
            if (directory != _root && System.IO.Directory.Exists(directory) && !System.IO.Directory.EnumerateFileSystemEntries(directory).Any())
            {
                System.IO.Directory.Delete(directory);
            }
        }
        catch (IOException)
        {
        }
    }

    internal BackupAgentException WriteFailed(string name, Exception e) =>
        new($"cannot write '{name}' to {_root}: {e.Message}", inner: e);
}
