namespace BackupAgent.Core.Errors;

/// <summary>What kind of failure an error is; the CLI maps each kind to its exit code in one place.</summary>
public enum FailureKind
{
    /// <summary>The operation was attempted and failed (engine, helper, store, integrity).</summary>
    OperationFailed,

    /// <summary>The input was wrong: usage, configuration, or a name that does not exist.</summary>
    BadInput,
}

/// <summary>An error meant for the user: its message says what went wrong and names the culprit.</summary>
public class BackupAgentException(string message, FailureKind kind = FailureKind.OperationFailed, Exception? inner = null)
    : Exception(message, inner)
{
    public FailureKind Kind { get; } = kind;
}

/// <summary>Bad usage or configuration, or a name that does not exist (exit 2).</summary>
public sealed class BadInputException(string message, Exception? inner = null)
    : BackupAgentException(message, FailureKind.BadInput, inner);
