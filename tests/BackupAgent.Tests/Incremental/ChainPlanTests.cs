using System.Formats.Tar;
using System.Text;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Retention;
using BackupAgent.Core.Sets;
using static BackupAgent.Tests.Support.TestSets;

namespace BackupAgent.Tests.Incremental;

/// <summary>Chains as pure functions: retention that keeps what a kept set needs, chain resolution, the manifest door and the helper's tar options.</summary>
public sealed class ChainPlanTests
{
    private static BackupSet Level(string id, int level, string? baseId, string volume = "db") =>
        Set(id, Archive(volume) with { Level = level, Base = baseId });

    private static readonly BackupSet[] Chain =
    [
        Level("20260107T000000Z-0a0a0a", 0, null),
        Level("20260106T000000Z-ffffff", 2, "20260105T000000Z-eeeeee"),
        Level("20260105T000000Z-eeeeee", 1, "20260104T000000Z-dddddd"),
        Level("20260104T000000Z-dddddd", 0, null),
        Level("20260103T000000Z-cccccc", 1, "20260102T000000Z-bbbbbb"),
        Level("20260102T000000Z-bbbbbb", 0, null),
    ];

    [Theory]
    [InlineData(1, "20260107T000000Z-0a0a0a")]
    [InlineData(2, "20260107T000000Z-0a0a0a 20260106T000000Z-ffffff 20260105T000000Z-eeeeee 20260104T000000Z-dddddd")]
    [InlineData(3, "20260107T000000Z-0a0a0a 20260106T000000Z-ffffff 20260105T000000Z-eeeeee 20260104T000000Z-dddddd")]
    [InlineData(5, "20260107T000000Z-0a0a0a 20260106T000000Z-ffffff 20260105T000000Z-eeeeee 20260104T000000Z-dddddd 20260103T000000Z-cccccc 20260102T000000Z-bbbbbb")]
    public void Prune_keeps_the_whole_chain_of_every_kept_set(int last, string kept)
    {
        var verdicts = PrunePlan.Create(Chain, new RetentionPolicy { Last = last }, null, TimeZoneInfo.Utc);
        Assert.Equal(kept.Split(' '), verdicts.Where(v => v.Keep).Select(v => v.Set.Id));
    }

    [Fact]
    public void A_dry_run_says_which_set_a_base_is_kept_for()
    {
        var verdicts = PrunePlan.Create(Chain, new RetentionPolicy { Last = 2 }, null, TimeZoneInfo.Utc);
        Assert.Equal("keep    20260104T000000Z-dddddd  (kept as the base of 20260106T000000Z-ffffff)", verdicts.Single(v => v.Set.Id == "20260104T000000Z-dddddd").Describe());
        Assert.Equal("delete  20260103T000000Z-cccccc", verdicts.Single(v => v.Set.Id == "20260103T000000Z-cccccc").Describe());
    }

    [Fact]
    public void A_chain_resolves_full_first_and_a_missing_base_is_named()
    {
        var listing = new CatalogListing(Chain, []);
        var (links, problem) = Chains.Resolve(Chain[1], Chain[1].Archives[0], listing);
        Assert.Null(problem);
        Assert.Equal(["20260104T000000Z-dddddd", "20260105T000000Z-eeeeee", "20260106T000000Z-ffffff"], links!.Select(l => l.Set.Id));

        var broken = new CatalogListing([.. Chain.Where(s => s.Id != "20260105T000000Z-eeeeee")], [new UnreadableSet("20260103T000000Z-cccccc", "corrupt")]);
        Assert.Contains("on set '20260105T000000Z-eeeeee', which is missing from the store", Chains.Resolve(Chain[1], Chain[1].Archives[0], broken).Problem);
        Assert.Contains("whose manifest cannot be read: corrupt", Chains.Resolve(Chain[4] with { Id = "20260103T000001Z-cccccc" }, Level("20260103T000002Z-cccccc", 2, "20260103T000000Z-cccccc").Archives[0], broken).Problem);
    }

