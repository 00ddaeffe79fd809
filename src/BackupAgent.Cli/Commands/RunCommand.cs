using BackupAgent.Cli.Hosting;
using BackupAgent.Scheduling.Hosting;

namespace BackupAgent.Cli.Commands;

public sealed class RunCommand : ICommand
{
    public string Name => "run";

    public string Help => """
        backup-agent run [--config PATH] [--once JOB] [--json]

        Runs the agent: validates the configuration (every problem at once, exit 2), then runs each job on its cron
        schedule until SIGTERM or Ctrl-C, which cancels running jobs cleanly (no helper, no partial backup is left).
        Logging, concurrency, state and notifications come from the configuration; see docs/scheduling.md.
          --config PATH   default: config/agent.yaml under the current directory if present, else /etc/backup-agent/agent.yaml
          --once JOB      run the job JOB once now and exit (0 when it succeeded)
          --json          with --once: print the run as JSON on stdout
        """;

    public IReadOnlyList<OptionSpec> Options { get; } = [AgentSetup.ConfigOption, new("--once"), new("--json", IsFlag: true)];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
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
