namespace BackupAgent.Core.Errors;

/// <summary>What kind of failure an error is; the CLI maps each kind to its exit code in one place.</summary>
public enum FailureKind
{
    /// <summary>The operation was attempted and failed (engine, helper, store, integrity).</summary>
    OperationFailed,

    /// <summary>The input was wrong: usage, configuration, or a name that does not exist.</summary>
    BadInput,

    /// <summary>The encryption secret is missing, wrong, or of another kind than the set's.</summary>
    Key,
}

/// <summary>
/// An error meant for the user: its message says what went wrong and names the culprit. One that names a setting
/// carries it as a <see cref="Errors.Phrase"/>, for the CLI and the jobs to word (<see cref="Wording.Describe"/>).
/// </summary>
public class BackupAgentException(string message, FailureKind kind = FailureKind.OperationFailed, Exception? inner = null)
    : Exception(message, inner)
{
    public BackupAgentException(Phrase message, FailureKind kind = FailureKind.OperationFailed, Exception? inner = null)
        : this(message.ToString(), kind, inner) => Phrase = message;

    public FailureKind Kind { get; } = kind;

    /// <summary>The message with the settings it names, when it names any.</summary>
    public Phrase? Phrase { get; }
}

/// <summary>Bad usage or configuration, or a name that does not exist (exit 2).</summary>
public sealed class BadInputException : BackupAgentException
{
    public BadInputException(string message, Exception? inner = null)
        : base(message, FailureKind.BadInput, inner)
    {
    }

    public BadInputException(Phrase message, Exception? inner = null)
        : base(message, FailureKind.BadInput, inner)
    {
    }
}

/// <summary>A missing or wrong encryption secret: a passphrase, key file or identity that does not open the set (exit 3).</summary>
public sealed class KeyException : BackupAgentException
{
    public KeyException(string message, Exception? inner = null)
        : base(message, FailureKind.Key, inner)
    {
    }

    public KeyException(Phrase message, Exception? inner = null)
        : base(message, FailureKind.Key, inner)
    {
    }
}
