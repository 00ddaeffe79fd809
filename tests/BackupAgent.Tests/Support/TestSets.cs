using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;

namespace BackupAgent.Tests.Support;

/// <summary>Backup sets and archives for tests of pure logic (plans, retention, catalog).</summary>
public static class TestSets
{
    /// <summary>A set whose creation time is the one its ID carries, holding one archive per volume.</summary>
    public static BackupSet Set(string id, params string[] volumes) => Set(id, volumes.Select(v => Archive(v)).ToArray());

    public static BackupSet Set(string id, params ArchiveInfo[] archives)
    {
        Assert.True(BackupSetId.TryGetTime(id, out var created), $"'{id}' is not a set ID");
        return new BackupSet { Id = id, CreatedAt = created, ToolVersion = "test", Archives = archives };
    }

    public static ArchiveInfo Archive(string volume, long contentBytes = 0, string? mountPath = null, SourceKind kind = SourceKind.Volume) => new()
    {
        File = volume.Trim('/').Replace('/', '_') + ".tar.zst",
        Volume = volume,
        Kind = kind,
        MountPath = mountPath,
        Compression = Compression.Zstd,
        Bytes = 7,
        TarBytes = 7,
        ContentBytes = contentBytes,
        Files = 1,
        Sha256 = new string('0', 64),
    };
}
