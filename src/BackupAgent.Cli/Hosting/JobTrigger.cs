using BackupAgent.Scheduling.History;

namespace BackupAgent.Cli.Hosting;

/// <summary>Runs one configured job on demand (run --once JOB, backup --job NAME) and prints what it did.</summary>
internal static class JobTrigger
{
    public static async Task<int> RunAsync(string job, string trigger, Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var options = AgentSetup.LoadConfig(args);
        if (args.Flag("--full") && !Scheduling.Running.BackupJobKind.ForceFull(options, job))
        {
            throw new Core.Errors.BadInputException($"{trigger}: --full forces the full of a chain, and job '{job}' has no incremental: section");
        }

        var (log, runner) = AgentSetup.Open(options, args, context);
        await using (log)
        using (runner)
        {
            if (args.Flag("--dry-run"))
            {
                context.Console.Out.WriteLine($"dry run of job {job}: nothing is stopped, read, written or recorded");
                foreach (var line in await runner.DryRunAsync(job, cancellationToken))
                {
                    context.Console.Out.WriteLine($"  {line}");
                }

                return ExitCodes.Success;
            }

            var run = await runner.RunAsync(job, trigger, cancellationToken);
            if (args.Flag("--json"))
            {
                context.WriteJson(run);
            }
            else
            {
                context.Console.Out.WriteLine($"job {run.Job} run {run.RunId}: {Describe(run)}");
            }

            return ExitCodes.Success;
        }
    }

    public static string Describe(RunRecord run) => run.Outcome switch
    {
        RunOutcome.Succeeded => $"succeeded in {run.Duration?.TotalSeconds:0.0} s, {Core.Formats.ByteSize.Human(run.Bytes)}, backup set(s) {string.Join(", ", run.Sets)}" +
            (run.Downtimes.Count > 0 ? $"; downtime: {string.Join(", ", run.Downtimes)}" : "") +
            (run.Warnings.Count > 0 ? $"; warning: {string.Join("; ", run.Warnings)}" : ""),
        RunOutcome.Running => "running",
        _ => $"{run.Outcome.ToString().ToLowerInvariant()}: {run.Error}",
    };
}
