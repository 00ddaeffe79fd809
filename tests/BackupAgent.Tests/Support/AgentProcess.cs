using System.Diagnostics;

namespace BackupAgent.Tests.Support;

/// <summary>The agent as a real process (the backup-agent built beside the tests), for signals and crashes.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;
    private readonly Task<string> _stdout;

    private AgentProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _stdout = process.StandardOutput.ReadToEndAsync();
    }

    public int Pid => _process.Id;

    public static AgentProcess Start(params string[] args) => StartIn([], args);

    /// <summary>Starts the agent under a wrapper command (e.g. nsenter into another network namespace).</summary>
    public static AgentProcess StartIn(string[] wrapper, params string[] args) =>
        StartFrom(Path.Combine(AppContext.BaseDirectory, "backup-agent.dll"), wrapper, args);

    /// <summary>Starts the agent at <paramref name="dll"/> (e.g. a copy another user can read) under a wrapper command.</summary>
    public static AgentProcess StartFrom(string dll, string[] wrapper, params string[] args)
    {
        var start = new ProcessStartInfo(wrapper.Length > 0 ? wrapper[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in wrapper.Skip(1).Append(wrapper.Length > 0 ? "dotnet" : null).OfType<string>())
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new AgentProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start backup-agent"));
    }

    public void Kill() => _process.Kill();

    public async Task<(int ExitCode, string Stderr)> WaitAsync()
    {
        await _process.WaitForExitAsync();
        return (_process.ExitCode, await _stderr);
    }

    public async Task<string> StdoutAsync()
    {
        await _process.WaitForExitAsync();
        return await _stdout;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
