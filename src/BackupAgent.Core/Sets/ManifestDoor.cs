using System.Text.Json;
using System.Text.RegularExpressions;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Sets;

/// <summary>
/// The one way from a manifest's bytes (read from a store, which is untrusted) to a <see cref="BackupSet"/>: the
/// set comes out only when every value is one this agent could have written. Volume names follow Docker's grammar,
/// a bind mount's host path is absolute and normalized, item names are plain names inside their set, kinds,
/// compressions and encryptions are known ones, counts are not negative, SHA-256s are 64 lower-case hex digits, and
/// nothing required is null. Anything else makes the set unreadable (<see cref="UnreadableManifestException"/>),
/// never half-used.
/// </summary>
public static partial class ManifestDoor
{
    /// <summary>The names a set's own files have; no archive or index may take them.</summary>
    public static readonly IReadOnlySet<string> ReservedItems = new HashSet<string>(StringComparer.Ordinal) { SetLayout.ManifestFile, ManifestMac.Item };

    /// <summary>Parses and checks the manifest of set <paramref name="id"/>, as read from <paramref name="location"/>.</summary>
    public static BackupSet Open(string id, ReadOnlyMemory<byte> bytes, string location)
    {
        int version;
        BackupSet? set;
        try
        {
            using var doc = JsonDocument.Parse(bytes[(bytes.Span.StartsWith("\uFEFF"u8) ? 3 : 0)..]);
            version = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("formatVersion", out var v) && v.TryGetInt32(out var n) ? n : 0;
            set = version == BackupSet.CurrentFormatVersion ? doc.Deserialize<BackupSet>(BackupCatalog.Json) : null;
        }
        catch (JsonException e)
        {
            throw new UnreadableManifestException($"the manifest of backup set '{id}' in {location} is corrupt or truncated: {e.Message}", e);
        }

        if (version != BackupSet.CurrentFormatVersion)
        {
            throw new UnreadableManifestException(
                $"the manifest of backup set '{id}' in {location} has format version {version}; this agent reads version {BackupSet.CurrentFormatVersion}", null);
        }

        if (set is null || set.Id != id)
        {
            throw new UnreadableManifestException($"the manifest of backup set '{id}' in {location} names another set ('{Printable(set?.Id)}')", null);
        }

        var problems = Problems(set).Take(3).ToList();
        return problems.Count == 0
            ? set
            : throw new UnreadableManifestException($"the manifest of backup set '{id}' in {location} is not one this agent writes: {string.Join("; ", problems)}", null);
    }

    /// <summary>The largest size or count a manifest may declare (1 PiB): far beyond any volume, far below an overflow.</summary>
    private const long MaxCount = 1L << 50;

