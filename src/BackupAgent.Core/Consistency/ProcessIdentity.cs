namespace BackupAgent.Core.Consistency;

/// <summary>
/// Names one process for the life of the host: host name, PID and start time in clock ticks since boot (field 22
/// of /proc/PID/stat), so that a reused PID is not mistaken for the process that left a journal entry or a helper.
/// (Process.StartTime is derived from the uptime at the call and jitters, so it cannot serve.)
/// </summary>
public static class ProcessIdentity
{
    private static readonly Lazy<string> CurrentValue = new(() => $"{Environment.MachineName}:{Environment.ProcessId}:{StartTimeOf(Environment.ProcessId)}");

    public static string Current => CurrentValue.Value;

    /// <summary>False only when <paramref name="owner"/> ran on this host and that process is gone.</summary>
    public static bool IsAlive(string owner)
    {
        var parts = owner.Split(':');
        return parts.Length != 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out var pid) ||
               StartTimeOf(pid) == parts[2];
    }

    /// <summary>The process's start time in clock ticks since boot, or "" when there is no such process.</summary>
    public static string StartTimeOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException)
        {
            return "";
        }
    }
}
