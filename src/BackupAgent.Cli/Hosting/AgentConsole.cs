namespace BackupAgent.Cli.Hosting;

/// <summary>What a run of the CLI sees of its process: output streams and environment. Tests pass their own.</summary>
public sealed record AgentConsole(TextWriter Out, TextWriter Error, Func<string, string?> Environment, bool IsTerminal);
