using BackupAgent.Core.Engine;

namespace BackupAgent.Core.Helpers;

/// <summary>The helper that says whether a volume (or host path) holds anything; it mounts it read-only.</summary>
public static class EmptyCheckHelper
{
    /// <summary>Exit code when the target holds no entry.</summary>
    public const int Empty = 0;

    /// <summary>Exit code when the target holds entries.</summary>
    public const int HoldsEntries = 1;

    private static readonly string Script = $"{IsEmpty("$1")} && exit {Empty}; exit {HoldsEntries}";

    /// <summary>The shell test, true when the directory <paramref name="path"/> (a quoted word of a script) holds no entry.</summary>
    internal static string IsEmpty(string path) => $"""[ -z "$(ls -A "{path}")" ]""";

    public static HelperSpec Spec(string target) => HelperJob.Reading($"check of {target}", target, Script);

    /// <summary>Whether the target holds entries; any other exit throws.</summary>
    public static bool Interpret(HelperExit exit, string target) => exit.ExitCode switch
    {
        Empty => false,
        HoldsEntries => true,
        _ => throw exit.Failure($"checking whether '{target}' is empty"),
    };

    public static async Task<bool> HoldsEntriesAsync(IContainerEngine engine, string target, CancellationToken cancellationToken) =>
        Interpret(await HelperJob.RunAsync(engine, Spec(target), cancellationToken), target);
}
