using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace BackupAgent.Tests.Support;

/// <summary>
/// A unix socket in front of the real engine that passes every byte both ways and records the request line
/// ("GET /v1.41/containers/json") of each request the agent sends, so a test sees which API version it asked for.
/// </summary>
public sealed partial class RecordingEngineProxy : IAsyncDisposable
{
    private const int RecordedBytesPerConnection = 256 * 1024;

    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _requests = [];
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    public RecordingEngineProxy(string socketPath, string upstream = "/var/run/docker.sock")
    {
        SocketPath = socketPath;
        _upstream = upstream;
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(64);
        _accepting = AcceptAsync();
    }

    public string SocketPath { get; }

    public string Endpoint => $"unix://{SocketPath}";

    /// <summary>The request lines seen so far, method and path ("GET /version").</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(ServeAsync(client));
            }
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        using (var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                await server.ConnectAsync(new UnixDomainSocketEndPoint(_upstream), _stop.Token);
                await Task.WhenAll(PumpAsync(client, server, record: true), PumpAsync(server, client, record: false));
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool record)
    {
        var buffer = new byte[64 * 1024];
        var seen = new StringBuilder();
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
            {
                if (record && seen.Length < RecordedBytesPerConnection)
                {
                    seen.Append(Encoding.Latin1.GetString(buffer, 0, n));
                    Record(seen);
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Moves the complete request lines at the start of lines in <paramref name="seen"/> into the record.</summary>
    private void Record(StringBuilder seen)
    {
        var text = seen.ToString();
        var end = text.LastIndexOf('\n');
        if (end < 0)
        {
            return;
        }

        lock (_requests)
        {
            _requests.AddRange(RequestLine().Matches(text[..(end + 1)]).Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}"));
        }

        seen.Remove(0, end + 1);
    }

    [GeneratedRegex(@"(?m)^(GET|POST|PUT|DELETE|HEAD) (/\S*) HTTP/1\.[01]\r?$")]
    private static partial Regex RequestLine();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] open;
        lock (_connections)
        {
            open = _connections.ToArray();
        }

        await Task.WhenAll(open);
        File.Delete(SocketPath);
        _stop.Dispose();
    }
}

/// <summary>
/// An engine that is not there: a unix socket that answers each request from a table of paths (JSON bodies) and 404
/// otherwise, and records the request lines. For what an engine of another version says (Docker 29's /version).
/// </summary>
public sealed class FakeEngineSocket : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly IReadOnlyDictionary<string, string> _answers;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _requests = [];
    private readonly Task _accepting;

    public FakeEngineSocket(string socketPath, IReadOnlyDictionary<string, string> answers)
    {
        SocketPath = socketPath;
        _answers = answers;
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(16);
        _accepting = AcceptAsync();
    }

    public string SocketPath { get; }

    public string Endpoint => $"unix://{SocketPath}";

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                break;
            }

            connections.Add(Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await AnswerAsync(client);
                    }
                    catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                    {
                    }
                }
            }));
        }

        await Task.WhenAll(connections);
    }

    /// <summary>Answers the requests of one connection (GETs without bodies) until the client closes it.</summary>
    private async Task AnswerAsync(Socket client)
    {
        var buffer = new byte[16 * 1024];
        var pending = "";
        while (true)
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (n == 0)
            {
                return;
            }

            pending += Encoding.Latin1.GetString(buffer, 0, n);
            int headEnd;
            while ((headEnd = pending.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
            {
                var parts = pending[..pending.IndexOf('\r')].Split(' ');
                pending = pending[(headEnd + 4)..];
                var path = parts[1].Split('?')[0];
                lock (_requests)
                {
                    _requests.Add($"{parts[0]} {path}");
                }

                var (status, body) = _answers.TryGetValue(path, out var answer) ? ("200 OK", answer) : ("404 Not Found", """{"message":"page not found"}""");
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
                await client.SendAsync(Encoding.ASCII.GetBytes(head).Concat(bytes).ToArray(), SocketFlags.None, _stop.Token);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        File.Delete(SocketPath);
        _stop.Dispose();
    }
}
