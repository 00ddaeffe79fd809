namespace BackupAgent.Core.Storage;

public static class StoreExtensions
{
    /// <summary>Writes a small item from memory.</summary>
    public static Task WriteBytesAsync(this IBackupStore store, string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        store.WriteAsync(name, (stream, ct) => stream.WriteAsync(content, ct).AsTask(), cancellationToken);

    /// <summary>Reads a small item into memory.</summary>
    public static async Task<byte[]> ReadBytesAsync(this IBackupStore store, string name, CancellationToken cancellationToken)
    {
        await using var stream = await store.OpenReadAsync(name, cancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
