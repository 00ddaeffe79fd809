using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using Serilog;

namespace BackupAgent.Core.Consistency;

/// <summary>A volume (or a host path) on one engine, by the engine's identity (<see cref="IContainerEngine.GetIdentityAsync"/>).</summary>
public sealed record VolumeKey(string Engine, string Volume);

/// <summary>
/// One lock per volume of an engine, so that no two runs work on one volume at once: the second waits (logged), for
/// as long as it takes (Ctrl-C stops it), since a lock is only ever held by a run that is working. Every operation
/// that reads or writes volumes takes them (backup: its sources; restore: its targets; migrate: its sources and its
/// targets on the other engine); a deep verify's scratch volume has a unique name and needs none. Within a process
/// the waiters take turns in arrival order; between processes (a manual restore beside the scheduled agent) a lock
/// file in the state directory, held open exclusively (flock), does the same and vanishes with a process that dies.
/// Volumes of the same name on two engines do not block each other.
/// </summary>
public sealed class VolumeLocks(string directory)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>Shared by every instance in the process, by lock file: one process never waits on itself out of order.</summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Turns = new(StringComparer.Ordinal);

    /// <summary>Locks <paramref name="volumes"/> of <paramref name="engine"/>; dispose the result to release them.</summary>
    public async Task<IAsyncDisposable> AcquireAsync(IContainerEngine engine, IEnumerable<string> volumes, ILogger log, CancellationToken cancellationToken)
    {
        var identity = await engine.GetIdentityAsync(cancellationToken);
        return await AcquireAsync(volumes.Select(v => new VolumeKey(identity, v)), log, cancellationToken);
    }

    public async Task<IAsyncDisposable> AcquireAsync(IEnumerable<VolumeKey> volumes, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupAgentException(new Phrase($"cannot create the volume locks' directory '{directory}' ({Setting.StateDirectory}): {e.Message}"));
        }

        var held = new Held();
        try
        {
            // A fixed order: two runs that need the same two volumes cannot each hold one and wait for the other.
            foreach (var volume in volumes.Distinct().OrderBy(v => v.Engine, StringComparer.Ordinal).ThenBy(v => v.Volume, StringComparer.Ordinal))
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

    private async Task<Lock> AcquireOneAsync(VolumeKey volume, ILogger log, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{volume.Engine}\n{volume.Volume}")))[..24] + ".lock");

        // In this process, first in first out: a job that fires often cannot starve another one on the same volume.
        var turn = Turns.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        var waitingSince = (DateTimeOffset?)null;
        if (!turn.Wait(0, CancellationToken.None))
        {
            log.Information("Waiting for volume {Volume}: another run is working on it", volume.Volume);
            waitingSince = DateTimeOffset.UtcNow;
            await turn.WaitAsync(cancellationToken);
        }

        try
        {
            return new Lock(turn, await LockFileAsync(path, volume.Volume, waitingSince, log, cancellationToken));
        }
        catch
        {
            turn.Release();
            throw;
        }
    }

    private static async Task<FileStream> LockFileAsync(string path, string volume, DateTimeOffset? waitingSince, ILogger log, CancellationToken cancellationToken)
    {
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

            Files.Clear();
        }
    }
}
