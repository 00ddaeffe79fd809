using System.Text.RegularExpressions;

namespace BackupAgent.Docker;

/// <summary>
/// Where the engine finds the agent's FIFO directories. An agent on the engine's own host makes them where the engine
/// sees them. An agent in a container of that engine sees its own file system: a directory there reaches a helper only
/// through one of its container's mounts (a bind mount or a volume at or above the run directory), at that mount's
/// source on the host. <see cref="Find"/> picks that mount; without one, helpers cannot reach the FIFO and the attach
/// stream serves instead (<see cref="HelperOutputChoice"/>).
/// </summary>
public sealed partial class FifoPlacement
{
    private readonly string _inAgent;
    private readonly string _onHost;

    private FifoPlacement(string inAgent, string onHost)
    {
        _inAgent = inAgent;
        _onHost = onHost;
    }

    /// <summary>The agent runs on the engine's host: every path is the same for both.</summary>
    public static FifoPlacement OnHost { get; } = new("/", "/");

    /// <summary>The mount of the agent's container that holds its run directory, when it is not on the host itself.</summary>
    public string? Mount => ReferenceEquals(this, OnHost) ? null : $"{_onHost} at {_inAgent}";

    /// <summary>The path on the engine's host of <paramref name="path"/>, a directory in the agent's file system under the run directory.</summary>
    public string OnEngineHost(string path) =>
        ReferenceEquals(this, OnHost) ? path
        : Path.GetRelativePath(_inAgent, path) is var below && below != "." ? Path.Join(_onHost, below)
        : _onHost;

    /// <summary>
    /// The placement for <paramref name="runDirectory"/> in a container with these mounts (type, source on the host,
    /// destination in the container): the deepest bind mount or volume at or above it, or null when none holds it
    /// (it is in the container's own layer or a tmpfs, which no helper can mount).
    /// </summary>
    public static FifoPlacement? Find(IEnumerable<(string Type, string Source, string Destination)> mounts, string runDirectory)
    {
        var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory));
        var holder = mounts
            .Where(m => m.Type is "bind" or "volume" && m.Source.StartsWith('/') && m.Destination.StartsWith('/'))
            .Select(m => (m.Source, Destination: Path.TrimEndingDirectorySeparator(m.Destination)))
            .Where(m => directory == m.Destination || m.Destination == "/" || directory.StartsWith(m.Destination + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Destination.Length)
            .FirstOrDefault();
        return holder.Source is null ? null : new FifoPlacement(holder.Destination, holder.Source);
    }

    /// <summary>
    /// The IDs this process's container may have, from what a container sees of itself: the engine's per-container
    /// files mounted from /var/lib/docker/containers/ID/ (its mount table), a cgroup path naming the ID (cgroup v1),
    /// and the host name, which Docker sets to the first 12 digits of the ID. Only the engine can tell which is real.
    /// </summary>
    public static IReadOnlyList<string> CandidateContainerIds(string? mountInfo, string? cgroup, string? hostName)
    {
        var ids = new List<string>();
        ids.AddRange(ContainersDirectory().Matches(mountInfo ?? "").Select(m => m.Groups[1].Value));
        ids.AddRange(FullId().Matches(cgroup ?? "").Select(m => m.Value));
        if (hostName?.Trim() is { } name && ShortId().IsMatch(name))
        {
            ids.Add(name);
        }

        return ids.Distinct().ToList();
    }

    [GeneratedRegex("/containers/([0-9a-f]{64})/")]
    private static partial Regex ContainersDirectory();

    [GeneratedRegex("(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")]
    private static partial Regex FullId();

    [GeneratedRegex("^([0-9a-f]{12}|[0-9a-f]{64})$")]
    private static partial Regex ShortId();
}
