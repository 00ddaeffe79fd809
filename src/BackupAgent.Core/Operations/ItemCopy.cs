using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Operations;

/// <summary>
/// Streams one stored item from a store to another, with no temporary file, checking it against its pin on the way:
/// it is counted and SHA-256-hashed as it is read, a read longer than the pin stops at once, and a size or hash that
/// does not match fails the write's callback, so the item never becomes visible in the target.
/// </summary>
internal static class ItemCopy
{
    /// <summary>Copies <paramref name="name"/>; <paramref name="bytes"/> and <paramref name="sha256"/> are its pin (null: an item the manifest does not pin).</summary>
    public static async Task CopyAsync(IBackupStore from, IBackupStore to, string name, long? bytes, string? sha256, string what, CancellationToken cancellationToken)
    {
        await to.WriteAsync(name, async (output, ct) =>
        {
            await using var input = await from.OpenReadAsync(name, ct);
            await using var read = new PinnedRead(input, bytes, what, from.Location);
            await OverlappedCopy.CopyAsync(read, output, ct);
            read.Check(sha256);
        }, cancellationToken);
    }

    /// <summary>Hashes what it reads and stops a read that goes past the pinned size.</summary>
    private sealed class PinnedRead(Stream inner, long? bytes, string what, string location) : PassThroughStream(new HashingStream(inner))
    {
        private HashingStream Hashed => (HashingStream)Inner;

        protected override void OnRead(ReadOnlySpan<byte> data)
        {
            if (Hashed.Bytes > bytes)
            {
                throw Mismatch($"it is longer than the {bytes} bytes the manifest says");
            }
        }

        public void Check(string? sha256)
        {
            if ((bytes, sha256) is (null, null))
            {
                return;
            }

            if (Hashed.Bytes != bytes || Hashed.Sha256 != sha256)
            {
                throw Mismatch($"{Hashed.Bytes} bytes with SHA-256 {Hashed.Sha256}; the manifest says {bytes} bytes with SHA-256 {sha256}");
            }
        }

        private BackupAgentException Mismatch(string why) =>
            new($"{what} in {location} is corrupt or truncated ({why}); it was not copied");

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
