using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Serilog;

namespace BackupAgent.Scheduling.Notifications;

/// <summary>How hard a notification is retried: a lost failure alert is the one that matters.</summary>
public enum Urgency
{
    /// <summary>A run starts (a start ping): retried once, so that it never holds the run up for long.</summary>
    Start,

    /// <summary>A success: retried 3 times.</summary>
    Normal,

    /// <summary>A failure (or a success with warnings): retried 5 times, about 25 s of backoff in all.</summary>
    Alert,
}

/// <summary>
/// Sends the agent's HTTP notifications (webhook, pings) through a Polly retry pipeline: connection failures,
/// timeouts (10 s an attempt), 408, 429 and 5xx are retried with exponential backoff and jitter (1 s, 2 s, 4 s, ...,
/// at most 10 s); any other answer is final. Never throws: a notification that cannot be delivered is logged, and
/// the run is not affected. URLs are never logged (they may be secrets).
/// </summary>
public sealed class HttpDelivery(HttpClient http)
{
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public static int RetriesOf(Urgency urgency) => urgency switch
    {
        Urgency.Start => 1,
        Urgency.Normal => 3,
        _ => 5,
    };

    /// <summary>Sends a new request from <paramref name="request"/> per attempt; true when one was answered 2xx.</summary>
    public async Task<bool> SendAsync(Func<HttpRequestMessage> request, string target, string runId, Urgency urgency, ILogger log)
    {
        var attempts = RetriesOf(urgency) + 1;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(IsTransient),
                MaxRetryAttempts = attempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
                OnRetry = retry =>
                {
                    log.Warning("Notifying {Target} about run {RunId} failed ({Problem}); attempt {Next} of {Attempts} in {Delay:0.0} s",
                        target, runId, Problem(retry.Outcome), retry.AttemptNumber + 2, attempts, retry.RetryDelay.TotalSeconds);
                    return default;
                },
            })
            .AddTimeout(AttemptTimeout)
            .Build();
        try
        {
            using var response = await pipeline.ExecuteAsync(
                async ct =>
                {
                    using var message = request();
                    return await http.SendAsync(message, ct);
                },
                CancellationToken.None);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            log.Warning("Could not notify {Target} about run {RunId}: it answered {Status}; the run is not affected", target, runId, (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or OperationCanceledException or InvalidOperationException)
        {
            log.Warning("Could not notify {Target} about run {RunId} in {Attempts} attempt(s): {Error}; the run is not affected", target, runId, attempts, e.Message);
        }

        return false;
    }

    private static bool IsTransient(HttpResponseMessage response) =>
        (int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    private static string Problem(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } e ? e.Message : $"HTTP {(int)outcome.Result!.StatusCode}";
}
