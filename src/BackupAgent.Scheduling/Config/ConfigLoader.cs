using BackupAgent.Core.Errors;
using BackupAgent.Scheduling.Config.Validation;
using Microsoft.Extensions.Configuration;

namespace BackupAgent.Scheduling.Config;

/// <summary>
/// Reads the configuration: the YAML file, then environment variables (BACKUP_AGENT__Jobs__0__Cron overrides
/// jobs[0].cron), then secrets from files (any key KEY_FILE: the file's content becomes KEY). Validates it all and
/// throws one error listing every problem.
/// </summary>
public static class ConfigLoader
{
    public const string EnvironmentPrefix = "BACKUP_AGENT__";
    public const string InstalledPath = "/etc/backup-agent/agent.yaml";
    public const string LocalPath = "config/agent.yaml";

    /// <summary>--config, else config/agent.yaml under the current directory if present, else /etc/backup-agent/agent.yaml.</summary>
    public static string ResolvePath(string? given, string currentDirectory)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return Path.GetFullPath(given, currentDirectory);
        }

        var local = Path.Combine(currentDirectory, LocalPath);
        return File.Exists(local) ? local : InstalledPath;
    }

    public static AgentOptions Load(string path, IEnumerable<KeyValuePair<string, string?>> environment, IEnumerable<string> knownKinds)
    {
        if (!File.Exists(path))
        {
            throw new BadInputException($"there is no configuration file at {path} (give --config PATH, or create config/agent.yaml)");
        }

        var problems = new ConfigProblems();
        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddYamlFile(path, optional: false, reloadOnChange: false)
                .AddInMemoryCollection(FromEnvironment(environment))
                .Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or YamlDotNet.Core.YamlException)
        {
            throw new BadInputException($"the configuration {path} is not valid YAML: {(YamlProblem(path) ?? (e.InnerException ?? e).Message).ReplaceLineEndings(" ")}", e);
        }

        var secrets = ReadSecretFiles(configuration, problems);
        var final = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(secrets).Build();
        ConfigKeys.CheckUnknown(final, typeof(AgentOptions), problems);

        var options = new AgentOptions();
        try
        {
            final.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            problems.Add("(file)", e.InnerException?.Message is { } inner ? $"{e.Message} {inner}" : e.Message);
        }

        options.ReadFrom(path);
        new AgentOptionsValidator(knownKinds).Validate(options, "", problems);
        problems.ThrowIfAny(path);
        return options;
    }

    /// <summary>
    /// The YAML parser's own words with their place (line and column), from a second read of the file: the
    /// configuration provider keeps only the words. Null when the parser takes the file (the provider refused it).
    /// </summary>
    private static string? YamlProblem(string path)
    {
        try
        {
            using var reader = File.OpenText(path);
            new YamlDotNet.RepresentationModel.YamlStream().Load(reader);
            return null;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            return $"line {e.Start.Line}, column {e.Start.Column}: {e.Message}";
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The environment variables for the agent, as configuration keys (prefix removed, __ as the separator).</summary>
    private static IEnumerable<KeyValuePair<string, string?>> FromEnvironment(IEnumerable<KeyValuePair<string, string?>> environment) =>
        environment
            .Where(e => e.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && e.Key.Length > EnvironmentPrefix.Length)
            .Select(e => KeyValuePair.Create(e.Key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), e.Value));

    private static Dictionary<string, string?> ReadSecretFiles(IConfiguration configuration, ConfigProblems problems)
    {
        var secrets = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, file) in configuration.AsEnumerable())
        {
            if (!key.EndsWith(ConfigKeys.FileSuffix, StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(file))
            {
                continue;
            }

            try
            {
                secrets[key[..^ConfigKeys.FileSuffix.Length]] = File.ReadAllText(file).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(ConfigKeys.Display(key), $"cannot read the secret file '{file}': {e.Message}");
            }
        }

        return secrets;
    }

    /// <summary>A path from the configuration: absolute as given, or relative to the configuration file.</summary>
    public static string RelativeToConfig(this AgentOptions options, string path) =>
        Path.GetFullPath(path, Path.GetDirectoryName(options.SourceFile) ?? "/");

    /// <summary>
    /// The directory of the run history: state: in the file (the stop journal and volume locks are in the agent's
    /// --state-dir, which recover reads too); by default /var/lib/backup-agent when the
    /// file is under /etc, else a folder "state" next to the file.
    /// </summary>
    public static string StateDirectory(this AgentOptions options) =>
        options.State is { Length: > 0 } state ? options.RelativeToConfig(state)
        : options.SourceFile.StartsWith("/etc/", StringComparison.Ordinal) ? "/var/lib/backup-agent"
        : options.RelativeToConfig("state");
}
