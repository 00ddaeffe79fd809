using System.Globalization;

namespace BackupAgent.Core.Errors;

/// <summary>
/// A setting that a message names: what to change to get past an error, or where a bad value came from. Core names
/// settings only by these; whoever shows the message words them in its own terms (the CLI as its options, a
/// scheduled job as its configuration keys), each in one place.
/// </summary>
public enum Setting
{
    /// <summary>Replace what is in a target (a restore's or a migration's).</summary>
    Force,

    /// <summary>The encryption secret: a passphrase or a key.</summary>
    Key,

    /// <summary>How long a helper may run.</summary>
    HelperTimeout,

    /// <summary>Copy the images a migration's containers need that its target lacks.</summary>
    CopyImages,

    /// <summary>Which backup set: an ID or latest.</summary>
    Backup,

    /// <summary>The volumes an operation works on, with their targets (NAME or NAME=TARGET).</summary>
    Volume,

    /// <summary>The container whose volumes an operation works on.</summary>
    Container,

    /// <summary>How archives are compressed.</summary>
    Compression,

    /// <summary>The endpoint of the agent's engine.</summary>
    Engine,

    /// <summary>The endpoint of a migration's target engine.</summary>
    TargetEngine,

    /// <summary>Where the agent keeps its journal and volume locks.</summary>
    StateDirectory,

    /// <summary>The rules of which backup sets to keep (last N, daily, weekly, ...).</summary>
    Retention,

    /// <summary>Restore the archives of bind mounts into their original host paths.</summary>
    ToOriginalPaths,

    /// <summary>Create volumes with the driver and driver options their manifest names.</summary>
    TrustVolumeOptions,
}

/// <summary>
/// A message naming settings: an interpolated string whose <see cref="Setting"/> holes are worded by whoever shows it.
/// <see cref="ToString"/> words them plainly, for logs and for code that knows no terms of its own.
/// </summary>
public sealed class Phrase
{
    private readonly IReadOnlyList<FormattableString> _parts;
    private readonly string _separator;

    public Phrase(FormattableString text)
        : this([text], "")
    {
    }

    private Phrase(IReadOnlyList<FormattableString> parts, string separator) => (_parts, _separator) = (parts, separator);

    /// <summary>Several problems in one message, as <see cref="string.Join(string, IEnumerable{string})"/> would put them.</summary>
    public static Phrase Join(string separator, IEnumerable<FormattableString> parts) => new([.. parts], separator);

    public string Word(Func<Setting, string> name) => string.Join(_separator, _parts.Select(part =>
        string.Format(CultureInfo.InvariantCulture, part.Format, [.. part.GetArguments().Select(a => a is Setting s ? name(s) : a)])));

    public override string ToString() => Word(Plainly);

    private static string Plainly(Setting setting) => setting switch
    {
        Setting.Force => "force",
        Setting.Key => "an encryption secret (a passphrase, a key or an identity)",
        Setting.HelperTimeout => "a longer helper timeout",
        Setting.CopyImages => "let the migration copy images",
        Setting.Backup => "the backup set",
        Setting.Volume => "the volume",
        Setting.Container => "the container",
        Setting.Compression => "the compression",
        Setting.Engine => "the engine",
        Setting.TargetEngine => "the target engine",
        Setting.StateDirectory => "the state directory",
        Setting.Retention => "keep rule",
        Setting.ToOriginalPaths => "restoring into the original host paths",
        Setting.TrustVolumeOptions => "trusting the manifest's volume options",
        _ => setting.ToString(),
    };
}

public static class Wording
{
    /// <summary>
    /// The message of <paramref name="e"/> with the settings it names worded by <paramref name="name"/>, also where it
    /// carries the message of an inner error that names them (a failure wrapped with its context).
    /// </summary>
    public static string Describe(this Exception e, Func<Setting, string> name)
    {
        var text = e is BackupAgentException { Phrase: { } phrase } ? phrase.Word(name) : e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is BackupAgentException { Phrase: { } innerPhrase, Message.Length: > 0 })
            {
                text = text.Replace(inner.Message, innerPhrase.Word(name), StringComparison.Ordinal);
            }
        }

        return text;
    }
}