    /// <summary>Everything in <paramref name="set"/> this agent would never have written.</summary>
    public static IEnumerable<string> Problems(BackupSet set)
    {
        if (set.ToolVersion is null || set.Archives is null || set.Downtimes is null || set.Warnings is null)
        {
            yield return "toolVersion, archives, downtimes and warnings must not be null";
            yield break;
        }

        if (set.Downtimes.Any(d => d?.Container is null) || set.Warnings.Any(w => w is null))
        {
            yield return "a downtime or warning is null";
        }

        var items = new HashSet<string>(StringComparer.Ordinal);
        var volumes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (archive, i) in set.Archives.Select((a, i) => (a, i)))
        {
            if (archive is null)
            {
                yield return $"archive {i} is null";
                continue;
            }

            foreach (var problem in Problems(archive))
            {
                yield return $"archive {i} ('{Printable(archive.Volume)}'): {problem}";
            }

            // IDs begin with their UTC time: a base is of an earlier time, or of the same second (and not this set).
            if (archive.Base is not null && (!BackupSetId.IsValid(archive.Base) || archive.Base == set.Id || string.CompareOrdinal(archive.Base[..16], set.Id[..16]) > 0))
            {
                yield return $"archive {i} ('{Printable(archive.Volume)}'): its base '{Printable(archive.Base)}' is not the ID of an earlier set";
            }

            foreach (var item in new[] { archive.File, archive.Index, archive.Snapshot, archive.Tree }.OfType<string>().Where(item => !items.Add(item)))
            {
                yield return $"item '{Printable(item)}' belongs to two archives";
            }

            if (archive.Volume is not null && !volumes.Add(archive.Volume))
            {
                yield return $"volume '{Printable(archive.Volume)}' has two archives";
            }
        }
    }

    private static IEnumerable<string> Problems(ArchiveInfo archive)
    {
        if (!Enum.IsDefined(archive.Kind) || !Enum.IsDefined(archive.Compression))
        {
            yield return $"kind '{archive.Kind}' or compression '{archive.Compression}' is not a known one";
        }
        else if (archive.Kind == SourceKind.Volume ? !VolumeNames.IsVolumeName(archive.Volume) : !VolumeNames.IsHostPath(archive.Volume))
        {
            yield return archive.Kind == SourceKind.Volume
                ? "the volume name is not a Docker volume name (a letter or digit, then letters, digits, '_', '.', '-')"
                : "the host path of the bind mount is not an absolute, normalized path";
        }

        if (ItemProblem(archive.File) is { } file)
        {
            yield return $"file '{Printable(archive.File)}' {file}";
        }

        if (archive.Index is not null && ItemProblem(archive.Index) is { } index)
        {
            yield return $"index '{Printable(archive.Index)}' {index}";
        }

        if (archive.Encryption is not (null or EncryptionFormat.Name or Crypto.Age.AgeFormat.Name))
        {
            yield return $"encryption '{Printable(archive.Encryption)}' is not {Crypto.Age.AgeFormat.Name} or {EncryptionFormat.Name}";
        }

        if (new[] { archive.Bytes, archive.TarBytes, archive.ContentBytes, archive.Files }.Any(n => n is < 0 or > MaxCount))
        {
            yield return "a size or count is negative or beyond 2^50 (sums of them must not overflow)";
        }

        if (archive.Sha256 is null || !Sha256Pattern().IsMatch(archive.Sha256))
        {
            yield return "sha256 is not 64 lower-case hex digits";
        }

        // Sets made before the index was pinned have neither; a pin needs an index, and both of its parts.
        if ((archive.IndexBytes, archive.IndexSha256) is not (null, null) &&
            (archive.Index is null || archive.IndexBytes is not (>= 0 and <= MaxCount) || archive.IndexSha256 is null || !Sha256Pattern().IsMatch(archive.IndexSha256)))
        {
            yield return "the index's size and sha256 need an index, a size up to 2^50 and 64 lower-case hex digits";
        }

        foreach (var problem in ChainProblems(archive))
        {
            yield return problem;
        }

        if (archive.Driver is not null && !DriverPattern().IsMatch(archive.Driver))
        {
            yield return $"driver '{Printable(archive.Driver)}' is not a driver name";
        }

        if (!IsStringMap(archive.DriverOptions) || !IsStringMap(archive.Labels))
        {
            yield return "driver options and labels must map names to strings";
        }

        if (archive.MountPath is not null && !VolumeNames.IsHostPath(archive.MountPath))
        {
            yield return "the mount path is not an absolute, normalized path";
        }

        if (archive.Containers is null || archive.Containers.Any(c => c is null))
        {
            yield return "a container name is null";
        }

        if (archive.Excludes is null || archive.Excludes.Count > Helpers.ExcludePatterns.MaxCount)
        {
            yield return $"the exclude patterns are missing or more than {Helpers.ExcludePatterns.MaxCount}";
        }
        else if (archive.Excludes.Select(p => (Pattern: p, Problem: Helpers.ExcludePatterns.Problem(p))).FirstOrDefault(x => x.Problem is not null) is { Problem: { } problem } bad)
        {
            yield return $"exclude pattern '{Printable(bad.Pattern)}' {problem}";
        }
    }

    /// <summary>The largest level a chain may reach (far beyond any fullEvery), so that walking a chain always ends soon.</summary>
    public const int MaxLevel = 1000;

    private static IEnumerable<string> ChainProblems(ArchiveInfo archive)
    {
        if (archive.Level is < 0 or > MaxLevel || (archive.Level == 0) != (archive.Base is null))
        {
            yield return $"level {archive.Level} is not 0 (with no base) or 1 to {MaxLevel} (with a base)";
        }

        foreach (var (kind, name, bytes, sha) in new[] { ("snapshot", archive.Snapshot, archive.SnapshotBytes, archive.SnapshotSha256), ("tree index", archive.Tree, archive.TreeBytes, archive.TreeSha256) })
        {
            if (name is not null && ItemProblem(name) is { } problem)
            {
                yield return $"{kind} '{Printable(name)}' {problem}";
            }

            // A snapshot file and a tree index are always pinned (both parts), and a pin needs its item.
            if ((name is null) != (bytes is null) || (name is null) != (sha is null) || bytes is < 0 or > MaxCount || (sha is not null && !Sha256Pattern().IsMatch(sha)))
            {
                yield return $"the {kind} needs a size up to 2^50 and a sha256 of 64 lower-case hex digits";
            }
        }

        // What reading them back takes (bounded again by the readers' hard caps): only with the item.
        if ((archive.SnapshotPlainBytes is not null && (archive.Snapshot is null || archive.SnapshotPlainBytes is < 0 or > MaxCount)) ||
            (archive.TreeEntries is not null && (archive.Tree is null || archive.TreeEntries is < 0 or > MaxCount)))
        {
            yield return "the snapshot's size and the tree's entries need their item and a number up to 2^50";
        }

        if (archive.Engine is not null && !Sha256Pattern().IsMatch(archive.Engine))
        {
            yield return "engine is not 64 lower-case hex digits";
        }

        if (archive.RootInode is { } inode && (inode.Length is 0 or > 20 || !inode.All(char.IsAsciiDigit)))
        {
            yield return "rootInode is not a number";
        }

        if (archive.FullReason is { } reason && (reason.Length > 1000 || reason.Any(char.IsControl)))
        {
            yield return "fullReason is longer than 1000 characters or holds control characters";
        }
    }

    /// <summary>Why <paramref name="item"/> is not a plain name inside its set, or null.</summary>
    private static string? ItemProblem(string? item) =>
        item is null ? "is missing"
        : item.Contains('/') ? "is not a plain name (it has a '/')"
        : StoreNames.Problem(item) is { } problem ? $"is not a plain name ({problem})"
        : ReservedItems.Contains(item) ? "is the name of the set's own file"
        : null;

    private static bool IsStringMap(IReadOnlyDictionary<string, string>? map) =>
        map is not null && map.All(p => p.Key.Length > 0 && p.Value is not null);

    /// <summary>A value for a message: control characters escaped, long values cut.</summary>
    private static string Printable(string? value)
    {
        var text = string.Concat((value ?? "").Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
        return text.Length > 80 ? text[..80] + "..." : text;
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.:/-]{0,254}$")]
    private static partial Regex DriverPattern();
}
