using System.Runtime.InteropServices;
using System.Text;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using Docker.DotNet;
using Docker.DotNet.Models;
using Serilog;

namespace BackupAgent.Docker;

/// <summary>
/// A running helper container: attached before it starts, logging off and no network, removed explicitly
/// on dispose (never AutoRemove, which races with the wait).
/// </summary>
internal sealed class DockerHelper : IHelper
{
    private const int StderrKeep = 16 * 1024;

    /// <summary>Reading every file as root, whatever its owner and mode.</summary>
    private static readonly List<string> ReaderCapabilities = ["DAC_READ_SEARCH"];

    /// <summary>Restoring: writing anywhere in the target, and setting owners, modes (setuid included) and times.</summary>
    private static readonly List<string> WriterCapabilities = ["DAC_READ_SEARCH", "DAC_OVERRIDE", "CHOWN", "FOWNER", "FSETID"];

    private readonly DockerClient _client;
    private readonly string _id;
    private readonly MultiplexedStream _stream;
    private readonly ILogger _log;
    private readonly StringBuilder _stderr = new();
    private readonly Task<long> _exit;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly HelperFifo? _fifo;
    private readonly string _purpose;
    private readonly TimeSpan? _timeout;
    private Task? _drain;
    private bool _outputEnded;
    private volatile bool _timedOut;

    private DockerHelper(DockerClient client, string id, MultiplexedStream stream, HelperFifo? fifo, HelperSpec spec, TimeSpan? timeout, ILogger log)
    {
        _client = client;
        _id = id;
        _stream = stream;
        _fifo = fifo;
        _purpose = spec.Purpose;
        _timeout = timeout;
        _log = log;
        _exit = WaitForExitAsync(_lifetime.Token);
        if (timeout is { } limit)
        {
            _ = KillAfterAsync(limit);
        }

        if (fifo is not null)
        {
            // A helper that exits without opening its end of the FIFO must not leave the agent's end waiting.
            _ = _exit.ContinueWith(_ => fifo.UnblockAsync(), TaskScheduler.Default).Unwrap();
        }

        if (fifo is not { ForInput: false })
        {
            StandardOutput = new StdoutStream(this);
            return;
        }

        // Stdout comes through the FIFO; the attach stream carries only stderr, read all along so the helper never
        // blocks on it.
        StandardOutput = fifo.OpenReader();
        EnsureDraining();
    }

    public Stream StandardOutput { get; }

