using System.Formats.Tar;
using System.Security.Cryptography;

namespace BackupAgent.Tests.Support;

/// <summary>One file system object as a user would inspect it.</summary>
public sealed record SnapshotEntry(string Name, TarEntryType Type, UnixFileMode Mode, int Uid, int Gid, long MTime, long Size, string? Sha256, string? LinkTarget);

/// <summary>
/// Everything about a volume's contents that a restore must keep: per entry its type, mode (with setuid, setgid
/// and sticky bits), numeric owner, mtime, size, content hash and symlink target; and which names are hard links
/// of one another. Taken by tarring the volume in a helper and reading the stream with System.Formats.Tar.
/// </summary>
public sealed class VolumeSnapshot
{
    private VolumeSnapshot(Dictionary<string, SnapshotEntry> entries, List<string> hardLinkGroups)
    {
        Entries = entries;
        HardLinkGroups = hardLinkGroups;
    }

    public IReadOnlyDictionary<string, SnapshotEntry> Entries { get; }

    /// <summary>Each group of names that share one inode, as "a | b | c" sorted.</summary>
    public IReadOnlyList<string> HardLinkGroups { get; }

    public SnapshotEntry this[string name] => Entries[name];

    public static async Task<VolumeSnapshot> TakeAsync(string volume, string? host = null)
    {
        var tar = await DockerCli.RunBytesOnAsync(host, null, "run", "--rm", "--log-driver", "none", "--network", "none",
            "-v", $"{volume}:/snap:ro", DockerCli.HelperImage, "/bin/tar", "--numeric-owner", "-C", "/snap", "-cf", "-", ".");
        return Read(tar);
    }

    public static VolumeSnapshot Read(byte[] tar)
    {
        var entries = new Dictionary<string, SnapshotEntry>(StringComparer.Ordinal);
        var links = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } e)
        {
            var name = e.Name.TrimEnd('/');
            if (e.EntryType == TarEntryType.HardLink)
            {
                var target = e.LinkName.TrimEnd('/');
                var origin = entries[target];
                entries[name] = origin with { Name = name };
                if (!links.TryGetValue(target, out var group))
                {
                    links[target] = group = [target];
                }

                group.Add(name);
                continue;
            }

            string? sha = null;
            if (e.DataStream is { } data)
            {
                sha = Convert.ToHexStringLower(SHA256.HashData(data));
            }

            var type = e.EntryType == TarEntryType.V7RegularFile ? TarEntryType.RegularFile : e.EntryType;
            entries[name] = new SnapshotEntry(name, type, e.Mode, e.Uid, e.Gid, e.ModificationTime.ToUnixTimeSeconds(), e.Length, sha,
                type == TarEntryType.SymbolicLink ? e.LinkName : null);
        }

        var groups = links.Values.Select(g => string.Join(" | ", g.Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal).ToList();
        return new VolumeSnapshot(entries, groups);
    }

    /// <summary>The bytes of <paramref name="expected"/>'s entries that <paramref name="actual"/> lacks or holds otherwise (the fault suite's "bytes lost").</summary>
    public static long BytesLost(VolumeSnapshot expected, VolumeSnapshot? actual) =>
        expected.Entries.Values
            .Where(e => actual is null || !actual.Entries.TryGetValue(e.Name, out var other) || other != e)
            .Sum(e => Math.Max(e.Size, 1));

    /// <summary>Asserts that two snapshots are equal, naming the first entry that differs.</summary>
    public static void AssertEqual(VolumeSnapshot expected, VolumeSnapshot actual)
    {
        Assert.Equal(expected.Entries.Keys.Order(StringComparer.Ordinal), actual.Entries.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, entry) in expected.Entries)
        {
            Assert.Equal(entry, actual.Entries[name]);
        }

        Assert.Equal(expected.HardLinkGroups, actual.HardLinkGroups);
    }
}
