using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Sets;

namespace BackupAgent.Core.Operations;

/// <summary>One thing to archive: a volume or bind mount, and the helper that reads it.</summary>
public sealed record BackupSource(SourceKind Kind, string Volume, string FileStem, string? MountPath, VolumeInfo? Info, IReadOnlyList<string> Containers, TarReadHelper Reader)
{
    /// <summary>What the read leaves out (see <see cref="ExcludePatterns"/>), as the manifest records it.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    internal ArchiveInfo Describe(string file, Compression compression, string? encryption, ArchiveWriter written, TarStats stats) => new()
    {
        File = file,
        Volume = Volume,
        Kind = Kind,
        Driver = Info?.Driver,
        DriverOptions = Info?.Options ?? new Dictionary<string, string>(),
        Labels = Info?.Labels ?? new Dictionary<string, string>(),
        MountPath = MountPath,
        Containers = Containers,
        Compression = compression,
        Encryption = encryption,
        Bytes = written.Bytes,
        TarBytes = stats.TarBytes,
        ContentBytes = stats.ContentBytes,
        Files = stats.Entries,
        Sha256 = written.Sha256,
        Excludes = Excludes,
    };
}

/// <summary>Turns a backup request into sources, checking every name before anything runs.</summary>
internal static class BackupSources
{
    public static async Task<IReadOnlyList<BackupSource>> PlanAsync(IContainerEngine engine, BackupRequest request, CancellationToken cancellationToken)
    {
        if (request.Container is not null && request.Volumes.Count > 0)
        {
            throw new BadInputException(new Phrase($"give either {Setting.Volume} or {Setting.Container}, not both"));
        }

        var excludes = ExcludePatterns.Normalize(request.Excludes, "backup");
        var sources = request.Container is { } container
            ? await FromContainerAsync(engine, container, excludes, cancellationToken)
            : request.Volumes.Count > 0
                ? await FromVolumesAsync(engine, request.Volumes, excludes, cancellationToken)
                : throw new BadInputException(new Phrase($"backup needs {Setting.Volume} NAME or {Setting.Container} NAME"));
        return UniqueStems(sources);
    }

    private static async Task<List<BackupSource>> FromVolumesAsync(IContainerEngine engine, IReadOnlyList<string> names, IReadOnlyList<string> excludes, CancellationToken cancellationToken)
    {
        var sources = new List<BackupSource>();
        var missing = new List<string>();
        foreach (var name in names.Distinct())
        {
            if (name.Length == 0 || await engine.FindVolumeAsync(name, cancellationToken) is not { } volume)
            {
                missing.Add($"'{name}'");
                continue;
            }

            var reader = TarReadHelper.OfVolume(name, $"backup of volume {name}", excludes);
            sources.Add(new BackupSource(SourceKind.Volume, name, Stem(name), null, volume, [], reader) { Excludes = excludes });
        }

        return missing.Count > 0
            ? throw new BadInputException($"no volume named {string.Join(", ", missing)} on {engine.Endpoint}")
            : sources;
    }

    private static async Task<List<BackupSource>> FromContainerAsync(IContainerEngine engine, string name, IReadOnlyList<string> requested, CancellationToken cancellationToken)
    {
        var container = await engine.GetContainerAsync(name, cancellationToken);
        var excludes = ExcludePatterns.Normalize([.. requested, .. ExcludePatterns.FromLabels(container.Labels, container.Name)], "backup");
        var mounts = container.Mounts.Where(m => m.Kind is MountKind.Volume or MountKind.Bind).ToList();
        if (mounts.Count == 0)
        {
            throw new BadInputException($"container '{name}' has no volumes or bind mounts to back up");
        }

        var sources = new List<BackupSource>();
        foreach (var mount in mounts.OrderBy(m => m.Destination, StringComparer.Ordinal))
        {
            var nested = mounts
                .Where(m => m != mount && m.Destination.StartsWith(mount.Destination.TrimEnd('/') + "/", StringComparison.Ordinal))
                .Select(m => m.Destination[(mount.Destination.TrimEnd('/').Length + 1)..]);
            var reader = TarReadHelper.OfContainerMount(container.Id, mount.Destination, nested, $"backup of {mount.Destination} of container {container.Name}", excludes);
            var kind = mount.Kind == MountKind.Bind ? SourceKind.Bind : SourceKind.Volume;
            var info = kind == SourceKind.Volume ? await engine.FindVolumeAsync(mount.Name, cancellationToken) : null;
            var stem = kind == SourceKind.Bind ? "bind" + Stem(mount.Name) : Stem(mount.Name);
            sources.Add(new BackupSource(kind, mount.Name, stem, mount.Destination, info, [container.Name], reader) { Excludes = excludes });
        }

        return sources;
    }

    /// <summary>A file-name-safe stem for a volume name or a host path.</summary>
    internal static string Stem(string name)
    {
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '_').ToArray());
        return safe.Length > 100 ? safe[..100] : safe;
    }

    private static List<BackupSource> UniqueStems(List<BackupSource> sources)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return sources.Select(s =>
        {
            var stem = s.FileStem;
            for (var i = 2; !seen.Add(stem); i++)
            {
                stem = $"{s.FileStem}-{i}";
            }

            return s with { FileStem = stem };
        }).ToList();
    }
}
