using System.Diagnostics;

namespace BackupAgent.Tests.Support;

/// <summary>
/// The agent's offline image (install/agent-image), built once per test run and only when what its publish is made
/// from changed since the image on the engine was built (the script compares a hash of it with the image's label).
/// Like the helper image, it is kept between runs: a cache, not a test's resource.
/// </summary>
public static class AgentImage
{
    public const string Tag = "backup-agent:test";

    /// <summary>The uid and gid the agent runs as in its image.</summary>
    public const int Uid = 10001;

    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>The image's tag, once it is there (builds it when it is missing or stale).</summary>
    public static async Task<string> EnsureAsync()
    {
        await Built.Value;
        return Tag;
    }

    private static async Task<string> BuildAsync()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "install", "agent-image"));
        start.ArgumentList.Add(Tag);
        // dotnet test runs the tests with MSBuild's and the test host's variables set; a publish started from here
        // must not inherit them (they point it at the running build).
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) ||
                     k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k is "DOTNET_HOST_PATH" or "MSBUILDNOINPROCNODE").ToList())
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"install/agent-image exited {process.ExitCode}:\n{await stderr}");
        return (await stdout).Trim();
    }
}
