using System.Net.Http.Json;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.History;
using Serilog;

namespace BackupAgent.Scheduling.Notifications;

/// <summary>
/// POSTs a JSON body about a finished run to a webhook: on failure, and on success when asked. The body carries
/// "text" (Slack, Mattermost), "content" (Discord) and the run's fields for anything else. A webhook that fails is
/// logged and never fails the run.
/// </summary>
public sealed class WebhookNotifier(WebhookOptions options, HttpClient http)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task NotifyAsync(RunRecord run, ILogger log)
    {
        // A success with warnings (a volume that shrank sharply) is told like a failure.
        var clean = run.Outcome == RunOutcome.Succeeded && run.Warnings.Count == 0;
        if (string.IsNullOrEmpty(options.Url) || !(clean ? options.OnSuccess : options.OnFailure))
        {
            return;
        }

        var text = run.Outcome == RunOutcome.Succeeded
            ? $"backup-agent: job {run.Job} succeeded (run {run.RunId}, {run.Bytes} bytes, {run.Sets.Count} set(s), {run.Duration?.TotalSeconds:0.0} s)" +
              (run.Warnings.Count > 0 ? $"; warning: {string.Join("; ", run.Warnings)}" : "")
            : $"backup-agent: job {run.Job} {run.Outcome.ToString().ToLowerInvariant()} (run {run.RunId}): {run.Error}";
        var body = new
        {
            text,
            content = text,
            job = run.Job,
            runId = run.RunId,
            outcome = run.Outcome.ToString().ToLowerInvariant(),
            trigger = run.Trigger,
            startedAt = run.StartedAt,
            finishedAt = run.FinishedAt,
            durationSeconds = run.Duration?.TotalSeconds,
            bytes = run.Bytes,
            sets = run.Sets,
            error = run.Error,
            warnings = run.Warnings,
            copies = run.Copies,
            host = Environment.MachineName,
        };
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            using var response = await http.PostAsJsonAsync(options.Url, body, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                log.Warning("The webhook answered {Status} to the notification of run {RunId}; the run is not affected", (int)response.StatusCode, run.RunId);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            log.Warning("Could not notify the webhook about run {RunId}: {Error}; the run is not affected", run.RunId, e.Message);
        }
    }
}
