using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Sets;

namespace BackupAgent.Cli.Commands;

public sealed class ListCommand : ICommand
{
    public string Name => "list";

    public string Help => """
        backup-agent list --from DEST [--volume NAME] [--json]

        Lists the complete backup sets at DEST, newest first.
          --volume NAME   only sets that hold this volume
          --json          print an array of backup sets as JSON on stdout
        """;

    public IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("--from"),
        new("--volume"),
        new("--json", IsFlag: true),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var store = context.OpenStore("--from", forWriting: false);
        var (sets, unreadable) = await new BackupCatalog(store).ScanAsync(args.Value("--volume"), cancellationToken);
        if (args.Flag("--json"))
        {
            context.WriteJson(sets);
        }
        else
        {
            foreach (var set in sets)
            {
                var volumes = string.Join(", ", set.Archives.Select(a => a.Volume));
                context.Console.Out.WriteLine($"{set.Id}  {set.CreatedAt:yyyy-MM-dd HH:mm:ss}Z  {set.Archives.Sum(a => a.Bytes),14} bytes  {volumes}");
            }
        }

        // The readable sets are listed all the same; the unreadable ones make the listing fail, naming each.
        foreach (var set in unreadable)
        {
            context.Console.Error.WriteLine($"backup-agent: list: {set.Reason}");
        }

        return unreadable.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }
}
