using System.Globalization;
using BackupAgent.Core.Engine;

namespace BackupAgent.Core.Helpers;

/// <summary>
/// The helper that measures a source before it is read, for the total of a run's progress: <c>du -s</c> (apparent
/// sizes, one file system) of what a <see cref="TarReadHelper"/> reads, with its mounts, read-only. An estimate: it
/// counts what the read's exclusions leave out, and none of tar's headers.
/// </summary>
public static class SizeHelper
{
    private const string Script = """
        du -s -b -x "$1" 2>/dev/null
        exit 0
        """;

    public static HelperSpec Spec(TarReadHelper reader, string source) => HelperJob.ReadingAs(reader.Spec, $"size of {source}", Script);

    /// <summary>The bytes du counts; null when it counted nothing it could say.</summary>
    public static async Task<long?> MeasureAsync(IContainerEngine engine, TarReadHelper reader, string source, CancellationToken cancellationToken)
    {
        await using var helper = await engine.StartHelperAsync(Spec(reader, source), cancellationToken);
        using var output = new StreamReader(helper.StandardOutput);
        var text = await output.ReadToEndAsync(cancellationToken);
        await helper.WaitAsync(cancellationToken);
        return Parse(text);
    }

    /// <summary>The number du starts its line with.</summary>
    public static long? Parse(string output) =>
        output.Split(['\t', ' ', '\n'], 2)[0] is var first && long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
}
