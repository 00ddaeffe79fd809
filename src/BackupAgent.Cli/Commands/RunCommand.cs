using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Scheduling.Hosting;

namespace BackupAgent.Cli.Commands;

public sealed class RunCommand : ICommand
{
    public string Name => "run";

    public string Summary => "run the configured jobs on their schedules until SIGTERM/Ctrl-C (--once JOB: one job now)";

    public string Details => """
        Runs the agent: validates the configuration (every problem at once, exit 2), then runs each job on its cron schedule until SIGTERM or Ctrl-C, which cancels running jobs cleanly (no helper, no partial backup is left). Logging, concurrency, state and notifications come from the configuration; see docs/scheduling.md.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        AgentSetup.ConfigOption(),
        CliOption.Value("--once", "JOB", "run the job JOB once now and exit (0 when it succeeded)"),
        CliOption.Flag("--dry-run", "with --once: print what the run would do (sources, containers to stop, hooks; the sets a prune would delete) and touch nothing"),
        CliOption.Flag("--json", "with --once: print the run as JSON on stdout"),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        if (args.Flag("--dry-run") && args.Value("--once") is null)
        {
            throw new Core.Errors.BadInputException("run: --dry-run goes with --once JOB");
        }

        if (args.Value("--once") is { } job)
        {
            return await JobTrigger.RunAsync(job, "run --once", args, context, cancellationToken);
        }

        var options = AgentSetup.LoadConfig(args);
        var (log, runner) = AgentSetup.Open(options, args, context);
        await using (log)
        using (runner)
        {
            log.Information("The agent starts with {Config}: {Count} job(s), state in {State}", options.SourceFile, options.Jobs.Count, runner.History.File);
            await AgentHost.RunAsync(options, runner, log, cancellationToken);
        }

        return ExitCodes.Success;
    }
}
