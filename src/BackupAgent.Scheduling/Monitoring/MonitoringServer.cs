using System.Net;
using System.Text.Json;
using BackupAgent.Core.Errors;
using Prometheus;
using Serilog;

namespace BackupAgent.Scheduling.Monitoring;

/// <summary>
/// The agent's HTTP endpoint (metrics.listen), a minimal HttpListener: GET (or HEAD) /metrics (prometheus-net's text
/// exposition of <see cref="AgentMetrics"/>), /healthz (the process is alive: always 200) and /readyz
/// (<see cref="Readiness"/>: 200 or 503, with a JSON body that says why). Started before the scheduler, so that a
/// health check gets an answer from the first second.
/// </summary>
public sealed class MonitoringServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly HttpListener _listener;
    private readonly CollectorRegistry _registry;
    private readonly Readiness _readiness;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private MonitoringServer(HttpListener listener, CollectorRegistry registry, Readiness readiness, ILogger log)
    {
        _listener = listener;
        _registry = registry;
        _readiness = readiness;
        _log = log;
        _serving = ServeAsync();
    }

    /// <summary>Listens on <paramref name="address"/>, or throws one line naming metrics.listen (the port is taken, the address is not this host's).</summary>
    public static MonitoringServer Start(ListenAddress address, CollectorRegistry registry, Readiness readiness, ILogger log)
    {
        var listener = new HttpListener { IgnoreWriteExceptions = true };
        listener.Prefixes.Add(address.Prefix);
        try
        {
            listener.Start();
        }
        catch (Exception e) when (e is HttpListenerException or System.Net.Sockets.SocketException)
        {
            listener.Close();
            throw new BackupAgentException($"metrics.listen {address}: cannot listen there: {e.Message}");
        }

        log.Information("Serving /metrics, /healthz and /readyz on {Listen}", address.ToString());
        return new MonitoringServer(listener, registry, readiness, log);
    }

    /// <summary>Stops listening; never throws (the agent is stopping anyway).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            _listener.Close();
            await _serving;
        }
        catch (Exception e)
        {
            _log.Debug("Closing the metrics endpoint: {Error}", e.Message);
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (_stop.IsCancellationRequested || e is HttpListenerException or ObjectDisposedException)
            {
                // Closed: the agent stops (whatever the listener throws then).
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var path = context.Request.Url?.AbsolutePath.TrimEnd('/') ?? "";
            var method = context.Request.HttpMethod;
            var head = method == "HEAD"; // as GET, without the body (wget --spider)
            if (method != "GET" && !head)
            {
                response.StatusCode = 405;
                response.AddHeader("Allow", "GET, HEAD");
            }
            else if (path == "/metrics")
            {
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                if (!head)
                {
                    await _registry.CollectAndExportAsTextAsync(response.OutputStream, _stop.Token);
                }
            }
            else if (path == "/healthz")
            {
                await WriteJsonAsync(response, 200, new { status = "alive" }, head);
            }
            else if (path == "/readyz")
            {
                var report = await _readiness.CheckAsync(_stop.Token);
                await WriteJsonAsync(response, report.Ready ? 200 : 503, report, head);
            }
            else
            {
                await WriteJsonAsync(response, 404, new { error = $"no such endpoint {path}: try /metrics, /healthz or /readyz" }, head);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Warning("Answering {Method} {Path} failed: {Error}", context.Request.HttpMethod, context.Request.Url?.AbsolutePath, e.Message);
            TrySetStatus(response, 500);
        }
        catch (OperationCanceledException)
        {
            TrySetStatus(response, 503);
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The client went away.
            }
        }
    }

    /// <summary>Sets the status when the headers are not sent yet (a failure before the body).</summary>
    private static void TrySetStatus(HttpListenerResponse response, int status)
    {
        try
        {
            response.StatusCode = status;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Too late: the client sees a cut-off body.
        }
    }

    private static async Task WriteJsonAsync(HttpListenerResponse response, int status, object body, bool head)
    {
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        if (!head)
        {
            await JsonSerializer.SerializeAsync(response.OutputStream, body, body.GetType(), Json);
        }
    }
}
