namespace BackupAgent.Cli.Hosting;

/// <summary>
/// What a run of the CLI sees of its process: output streams and environment, and whether stderr is a terminal.
/// Tests pass their own.
/// </summary>
public sealed record AgentConsole(TextWriter Out, TextWriter Error, Func<string, string?> Environment, bool IsTerminal)
{
    /// <summary>The process's own console: a terminal when stderr is not redirected.</summary>
    public static AgentConsole ForProcess() =>
        new(System.Console.Out, System.Console.Error, System.Environment.GetEnvironmentVariable, IsTerminal: !System.Console.IsErrorRedirected);

    /// <summary>Colour on stderr: only on a terminal, never with NO_COLOR set (no-color.org) or TERM=dumb.</summary>
    public bool Colour => IsTerminal && Environment("NO_COLOR") is not { Length: > 0 } && Environment("TERM") is not "dumb";

    /// <summary>Writes "backup-agent: MESSAGE" to stderr, in red on a terminal that takes colour.</summary>
    public void Fail(string message) =>
        Error.WriteLine(Colour ? $"{Ansi.Red}backup-agent: {message}{Ansi.Reset}" : $"backup-agent: {message}");
}

/// <summary>The few ANSI escapes the CLI uses, only when <see cref="AgentConsole.Colour"/>.</summary>
internal static class Ansi
{
    public const string Red = "\u001b[31m";
    public const string Yellow = "\u001b[33m";
    public const string Grey = "\u001b[90m";
    public const string Bold = "\u001b[1m";
    public const string Reset = "\u001b[0m";
}
