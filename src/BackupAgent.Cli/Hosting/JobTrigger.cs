using BackupAgent.Scheduling.History;

namespace BackupAgent.Cli.Hosting;

/// <summary>Runs one configured job on demand (run --once JOB, backup --job NAME) and prints what it did.</summary>
internal static class JobTrigger
{
    public static async Task<int> RunAsync(string job, string trigger, Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var options = AgentSetup.LoadConfig(args);
        var (log, runner) = AgentSetup.Open(options, args, context);
        await using (log)
        using (runner)
        {
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
        RunOutcome.Succeeded => $"succeeded in {run.Duration?.TotalSeconds:0.0} s, {run.Bytes} bytes, backup set(s) {string.Join(", ", run.Sets)}",
        RunOutcome.Running => "running",
        _ => $"{run.Outcome.ToString().ToLowerInvariant()}: {run.Error}",
    };
}
