using System.Net;
using System.Net.Sockets;

namespace BackupAgent.Tests.Faults;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a server (s3rver) that cuts connections: once a connection has carried
/// <see cref="CutAfterBytes"/> bytes in the chosen direction, it is reset (RST) on both sides, while
/// <see cref="CutsLeft"/> lasts. Everything else passes unchanged.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _cutsLeft;
    private int _cuts;

    private FaultProxy(Uri upstream)
    {
        _upstream = new IPEndPoint(IPAddress.Parse(upstream.Host), upstream.Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Requests (uploads) or responses (downloads).</summary>
    public enum Direction
    {
        Upload,
        Download,
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>How many more connections to cut (int.MaxValue: all of them).</summary>
    public int CutsLeft
    {
        get => Volatile.Read(ref _cutsLeft);
        set => Volatile.Write(ref _cutsLeft, value);
    }

    public long CutAfterBytes { get; set; } = 3 << 20;

    public Direction CutDirection { get; set; } = Direction.Upload;

    /// <summary>How many connections were cut so far.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    public static FaultProxy Start(string upstream) => new(new Uri(upstream));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using (client)
        {
            try
            {
                await server.ConnectAsync(_upstream, _stop.Token);
                using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = PumpAsync(client, server, Direction.Upload, connection);
                var down = PumpAsync(server, client, Direction.Download, connection);
                await Task.WhenAny(up, down);
                await connection.CancelAsync();
                await Task.WhenAll(up, down).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (Exception)
            {
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Direction direction, CancellationTokenSource connection)
    {
        var buffer = new byte[64 * 1024];
        long carried = 0;
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, connection.Token)) > 0)
            {
                carried += n;
                if (CutDirection == direction && carried > CutAfterBytes && TryTakeCut())
                {
                    // Reset both sides mid-transfer, as a dropped connection looks to each.
                    from.LingerState = new LingerOption(true, 0);
                    to.LingerState = new LingerOption(true, 0);
                    from.Close();
                    to.Close();
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, n), connection.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
        }
    }

    private bool TryTakeCut()
    {
        while (true)
        {
            var left = CutsLeft;
            if (left <= 0)
            {
                return false;
            }

            if (left == int.MaxValue || Interlocked.CompareExchange(ref _cutsLeft, left - 1, left) == left)
            {
                Interlocked.Increment(ref _cuts);
                return true;
            }
        }
    }
}
