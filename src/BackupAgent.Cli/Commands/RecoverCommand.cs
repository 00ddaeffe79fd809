using System.CommandLine;
using BackupAgent.Cli.Hosting;

namespace BackupAgent.Cli.Commands;

public sealed class RecoverCommand : ICommand
{
    public string Name => "recover";

    public string Summary => "start the containers that an agent which was killed left stopped";

    public string Details => """
        Starts the containers that a backup or restore stopped and could not start again because the agent was killed (SIGKILL, OOM, reboot), as recorded in the journal of stopped containers (in --state-dir). A container that another running backup still needs stopped is left to it; one that no longer exists is dropped from the journal; one recreated under its name since (docker compose up) is left as it is; those on another engine are left to a run against it. Prints what it did. Exit 1 when a container did not start: the journal keeps it, and every later run tries again without failing because of it. Every backup, restore and migrate does this first, too.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        AgentSetup.ConfigOption("recover against the engine of this configuration's engine: section (the scheduled agent's), unless --docker-host or DOCKER_HOST names another, and against each engine under engines:"),
        CliOption.Value("--engine", "NAME", "with --config: only against the engine NAME under engines:"),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        AgentSetup.ConfigureEngines(args, context);

        // With a configuration and no --engine: its own engine and each named one, as the scheduled agent recovers at start.
        var names = args.Value("--config") is not null && args.Value("--engine") is null ? context.Factory.EngineNames.ToList() : [args.Value("--engine")];
        var lines = new List<string>();
        var failed = false;
        foreach (var name in names)
        {
            await using var engine = context.Factory.OpenEngine(name, context.Log);

            // Helpers a killed agent left are removed first (one may still be unpacking into a target recovery settles).
            await engine.PrepareAsync(cancellationToken);
            var recovery = await context.OpenStopper(engine).RecoverAsync(cancellationToken);
            var on = names.Count > 1 ? $" on engine {name ?? "(default)"}" : "";
            Add(lines, $"unfinished restores settled{on}", recovery.Restores);
            Add(lines, $"started again{on}", recovery.Started);
            Add(lines, $"dropped from the journal (they no longer exist){on}", recovery.Dropped);
            Add(lines, $"left as they are (recreated under their names){on}", recovery.Recreated);
            if (names.Count == 1)
            {
                Add(lines, "left to a run against their engine", recovery.Elsewhere);
            }

            Add(lines, $"did not start (the journal keeps them; run recover again once they can){on}", recovery.Failed);
            Add(lines, $"restores not settled (the journal keeps them; run recover again once they can be){on}", recovery.Unsettled);
            failed |= recovery.Failed.Count > 0 || recovery.Unsettled.Count > 0;
        }

        context.Console.Out.WriteLine(lines.Count == 0 ? "nothing to recover: no container was left stopped and no restore unfinished" : string.Join("\n", lines));
        return failed ? ExitCodes.Failed : ExitCodes.Success;
    }

    private static void Add(List<string> lines, string what, IReadOnlyList<string> containers)
    {
        if (containers.Count > 0)
        {
            lines.Add($"{what}: {string.Join(", ", containers)}");
        }
    }
}
