using System.Net;
using System.Net.Sockets;

namespace BackupAgent.Tests.Scheduling;

/// <summary>
/// A local HTTP endpoint that records the requests sent to it, as a webhook receiver or a ping monitor
/// (healthchecks.io) would. It can be told to fail its first requests: <see cref="Reset"/> drops the connection
/// without an answer, any other number is the status it answers.
/// </summary>
public sealed class WebhookRecorder : IDisposable
{
    /// <summary>Drop the connection in the middle of the answer (a connection failure, as the client sees it).</summary>
    public const int Reset = 0;

    private readonly HttpListener _listener = new();
    private readonly List<Recorded> _requests = [];
    private readonly Queue<int> _failures;

    /// <param name="failFirst">How to answer the first requests, in order (<see cref="Reset"/> or a status); then 200.</param>
    public WebhookRecorder(params int[] failFirst)
    {
        _failures = new Queue<int>(failFirst);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Base = $"http://127.0.0.1:{port}/";
        Url = Base + "hook/";
        _listener.Prefixes.Add(Base);
        _listener.Start();
        _ = ServeAsync();
    }

    /// <summary>One request as it arrived, with the answer it got (<see cref="Reset"/>: none).</summary>
    public sealed record Recorded(string Method, string Path, string Body, int Answer);

    /// <summary>The root of the endpoint: any path under it is recorded.</summary>
    public string Base { get; }

    public string Url { get; }

    public IReadOnlyList<Recorded> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The bodies of the requests that were answered 2xx.</summary>
    public IReadOnlyList<string> Bodies => Requests.Where(r => r.Answer is >= 200 and < 300).Select(r => r.Body).ToList();

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

            string body;
            using (var reader = new StreamReader(context.Request.InputStream))
            {
                body = await reader.ReadToEndAsync();
            }

            int answer;
            lock (_requests)
            {
                answer = _failures.Count > 0 ? _failures.Dequeue() : 200;
                _requests.Add(new Recorded(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, body, answer));
            }

            if (answer == Reset)
            {
                // Headers promising a body, a part of it, then the connection dropped: the client cannot take it for an answer.
                context.Response.StatusCode = 200;
                context.Response.ContentLength64 = 1000;
                await context.Response.OutputStream.WriteAsync("cut short"u8.ToArray());
                await context.Response.OutputStream.FlushAsync();
                context.Response.Abort();
                continue;
            }

            context.Response.StatusCode = answer;
            context.Response.Close();
        }
    }
}
