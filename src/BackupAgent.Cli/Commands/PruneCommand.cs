using System.CommandLine;
using System.Globalization;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Retention;

namespace BackupAgent.Cli.Commands;

public sealed class PruneCommand : ICommand
{
    public string Name => "prune";

    public string Summary => "delete the backup sets that no --keep-* rule keeps";

    public string Details => """
        Rules apply per source volume (restic's rules: each keeps the newest set in each of its last N hours, days, ISO weeks, months or years that have one; --keep-within keeps every set at most DURATION older than the newest). A set kept by any rule, for any volume it holds, is kept. The newest set of each volume is never deleted, and a prune that would delete everything is refused. Periods are counted in --time-zone (default: the local zone).

        A set's manifest is deleted before its archives, so an interrupted prune never leaves a listed set with missing archives; archives of unlisted sets older than 24 hours are swept.
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOption.Value("--from", "DEST", "the store to prune"),
        CliOption.Value("--volume", "NAME", "only sets that hold this volume (sets holding other volumes too are kept)"),
        CliOption.Value("--keep-last", "N", "keep the N newest sets"),
        CliOption.Value("--keep-hourly", "N", "keep the newest set of each of the last N hours that have one"),
        CliOption.Value("--keep-daily", "N", "keep the newest set of each of the last N days that have one"),
        CliOption.Value("--keep-weekly", "N", "keep the newest set of each of the last N ISO weeks that have one"),
        CliOption.Value("--keep-monthly", "N", "keep the newest set of each of the last N months that have one"),
        CliOption.Value("--keep-yearly", "N", "keep the newest set of each of the last N years that have one"),
        CliOption.Value("--keep-within", "DURATION", "keep every set at most DURATION (e.g. 7d, 36h, 1y6m) older than the newest"),
        CliOption.Value("--time-zone", "ZONE", "the zone periods are counted in (default: the local zone), e.g. UTC, Europe/Berlin"),
        CliOption.Flag("--dry-run", "print what would be deleted and which rule keeps each survivor; delete nothing"),
        CliOption.Flag("--json", "print the verdicts as JSON on stdout"),
    ];

    public async Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var policy = new RetentionPolicy
        {
            Last = Count(args, "--keep-last"),
            Hourly = Count(args, "--keep-hourly"),
            Daily = Count(args, "--keep-daily"),
            Weekly = Count(args, "--keep-weekly"),
            Monthly = Count(args, "--keep-monthly"),
            Yearly = Count(args, "--keep-yearly"),
            Within = args.Value("--keep-within") is { } within ? RetentionPolicy.ParseDuration(within, "--keep-within") : null,
        };
        var zone = Zone(args.Value("--time-zone"));
        var store = context.OpenStore("--from", forWriting: false);
        var dryRun = args.Flag("--dry-run");
        var result = await new PruneOperation(store, context.Log, context.Clock)
            .RunAsync(new PruneRequest(policy, args.Value("--volume"), zone, dryRun), cancellationToken);

        if (args.Flag("--json"))
        {
            context.WriteJson(new
            {
                dryRun,
                sets = result.Sets.Select(v => new { id = v.Set.Id, createdAt = v.Set.CreatedAt, keep = v.Keep, reasons = v.Reasons }),
                orphans = result.Orphans,
                unreadable = result.Unreadable.Select(u => new { id = u.Id, reason = u.Reason }),
            });
            return ExitCodes.Success;
        }

        var verb = dryRun ? "would delete" : "deleted";
        foreach (var verdict in result.Sets)
        {
            context.Console.Out.WriteLine(verdict.Describe(dryRun ? "delete" : "deleted"));
        }

        foreach (var orphan in result.Orphans)
        {
            context.Console.Out.WriteLine($"{verb} orphan {orphan}");
        }

        foreach (var set in result.Unreadable)
        {
            context.Console.Out.WriteLine($"keep {set.Id}: its manifest cannot be read, so it is never pruned");
        }

        context.Console.Out.WriteLine($"{result.Sets.Count(v => v.Keep)} kept, {result.Sets.Count(v => !v.Keep)} {verb}");
        return ExitCodes.Success;
    }

    private static int Count(Arguments args, string option) => args.Value(option) switch
    {
        null => 0,
        var v when int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
        var v => throw new BadInputException($"{option} '{v}' is not a whole number"),
    };

    private static TimeZoneInfo Zone(string? name)
    {
        if (name is null)
        {
            return TimeZoneInfo.Local;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new BadInputException($"--time-zone '{name}' is not a known time zone (e.g. UTC, Europe/Berlin)");
        }
    }
}