    /// <summary>
    /// Creates, attaches and starts a helper; with <paramref name="fifo"/>, its stdout goes through that FIFO. A helper
    /// still running after <paramref name="timeout"/> is killed, and <see cref="WaitAsync"/> says so.
    /// </summary>
    public static async Task<DockerHelper> StartAsync(
        DockerClient client, string image, HelperSpec spec, HelperFifo? fifo, TimeSpan? timeout, ILogger log, CancellationToken cancellationToken)
    {
        var stdinAttached = spec.OpenStdin && fifo is null;
        var binds = spec.Mounts.Where(m => m.IsHostPath).Select(m => $"{m.Source}:{m.Target}:{(m.ReadOnly ? "ro" : "rw")}").ToList();
        if (fifo is not null)
        {
            binds.Add($"{fifo.HostDirectory}:{HelperFifo.ContainerDirectory}:{(fifo.ForInput ? "ro" : "rw")}");
        }

        if (spec.WorkFile is { } work)
        {
            // Only the one file, writable: the helper sees nothing else of the agent's directory through it.
            var onHost = fifo?.PutWorkFile(work.Content.Span) ?? throw new InvalidOperationException("a helper gets a work file only through the run directory of its FIFO");
            binds.Add($"{onHost}:{work.ContainerPath}:rw");
        }

        var create = new CreateContainerParameters
        {
            Name = $"backup-agent-helper-{Guid.NewGuid():N}"[..32],
            Image = image,
            Cmd = (fifo is null ? spec.Command : fifo.Wrap(spec.Command)).ToList(),
            Labels = HelperLabels.For(spec.Purpose),
            AttachStdout = true,
            AttachStderr = true,
            AttachStdin = stdinAttached,
            OpenStdin = stdinAttached,
            StdinOnce = stdinAttached,
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                LogConfig = new LogConfig { Type = "none" },
                ReadonlyRootfs = true,
                Tmpfs = new Dictionary<string, string> { ["/tmp"] = "size=16m" },
                SecurityOpt = ["no-new-privileges"],
                CapDrop = ["ALL"],
                CapAdd = spec.Writes ? WriterCapabilities : ReaderCapabilities,
                Memory = 512L << 20,
                PidsLimit = 64,
                VolumesFrom = spec.VolumesFromContainer is { } from ? [from + ":ro"] : null!,
                Mounts = spec.Mounts.Where(m => !m.IsHostPath)
                    // No copy: the engine would otherwise fill an empty volume with the image's directory at the
                    // mount point, changing the volume root's owner and mode (a backup must never write its sources).
                    .Select(m => new Mount { Type = "volume", Source = m.Source, Target = m.Target, ReadOnly = m.ReadOnly, VolumeOptions = new VolumeOptions { NoCopy = true } })
                    .ToList(),
                Binds = binds,
            },
        };
        CreateContainerResponse created;
        try
        {
            created = await client.Containers.CreateContainerAsync(create, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // A create cancelled in flight (a run stopped just then) may still make the container: remove it by name.
            await RemoveAsync(client, create.Name, log);
            throw;
        }

        MultiplexedStream? stream = null;
        try
        {
            stream = await client.Containers.AttachContainerAsync(
                created.ID,
                new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true, Stdin = stdinAttached },
                cancellationToken);
            await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            log.Debug("Started helper {Container} for {Purpose}; its {Stream} comes through {Path}",
                created.ID[..12], spec.Purpose, spec.OpenStdin ? "input" : "output", fifo is null ? "the attach stream" : "a FIFO");
            return new DockerHelper(client, created.ID, stream, fifo, spec, timeout, log);
        }
        catch
        {
            stream?.Dispose();
            await RemoveAsync(client, created.ID, log);
            throw;
        }
    }

    public async Task FeedInputAsync(Stream source, CancellationToken cancellationToken)
    {
        var drain = EnsureDraining();
        using var feed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Only the writes are stopped when the helper exits early: a read cancelled halfway would leave the source (a
        // chain of decryption, decompression and an HTTP body) in no known state, and its caller reads on.
        var copy = _fifo is { ForInput: true } fifo
            ? CopyToFifoAsync(fifo, source, cancellationToken, feed.Token)
            : CopyToStdinAsync(source, cancellationToken, feed.Token);
        if (await Task.WhenAny(copy, _exit) != copy && !copy.IsCompleted)
        {
            // The helper exited before it took all its input, and a write to it would hang: stop feeding.
            // WaitAsync reports its exit code and stderr.
            await feed.CancelAsync();
            try
            {
                await copy;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }

            return;
        }

        await copy;
        await drain.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Writes the input into the FIFO the helper reads as its stdin; closing it is the end of the input. Should the
    /// helper die, its end closes and the next write fails at once (EPIPE) instead of hanging.
    /// </summary>
    private async Task CopyToFifoAsync(HelperFifo fifo, Stream source, CancellationToken readToken, CancellationToken writeToken)
    {
        await using var input = await fifo.OpenWriterAsync().WaitAsync(writeToken);
        var buffer = new byte[OverlappedCopy.BufferBytes];
        int n;
        while ((n = await source.ReadAsync(buffer, readToken)) > 0)
        {
            try
            {
                await input.WriteAsync(buffer.AsMemory(0, n), writeToken);
            }
            catch (IOException)
            {
                // The helper closed its end: it exited (or is exiting) before it took all its input. WaitAsync
                // reports its exit code and stderr.
                await _exit.WaitAsync(TimeSpan.FromSeconds(30), readToken).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }
        }
    }

    private async Task CopyToStdinAsync(Stream source, CancellationToken readToken, CancellationToken writeToken)
    {
        var buffer = new byte[OverlappedCopy.BufferBytes];
        int n;
        while ((n = await source.ReadAsync(buffer, readToken)) > 0)
        {
            await _stream.WriteAsync(buffer, 0, n, writeToken);
        }

        _stream.CloseWrite();
    }

    public Stream TakeWorkFile() => _fifo?.TakeWorkFile() ?? throw new InvalidOperationException("the helper has no work file");

    public async Task<HelperExit> WaitAsync(CancellationToken cancellationToken)
    {
        if (_fifo is { ForInput: false })
        {
            // Whatever the caller did not read must not keep the helper from exiting.
            _ = StandardOutput.CopyToAsync(Stream.Null, _lifetime.Token).ContinueWith(t => t.Exception, TaskScheduler.Default);
        }

        var code = await _exit.WaitAsync(cancellationToken);
        if (_timedOut && code != 0)
        {
            throw new HelperTimedOutException(_purpose, _timeout!.Value);
        }

        try
        {
            await EnsureDraining().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException)
        {
            _log.Warning("Helper {Container} exited but its output did not end within 10 s", _id[..12]);
        }

        lock (_stderr)
        {
            return new HelperExit(code, _stderr.ToString());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        _stream.Dispose();
        await RemoveAsync(_client, _id, _log);
        if (_fifo is not null)
        {
            await _fifo.DisposeAsync();
        }

        _lifetime.Dispose();
    }

    private static async Task RemoveAsync(DockerClient client, string id, ILogger log)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, timeout.Token);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Warning("Could not remove helper container {Container}: {Error}; the next run removes it", id[..12], e.Message);
        }
    }

    /// <summary>Kills the helper when it is still running after <paramref name="limit"/>; its output then ends.</summary>
    private async Task KillAfterAsync(TimeSpan limit)
    {
        try
        {
            await _exit.WaitAsync(limit, _lifetime.Token);
            return;
        }
        catch (TimeoutException)
        {
        }
        catch (Exception)
        {
            return; // Disposed, or the wait failed: WaitAsync reports that.
        }

        _timedOut = true;
        _log.Warning("Helper {Container} for {Purpose} ran longer than {Timeout}; killing it", _id[..12], _purpose, limit);
        try
        {
            await _client.Containers.KillContainerAsync(_id, new ContainerKillParameters(), CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Warning("Could not kill helper {Container}: {Error}", _id[..12], e.Message);
        }
    }

    private async Task<long> WaitForExitAsync(CancellationToken cancellationToken)
    {
        var response = await _client.Containers.WaitContainerAsync(_id, cancellationToken);
        return response.StatusCode;
    }

    private Task EnsureDraining()
    {
        lock (_stderr)
        {
            return _drain ??= Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                while (await ReadStdoutAsync(buffer, _lifetime.Token) > 0)
                {
                }
            });
        }
    }

    /// <summary>Reads the next stdout bytes, collecting stderr on the way; 0 at the end of the output.</summary>
    private async Task<int> ReadStdoutAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0; // An empty read would make the multiplexed stream report its end.
        }

        var copy = !MemoryMarshal.TryGetArray<byte>(buffer, out var segment);
        if (copy)
        {
            segment = new ArraySegment<byte>(new byte[buffer.Length]);
        }

        while (!_outputEnded)
        {
            var result = await _stream.ReadOutputAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken);
            if (result.EOF)
            {
                _outputEnded = true;
                break;
            }

            if (result.Target == MultiplexedStream.TargetStream.StandardError)
            {
                AppendStderr(segment.AsSpan(0, result.Count));
                continue;
            }

            if (copy)
            {
                segment.AsSpan(0, result.Count).CopyTo(buffer.Span);
            }

            return result.Count;
        }

        return 0;
    }

    private void AppendStderr(ReadOnlySpan<byte> bytes)
    {
        lock (_stderr)
        {
            _stderr.Append(Encoding.UTF8.GetString(bytes));
            if (_stderr.Length > StderrKeep)
            {
                _stderr.Remove(0, _stderr.Length - StderrKeep);
            }
        }
    }

    /// <summary>The helper's stdout as a read-only stream.</summary>
    private sealed class StdoutStream(DockerHelper helper) : ReadOnlyStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(helper.ReadStdoutAsync(buffer, cancellationToken));
    }
}
