using BackupAgent.Core.Crypto;
using BackupAgent.Core.Formats;

namespace BackupAgent.Core.Sets;

/// <summary>
/// The one layout of a set in a store: everything under <c>ID/</c>; the manifest <c>ID/manifest.json</c>, written
/// last; for an encrypted set its MAC <c>ID/manifest.mac</c>; per source an archive <c>STEM.tar[.zst|.gz][.age|.enc]</c>
/// (.age: the age format; .enc: the older bae1) and beside it its per-file index <c>ARCHIVE.index.jsonl.gz[.age|.enc]</c>;
/// in a chain (docs/incremental.md) also GNU tar's snapshot file <c>ARCHIVE.snar.gz[.age|.enc]</c> and, for an
/// incremental archive, the index of the whole tree <c>ARCHIVE.tree.jsonl.gz[.age|.enc]</c>.
/// </summary>
public static class SetLayout
{
    public const string ManifestFile = "manifest.json";

    private const string Bae1Suffix = ".enc";

    public static string Manifest(string setId) => Item(setId, ManifestFile);

    public static string Mac(string setId) => Item(setId, ManifestMac.Item);

    /// <summary>The store name of an item of a set.</summary>
    public static string Item(string setId, string file) => $"{setId}/{file}";

    /// <summary>The archive's store name.</summary>
    public static string Archive(BackupSet set, ArchiveInfo archive) => Item(set.Id, archive.File);

    /// <summary>The file name of a source's archive.</summary>
    public static string ArchiveFile(string stem, Compression compression, string? encryption) =>
        stem + compression.FileExtension() + Suffix(encryption);

    /// <summary>The file name of an archive's per-file index (JSON lines, gzip, encrypted like the archive).</summary>
    public static string IndexFile(string archiveFile, string? encryption) =>
        archiveFile + ".index.jsonl.gz" + Suffix(encryption);

    private static string Suffix(string? encryption) => encryption switch
    {
        null => "",
        Crypto.Age.AgeFormat.Name => Crypto.Age.AgeFormat.FileSuffix,
        _ => Bae1Suffix,
    };

    /// <summary>The file name of the GNU tar snapshot file after an archive (gzip, encrypted like the archive).</summary>
    public static string SnapshotFile(string archiveFile, string? encryption) =>
        archiveFile + ".snar.gz" + Suffix(encryption);

    /// <summary>The file name of an incremental archive's index of the whole tree (JSON lines, gzip, encrypted like the archive).</summary>
    public static string TreeFile(string archiveFile, string? encryption) =>
        archiveFile + ".tree.jsonl.gz" + Suffix(encryption);

    /// <summary>The store names of a set's archives, indexes, snapshot files and tree indexes (not its manifest or MAC).</summary>
    public static IEnumerable<string> ArchiveItems(string setId, IEnumerable<ArchiveInfo> archives) =>
        archives.SelectMany(a => new[] { a.File, a.Index, a.Snapshot, a.Tree }).OfType<string>().Select(file => Item(setId, file));
}
