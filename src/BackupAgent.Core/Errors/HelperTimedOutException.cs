namespace BackupAgent.Core.Errors;

/// <summary>A helper container ran longer than the helper timeout and was killed.</summary>
public sealed class HelperTimedOutException(string purpose, TimeSpan timeout)
    : BackupAgentException(new Phrase(
        $"the helper for {purpose} ran longer than the helper timeout ({Describe(timeout)}) and was stopped; allow more with {Setting.HelperTimeout}"))
{
    private static string Describe(TimeSpan timeout) =>
        timeout.TotalSeconds < 120 ? $"{timeout.TotalSeconds:0} s" : timeout.TotalHours < 2 ? $"{timeout.TotalMinutes:0} min" : $"{timeout.TotalHours:0.#} h";
}
