using System.Diagnostics;

namespace BackupAgent.Tests.Support;

/// <summary>A command on the test host (mount, kill, stat, chown): run to its end, asserted to exit 0.</summary>
public static class HostCommand
{
    /// <summary>Runs <paramref name="command"/> and returns its stdout; fails naming it when it exits non-zero.</summary>
    public static async Task<string> RunAsync(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)} exited {process.ExitCode}");
        return output;
    }
}
