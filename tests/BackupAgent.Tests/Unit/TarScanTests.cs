using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using BackupAgent.Core.Formats;

namespace BackupAgent.Tests.Unit;

/// <summary>
/// The one tar parser indexes exactly as .NET's TarReader (which made the indexes of earlier sets) does, for the
/// tars GNU tar writes in each of its formats, so that an index recorded before and a volume read back now compare
/// equal; and it counts in the same pass.
/// </summary>
public sealed class TarScanTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("backup-agent-tarscan-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("gnu")]
    [InlineData("posix")]
    [InlineData("ustar")]
    public async Task Its_index_of_a_tar_by_gnu_tar_equals_the_one_TarReader_gives(string format)
    {
        var tree = BuildTree(ustar: format == "ustar");
        var tar = Path.Combine(_root, $"{format}.tar");
        Run("tar", "--create", $"--file={tar}", $"--format={format}", "--numeric-owner", $"--directory={tree}", ".");
        var bytes = await File.ReadAllBytesAsync(tar);

        var expected = await ReferenceIndexAsync(new MemoryStream(bytes));
        var actual = await TarIndex.BuildAsync(new ChunkedStream(bytes, 777), CancellationToken.None);

        Assert.Equal(expected, actual);
        Assert.Contains(actual, e => e.Type == "1");
        Assert.Contains(actual, e => e.Type == "2");
        Assert.Contains(actual, e => e is { Type: "0", Size: 0, Sha256: null });
    }

    [Fact]
    public async Task Counting_and_indexing_are_one_pass_whose_counts_equal_those_of_counting_alone()
    {
        var tree = BuildTree(ustar: false);
        var tar = Path.Combine(_root, "count.tar");
        Run("tar", "--create", $"--file={tar}", "--numeric-owner", $"--directory={tree}", ".");
        var bytes = await File.ReadAllBytesAsync(tar);
        var counted = new TarStats();
        counted.Append(bytes);

        var indexed = 0;
        var stats = await TarIndex.StreamAsync(new ChunkedStream(bytes, 4096), (_, _) =>
        {
            indexed++;
            return ValueTask.CompletedTask;
        }, CancellationToken.None);

        Assert.True(stats.Ended);
        Assert.Equal((counted.Entries, counted.ContentBytes, counted.TarBytes), (stats.Entries, stats.ContentBytes, stats.TarBytes));
        Assert.Equal(stats.Entries, indexed);
    }

    [Fact]
    public void A_header_declaring_a_negative_size_is_damage_not_a_smaller_count()
    {
        var header = Header('0', size: 0);
        header[124] = 0xFF; // base-256 with its sign bit: -1
        header.AsSpan(125, 11).Fill(0xFF);

        var e = Assert.Throws<InvalidDataException>(() => new TarStats().Append(Sealed(header)));
        Assert.Equal("a tar header declares a size of -1 bytes", e.Message);
    }

    [Fact]
    public void An_extension_record_beyond_what_the_parser_reads_is_damage_not_skipped()
    {
        var e = Assert.Throws<InvalidDataException>(() => new TarStats().Append(Sealed(Header('x', size: 2 << 20))));
        Assert.Contains("a tar extension record of 2097152 bytes", e.Message);
    }

    /// <summary>A ustar header of <paramref name="type"/> declaring <paramref name="size"/> (octal), without its checksum (the parser reads none).</summary>
    private static byte[] Header(char type, long size)
    {
        var header = new byte[512];
        "./crafted"u8.CopyTo(header);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0')).CopyTo(header, 124);
        header[156] = (byte)type;
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        return header;
    }

    private static byte[] Sealed(byte[] header) => [.. header, .. new byte[1024]];

    /// <summary>
    /// A tree with what trips tar parsers: long names (in ustar, split into prefix and name) and link targets,
    /// non-ASCII and odd names, links, empty files and directories, a FIFO, special modes, a sub-second mtime.
    /// </summary>
    private string BuildTree(bool ustar)
    {
        var tree = Path.Combine(_root, $"tree-{Guid.NewGuid():N}");
        var deep = Path.Combine(tree, new string('d', 60), new string('e', 60), "sub");
        Directory.CreateDirectory(deep);
        Directory.CreateDirectory(Path.Combine(tree, "empty dir"));
        File.WriteAllText(Path.Combine(deep, ustar ? "file.txt" : new string('f', 130) + ".txt"), "deep content\n");
        File.WriteAllText(Path.Combine(tree, "ünïcødé ✓.txt"), "unicode\n");
        File.WriteAllText(Path.Combine(tree, "with space and 'quote'"), "odd\n");
        File.WriteAllBytes(Path.Combine(tree, "empty"), []);
        File.WriteAllBytes(Path.Combine(tree, "random.bin"), RandomNumberGenerator.GetBytes(70_000));
        File.SetUnixFileMode(Path.Combine(tree, "random.bin"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.SetUser | UnixFileMode.OtherExecute);
        File.CreateSymbolicLink(Path.Combine(tree, "symlink"), ustar ? "random.bin" : new string('t', 150));
        Run("ln", Path.Combine(tree, "random.bin"), Path.Combine(tree, "hardlink"));
        Run("mkfifo", Path.Combine(tree, "fifo"));
        File.SetLastWriteTimeUtc(Path.Combine(tree, "empty"), new DateTime(2001, 2, 3, 4, 5, 6, 789, DateTimeKind.Utc));
        return tree;
    }

    /// <summary>The index as the agent built it with TarReader before it had its own parser.</summary>
    private static async Task<List<TarIndexEntry>> ReferenceIndexAsync(Stream tar)
    {
        var entries = new List<TarIndexEntry>();
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false) is { } e)
        {
            string? sha = null;
            if (e.DataStream is { } data && e.EntryType != TarEntryType.HardLink)
            {
                sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(data));
            }

            var type = e.EntryType is TarEntryType.V7RegularFile or TarEntryType.ContiguousFile ? TarEntryType.RegularFile : e.EntryType;
            var link = type is TarEntryType.SymbolicLink ? e.LinkName : type is TarEntryType.HardLink ? e.LinkName.TrimEnd('/') : null;
            entries.Add(new TarIndexEntry(e.Name.TrimEnd('/'), ((char)type).ToString(), (int)e.Mode, e.Uid, e.Gid, e.ModificationTime.ToUnixTimeSeconds(), e.Length, sha, link));
        }

        return entries;
    }

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {stderr}");
    }

    /// <summary>Hands out its bytes in chunks of a fixed size, as a pipe would.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
