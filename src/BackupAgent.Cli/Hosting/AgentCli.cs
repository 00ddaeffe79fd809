using BackupAgent.Cli.Commands;
using BackupAgent.Core;
using BackupAgent.Core.Errors;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Display;
using Serilog.Sinks.SystemConsole.Themes;

namespace BackupAgent.Cli.Hosting;

/// <summary>The entry point of the command line: picks the command, parses its options, maps errors to exit codes.</summary>
public static class AgentCli
{
    private const string LogTemplate = "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}";

    private static readonly IReadOnlyList<ICommand> Commands =
    [
        new BackupCommand(),
        new RestoreCommand(),
        new ListCommand(),
        new VerifyCommand(),
        new PruneCommand(),
        new CopyCommand(),
        new RecoverCommand(),
        new MigrateCommand(),
        new RunCommand(),
        new StatusCommand(),
        new ConfigCheckCommand(),
        new ClusterInitCommand(),
        new KeygenCommand(),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> argv, AgentConsole console, CancellationToken cancellationToken)
    {
        if (argv.Count == 0 || argv[0] is "--help" or "-h" or "help")
        {
            (argv.Count == 0 ? console.Error : console.Out).WriteLine(Usage.Overview);
            return argv.Count == 0 ? ExitCodes.BadInput : ExitCodes.Success;
        }

        if (argv[0] is "--version" or "version")
        {
            console.Out.WriteLine(ToolVersion.Current);
            return ExitCodes.Success;
        }

        // A command's name may have two words (config check).
        var command = Commands.FirstOrDefault(c => c.Name.Split(' ').SequenceEqual(argv.Take(c.Name.Count(ch => ch == ' ') + 1)));
        if (command is null)
        {
            console.Error.WriteLine($"backup-agent: unknown command '{argv[0]}'\n\n{Usage.Overview}");
            return ExitCodes.BadInput;
        }

        var words = command.Name.Count(ch => ch == ' ') + 1;
        if (argv.Skip(words).Any(a => a is "--help" or "-h"))
        {
            console.Out.WriteLine(command.Help);
            return ExitCodes.Success;
        }

        Arguments args;
        try
        {
            args = Arguments.Parse(command.Name, argv.Skip(words).ToList(), command.Options);
        }
        catch (BackupAgentException e)
        {
            console.Error.WriteLine($"backup-agent: {OptionNames.Describe(e)}");
            return ExitCodes.For(e);
        }

        await using var log = CreateLogger(console, args.Flag("--verbose"));
        try
        {
            var context = new CommandContext(console, log, args); // its settings are read when it first opens something: `run` at start, before any job
            return await command.RunAsync(args, context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            log.Error("{Command} was cancelled", command.Name);
            console.Error.WriteLine($"backup-agent: {command.Name} was cancelled; nothing partial is left visible");
            return ExitCodes.Failed;
        }
        catch (Exception e)
        {
            if (e is not BackupAgentException)
            {
                log.Error(e, "{Command} failed unexpectedly", command.Name);
            }

            console.Error.WriteLine($"backup-agent: {command.Name} failed: {OptionNames.Describe(e)}");
            return ExitCodes.For(e);
        }
    }

    private static Serilog.Core.Logger CreateLogger(AgentConsole console, bool verbose)
    {
        var config = new LoggerConfiguration().MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Information)
            .Enrich.With(new SettingWording(OptionNames.For));
        return (console.IsTerminal
            ? config.WriteTo.Console(outputTemplate: LogTemplate, standardErrorFromLevel: LogEventLevel.Verbose, theme: ConsoleTheme.None)
            : config.WriteTo.Sink(new TextWriterSink(console.Error, new MessageTemplateTextFormatter(LogTemplate)))).CreateLogger();
    }
}
