namespace BackupAgent.Scheduling.Config.Validation;

/// <summary>An engine under engines:: a name jobs can write, and an address the agent can open.</summary>
public sealed class NamedEngineOptionsValidator(string name) : IOptionsValidator<NamedEngineOptions>
{
    public void Validate(NamedEngineOptions options, string path, ConfigProblems problems)
    {
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            problems.Add(path, $"the engine name '{name}' may only hold letters, digits, '.', '_' and '-'");
        }

        if (string.IsNullOrWhiteSpace(options.Host))
        {
            problems.Add($"{path}.host", "is missing: where the engine is (unix:///var/run/docker.sock or tcp://HOST:2376)");
        }
        else if (AddressProblem(options.Host) is { } problem)
        {
            problems.Add($"{path}.host", problem);
        }

        if (options.CertPath is { Length: > 0 } certs && !Directory.Exists(certs))
        {
            problems.Add($"{path}.certPath", $"'{certs}' is not a directory (it holds ca.pem, cert.pem and key.pem)");
        }
    }

    /// <summary>Why <paramref name="address"/> is not an engine address, or null.</summary>
    public static string? AddressProblem(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "unix" or "tcp"
            ? null
            : $"'{address}' is not an engine address like unix:///var/run/docker.sock or tcp://HOST:2376";
}
