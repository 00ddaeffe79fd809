using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Operations;

namespace BackupAgent.Cli.Commands;

public sealed class VerifyCommand : ICommand
{
    public string Name => "verify";

    public string Summary => "check every archive of a backup set against its manifest (--deep: file by file)";

    public string Details => """
        Reads every archive of a backup set (default: the latest) and checks its size and SHA-256 against the manifest, that it decompresses, and that its tar holds the recorded entries. With --deep, also restores each archive into a scratch volume through a helper and compares every file (type, mode, owner, mtime, size, SHA-256, link target) with the per-file index recorded at backup time; the scratch volume is removed afterwards.

        Exits 1 if any archive fails. Encrypted sets need their key, and their manifest must carry a MAC under it.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOption.Value("--from", "DEST", "the store to verify"),
        CliOption.Value("--backup", "ID|latest", "the set (default: latest)"),
        CliOption.Flag("--deep", "restore each archive into a scratch volume and compare every file with the index recorded at backup time"),
        CliOption.Flag("--accept-without-mac", "take a set made by an agent older than the MAC, with a warning"),
        ProgressOption.Create(),
        CliOption.Flag("--json", "print the verdicts as JSON on stdout"),
        .. KeyOptions.Read(),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var progress = ProgressOption.Open(args, context);
        var store = context.OpenStore("--from", forWriting: false);
        await using var engine = args.Flag("--deep") ? context.OpenEngine() : null;
        var result = await new VerifyOperation(store, context.Log, engine) { AcceptWithoutMac = args.Flag("--accept-without-mac"), Progress = progress }.RunAsync(args.Value("--backup"), KeyOptions.Resolve(args, context.Console, writing: false), cancellationToken);
        if (args.Flag("--json"))
        {
            context.WriteJson(new
            {
                id = result.Set.Id,
                ok = result.Ok,
                archives = result.Archives.Select(a => new { volume = a.Archive.Volume, file = a.Archive.File, ok = a.Problems.Count == 0, problems = a.Problems }),
                unreadable = result.Unreadable.Select(u => new { id = u.Id, reason = u.Reason }),
            });
        }
        else
        {
            foreach (var verdict in result.Archives)
            {
                var state = verdict.Problems.Count == 0 ? "ok" : "FAILED: " + string.Join("; ", verdict.Problems);
                context.Console.Out.WriteLine($"{result.Set.Id}  {verdict.Archive.Volume}: {state}");
            }

            foreach (var set in result.Unreadable)
            {
                context.Console.Out.WriteLine($"{set.Id}  manifest: FAILED: {set.Reason}");
            }
        }

        if (result.Archives.Any(a => a.Problems.Count > 0))
        {
            context.Console.Error.WriteLine($"backup-agent: verify failed: backup set {result.Set.Id} has damaged archives");
        }

        if (result.Unreadable.Count > 0)
        {
            context.Console.Error.WriteLine($"backup-agent: verify failed: the manifests of {result.Unreadable.Count} backup set(s) cannot be read");
        }

        return result.Ok ? ExitCodes.Success : ExitCodes.Failed;
    }
}
