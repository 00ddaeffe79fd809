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

    public static async Task<AgentResult> RunWithAsync(IReadOnlyDictionary<string, string?>? environment, CancellationToken stop, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Func<string, string?> lookup = environment is null
            ? Environment.GetEnvironmentVariable
            : name => environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);
        var console = new AgentConsole(stdout, stderr, lookup, IsTerminal: false);
        var code = await AgentCli.RunAsync(args, console, stop);
        var result = new AgentResult(code, stdout.ToString(), stderr.ToString());
        Secrets.AssertNotIn(result.Stdout + result.Stderr, $"backup-agent {string.Join(' ', args)}");
        return result;
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
