namespace BackupAgent.Core.Storage;

/// <summary>
/// Where backups live, in bytes and names only (names use '/' as separator). Every backend
/// (a host directory, S3) implements exactly this and passes the same contract tests.
/// </summary>
public interface IBackupStore
{
    /// <summary>A description of the location for messages; never carries a secret.</summary>
    string Location { get; }

    /// <summary>
    /// Writes <paramref name="name"/> atomically: <paramref name="writeContent"/> writes into the given stream, and
    /// the item becomes visible under its name only when the callback completes. If the callback or the store fails,
    /// nothing is left under the name and the exception propagates.
    /// </summary>
    Task WriteAsync(string name, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken);

    /// <summary>Opens an item for reading. Throws <see cref="StoreItemNotFoundException"/> if there is none.</summary>
    Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken);

    /// <summary>Lists the names of complete items that start with <paramref name="prefix"/>, in no particular order.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes an item; deleting one that does not exist is not an error.</summary>
    Task DeleteAsync(string name, CancellationToken cancellationToken);
}
