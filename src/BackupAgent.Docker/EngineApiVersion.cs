using BackupAgent.Core.Errors;

namespace BackupAgent.Docker;

/// <summary>
/// The Engine API version the agent asks for, negotiated per engine the way the docker CLI does it: the newest
/// version both sides know. An engine answers an unversioned <c>GET /version</c> with the newest version it speaks
/// (<c>ApiVersion</c>) and the oldest it still accepts (<c>MinAPIVersion</c>); every request after that carries the
/// negotiated version in its path (<c>/v1.41/containers/…</c>). Docker 29 refuses versions below 1.44; Docker 20.10
/// knows none above 1.41: no pinned version serves both.
/// </summary>
public static class EngineApiVersion
{
    /// <summary>The oldest version the agent is tested with (Docker 20.10, Debian 12's docker.io).</summary>
    public static readonly Version Oldest = new(1, 41);

    /// <summary>The newest version the client library's models describe (Docker.DotNet.Enhanced 4.3: Docker 29.4).</summary>
    public static readonly Version Newest = new(1, 54);

    /// <summary>
    /// The version to speak with an engine that reported <paramref name="engineNewest"/> and <paramref name="engineOldest"/>,
    /// or a one-line error naming the engine at <paramref name="endpoint"/> when the two ranges do not meet.
    /// </summary>
    public static Version Negotiate(string endpoint, string? engineNewest, string? engineOldest)
    {
        var newest = Parse(engineNewest) ?? throw new BackupAgentException(
            $"the Docker engine at {endpoint} did not say which Engine API versions it speaks (its /version has no ApiVersion)");
        var chosen = newest < Newest ? newest : Newest;
        if (chosen < Oldest)
        {
            throw new BackupAgentException(
                $"the Docker engine at {endpoint} speaks Engine API {Format(newest)} at most; the agent needs {Format(Oldest)} or newer (Docker 20.10 or newer)");
        }

        if (Parse(engineOldest) is { } oldest && oldest > chosen)
        {
            throw new BackupAgentException(
                $"the Docker engine at {endpoint} accepts Engine API {Format(oldest)} or newer; this agent speaks up to {Format(Newest)} (upgrade the agent)");
        }

        return chosen;
    }

    public static string Format(Version version) => $"{version.Major}.{version.Minor}";

    private static Version? Parse(string? text) =>
        text is { Length: > 0 } && Version.TryParse(text.Trim(), out var v) && v.Major >= 0 && v.Minor >= 0
            ? new Version(v.Major, v.Minor)
            : null;
}
