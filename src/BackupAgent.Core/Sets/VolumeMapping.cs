using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Sets;

/// <summary>A restore's <c>--volume NAME[=TARGET]</c>: which archive, and the volume (or absolute host path) it goes into.</summary>
public sealed record VolumeMapping(string Source, string Target)
{
    /// <summary>Whether <c>=TARGET</c> was given (else the target is the source's own name).</summary>
    public bool HasTarget { get; init; } = true;

    public static VolumeMapping Parse(string value)
    {
        var eq = value.IndexOf('=');
        var (source, target) = eq < 0 ? (value, value) : (value[..eq], value[(eq + 1)..]);
        if (source.Length == 0 || target.Length == 0)
        {
            throw new BadInputException(new Phrase($"{Setting.Volume} '{value}' is not NAME or NAME=TARGET"));
        }

        return new VolumeMapping(source, target) { HasTarget = eq >= 0 };
    }
}
