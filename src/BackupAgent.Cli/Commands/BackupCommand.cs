using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;

namespace BackupAgent.Cli.Commands;

public sealed class BackupCommand : ICommand
{
    public string Name => "backup";

    public string Summary => "back up volumes, or a container's volumes and bind mounts, into one new backup set at DEST";

    public string Details => """
        Backs up into one new backup set at DEST (a directory path, file:///PATH or s3://BUCKET/PREFIX): one archive per volume, then a manifest. A set is listed only once its manifest is written. Give --volume (repeatable) or --container; or --job NAME to run a configured job now (its sources, destination and compression come from the configuration, and the run is recorded in the run history like a scheduled one; with --job only --config, --json and --full go with it).

        Hooks, from labels on the containers that use the volumes: backup-agent.pre-backup=CMD and backup-agent.post-backup=CMD run with sh -c inside the container (backup-agent.hook-user, backup-agent.hook-timeout=SECONDS, default 300). A failing pre-backup hook fails the run unless backup-agent.pre-backup-on-error=continue; post-backup hooks always run, and their failure fails the run.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOption.Value("--to", "DEST", "where the new set goes"),
        CliOption.Repeatable("--volume", "NAME", "a volume to back up"),
        CliOption.Value("--container", "NAME", "every volume and bind mount of this container, including those it has through --volumes-from, read at the paths the container sees"),
        CliOption.Value("--compression", "ALGORITHM", "zstd (default), gzip or none; applied while streaming", "zstd", "gzip", "none"),
        CliOption.Flag("--stop", "stop the running containers that use these volumes while they are read, and start them again as soon as the data is read (dependents first; only those that were running). Label backup-agent.stop=true|false on a container opts it in or out either way. The stop is journalled: see 'recover'."),
        CliOption.Value("--stop-timeout", "SECONDS", "seconds to wait before a stopping container is killed (default: its own)"),
        CliOption.Repeatable("--exclude", "PATTERN", "leave out what matches this GNU tar pattern (repeatable), relative to each source's root: '*.log' and 'cache' match at any depth, '/cache' only at the root; a directory that matches goes with all it holds. The label backup-agent.exclude=PATTERN,... on a --container adds its own. The manifest records them; a restore needs none."),
        CliOption.Flag("--dry-run", "print the plan (sources, archives, exclusions, containers to stop, hooks) and do nothing"),
        CliOption.Flag("--incremental", "store only what changed since the latest backup of each source in DEST (GNU tar's listed-incremental mode); a source with no earlier backup, or one that does not fit (another engine, a volume recreated, a damaged snapshot file), gets a full archive, and the log says why (docs/incremental.md)"),
        CliOption.Flag("--full", "a full backup that starts a chain later --incremental backups continue (with --job: this run of a job with an incremental: section is a full)"),
        ProgressOption.Create(),
        CliOption.Flag("--json", "print the backup set as JSON on stdout"),
        CliOption.Value("--job", "NAME", "run the configured job NAME now"),
        AgentSetup.ConfigOption("the configuration for --job (default: config/agent.yaml, else /etc/backup-agent/agent.yaml)"),
        .. KeyOptions.Write(),
    ];

    private static int Seconds(string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s)
            ? s
            : throw new Core.Errors.BadInputException($"--stop-timeout '{value}' is not a whole number of seconds");

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        if (args.Value("--job") is { } job)
        {
            return Options.Select(o => o.Name).Except(["--job", "--config", "--json", "--full"]).FirstOrDefault(args.Given) is { } extra
                ? throw new BadInputException($"backup: --job takes its sources and destination from the configuration; drop {extra}")
                : await JobTrigger.RunAsync(job, "backup --job", args, context, cancellationToken);
        }

        var progress = ProgressOption.Open(args, context);
        var request = new BackupRequest(
            args.Values("--volume"), args.Value("--container"), Compressions.Parse(args.Value("--compression")), KeyOptions.Resolve(args, context.Console, writing: true))
        {
            Stop = args.Flag("--stop"),
            StopTimeout = args.Value("--stop-timeout") is { } seconds ? TimeSpan.FromSeconds(Seconds(seconds)) : null,
            Excludes = args.Values("--exclude"),
            Chain = (args.Flag("--incremental"), args.Flag("--full")) switch
            {
                (true, true) => throw new BadInputException("backup: give either --incremental or --full, not both"),
                (true, false) => new ChainRequest(Incremental: true),
                (false, true) => new ChainRequest(Incremental: false),
                _ => null,
            },
        };
        var store = context.OpenStore("--to", forWriting: true);
        await using var engine = context.OpenEngine();
        var operation = new BackupOperation(engine, store, context.OpenStopper(engine), context.Log, context.Clock) { Progress = progress };
        if (args.Flag("--dry-run"))
        {
            DryRunOutput.Write(context, await operation.PlanAsync(request, cancellationToken), store.Location, request, args.Flag("--json"));
            return ExitCodes.Success;
        }

        var set = await operation.RunAsync(request, cancellationToken);
        if (args.Flag("--json"))
        {
            context.WriteJson(set);
        }
        else
        {
            context.Console.Out.WriteLine($"backup set {set.Id}");
            foreach (var archive in set.Archives)
            {
                context.Console.Out.WriteLine($"  {archive.Volume}: {archive.Files} entries, {ByteSize.Human(archive.ContentBytes)} of content, {ByteSize.Human(archive.Bytes)} stored ({archive.Compression.ToString().ToLowerInvariant()}){ListCommand.ChainNote(archive)}");
                if (archive.Excludes.Count > 0)
                {
                    context.Console.Out.WriteLine($"    left out: {string.Join(", ", archive.Excludes)}");
                }
            }

            foreach (var downtime in set.Downtimes)
            {
                context.Console.Out.WriteLine($"  {downtime.Container} was stopped for {downtime.Seconds:0.###} s");
            }

            foreach (var warning in set.Warnings)
            {
                context.Console.Out.WriteLine($"  warning: {warning}");
            }
        }

        return ExitCodes.Success;
    }
}