    [Theory]
    [InlineData(1, null, "level 1 is not 0")]
    [InlineData(0, "20260101T000000Z-aaaaaa", "level 0 is not 0")]
    [InlineData(1, "20260109T000000Z-aaaaaa", "is not the ID of an earlier set")]
    [InlineData(1, "../../etc", "is not the ID of an earlier set")]
    [InlineData(5000, "20260101T000000Z-aaaaaa", "level 5000 is not")]
    public void The_manifest_door_refuses_a_chain_this_agent_would_not_write(int level, string? baseId, string problem)
    {
        var set = Level("20260105T000000Z-eeeeee", level, baseId);
        Assert.Contains(ManifestDoor.Problems(set), p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("GNU tar-1.34-2\n1764626400\u0000123\u00000\u0000", null)]
    [InlineData("GNU tar-1.34-1\n1764626400\u0000123\u00000\u0000", "is not a GNU tar snapshot file of format 2")]
    [InlineData("GNU tar-1.34-2\nsoon\u0000123\u00000\u0000", "is truncated or not a GNU tar snapshot file")]
    [InlineData("GNU tar-1.34-2\n1764626400", "is truncated or not a GNU tar snapshot file")]
    [InlineData("#!/bin/sh\nrm -rf /\n", "is not a GNU tar snapshot file of format 2")]
    public void A_snapshot_file_from_the_store_must_look_like_one_of_GNU_tar(string text, string? problem)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(problem, BackupAgent.Core.Operations.ChainStart.SnapshotProblem(bytes));
        if (problem is null)
        {
            Assert.Equal(1764626400L, BackupAgent.Core.Operations.ChainStart.DumpTime(bytes));
        }
    }

    [Fact]
    public void A_base_made_in_the_same_second_passes_the_manifest_door()
    {
        Assert.Empty(ManifestDoor.Problems(Level("20260105T000000Z-111111", 1, "20260105T000000Z-ffffff")));
    }

    [Fact]
    public void The_manifest_door_refuses_a_snapshot_file_outside_its_set_or_without_its_pin()
    {
        var archive = Archive("db") with { Snapshot = "../x.snar.gz", SnapshotBytes = 1, SnapshotSha256 = new string('a', 64) };
        Assert.Contains(ManifestDoor.Problems(Set("20260105T000000Z-eeeeee", archive)), p => p.Contains("is not a plain name", StringComparison.Ordinal));
        var unpinned = Archive("db") with { Snapshot = "db.tar.zst.snar.gz" };
        Assert.Contains(ManifestDoor.Problems(Set("20260105T000000Z-eeeeee", unpinned)), p => p.Contains("the snapshot needs a size", StringComparison.Ordinal));
    }

    [Fact]
    public void The_incremental_read_knows_files_by_inode_only_and_mounts_its_snapshot_apart_from_the_source()
    {
        var spec = TarReadHelper.OfVolume("db", "backup of db").Incremental("scratch", "1234", 1764626400).Spec;
        var script = spec.Command[2];
        Assert.Contains("--listed-incremental=\"$snar\" --no-check-device", script);
        Assert.Equal(["/source", "/.backup-agent-snapshot/snar", "1234", "1764626400"], spec.Command.Skip(4));
        Assert.Contains(spec.Mounts, m => m is { Source: "db", ReadOnly: true });
        Assert.Contains(spec.Mounts, m => m is { Source: "scratch", Target: "/.backup-agent-snapshot", ReadOnly: false });
        Assert.False(spec.Writes);
    }

    [Fact]
    public void The_incremental_read_with_a_work_file_mounts_only_its_source_and_gets_the_snapshot_file_at_the_same_path()
    {
        byte[] snapshot = [.. "GNU tar-1.34-2\n"u8];
        var spec = TarReadHelper.OfVolume("db", "backup of db").Incremental(snapshot, "1234", 1764626400).Spec;
        Assert.Equal(["/source", "/.backup-agent-snapshot/snar", "1234", "1764626400"], spec.Command.Skip(4));
        Assert.Equal([new HelperMount("db", "/source", ReadOnly: true)], spec.Mounts);
        Assert.Equal("/.backup-agent-snapshot/snar", spec.WorkFile!.ContainerPath);
        Assert.Equal(snapshot, spec.WorkFile.Content.ToArray());
        Assert.False(spec.Writes);
        Assert.Null(TarReadHelper.OfVolume("db", "backup of db").Spec.WorkFile);
    }

