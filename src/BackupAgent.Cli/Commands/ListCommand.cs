using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;

namespace BackupAgent.Cli.Commands;

public sealed class ListCommand : ICommand
{
    public string Name => "list";

    public string Summary => "list the complete backup sets at DEST, newest first";

    public string Details => """
        An archive of a chain (docs/incremental.md) shows its level and the set it builds on; a chain whose base is missing or unreadable is named on stderr (exit 1), and restore refuses it.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOption.Value("--from", "DEST", "the store to list"),
        CliOption.Value("--volume", "NAME", "only sets that hold this volume"),
        CliOption.Flag("--json", "print an array of backup sets as JSON on stdout (sizes in bytes)"),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var store = context.OpenStore("--from", forWriting: false);
        var catalog = new BackupCatalog(store);
        var everything = await catalog.ScanAsync(null, cancellationToken);
        var volume = args.Value("--volume");
        var (sets, unreadable) = (everything.Sets.Where(s => volume is null || s.FindArchive(volume) is not null).ToList(), everything.Unreadable);
        var broken = sets.SelectMany(s => Chains.Problems(s, everything).Select(p => $"set '{s.Id}' cannot be restored: {p}")).ToList();
        if (args.Flag("--json"))
        {
            context.WriteJson(sets);
        }
        else
        {
            foreach (var set in sets)
            {
                var volumes = string.Join(", ", set.Archives.Select(a => a.Volume + ChainNote(a)));
                context.Console.Out.WriteLine($"{set.Id}  {set.CreatedAt:yyyy-MM-dd HH:mm:ss}Z  {ByteSize.Human(set.Archives.Sum(a => a.Bytes)),10}  {volumes}");
            }
        }

        // The readable sets are listed all the same; the unreadable ones make the listing fail, naming each.
        foreach (var set in unreadable)
        {
            context.Console.Error.WriteLine($"backup-agent: list: {set.Reason}");
        }

        foreach (var problem in broken)
        {
            context.Console.Error.WriteLine($"backup-agent: list: {problem}");
        }

        return unreadable.Count == 0 && broken.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>" (level N on BASE)" for an incremental archive, " (full, level 0)" for the start of a chain, "" for a plain archive.</summary>
    internal static string ChainNote(ArchiveInfo archive) =>
        archive.Level > 0 ? $" (level {archive.Level} on {archive.Base})" : archive.Snapshot is not null ? " (full, level 0)" : "";
}
