using System.Net.Sockets;

namespace BackupAgent.Tests.Support;

/// <summary>
/// A Unix socket of the test's own that relays every connection to the shared engine's socket: an engine the test can
/// make stop answering (<see cref="Stop"/> closes the socket and every relayed connection) without touching the
/// engine itself.
/// </summary>
public sealed class EngineRelay : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _upstream;
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;
    private bool _stopped;

    private EngineRelay(string directory, string upstream)
    {
        _upstream = upstream;
        Path = System.IO.Path.Combine(directory, "engine.sock");
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(64);
        _accepting = AcceptAsync();
    }

    /// <summary>The relay's socket file.</summary>
    public string Path { get; }

    /// <summary>As DOCKER_HOST takes it.</summary>
    public string Address => $"unix://{Path}";

    /// <summary>Relays to the engine at <paramref name="upstream"/> (unix:///PATH; default: the shared engine's socket).</summary>
    public static EngineRelay Start(string directory, string upstream = "unix:///var/run/docker.sock") =>
        new(directory, upstream["unix://".Length..]);

    /// <summary>The engine stops answering: no new connection is taken, and the open ones are cut.</summary>
    public void Stop()
    {
        lock (_open)
        {
            _stopped = true;
            _listener.Close();
            foreach (var socket in _open)
            {
                socket.Dispose();
            }
        }

        File.Delete(Path);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            Stop();
        }

        await _accepting;
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        lock (_open)
        {
            if (_stopped)
            {
                client.Dispose();
                server.Dispose();
                return;
            }

            _open.Add(client);
            _open.Add(server);
        }

        try
        {
            await server.ConnectAsync(new UnixDomainSocketEndPoint(_upstream));
            await using var toServer = new NetworkStream(server, ownsSocket: false);
            await using var toClient = new NetworkStream(client, ownsSocket: false);
            var up = CopyThenShutAsync(toClient, server);
            var down = CopyThenShutAsync(toServer, client);
            await Task.WhenAll(up.ContinueWith(_ => { }), down.ContinueWith(_ => { }));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // Cut by Stop, or a side went away.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(client);
                _open.Remove(server);
            }

            client.Dispose();
            server.Dispose();
        }
    }

    /// <summary>Copies one direction; at its end, shuts the other side's sending half (HTTP hijacked streams close in halves).</summary>
    private static async Task CopyThenShutAsync(Stream from, Socket to)
    {
        await using var into = new NetworkStream(to, ownsSocket: false);
        await from.CopyToAsync(into);
        to.Shutdown(SocketShutdown.Send);
    }
}
