namespace BackupAgent.Scheduling.Config.Validation;

public sealed class WebhookOptionsValidator : IOptionsValidator<WebhookOptions>
{
    public void Validate(WebhookOptions options, string path, ConfigProblems problems)
    {
        if (options.Url is { Length: > 0 } url && !HttpUrls.IsValid(url))
        {
            // The URL may be a secret: name the key, never echo the value.
            problems.Add($"{path}.url", "is not an absolute http:// or https:// URL");
        }
    }
}
