using System.Text.RegularExpressions;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using Quartz;

namespace BackupAgent.Scheduling.Config.Validation;

public sealed partial class JobOptionsValidator(AgentOptions agent, IReadOnlySet<string> knownKinds) : IOptionsValidator<JobOptions>
{
    public void Validate(JobOptions options, string path, ConfigProblems problems)
    {
        if (string.IsNullOrWhiteSpace(options.Name))
        {
            problems.Add($"{path}.name", "is missing");
        }
        else if (!NamePattern().IsMatch(options.Name))
        {
            problems.Add($"{path}.name", $"'{options.Name}' may only hold letters, digits, '.', '_' and '-'");
        }

        if (!knownKinds.Contains(options.Kind))
        {
            problems.Add($"{path}.kind", $"'{options.Kind}' is not a job kind this agent knows ({string.Join(", ", knownKinds.Order())})");
        }

        var timeZone = TimeZoneInfo.Local;
        if (options.TimeZone is { Length: > 0 } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out timeZone!))
        {
            problems.Add($"{path}.timeZone", $"'{zone}' is not a known time zone (use an IANA name such as UTC or Europe/Berlin)");
            timeZone = TimeZoneInfo.Local;
        }

        ValidateCron(options.Cron, timeZone, $"{path}.cron", problems);

        if (options.Engine is { Length: > 0 } engine && !agent.Engines.ContainsKey(engine))
        {
            problems.Add($"{path}.engine", $"unknown engine '{engine}' ({EngineNames()})");
        }

        var migrate = string.Equals(options.Kind, "migrate", StringComparison.OrdinalIgnoreCase);
        if (migrate && string.IsNullOrWhiteSpace(options.TargetEngine))
        {
            problems.Add($"{path}.targetEngine", "is missing: a migrate job keeps a copy on this engine (a name under engines:, unix:///PATH or tcp://HOST:PORT)");
        }
        else if (migrate && !agent.Engines.ContainsKey(options.TargetEngine!) && !options.TargetEngine!.Contains("://", StringComparison.Ordinal))
        {
            problems.Add($"{path}.targetEngine", $"unknown engine '{options.TargetEngine}' ({EngineNames()}), nor a URI like unix:///var/run/docker.sock or tcp://HOST:2375");
        }
        else if (migrate && !agent.Engines.ContainsKey(options.TargetEngine!) && !Uri.TryCreate(options.TargetEngine, UriKind.Absolute, out _))
        {
            problems.Add($"{path}.targetEngine", $"'{options.TargetEngine}' is not a URI like unix:///var/run/docker.sock or tcp://HOST:2375");
        }

        if (migrate && (options.Sources.Volumes.Count + options.Sources.Containers.Count == 0 || options.Sources.LabelSelector is { Length: > 0 }))
        {
            problems.Add($"{path}.sources", "a migrate job needs volumes or containers (a label selector is not supported for it)");
        }

        if (migrate && string.IsNullOrWhiteSpace(options.Destination))
        {
            // A migrate job streams engine to engine; a destination (via) is optional.
        }
        else if (string.IsNullOrWhiteSpace(options.Destination))
        {
            problems.Add($"{path}.destination", "is missing: give a name from destinations: or a path or URL");
        }
        else if (agent.Destinations.ContainsKey(options.Destination))
        {
            // A named destination is checked under destinations:.
        }
        else if (Destinations.Resolve(agent, options.Destination) is not { } dest)
        {
            var names = agent.Destinations.Count == 0 ? "none are defined" : string.Join(", ", agent.Destinations.Keys);
            problems.Add($"{path}.destination", $"'{options.Destination}' is not a destination name ({names}) nor a path or URL");
        }
        else if (Destinations.Problem(dest) is { } problem)
        {
            problems.Add($"{path}.destination", problem);
        }

        try
        {
            Compressions.Parse(options.Compression);
        }
        catch (BadInputException)
        {
            problems.Add($"{path}.compression", $"'{options.Compression}' is not one of zstd, gzip, none");
        }

        ValidateIncremental(options, timeZone, $"{path}.incremental", problems);
        new SourceOptionsValidator().Validate(options.Sources, $"{path}.sources", problems);
        new CopiesValidator(agent).Validate(options, path, problems);
        new PingOptionsValidator().Validate(options.Ping, $"{path}.ping", problems);
        var prune = string.Equals(options.Kind, "prune", StringComparison.OrdinalIgnoreCase);
        if (prune || string.Equals(options.Kind, "backup", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                if (Running.PruneJobKind.PolicyOf(options.Keep).IsEmpty && prune)
                {
                    problems.Add($"{path}.keep", "a prune job needs at least one rule (last, hourly, daily, weekly, monthly, yearly, within)");
                }
            }
            catch (BadInputException e)
            {
                problems.Add($"{path}.keep.within", e.Message);
            }
        }

