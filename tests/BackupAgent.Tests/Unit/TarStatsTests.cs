using System.Formats.Tar;
using BackupAgent.Core.Formats;

namespace BackupAgent.Tests.Unit;

public sealed class TarStatsTests
{
    [Theory]
    [InlineData(TarEntryFormat.Gnu, 1)]
    [InlineData(TarEntryFormat.Gnu, 7)]
    [InlineData(TarEntryFormat.Pax, 512)]
    [InlineData(TarEntryFormat.Ustar, 100_000)]
    public void Entries_and_content_bytes_are_counted_whatever_the_chunking(TarEntryFormat format, int chunk)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, format, leaveOpen: true))
        {
            writer.WriteEntry(Directory(format, "./"));
            writer.WriteEntry(File(format, "./a.txt", 1000));
            writer.WriteEntry(File(format, "./empty", 0));
            writer.WriteEntry(File(format, "./" + (format == TarEntryFormat.Ustar ? "short" : new string('n', 300)), 513));
            writer.WriteEntry(Link(format, "./link"));
        }

        var stats = new TarStats();
        var bytes = tar.ToArray();
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            stats.Append(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }

        Assert.Equal(5, stats.Entries);
        Assert.Equal(1513, stats.ContentBytes);
        Assert.Equal(bytes.Length, stats.TarBytes);
        Assert.True(stats.Ended);
    }

    [Fact]
    public void A_truncated_stream_has_not_ended()
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Gnu, leaveOpen: true))
        {
            writer.WriteEntry(File(TarEntryFormat.Gnu, "./a", 5000));
        }

        var stats = new TarStats();
        stats.Append(tar.ToArray().AsSpan(0, 2048));
        Assert.False(stats.Ended);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_pax_record_that_carries_a_directory_listing_is_refused_so_that_no_listing_passes_unchecked(bool global)
    {
        // GNU tar's pax form of a dumpdir: its incremental extraction would delete and rename by it.
        var listing = new Dictionary<string, string> { ["GNU.dumpdir"] = "Ykept" };
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            if (global)
            {
                writer.WriteEntry(new PaxGlobalExtendedAttributesTarEntry(listing));
            }

            writer.WriteEntry(global ? new PaxTarEntry(TarEntryType.Directory, "./d") : new PaxTarEntry(TarEntryType.Directory, "./d", listing));
        }

        foreach (var stats in new[] { new TarStats(), new TarStats(index: true, dumpDirs: true) })
        {
            var e = Assert.Throws<InvalidDataException>(() => stats.Append(tar.ToArray()));
            Assert.Contains("GNU.dumpdir", e.Message);
        }

        // A bounded restore stops at it.
        var bounded = new BoundedTarStream(new MemoryStream(tar.ToArray()), 10, 1000, 1 << 20, "archive 'x'");
        Assert.Throws<InvalidDataException>(() => bounded.CopyTo(Stream.Null));
    }

    [Fact]
    public void Pax_records_without_a_listing_global_ones_included_pass()
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string> { ["comment"] = "GNU.dumpdir is only a word here" }));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./d", new Dictionary<string, string> { ["comment"] = "fine" }));
        }

        var stats = new TarStats(index: true, dumpDirs: true);
        stats.Append(tar.ToArray());
        Assert.Equal(1, stats.Entries);
        Assert.True(stats.Ended);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'0', (byte)'0', (byte)'0', (byte)'1', (byte)'7', (byte)'5', 0 }, 125)]
    [InlineData(new byte[] { (byte)' ', (byte)'7', (byte)'7', (byte)' ', 0 }, 63)]
    [InlineData(new byte[] { 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0 }, 8589934592)]
    public void Numeric_fields_are_read_as_octal_or_base_256(byte[] field, long value)
    {
        Assert.Equal(value, TarStats.ParseNumber(field));
    }

    private static TarEntry File(TarEntryFormat format, string name, int size)
    {
        var entry = New(format, TarEntryType.RegularFile, name);
        entry.DataStream = new MemoryStream(new byte[size]);
        return entry;
    }

    private static TarEntry Directory(TarEntryFormat format, string name) => New(format, TarEntryType.Directory, name);

    private static TarEntry Link(TarEntryFormat format, string name)
    {
        var entry = New(format, TarEntryType.SymbolicLink, name);
        entry.LinkName = "a.txt";
        return entry;
    }

    private static TarEntry New(TarEntryFormat format, TarEntryType type, string name) => format switch
    {
        TarEntryFormat.Gnu => new GnuTarEntry(type, name),
        TarEntryFormat.Pax => new PaxTarEntry(type, name),
        _ => new UstarTarEntry(type, name),
    };
}
