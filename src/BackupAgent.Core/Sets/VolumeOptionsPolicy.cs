using BackupAgent.Core.Errors;
using Serilog;

namespace BackupAgent.Core.Sets;

/// <summary>
/// Which driver options of a manifest a restore may use when it creates a volume. Options decide what a volume is:
/// for the <c>local</c> driver <c>type=none,o=bind,device=/etc</c> makes it a bind mount of a host directory, and
/// other drivers have their own such options. A store is untrusted, so none is taken from it unless the user says
/// so (<c>--trust-volume-options</c>); the volume is then created with the local driver and its labels only.
/// </summary>
public static class VolumeOptionsPolicy
{
    /// <summary>The options to create <paramref name="archive"/>'s volume with, and the names of those left out.</summary>
    public static (IReadOnlyDictionary<string, string> Options, IReadOnlyList<string> Dropped) Apply(ArchiveInfo archive, bool trust) =>
        trust || archive.DriverOptions.Count == 0
            ? (archive.DriverOptions, [])
            : (new Dictionary<string, string>(), archive.DriverOptions.Keys.Order(StringComparer.Ordinal).ToList());

    /// <summary>The driver to create <paramref name="archive"/>'s volume with: a plugin driver decides how a volume is mounted, so without trust only <c>local</c>.</summary>
    public static string Driver(ArchiveInfo archive, bool trust) => trust ? archive.Driver ?? "local" : "local";

    /// <summary>
    /// The labels to create <paramref name="archive"/>'s volume with: all but the agent's own (<c>backup-agent.*</c>),
    /// which mark its helpers and scratch volumes, and which a store must not be able to put on a volume.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Labels(ArchiveInfo archive) =>
        archive.Labels.Where(l => !l.Key.StartsWith("backup-agent.", StringComparison.Ordinal)).ToDictionary();

    /// <summary><see cref="Apply"/>, logging a warning that names the options left out (their names only: values may hold secrets).</summary>
    public static IReadOnlyDictionary<string, string> Choose(ArchiveInfo archive, string target, bool trust, ILogger log)
    {
        var (options, dropped) = Apply(archive, trust);
        if (!trust && archive.Driver is { } driver && driver != "local")
        {
            log.Warning("Creating volume {Target} with the local driver, not {Driver} of its manifest: a store may not decide how a volume is mounted (give {Remedy:l} to use it)",
                target, driver, Setting.TrustVolumeOptions);
        }

        if (dropped.Count > 0)
        {
            log.Warning(
                "Creating volume {Target} with driver {Driver} but without the driver options {Dropped} of its manifest: a store may not decide how a volume is mounted (give {Remedy:l} to use them)",
                target, Driver(archive, trust), string.Join(", ", dropped), Setting.TrustVolumeOptions);
        }

        return options;
    }
}
