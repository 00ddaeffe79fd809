using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;

namespace BackupAgent.Cli.Commands;

/// <summary>Prints a backup plan for --dry-run.</summary>
internal static class DryRunOutput
{
    public static void Write(CommandContext context, BackupPlan plan, string destination, BackupRequest request, bool json)
    {
        var archives = plan.Sources.Select((s, i) => new
        {
            volume = s.Volume, kind = s.Kind.ToString().ToLowerInvariant(), mountPath = s.MountPath, file = SetLayout.ArchiveFile(s.FileStem, request.Compression, request.Key?.Format), excludes = s.Excludes,
            chain = plan.Chains?[i] is { } c ? new { level = c.Level, @base = c.Base, fullReason = c.FullReason } : null,
        }).ToList();
        var stop = plan.Consistency.Stop.Select(c => c.Name).ToList();
        var hooks = plan.Consistency.PreHooks.Select(h => new { phase = "pre-backup", container = h.Container, command = h.Command })
            .Concat(plan.Consistency.PostHooks.Select(h => new { phase = "post-backup", container = h.Container, command = h.Command }))
            .ToList();
        if (json)
        {
            context.WriteJson(new { dryRun = true, destination, archives, stop, start = Enumerable.Reverse(stop), hooks });
            return;
        }

        var output = context.Console.Out;
        output.WriteLine($"dry run: nothing is stopped, read or written. A backup would write to {destination}:");
        foreach (var a in archives)
        {
            output.WriteLine($"  archive {a.file}: {a.kind} {a.volume}{(a.mountPath is null ? "" : $" (mounted at {a.mountPath})")}");
            if (a.chain is { } chain)
            {
                output.WriteLine(chain.@base is { } on
                    ? $"    incremental: level {chain.level} on set {on} (only what changed since then)"
                    : $"    full (level 0), starting a new chain: {chain.fullReason}");
            }

            foreach (var pattern in a.excludes)
            {
                output.WriteLine($"    leave out {pattern}");
            }
        }

        output.WriteLine(stop.Count == 0 ? "  no container is stopped" : $"  stop, in this order: {string.Join(", ", stop)}; start again: {string.Join(", ", Enumerable.Reverse(stop))}");
        foreach (var h in hooks)
        {
            output.WriteLine($"  {h.phase} hook in {h.container}: {h.command}");
        }
    }
}
