using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;

namespace BackupAgent.Cli.Commands;

public sealed class BackupCommand : ICommand
{
    public string Name => "backup";

    public string Help => """
        backup-agent backup --to DEST (--volume NAME ... | --container NAME) [--compression zstd|gzip|none] [--json]

        Backs up volumes into one new backup set at DEST (a directory path, file:///PATH or s3://BUCKET/PREFIX):
        one archive per volume, then a manifest. A set is listed only once its manifest is written.
          --volume NAME      a volume to back up (repeatable)
          --container NAME   every volume and bind mount of this container, including those it has
                             through --volumes-from, read at the paths the container sees
          --compression      zstd (default), gzip or none; applied while streaming
          --json             print the backup set as JSON on stdout
        """ + KeyOptions.Help;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("--to"),
        new("--volume", Repeatable: true),
        new("--container"),
        new("--compression"),
        new("--json", IsFlag: true),
        .. KeyOptions.Specs,
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var request = new BackupRequest(
            args.Values("--volume"), args.Value("--container"), Compressions.Parse(args.Value("--compression")), KeyOptions.Resolve(args, context.Console));
        var store = context.OpenStore("--to", forWriting: true);
        await using var engine = context.OpenEngine();
        var set = await new BackupOperation(engine, store, context.Log, context.Clock).RunAsync(request, cancellationToken);
        if (args.Flag("--json"))
        {
            context.WriteJson(set);
        }
        else
        {
            context.Console.Out.WriteLine($"backup set {set.Id}");
            foreach (var archive in set.Archives)
            {
                context.Console.Out.WriteLine($"  {archive.Volume}: {archive.Files} entries, {archive.ContentBytes} bytes of content, {archive.Bytes} bytes stored ({archive.Compression.ToString().ToLowerInvariant()})");
            }

            foreach (var warning in set.Warnings)
            {
                context.Console.Out.WriteLine($"  warning: {warning}");
            }
        }

        return ExitCodes.Success;
    }
}
