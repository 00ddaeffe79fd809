using System.Threading.Channels;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Operations;

/// <summary>
/// Writes an archive's per-file index into the store while the archive itself is written: entries are added as the
/// tar passes (a bounded queue: a slow store slows the read, memory stays flat), and the index is committed only by
/// <see cref="CommitAsync"/>, once the archive is. Disposing an index that was not committed abandons it (nothing
/// of it stays in the store).
/// </summary>
internal sealed class IndexWriter : IAsyncDisposable
{
    // Entries travel in batches: one wake-up of the writing side per batch, not per file (a volume of small files
    // otherwise costs a thread hand-off per entry). At most Depth batches wait, so memory stays bounded.
    private const int BatchEntries = 256;
    private const int Depth = 4;
    private readonly Channel<TarIndexEntry[]> _entries = Channel.CreateBounded<TarIndexEntry[]>(new BoundedChannelOptions(Depth) { SingleReader = true, SingleWriter = true });
    private readonly List<TarIndexEntry> _batch = new(BatchEntries);
    private readonly TaskCompletionSource _archiveCommitted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _write;
    private long _bytes;
    private string _sha256 = "";

    public IndexWriter(IBackupStore store, string item, ArchiveKey? key, CancellationToken cancellationToken)
    {
        _write = store.WriteAsync(item, async (output, ct) =>
        {
            await using var writer = new ArchiveWriter(output, Compression.Gzip, key);
            await TarIndex.WriteAsync(Entries(ct), writer.Input, ct);
            await _archiveCommitted.Task.WaitAsync(ct);
            await writer.FinishAsync(ct);
            (_bytes, _sha256) = (writer.Bytes, writer.Sha256);
        }, cancellationToken);

        // An index that cannot be written (a store that fails) takes no more entries, so that the read feeding it
        // fails with the index's error instead of waiting on a queue nobody empties.
        _ = _write.ContinueWith(_ => _entries.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
    }

    public ValueTask AddAsync(TarIndexEntry entry, CancellationToken cancellationToken)
    {
        _batch.Add(entry);
        return _batch.Count < BatchEntries ? ValueTask.CompletedTask : SendAsync(cancellationToken);
    }

    private async IAsyncEnumerable<TarIndexEntry> Entries([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var batch in _entries.Reader.ReadAllAsync(cancellationToken))
        {
            foreach (var entry in batch)
            {
                yield return entry;
            }
        }
    }

    private async ValueTask SendAsync(CancellationToken cancellationToken)
    {
        var batch = _batch.ToArray();
        _batch.Clear();
        try
        {
            await _entries.Writer.WriteAsync(batch, cancellationToken);
        }
        catch (ChannelClosedException) when (_write.IsCompleted)
        {
            await _write;
            throw;
        }
    }

    /// <summary>Commits the index (its archive is committed); returns its size and SHA-256 as stored.</summary>
    public async Task<(long Bytes, string Sha256)> CommitAsync()
    {
        if (_batch.Count > 0)
        {
            await SendAsync(CancellationToken.None);
        }

        _entries.Writer.Complete();
        _archiveCommitted.TrySetResult();
        await _write;
        return (_bytes, _sha256);
    }

    public async ValueTask DisposeAsync()
    {
        var abandoned = new OperationCanceledException("the archive was not committed");
        _entries.Writer.TryComplete(abandoned);
        _archiveCommitted.TrySetException(abandoned);
        try
        {
            await _write;
        }
        catch (Exception)
        {
            // Committed: its failure was CommitAsync's to report. Abandoned: it fails because another write did.
        }
    }
}
