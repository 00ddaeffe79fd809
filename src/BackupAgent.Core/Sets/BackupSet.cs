using BackupAgent.Core.Consistency;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Sets;

/// <summary>
/// The manifest of one backup run: one archive per volume or bind mount. It is written last; a set
/// without a manifest is not a backup. Serialized as <c>ID/manifest.json</c> in the store.
/// </summary>
public sealed record BackupSet
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    public required string Id { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required string ToolVersion { get; init; }

    /// <summary>The container the backup was taken from, when taken with --container.</summary>
    public string? SourceContainer { get; init; }

    public required IReadOnlyList<ArchiveInfo> Archives { get; init; }

    /// <summary>How long each container stopped for the backup was down.</summary>
    public IReadOnlyList<Downtime> Downtimes { get; init; } = [];

    /// <summary>What a person should look at, e.g. a volume that shrank sharply since its previous backup.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Finds an archive by volume name (or bind mount host path), or else by the path the source container mounted it at.</summary>
    public ArchiveInfo? FindArchive(string volume) =>
        Archives.FirstOrDefault(a => a.Volume == volume) ?? Archives.FirstOrDefault(a => a.MountPath == volume);
}

/// <summary>One archive of a set: a tar stream of one volume or bind mount, compressed while streaming.</summary>
public sealed record ArchiveInfo
{
    /// <summary>The item name within the set (e.g. <c>dbdata.tar.zst</c>).</summary>
    public required string File { get; init; }

    /// <summary>The volume name, or for a bind mount the host path.</summary>
    public required string Volume { get; init; }

    public required SourceKind Kind { get; init; }

    public string? Driver { get; init; }

    public IReadOnlyDictionary<string, string> DriverOptions { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Where the source container mounts it; null for a volume backed up by name.</summary>
    public string? MountPath { get; init; }

    /// <summary>Containers known to use it at backup time.</summary>
    public IReadOnlyList<string> Containers { get; init; } = [];

    public required Compression Compression { get; init; }

    /// <summary>The encryption format (see Crypto/EncryptionFormat), or null when the archive is not encrypted. Never the key.</summary>
    public string? Encryption { get; init; }

    /// <summary>Size of the archive as stored (after compression).</summary>
    public required long Bytes { get; init; }

    /// <summary>Size of the uncompressed tar stream.</summary>
    public required long TarBytes { get; init; }

    /// <summary>Total size of the regular files' contents.</summary>
    public required long ContentBytes { get; init; }

    /// <summary>Number of entries (files, directories, links, ...), the volume root included.</summary>
    public required long Files { get; init; }

    /// <summary>Lower-case hex SHA-256 of the archive as stored.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The item beside the archive holding its per-file index (JSON lines, gzip, encrypted like the archive).</summary>
    public string? Index { get; init; }

    /// <summary>Size of the index as stored; null in sets made before the index was pinned.</summary>
    public long? IndexBytes { get; init; }

    /// <summary>Lower-case hex SHA-256 of the index as stored; null in sets made before the index was pinned.</summary>
    public string? IndexSha256 { get; init; }

    /// <summary>The GNU tar patterns the backup left out of the source (relative to its root); a restore needs none of them.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>0 for a full archive; N for an incremental one, which holds what changed since the archive of the same source at level N-1 in <see cref="Base"/>.</summary>
    public int Level { get; init; }

    /// <summary>The set holding the archive this one builds on (level - 1); null for a full archive.</summary>
    public string? Base { get; init; }

    /// <summary>The item holding GNU tar's snapshot file after this archive (gzip, encrypted like the archive), from which the next level continues; null when the archive starts no chain.</summary>
    public string? Snapshot { get; init; }

    /// <summary>Size of the snapshot file as stored.</summary>
    public long? SnapshotBytes { get; init; }

    /// <summary>Lower-case hex SHA-256 of the snapshot file as stored.</summary>
    public string? SnapshotSha256 { get; init; }

    /// <summary>Size of the snapshot file itself (before gzip and encryption): reading it back takes exactly this much; null in sets made before it was recorded.</summary>
    public long? SnapshotPlainBytes { get; init; }

    /// <summary>Lower-case hex SHA-256 of the identity of the engine the source was read on (a snapshot continues only there).</summary>
    public string? Engine { get; init; }

    /// <summary>The inode of the source's root directory when it was read (a snapshot continues only on the same directory, not on a volume recreated under its name).</summary>
    public string? RootInode { get; init; }

    /// <summary>Why an archive made for a chain is a full one (none earlier, or the earlier one does not fit).</summary>
    public string? FullReason { get; init; }

    /// <summary>For an incremental archive: the item holding the per-file index of the whole tree at this point (JSON lines, gzip, encrypted like the archive).</summary>
    public string? Tree { get; init; }

    public long? TreeBytes { get; init; }

    public string? TreeSha256 { get; init; }

    /// <summary>How many entries the tree index holds: reading it back takes exactly these; null in sets made before it was recorded.</summary>
    public long? TreeEntries { get; init; }

    /// <summary>The archive as a stored item: its layers and its pin.</summary>
    public StoredItem Stored() => new("archive", File, Volume, Compression, Encryption, Bytes, Sha256);

    /// <summary>Every stored item of the archive (itself, its index, snapshot file and tree index, those it has), once each.</summary>
    public IEnumerable<StoredItem> StoredItems() =>
        new[] { Stored(), StoredIndex(), StoredSnapshot(), StoredTree() }.OfType<StoredItem>().DistinctBy(i => i.File);

    /// <summary>The index as a stored item (gzip, encrypted like the archive); pinned only in sets that pin it.</summary>
    public StoredItem? StoredIndex() => Index is null ? null : new("index", Index, Volume, Compression.Gzip, Encryption, IndexBytes, IndexSha256);

    /// <summary>The snapshot file as a stored item (gzip, encrypted like the archive).</summary>
    public StoredItem? StoredSnapshot() => Snapshot is null ? null : new("snapshot file", Snapshot, Volume, Compression.Gzip, Encryption, SnapshotBytes, SnapshotSha256);

    /// <summary>The index of the whole tree at this point: the archive's own index for a full archive, its tree index for an incremental one.</summary>
    public StoredItem? StoredTree() => Level == 0 ? StoredIndex() : Tree is null ? null : new("tree index", Tree, Volume, Compression.Gzip, Encryption, TreeBytes, TreeSha256);
}

/// <summary>
/// One stored item of a set, as its codec sees it: what it is ("archive" or "index") and its file in the set, the volume it belongs to (for messages), its
/// layers (compressed, then encrypted when <paramref name="Encryption"/> is set) and, when the manifest pins it, its
/// size and SHA-256 as stored.
/// </summary>
public sealed record StoredItem(string Kind, string File, string Volume, Compression Compression, string? Encryption, long? Bytes, string? Sha256);

public enum SourceKind
{
    Volume,
    Bind,
}
