using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;

namespace BackupAgent.Cli.Commands;

public sealed class MigrateCommand : ICommand
{
    public string Name => "migrate";

    public string Summary => "move volumes (or a container's) to another engine, verified file by file";

    public string Details => """
        Moves volumes (or every volume and bind mount of a container) from the engine of --docker-host to the engine at --to-engine (unix:///PATH or tcp://HOST:PORT). Target volumes get the same names (or TARGET), driver, options and labels (Compose's too). Without --via the data streams from a helper on the source straight into a helper on the target; with --via DEST it becomes a backup set there (which stays) and is restored on the target. Afterwards every file on the target is compared with what was read.

        Everything is checked before anything is stopped: both engines, names, target volumes (a non-empty one is refused without --force), images and container names. Exits 0 when every target matches its source, 1 otherwise.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOption.Value("--to-engine", "URI", "the target engine: unix:///PATH or tcp://HOST:PORT"),
        CliOption.Value("--to-engine-cert-path", "DIR", "TLS for a tcp:// target: ca.pem, cert.pem, key.pem, as Docker clients take them"),
        CliOption.Repeatable("--volume", "NAME[=TARGET]", "a volume to move, optionally to TARGET"),
        CliOption.Value("--container", "NAME", "every volume and bind mount of this container"),
        CliOption.Value("--via", "DEST", "go through a backup set at DEST (which stays) instead of streaming engine to engine"),
        CliOption.Flag("--with-containers", "also create the containers that use the volumes on the target (image, command, environment, labels, mounts, ports, restart policy, networks), stopped"),
        CliOption.Flag("--start", "start them there"),
        CliOption.Flag("--copy-images", "copy images the target lacks from the source (docker save/load)"),
        CliOption.Flag("--stop", "stop the source containers that use the volumes during the copy (see backup)"),
        CliOption.Flag("--leave-stopped", "leave them stopped afterwards: the cut-over"),
        CliOption.Flag("--force", "replace the contents of non-empty target volumes"),
        CliOption.Flag("--dry-run", "print the plan and touch nothing"),
        ProgressOption.Create(),
        CliOption.Flag("--json", "print the report as JSON"),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var request = new MigrateRequest(args.Values("--volume").Select(VolumeMapping.Parse).ToList(), args.Value("--container"))
        {
            WithContainers = args.Flag("--with-containers"),
            Start = args.Flag("--start"),
            CopyImages = args.Flag("--copy-images"),
            Stop = args.Flag("--stop"),
            LeaveStopped = args.Flag("--leave-stopped"),
            Force = args.Flag("--force"),
            DryRun = args.Flag("--dry-run"),
        };
        var progress = ProgressOption.Open(args, context);
        var via = args.Value("--via") is null ? null : context.OpenStore("--via", forWriting: true);
        await using var source = context.OpenEngine();
        await using var target = context.OpenEngine(new EngineEndpoint(args.Required("--to-engine"), args.Value("--to-engine-cert-path")) { Setting = Setting.TargetEngine });
        var result = await new MigrateOperation(source, target, context.OpenStopper(source), context.Log, context.Clock, via) { Progress = progress }.RunAsync(request, cancellationToken);

        if (args.Flag("--json"))
        {
            context.WriteJson(new
            {
                dryRun = result.DryRun,
                ok = result.Ok,
                backupSet = result.BackupSetId,
                volumes = result.Volumes.Select(v => new { source = v.Source, target = v.Target, created = v.Created, files = v.Files, bytes = v.ContentBytes, sha256 = v.Sha256, verified = v.Verified, differences = v.Differences }),
                containers = result.Containers,
                leftStopped = result.StoppedOnSource,
                downtimes = result.Downtimes,
                problems = result.Problems,
            });
        }
        else
        {
            var output = context.Console.Out;
            output.WriteLine(result.DryRun ? $"dry run: nothing is stopped, copied or created. A migration to {target.Endpoint} would:" : $"migrated to {target.Endpoint}:");
            foreach (var v in result.Volumes)
            {
                var state = result.DryRun ? (v.Created ? "(created)" : "(exists)") : v.Verified ? $"verified: {v.Files} entries, {ByteSize.Human(v.ContentBytes)}" : $"DIFFERS: {string.Join("; ", v.Differences)}";
                output.WriteLine($"  volume {v.Source} -> {v.Target} {state}");
            }

            foreach (var c in result.Containers)
            {
                output.WriteLine($"  container {c}{(result.DryRun ? " (would be created)" : " created")}");
            }

            if (result.BackupSetId is { } id)
            {
                output.WriteLine($"  backup set {id} stays in {args.Value("--via")}");
            }
        }

        foreach (var problem in result.Problems)
        {
            context.Console.Error.WriteLine($"backup-agent: the migration to {target.Endpoint} is complete, but {problem}");
        }

        if (result.Volumes.Any(v => !v.Verified))
        {
            context.Console.Error.WriteLine("backup-agent: migrate failed: the target does not match the source");
        }

        return result.Ok ? ExitCodes.Success : ExitCodes.Failed;
    }
}
