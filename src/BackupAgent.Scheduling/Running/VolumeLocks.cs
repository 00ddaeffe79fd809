using System.Security.Cryptography;
using System.Text;
using Serilog;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// One lock per volume, so that no two runs work on one volume at once: the second waits (logged). The locks are
/// files in the state directory held open exclusively (flock), so they also hold between processes (a
/// `backup --job` next to the running agent) and vanish with a process that dies.
/// </summary>
public sealed class VolumeLocks(string directory)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

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

    private async Task<FileStream> AcquireOneAsync(string volume, ILogger log, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volume)))[..24] + ".lock");
        var waitingSince = (DateTimeOffset?)null;
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

    private sealed class Held : IAsyncDisposable
    {
        public List<FileStream> Files { get; } = [];

        public async ValueTask DisposeAsync()
        {
            foreach (var file in Files)
            {
                await file.DisposeAsync();
            }
        }
    }
}
