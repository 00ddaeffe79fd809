using System.Diagnostics;
using System.Text;

namespace BackupAgent.Tests.Support;

/// <summary>The agent as a real process (the backup-agent built beside the tests), for signals and crashes.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderrSoFar = new();
    private readonly Task<string> _stderr;
    private readonly Task<string> _stdout;

    private AgentProcess(Process process)
    {
        _process = process;
        _stderr = ReadStderrAsync();
        _stdout = process.StandardOutput.ReadToEndAsync();
    }

    public int Pid => _process.Id;

    /// <summary>The bytes the agent has written so far (any file, FIFOs included), from /proc/PID/io.</summary>
    public long BytesWritten =>
        long.Parse(File.ReadLines($"/proc/{Pid}/io").First(l => l.StartsWith("wchar:", StringComparison.Ordinal))["wchar:".Length..].Trim());

    /// <summary>Waits until the agent has written <paramref name="bytes"/> more than it had now (e.g. fed them to a helper).</summary>
    public async Task WhenWrittenAsync(long bytes, string failure)
    {
        var start = BytesWritten;
        await Poll.UntilAsync(() => Task.FromResult(BytesWritten > start + bytes), failure);
    }

    /// <summary>What the agent has written to stderr (its log) so far.</summary>
    public string StderrSoFar
    {
        get
        {
            lock (_stderrSoFar)
            {
                return _stderrSoFar.ToString();
            }
        }
    }

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

    /// <summary>Waits until the agent's log holds <paramref name="text"/>; fails naming it (and the log) after <paramref name="seconds"/>.</summary>
    public async Task WaitForLogAsync(string text, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!StderrSoFar.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited && _stderr.IsCompleted, $"the agent exited before logging '{text}':\n{StderrSoFar}");
            Assert.True(DateTime.UtcNow < deadline, $"the agent did not log '{text}' within {seconds} s:\n{StderrSoFar}");
            await Task.Delay(10);
        }
    }

    /// <summary>Waits for the exit; checks, as for every run in the suite, that no secret appears in the output.</summary>
    public async Task<(int ExitCode, string Stderr)> WaitAsync()
    {
        await _process.WaitForExitAsync();
        var stderr = await _stderr;
        Secrets.AssertNotIn(stderr + await _stdout, "the backup-agent process");
        return (_process.ExitCode, stderr);
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

    private async Task<string> ReadStderrAsync()
    {
        var buffer = new char[4096];
        int n;
        while ((n = await _process.StandardError.ReadAsync(buffer)) > 0)
        {
            lock (_stderrSoFar)
            {
                _stderrSoFar.Append(buffer, 0, n);
            }
        }

        return StderrSoFar;
    }
}
