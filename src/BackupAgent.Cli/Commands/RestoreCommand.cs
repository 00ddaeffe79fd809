using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;

namespace BackupAgent.Cli.Commands;

public sealed class RestoreCommand : ICommand
{
    public string Name => "restore";

    public string Summary => "restore volumes from a backup set, all or nothing";

    public string Details => """
        Each archive is read once into a staging directory on its target's file system and checked against its SHA-256; only then are the targets' contents swapped in, so a failure leaves every target as it was. Missing target volumes are created as local volumes with the original labels; a target that is not empty is refused unless --force, which makes it exactly equal to the archive. The store is not trusted to decide where on the host the restore writes.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOption.Value("--from", "DEST", "the store to restore from"),
        CliOption.Value("--backup", "ID|latest", "the set (default: latest, the newest set holding the named volumes)"),
        CliOption.Repeatable("--volume", "NAME[=TARGET]", "restore only NAME, optionally into TARGET (a volume name, or an absolute host path); repeatable. Default: every archive of the set."),
        CliOption.Flag("--force", "replace the contents of non-empty targets"),
        CliOption.Flag("--no-stop", "do not stop the running containers that use the targets (by default they are stopped while their volume is restored and started again afterwards)"),
        CliOption.Flag("--to-original-paths", "without --volume, restore the archives of bind mounts into their original host paths too (else such a set is refused: name a target with --volume)"),
        CliOption.Flag("--trust-volume-options", "create missing volumes with the driver and driver options the manifest records (e.g. type=none,o=bind,device=PATH); by default they are left out, with a warning"),
        CliOption.Flag("--accept-without-mac", "with a key: take an encrypted set whose manifest has no MAC (made by an agent older than the MAC), with a warning; a MAC that does not match is never taken"),
        ProgressOption.Create(),
        CliOption.Flag("--json", "print what was restored as JSON on stdout"),
        AgentSetup.ConfigOption("with --engine: the configuration whose engines: names the engine"),
        CliOption.Value("--engine", "NAME", "with --config: restore on the engine NAME under the configuration's engines:"),
        .. KeyOptions.Read(),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        AgentSetup.ConfigureEngines(args, context);
        var mappings = args.Values("--volume").Select(VolumeMapping.Parse).ToList();
        var progress = ProgressOption.Open(args, context);
        var store = context.OpenStore("--from", forWriting: false);
        await using var engine = context.OpenEngine();
        var request = new RestoreRequest(args.Value("--backup"), mappings, args.Flag("--force"), KeyOptions.Resolve(args, context.Console, writing: false))
        {
            Stop = !args.Flag("--no-stop"),
            ToOriginalPaths = args.Flag("--to-original-paths"),
            TrustVolumeOptions = args.Flag("--trust-volume-options"),
            AcceptWithoutMac = args.Flag("--accept-without-mac"),
        };
        var result = await new RestoreOperation(engine, store, context.OpenStopper(engine), context.Log) { Progress = progress }.RunAsync(request, cancellationToken);
        if (args.Flag("--json"))
        {
            context.WriteJson(new { id = result.Set.Id, createdAt = result.Set.CreatedAt, volumes = result.Volumes, downtimes = result.Downtimes });
        }
        else
        {
            context.Console.Out.WriteLine($"restored backup set {result.Set.Id}");
            foreach (var v in result.Volumes)
            {
                context.Console.Out.WriteLine($"  {v.Volume} -> {v.Target}{(v.Created ? " (created)" : "")}: {v.Files} entries, {ByteSize.Human(v.Bytes)}");
            }
        }

        return ExitCodes.Success;
    }
}