        for (var i = 0; i < options.Hooks.Count; i++)
        {
            var hook = options.Hooks[i];
            var at = $"{path}.hooks[{i}]";
            if (string.IsNullOrWhiteSpace(hook.Container))
            {
                problems.Add($"{at}.container", "is missing: the container the command runs in");
            }

            if (string.IsNullOrWhiteSpace(hook.Pre) && string.IsNullOrWhiteSpace(hook.Post))
            {
                problems.Add(at, "needs a pre or a post command");
            }

            if (hook.TimeoutSeconds is < 1 or > 86400)
            {
                problems.Add($"{at}.timeoutSeconds", $"{hook.TimeoutSeconds} is not between 1 and 86400");
            }

            if (hook.OnError is not ("fail" or "continue"))
            {
                problems.Add($"{at}.onError", $"'{hook.OnError}' is not fail or continue");
            }
        }

        ValidateEncryption(options, path, problems);
    }

    /// <summary>At most one encryption secret; public keys only where sets are written, an identity only where they are read; each readable.</summary>
    private static void ValidateEncryption(JobOptions options, string path, ConfigProblems problems)
    {
        var given = new[]
        {
            ("passphrase", options.Passphrase is { Length: > 0 }),
            ("keyFile", options.KeyFile is { Length: > 0 }),
            ("recipients", options.Recipients.Count > 0),
            ("identityFile", options.IdentityFile is { Length: > 0 }),
        }.Where(g => g.Item2).Select(g => g.Item1).ToList();
        if (given.Count > 1)
        {
            problems.Add($"{path}.{given[0]}", $"give one of passphrase, keyFile, recipients or identityFile, not {string.Join(" and ", given)}");
        }

        var kind = options.Kind.ToLowerInvariant();
        if (options.Recipients.Count > 0)
        {
            if (kind != "backup")
            {
                problems.Add($"{path}.recipients", $"public keys only encrypt: a {kind} job reads sets (give identityFile)");
            }

            try
            {
                ArchiveKey.FromRecipients([.. options.Recipients.SelectMany(AgeIdentity.ReadRecipients)]);
            }
            catch (BadInputException e)
            {
                problems.Add($"{path}.recipients", e.Message);
            }
        }

        if (options.IdentityFile is { Length: > 0 } identityFile)
        {
            if (kind == "backup")
            {
                problems.Add($"{path}.identityFile", "an identity decrypts: a backup job encrypts to recipients (the recipients file of backup-agent keygen)");
            }

            try
            {
                AgeIdentity.ReadFile(identityFile);
            }
            catch (BadInputException e)
            {
                problems.Add($"{path}.identityFile", e.Message);
            }
        }
    }

    private static void ValidateIncremental(JobOptions options, TimeZoneInfo timeZone, string path, ConfigProblems problems)
    {
        if (options.Incremental is not { } incremental)
        {
            return;
        }

        if (!string.Equals(options.Kind, "backup", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(path, $"only a backup job makes incremental sets (this one is kind {options.Kind})");
        }

        if (incremental.FullEvery is null == string.IsNullOrWhiteSpace(incremental.FullCron))
        {
            problems.Add(path, "needs one of fullEvery (a full after N incrementals) or fullCron (a Quartz cron expression for the fulls)");
        }

        if (incremental.FullEvery is { } every && every is < 1 or > Core.Sets.ManifestDoor.MaxLevel)
        {
            problems.Add($"{path}.fullEvery", $"{every} is not between 1 and {Core.Sets.ManifestDoor.MaxLevel}");
        }

        if (!string.IsNullOrWhiteSpace(incremental.FullCron))
        {
            ValidateCron(incremental.FullCron, timeZone, $"{path}.fullCron", problems);
        }
    }

    private static void ValidateCron(string? cron, TimeZoneInfo timeZone, string path, ConfigProblems problems)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            problems.Add(path, "is missing: a Quartz cron expression with seconds, e.g. \"0 0 3 * * ?\" for 03:00 every day");
            return;
        }

        try
        {
            if (new CronExpression(cron, timeZone).GetNextValidTimeAfter(DateTimeOffset.UtcNow) is null)
            {
                problems.Add(path, $"'{cron}' never fires again");
            }
        }
        catch (FormatException e)
        {
            problems.Add(path, $"'{cron}' is not a Quartz cron expression (SECONDS MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK [YEAR], e.g. \"0 0 3 * * ?\"): {e.Message}");
        }
    }

    private string EngineNames() => agent.Engines.Count == 0
        ? "no engines are named under engines:"
        : $"engines: {string.Join(", ", agent.Engines.Keys.Order(StringComparer.OrdinalIgnoreCase))}";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
