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
    public static Task<AgentResult> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <summary>Runs until the command ends or <paramref name="stop"/> is cancelled (as SIGTERM would: `run` then stops gracefully).</summary>
    public static async Task<AgentResult> RunAsync(CancellationToken stop, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new AgentConsole(stdout, stderr, Environment.GetEnvironmentVariable, IsTerminal: false);
        var code = await AgentCli.RunAsync(args, console, stop);
        var result = new AgentResult(code, stdout.ToString(), stderr.ToString());
        Secrets.AssertNotIn(result.Stdout + result.Stderr, $"backup-agent {string.Join(' ', args)}");
        return result;
    }

    /// <summary>Runs and asserts exit code 0, showing the whole output when it is not.</summary>
    public static async Task<AgentResult> SucceedAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"backup-agent {string.Join(' ', args)} failed:\n{result}");
        return result;
    }
}
