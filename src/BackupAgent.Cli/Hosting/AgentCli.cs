using System.CommandLine;
using System.CommandLine.Help;
using BackupAgent.Core;
using BackupAgent.Core.Errors;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace BackupAgent.Cli.Hosting;

/// <summary>The entry point of the command line: parses with System.CommandLine (<see cref="CliTree"/>), runs the command, maps errors to exit codes.</summary>
public static class AgentCli
{
    // {Message:l}: strings and enums as they are (":lj" would quote an enum, as JSON does: Reading "Volume" db).
    private const string LogTemplate = "{Timestamp:HH:mm:ss} {Level:u3} {Message:l}{NewLine}{Exception}";

    public static async Task<int> RunAsync(IReadOnlyList<string> argv, AgentConsole console, CancellationToken cancellationToken)
    {
        var root = CliTree.Build((command, parse, token) => RunCommandAsync(command, parse, console, token));
        if (argv.Count == 0)
        {
            console.Error.WriteLine(HelpText.For(root));
            return ExitCodes.BadInput;
        }

        var parse = root.Parse(CliTree.Tokens(argv), CliTree.ParserConfiguration);
        if (parse.Action is HelpAction)
        {
            console.Out.WriteLine(HelpText.For(parse.CommandResult.Command));
            return ExitCodes.Success;
        }

        if (parse.CommandResult.Command == root && parse.GetResult(CliTree.VersionOption) is System.CommandLine.Parsing.OptionResult { Implicit: false } && parse.UnmatchedTokens.Count == 0)
        {
            console.Out.WriteLine(ToolVersion.Current);
            return ExitCodes.Success;
        }

        if (ParseProblems.First(parse, argv) is { } problem)
        {
            console.Fail(problem);
            return ExitCodes.BadInput;
        }

        return await parse.InvokeAsync(
            new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
            cancellationToken);
    }

    private static async Task<int> RunCommandAsync(ICommand command, ParseResult parse, AgentConsole console, CancellationToken cancellationToken)
    {
        var args = new Arguments(command.Name, parse);
        if (args.Flag(GlobalOptions.Verbose) && args.Flag(GlobalOptions.Quiet))
        {
            console.Fail($"{command.Name}: give {GlobalOptions.Verbose} or {GlobalOptions.Quiet}, not both");
            return ExitCodes.BadInput;
        }

        await using var log = CreateLogger(console, args);
        try
        {
            var context = new CommandContext(console, log, args); // its settings are read when it first opens something: `run` at start, before any job
            return await command.RunAsync(args, context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            log.Error("{Command} was cancelled", command.Name);
            console.Fail($"{command.Name} was cancelled; nothing partial is left visible");
            return ExitCodes.Failed;
        }
        catch (Exception e)
        {
            if (e is not BackupAgentException)
            {
                log.Error(e, "{Command} failed unexpectedly", command.Name);
            }

            console.Fail($"{command.Name} failed: {OptionNames.Describe(e)}");
            return ExitCodes.For(e);
        }
    }

    private static Serilog.Core.Logger CreateLogger(AgentConsole console, Arguments args)
    {
        var level = args.Flag(GlobalOptions.Verbose) ? LogEventLevel.Debug : args.Flag(GlobalOptions.Quiet) ? LogEventLevel.Error : LogEventLevel.Information;
        return new LoggerConfiguration().MinimumLevel.Is(level)
            .Enrich.With(new SettingWording(OptionNames.For))
            .WriteTo.Sink(new TextWriterSink(console.Error, ColourFormatter.For(console, new MessageTemplateTextFormatter(LogTemplate))))
            .CreateLogger();
    }
}
