using System.Net.Http.Json;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.History;
using BackupAgent.Scheduling.Running;

namespace BackupAgent.Scheduling.Notifications;

/// <summary>
/// POSTs a JSON body about a finished run to a webhook: on failure, and on success when asked. The body carries
/// "text" (Slack, Mattermost), "content" (Discord) and the run's fields for anything else. Delivered with retries
/// (<see cref="HttpDelivery"/>; a failure the hardest); a webhook that fails is logged and never fails the run.
/// </summary>
public sealed class WebhookNotifier(WebhookOptions options, HttpDelivery delivery) : IRunObserver
{
    public async Task ObserveAsync(RunNotice notice)
    {
        if (notice.HasStarted)
        {
            return;
        }

        var run = notice.Run;
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
            host = Environment.MachineName,
        };
        await delivery.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, options.Url) { Content = JsonContent.Create(body) }, "the webhook", run.RunId, clean ? Urgency.Normal : Urgency.Alert, notice.Log);
    }
}
