using BackupAgent.Cli.Hosting;

namespace BackupAgent.Tests.Support;

/// <summary>What a user sees of one run of backup-agent: the exit code, stdout and stderr.</summary>
public sealed record AgentResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the CLI in-process, with its own stdout, stderr and environment.</summary>
public static class Agent
{
    public static Task<AgentResult> RunAsync(params string[] args) => RunWithAsync(null, CancellationToken.None, args);

    /// <summary>Runs until the command ends or <paramref name="stop"/> is cancelled (as SIGTERM would: `run` then stops gracefully).</summary>
    public static Task<AgentResult> RunAsync(CancellationToken stop, params string[] args) => RunWithAsync(null, stop, args);

    /// <summary>Runs with <paramref name="environment"/> laid over the process's environment (a null value unsets).</summary>
    public static Task<AgentResult> RunWithAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        RunWithAsync(environment, CancellationToken.None, args);

    public static Task<AgentResult> RunWithAsync(IReadOnlyDictionary<string, string?>? environment, CancellationToken stop, params string[] args) =>
        Start(environment, stop, args).Result;

    /// <summary>
    /// Starts a run that the test watches while it goes on (<see cref="RunningAgent.StderrSoFar"/>: its log so far), e.g.
    /// to stop the scheduled agent only once it has started, whatever time that takes on this machine.
    /// </summary>
    public static RunningAgent Start(IReadOnlyDictionary<string, string?>? environment, CancellationToken stop, params string[] args)
    {
        var stdout = new LiveWriter();
        var stderr = new LiveWriter();
        Func<string, string?> lookup = environment is null
            ? Environment.GetEnvironmentVariable
            : name => environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);
        var console = new AgentConsole(stdout, stderr, lookup, IsTerminal: false);
        return new RunningAgent(stderr, RunAsync());

        async Task<AgentResult> RunAsync()
        {
            var code = await AgentCli.RunAsync(args, console, stop);
            var result = new AgentResult(code, stdout.ToString(), stderr.ToString());
            Secrets.AssertNotIn(result.Stdout + result.Stderr, $"backup-agent {string.Join(' ', args)}");
            return result;
        }
    }

    /// <summary>Runs and asserts exit code 0, showing the whole output when it is not.</summary>
    public static Task<AgentResult> SucceedAsync(params string[] args) => SucceedWithAsync(null, args);

    public static async Task<AgentResult> SucceedWithAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var result = await RunWithAsync(environment, args);
        Assert.True(result.ExitCode == 0, $"backup-agent {string.Join(' ', args)} failed:\n{result}");
        return result;
    }
}

/// <summary>An in-process run of the CLI under way: its log so far, and its result once it ends.</summary>
public sealed class RunningAgent(LiveWriter stderr, Task<AgentResult> result)
{
    public Task<AgentResult> Result { get; } = result;

    public string StderrSoFar => stderr.ToString();
}
