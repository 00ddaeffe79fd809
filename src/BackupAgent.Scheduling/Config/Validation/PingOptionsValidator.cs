namespace BackupAgent.Scheduling.Config.Validation;

/// <summary>A job's ping URLs: absolute http(s), never echoed (a ping URL is as good as a password to the monitor).</summary>
public sealed class PingOptionsValidator : IOptionsValidator<PingOptions>
{
    public void Validate(PingOptions options, string path, ConfigProblems problems)
    {
        foreach (var (key, url) in new[] { ("start", options.Start), ("success", options.Success), ("failure", options.Failure) })
        {
            if (url is { Length: > 0 } && !HttpUrls.IsValid(url))
            {
                problems.Add($"{path}.{key}", "is not an absolute http:// or https:// URL");
            }
        }
    }
}

internal static class HttpUrls
{
    public static bool IsValid(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}
