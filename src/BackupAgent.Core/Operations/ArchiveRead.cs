using BackupAgent.Core.Crypto;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Progress;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Operations;

/// <summary>
/// The one read chain of a stored archive: the stored bytes are hashed as they pass, decrypted (every chunk
/// authenticated), decompressed and bounded by what the manifest declares, and the tar goes to a consumer (a
/// restore's staging helper, or nothing for a check). At the end of that single read the size, SHA-256 and entry
/// count are compared with the manifest.
/// </summary>
public static class ArchiveRead
{
    /// <summary>
    /// Reads the archive once, handing its tar (and the counts of what passed) to <paramref name="consume"/>, and returns
    /// what is wrong with it (nothing: it is intact). A damaged archive is a problem, not an exception (also when it made
    /// the consumer's helper fail); a failure of the consumer itself propagates. The tar's bytes are told to <paramref name="progress"/>.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(
        IBackupStore store, BackupSet set, ArchiveInfo archive, ArchiveKey? key, Func<Stream, TarStats, CancellationToken, Task>? consume, CancellationToken cancellationToken,
        ProgressMeter? progress = null)
    {
        progress?.Volume(archive.Volume);
        ItemReader reader;
        try
        {
            reader = await ItemReader.OpenAsync(store, set.Id, archive.Stored(), key, cancellationToken);
        }
        catch (StoreItemNotFoundException)
        {
            return [$"archive '{archive.File}' of '{archive.Volume}' is missing from {store.Location}"];
        }

        var problems = new List<string>();
        await using (reader)
        {
            HelperFailedException? helperFailure = null;
            try
            {
                var bounded = new BoundedTarStream(reader.Plaintext, archive.Files, archive.ContentBytes, archive.TarBytes, $"archive '{archive.File}' of '{archive.Volume}'", progress);
                var tar = new DamageStream(bounded, archive);
                if (consume is not null)
                {
                    try
                    {
                        await consume(tar, bounded.Stats, cancellationToken);
                    }
                    catch (HelperFailedException e)
                    {
                        // A tar that fails midway may have been fed a damaged archive: read on, and if the archive is
                        // damaged, that is the problem; else the helper's failure is.
                        helperFailure = e;
                    }
                }

                // The rest (a consumer may stop at the end marker): every byte is authenticated, counted and hashed.
                await tar.CopyToAsync(Stream.Null, OverlappedCopy.BufferBytes, cancellationToken);
                if (!bounded.Stats.Ended || bounded.Stats.Entries != archive.Files)
                {
                    problems.Add($"archive '{archive.File}' of '{archive.Volume}' holds {bounded.Stats.Entries} entries{(bounded.Stats.Ended ? "" : " and no end marker")}; the manifest says {archive.Files}");
                }
            }
            catch (ArchiveDamagedException e)
            {
                problems.Add(e.Message);
            }

            if (await reader.CheckAsync(cancellationToken) is { } corrupt)
            {
                problems.Insert(0, corrupt);
            }

            if (helperFailure is not null && problems.Count == 0)
            {
                throw helperFailure;
            }
        }

        return problems;
    }

    /// <summary>The tar of a stored archive: whatever goes wrong while reading it says that the archive is damaged, not its consumer.</summary>
    private sealed class DamageStream(Stream inner, ArchiveInfo archive) : PassThroughStream(inner)
    {
        public override int Read(Span<byte> buffer)
        {
            try
            {
                return base.Read(buffer);
            }
            catch (Exception e) when (Damaged(e) is { } damaged)
            {
                throw damaged;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await base.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (Damaged(e) is { } damaged)
            {
                throw damaged;
            }
        }

        private ArchiveDamagedException? Damaged(Exception e) => e switch
        {
            BadInputException or KeyException => null,
            BackupAgentException => new ArchiveDamagedException(e.Message, e),
            InvalidDataException or IOException or ZstdSharp.ZstdException =>
                new ArchiveDamagedException($"archive '{archive.File}' of '{archive.Volume}' does not decompress: {e.Message}", e),
            _ => null,
        };
    }

    private sealed class ArchiveDamagedException(string message, Exception inner) : Exception(message, inner);
}
