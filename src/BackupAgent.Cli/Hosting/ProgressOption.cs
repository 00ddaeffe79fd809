using System.CommandLine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Progress;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// <c>--progress auto|tty|plain|none</c> of backup, restore, verify and migrate: which renderer gets the run's progress.
/// <c>auto</c> (the default): with <c>--json</c>, JSON status lines on stderr; on a terminal, the <c>tty</c> line;
/// else <c>plain</c> log lines, but only once a run has lasted <see cref="PlainProgress.LongRun"/> (a short run logs
/// as before, a long one in a pipe or a cron log shows it moves).
/// </summary>
public static class ProgressOption
{
    public const string Name = "--progress";

    /// <summary>The option, for the commands that show progress.</summary>
    public static Option<string> Create() => CliOption.Value(Name, "MODE",
        "auto (default), tty, plain or none. tty: one line on stderr, rewritten in place (done, of the total, rate, ETA, volume); plain: a log line at every 5% or 10 s; auto: with --json, JSON status lines on stderr; on a terminal, tty; else plain for a run that lasts over 10 s; with --quiet, none. The total of a backup is estimated (the latest backup of each source, else du in a read-only helper); a restore's is exact.",
        "auto", "tty", "plain", "none");

    /// <summary>The renderer the options choose; null for none.</summary>
    public static IProgressSink? Open(Arguments args, CommandContext context)
    {
        var console = context.Console;
        return (args.Value(Name) ?? "auto") switch
        {
            "none" => null,
            "auto" when args.Flag(GlobalOptions.Quiet) => null,
            "tty" => new TtyProgress(console.Error, context.Clock),
            "plain" => new PlainProgress(context.Log, context.Clock),
            "auto" when args.Flag("--json") => new JsonProgress(console.Error, context.Clock),
            "auto" when console.IsTerminal && !Console.IsErrorRedirected => new TtyProgress(console.Error, context.Clock),
            "auto" => new PlainProgress(context.Log, context.Clock, PlainProgress.LongRun),
            var other => throw new BadInputException($"{Name} '{other}' is not one of auto, tty, plain, none"),
        };
    }
}
