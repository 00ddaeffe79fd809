namespace BackupAgent.Core.Storage;

public static class StoreExtensions
{
    /// <summary>Writes a small item from memory.</summary>
    public static Task WriteBytesAsync(this IBackupStore store, string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        store.WriteAsync(name, (stream, ct) => stream.WriteAsync(content, ct).AsTask(), cancellationToken);

    /// <summary>
    /// Reads a small item into memory; one larger than <paramref name="maxBytes"/> is not read on (a store may hold an
    /// item of any size where a manifest should be).
    /// </summary>
    public static async Task<byte[]> ReadBytesAsync(this IBackupStore store, string name, CancellationToken cancellationToken, int maxBytes = 64 << 20)
    {
        await using var stream = await store.OpenReadAsync(name, cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + n > maxBytes)
            {
                throw new StoreItemTooLargeException(store.Location, name, maxBytes);
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }
}
