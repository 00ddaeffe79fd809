using System.Globalization;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Consistency;

/// <summary>A command run inside a container before or after a backup (e.g. pg_dump into the volume).</summary>
public sealed record Hook(string Container, string Command, string? User, TimeSpan Timeout, bool FailRunOnError);

/// <summary>
/// What a backup does around the read, from the containers that use the volumes: which to stop (in order) and
/// which hooks to run. Labels on a container: <c>backup-agent.stop</c> = true (always stop it) or false (never);
/// <c>backup-agent.pre-backup</c> / <c>backup-agent.post-backup</c> = a shell command; <c>backup-agent.hook-user</c>;
/// <c>backup-agent.hook-timeout</c> = seconds (default 300); <c>backup-agent.pre-backup-on-error</c> = fail (default)
/// or continue. Pure.
/// </summary>
public sealed record ConsistencyPlan(IReadOnlyList<ContainerInfo> Stop, IReadOnlyList<Hook> PreHooks, IReadOnlyList<Hook> PostHooks)
{
    public const string StopLabel = "backup-agent.stop";
    public const string PreBackupLabel = "backup-agent.pre-backup";
    public const string PostBackupLabel = "backup-agent.post-backup";
    public const string HookUserLabel = "backup-agent.hook-user";
    public const string HookTimeoutLabel = "backup-agent.hook-timeout";
    public const string PreBackupOnErrorLabel = "backup-agent.pre-backup-on-error";

    public static readonly TimeSpan DefaultHookTimeout = TimeSpan.FromMinutes(5);

    public static ConsistencyPlan Create(IReadOnlyList<ContainerInfo> containers, IReadOnlyCollection<string> volumes, bool stopRequested)
    {
        var users = containers.Where(c => volumes.Any(c.Uses)).ToList();
        var stop = users.Where(c => Label(c, StopLabel) switch
        {
            "true" => true,
            "false" => false,
            _ => stopRequested,
        }).ToList();
        var problems = new List<string>();
        var pre = HooksOf(users, PreBackupLabel, problems);
        var post = HooksOf(users, PostBackupLabel, problems);
        return problems.Count > 0
            ? throw new BadInputException(string.Join("; ", problems))
            : new ConsistencyPlan(StopOrder.Sort(stop), pre, post);
    }

    private static List<Hook> HooksOf(List<ContainerInfo> users, string label, List<string> problems)
    {
        var hooks = new List<Hook>();
        foreach (var c in users.Where(c => Label(c, label) is { Length: > 0 }))
        {
            var timeout = DefaultHookTimeout;
            if (Label(c, HookTimeoutLabel) is { } seconds)
            {
                if (int.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0)
                {
                    timeout = TimeSpan.FromSeconds(s);
                }
                else
                {
                    problems.Add($"container '{c.Name}': label {HookTimeoutLabel}='{seconds}' is not a number of seconds");
                }
            }

            var onError = Label(c, PreBackupOnErrorLabel) ?? "fail";
            if (onError is not ("fail" or "continue"))
            {
                problems.Add($"container '{c.Name}': label {PreBackupOnErrorLabel}='{onError}' is not fail or continue");
            }

            hooks.Add(new Hook(c.Name, Label(c, label)!, Label(c, HookUserLabel), timeout, label == PreBackupLabel && onError == "fail"));
        }

        return hooks;
    }

    private static string? Label(ContainerInfo c, string key) => c.Labels.TryGetValue(key, out var v) ? v : null;
}