    private static TarIndexEntry Dir(string path) => new(path, "5", 493, 0, 0, 100, 0, null, null);

    private static TarIndexEntry File(string path, string sha) => new(path, "0", 420, 0, 0, 100, 1, sha, null);

    private static byte[] DumpDir(params string[] records) => Encoding.UTF8.GetBytes(string.Concat(records.Select(r => r + "\0")) + "\0");

    [Fact]
    public void The_tree_after_an_incremental_applies_renames_deletions_and_unchanged_files_from_its_base()
    {
        // Before: ./a, ./dir/sub/c. Then: dir renamed dir2, dir2/sub renamed sub3, a deleted, n added (as GNU tar records it).
        TarIndexEntry[] before = [Dir("."), File("./a", "aa"), Dir("./dir"), Dir("./dir/sub"), File("./dir/sub/c", "cc")];
        var tree = new IncrementalTree();
        foreach (var entry in new[] { Dir("."), Dir("./dir2"), Dir("./dir2/sub3"), File("./n", "nn") })
        {
            tree.Add(entry);
        }

        tree.AddDumpDir(".", DumpDir("Ddir2", "Yn", "R./dir", "T./dir2", "R./dir2/sub", "T./dir2/sub3"));
        tree.AddDumpDir("./dir2", DumpDir("Dsub3"));
        tree.AddDumpDir("./dir2/sub3", DumpDir("Nc"));

        var after = tree.Build(before).ToDictionary(e => e.Path);
        Assert.Equal([".", "./dir2", "./dir2/sub3", "./dir2/sub3/c", "./n"], after.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("cc", after["./dir2/sub3/c"].Sha256);
        Assert.Equal("nn", after["./n"].Sha256);
    }

    [Fact]
    public void A_tree_whose_unchanged_file_is_not_in_the_base_does_not_fit()
    {
        var tree = new IncrementalTree();
        tree.Add(Dir("."));
        tree.AddDumpDir(".", DumpDir("Nghost"));
        Assert.Throws<InvalidDataException>(() => tree.Build([Dir(".")]));
    }

    private static byte[] TarWithDumpDir(byte[] dumpDir)
    {
        // A GNU dumpdir ('D'): written as a file, then retyped, with its header checksum made again.
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Gnu, leaveOpen: true))
        {
            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "./") { DataStream = new MemoryStream(dumpDir) });
        }

        var bytes = tar.ToArray();
        bytes[156] = (byte)'D';
        bytes.AsSpan(148, 8).Fill((byte)' ');
        var sum = bytes.AsSpan(0, 512).ToArray().Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(bytes, 148);
        return bytes;
    }

    [Theory]
    [InlineData("R../outside", "T./inside")]
    [InlineData("R./a", "T/etc")]
    [InlineData("Y../x")]
    [InlineData("Dsub/deeper")]
    [InlineData("Qodd")]
    public void A_restore_stops_a_directory_listing_that_reaches_outside_its_directory(params string[] records)
    {
        var tar = TarWithDumpDir(DumpDir(records));
        var bounded = new BoundedTarStream(new MemoryStream(tar), 10, 1000, 100_000, "archive 'x'");
        var e = Assert.Throws<ArchiveExceedsManifestException>(() => bounded.CopyTo(Stream.Null));
        Assert.Contains("holds a listing of the directory '.' that names", e.Message);
    }

    [Fact]
    public void A_restore_passes_a_directory_listing_with_plain_names_and_renames_inside_the_tree()
    {
        var tar = TarWithDumpDir(DumpDir("Ddir2", "Yn", "Nold", "R./dir", "T./dir2"));
        var bounded = new BoundedTarStream(new MemoryStream(tar), 10, 1000, 100_000, "archive 'x'");
        bounded.CopyTo(Stream.Null);
        Assert.True(bounded.Stats.Ended);
    }
}
