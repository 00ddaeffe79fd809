using System.Net;
using System.Net.Sockets;

namespace BackupAgent.Tests.Scheduling;

/// <summary>A local HTTP endpoint that records the bodies POSTed to it, as a webhook receiver would.</summary>
public sealed class WebhookRecorder : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<string> _bodies = [];

    public WebhookRecorder()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/hook/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = ServeAsync();
    }

    public string Url { get; }

    public IReadOnlyList<string> Bodies
    {
        get
        {
            lock (_bodies)
            {
                return [.. _bodies];
            }
        }
    }

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using (var reader = new StreamReader(context.Request.InputStream))
            {
                var body = await reader.ReadToEndAsync();
                lock (_bodies)
                {
                    _bodies.Add(body);
                }
            }

            context.Response.StatusCode = 204;
            context.Response.Close();
        }
    }
}
