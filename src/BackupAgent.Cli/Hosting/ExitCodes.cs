using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Hosting;

/// <summary>The exit codes, chosen in this one place.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Key = 3;

    public static int For(Exception e) => e switch
    {
        BackupAgentException { Kind: FailureKind.BadInput } => BadInput,
        BackupAgentException { Kind: FailureKind.Key } => Key,
        _ => Failed,
    };
}
