using System.Collections;
using System.CommandLine;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Running;

namespace BackupAgent.Cli.Hosting;

/// <summary>What the agent's commands share: --config, the validated configuration, and the job runner.</summary>
internal static class AgentSetup
{
    /// <summary>--config PATH, for the commands that read the configuration.</summary>
    public static Option<string> ConfigOption(string? description = null) => CliOption.Value("--config", "PATH",
        description ?? "the configuration (default: config/agent.yaml under the current directory if present, else /etc/backup-agent/agent.yaml)");

    /// <summary>Reads and validates the configuration (every problem at once, exit 2).</summary>
    public static AgentOptions LoadConfig(Arguments args)
    {
        var path = ConfigLoader.ResolvePath(args.Value("--config"), Environment.CurrentDirectory);
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => KeyValuePair.Create((string)e.Key, (string?)e.Value));
        return ConfigLoader.Load(path, environment, JobKinds.Names);
    }

    /// <summary>
    /// For a command that works on one engine: with --config, takes the configuration's engines (engine: and the named
    /// engines:, that --engine NAME picks from); --engine without --config is refused.
    /// </summary>
    public static void ConfigureEngines(Arguments args, CommandContext context)
    {
        if (args.Value("--config") is not null)
        {
            context.Configure(LoadConfig(args));
        }
        else if (args.Value("--engine") is { } name)
        {
            throw new BackupAgent.Core.Errors.BadInputException($"--engine {name} names an engine under engines: of a configuration: add --config PATH");
        }
    }

    /// <summary>The logger from logging: in the configuration, and a runner whose jobs open engines and stores with the command's factory.</summary>
    public static (Serilog.Core.Logger Log, JobRunner Runner) Open(AgentOptions options, Arguments args, CommandContext context)
    {
        var log = AgentLogging.Create(options, context.Console, args.Flag(GlobalOptions.Verbose), args.Flag(GlobalOptions.Quiet));
        context.Configure(options);
        return (log, new JobRunner(options, context.Factory, log));
    }
}
