using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Serilog;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// One lock per volume, so that no two runs work on one volume at once: the second waits (logged). Within the
/// agent the waiters take turns in arrival order; between processes (a `backup --job` next to the running agent)
/// a lock file in the state directory, held open exclusively (flock), does the same and vanishes with a process that dies.
/// </summary>
public sealed class VolumeLocks(string directory)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _turns = new(StringComparer.Ordinal);

    public async Task<IAsyncDisposable> AcquireAsync(IEnumerable<string> volumes, ILogger log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var held = new Held();
        try
        {
            // A fixed order: two runs that need the same two volumes cannot each hold one and wait for the other.
            foreach (var volume in volumes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                held.Files.Add(await AcquireOneAsync(volume, log, cancellationToken));
            }

            return held;
        }
        catch
        {
            await held.DisposeAsync();
            throw;
        }
    }

    private async Task<Lock> AcquireOneAsync(string volume, ILogger log, CancellationToken cancellationToken)
    {
        // In this process, first in first out: a job that fires often cannot starve another one on the same volume.
        var turn = _turns.GetOrAdd(volume, _ => new SemaphoreSlim(1, 1));
        var waitingSince = (DateTimeOffset?)null;
        if (!turn.Wait(0, CancellationToken.None))
        {
            log.Information("Waiting for volume {Volume}: another run is working on it", volume);
            waitingSince = DateTimeOffset.UtcNow;
            await turn.WaitAsync(cancellationToken);
        }

        try
        {
            return new Lock(turn, await LockFileAsync(volume, waitingSince, log, cancellationToken));
        }
        catch
        {
            turn.Release();
            throw;
        }
    }

    private async Task<FileStream> LockFileAsync(string volume, DateTimeOffset? waitingSince, ILogger log, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volume)))[..24] + ".lock");
        while (true)
        {
            try
            {
                var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                if (waitingSince is { } since)
                {
                    log.Information("Volume {Volume} is free now; waited {Seconds:0.0} s", volume, (DateTimeOffset.UtcNow - since).TotalSeconds);
                }

                return file;
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                if (waitingSince is null)
                {
                    log.Information("Waiting for volume {Volume}: another run is working on it", volume);
                    waitingSince = DateTimeOffset.UtcNow;
                }

                await Task.Delay(Poll, cancellationToken);
            }
        }
    }

    private sealed record Lock(SemaphoreSlim Turn, FileStream File);

    private sealed class Held : IAsyncDisposable
    {
        public List<Lock> Files { get; } = [];

        public async ValueTask DisposeAsync()
        {
            foreach (var held in Files)
            {
                await held.File.DisposeAsync();
                held.Turn.Release();
            }
        }
    }
}
