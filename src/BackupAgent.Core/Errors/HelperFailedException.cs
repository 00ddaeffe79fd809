namespace BackupAgent.Core.Errors;

/// <summary>A helper container exited with a non-zero code; carries the code and the end of its stderr.</summary>
public sealed class HelperFailedException(string what, long exitCode, string stderr)
    : BackupAgentException(Describe(what, exitCode, stderr))
{
    public long ExitCode { get; } = exitCode;

    public string Stderr { get; } = stderr;

    private static string Describe(string what, long exitCode, string stderr)
    {
        var tail = stderr.Trim();
        var code = exitCode switch
        {
            137 => $"{exitCode} (it was killed: by the engine stopping or restarting, its memory limit, or docker kill)",
            143 => $"{exitCode} (it was terminated: by the engine stopping or docker stop)",
            _ => $"{exitCode}",
        };
        return tail.Length == 0
            ? $"{what}: the helper container exited with code {code}"
            : $"{what}: the helper container exited with code {code}: {tail}";
    }
}
