using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Operations;

namespace BackupAgent.Cli.Commands;

public sealed class CopyCommand : ICommand
{
    public string Name => "copy";

    public string Summary => "copy backup sets from one store to another, checked on the way";

    public string Details => """
        Copies backup sets from one store to another (directory to S3, S3 to directory, S3 to S3), streaming each archive and index with no temporary file and checking its size and SHA-256 against the manifest on the way. The manifest is written last, so a set appears in --to only once all of it is there; one that fails its check is not copied and leaves nothing behind. Encrypted sets are copied as they are: no key is needed. A set --to holds already with the same hashes is skipped, so running the copy again finishes one that was interrupted; a different set under the same ID is never overwritten.

        The command exits 1 when any set was not copied, after copying the others.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOption.Value("--from", "DEST", "the store to copy from"),
        CliOption.Value("--to", "DEST", "the store to copy to"),
        CliOption.Value("--backup", "ID|latest|all", "a set ID, latest, or all (default: all), oldest first"),
        CliOption.Value("--volume", "NAME", "only sets that hold this volume (each is copied whole)"),
        CliOption.Flag("--dry-run", "print what would be copied and what is there already; write nothing"),
        CliOption.Flag("--json", "print {from, to, dryRun, sets: [{id, outcome, bytes, problem}]} on stdout"),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        args.Required("--from");
        args.Required("--to");
        var from = context.OpenStore("--from", forWriting: false);
        var to = context.OpenStore("--to", forWriting: true);
        var dryRun = args.Flag("--dry-run");
        var result = await new CopyOperation(from, to, context.Log)
            .RunAsync(new CopyRequest(args.Value("--backup") ?? CopyRequest.All, args.Value("--volume"), dryRun), cancellationToken);

        if (args.Flag("--json"))
        {
            context.WriteJson(new
            {
                from = result.From,
                to = result.To,
                dryRun,
                sets = result.Sets.Select(s => new { id = s.Id, outcome = s.Outcome, bytes = s.Bytes, problem = s.Problem }),
            });
        }
        else
        {
            foreach (var set in result.Sets.Where(s => s.Outcome != CopyOutcome.Failed))
            {
                context.Console.Out.WriteLine(set.Describe(result.To));
            }

            var copied = result.Sets.Count(s => s.Outcome is CopyOutcome.Copied or CopyOutcome.WouldCopy);
            var there = result.Sets.Count(s => s.Outcome == CopyOutcome.AlreadyThere);
            context.Console.Out.WriteLine($"{copied} {(dryRun ? "to copy" : "copied")}, {there} there already, {result.Failed.Count} not copied");
        }

        foreach (var set in result.Failed)
        {
            context.Console.Error.WriteLine($"backup-agent: copy: {set.Describe(result.To)}");
        }

        return result.Failed.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }
}
