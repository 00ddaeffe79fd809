using System.Formats.Tar;
using System.Text;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// Tar bombs: huge declared sizes and millions of entries. A restore checks the target's room against what the
/// manifest declares before it writes anything, and stops unpacking an archive that holds more than declared.
/// </summary>
public sealed class TarBombTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task An_entry_declaring_7_GB_is_refused_before_anything_is_written_into_a_target_without_the_room()
    {
        var tar = Tar(w => w.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "./huge") { DataStream = new MemoryStream(new byte[1024]) }));
        DeclareSize(tar, 512, 7L << 30); // the header of ./huge, after the "./" directory's
        var id = await CraftedSets.StoreAsync(_scope.Backups, "vol", tar);
        var target = await SmallVolumeAsync("bomb-size");

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", id, "--volume", $"vol={target}", "--force");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"'{target}' has no room for 'vol', nothing was written into it: the archive holds {7L << 30} bytes; the target's file system has", result.Stderr);
        Assert.Equal("/d", (await TestScope.ShellInVolumeAsync(target, "find /d")).Trim());
    }

    [Fact]
    public async Task A_million_entries_are_refused_before_anything_is_written_into_a_target_with_fewer_free_inodes()
    {
        var tar = Tar(w =>
        {
            for (var i = 0; i < 1_000_000; i++)
            {
                w.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, $"./f{i}"));
            }
        });
        var id = await CraftedSets.StoreAsync(_scope.Backups, "vol", tar, gzip: true);
        var target = await SmallVolumeAsync("bomb-entries");

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", id, "--volume", $"vol={target}", "--force");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the archive holds 1000001 entries; the target's file system has 999 free inodes", result.Stderr);
        Assert.Equal("/d", (await TestScope.ShellInVolumeAsync(target, "find /d")).Trim());
    }

    [Fact]
    public async Task An_archive_holding_more_than_its_manifest_declares_is_stopped_early_and_the_restore_fails_saying_so()
    {
        var tar = Tar(w =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                w.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, $"./f{i}") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("x")) });
            }
        });
        var id = await CraftedSets.StoreAsync(_scope.Backups, "vol", tar, gzip: true, lie: a => a with { Files = 10, ContentBytes = 9 });
        var target = _scope.Track(_scope.Name("bomb-lies"));

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", id, "--volume", $"vol={target}");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("archive 'vol.tar.gz' of 'vol' holds more than its manifest declares (10 entries, 9 bytes of content", result.Stderr);
        var written = (await TestScope.ShellInVolumeAsync(target, "find /d -type f | wc -l")).Trim();
        Assert.True(int.Parse(written) <= 10, $"{written} files were unpacked");
    }

    /// <summary>A tmpfs volume of 10 MB and 1,000 inodes.</summary>
    private async Task<string> SmallVolumeAsync(string stem)
    {
        var name = _scope.Track(_scope.Name(stem));
        await DockerCli.RunAsync("volume", "create", "--label", $"{TestScope.TestLabel}={_scope.Id}", "--driver", "local",
            "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=size=10m,nr_inodes=1000", name);
        return name;
    }

    private static byte[] Tar(Action<TarWriter> write)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true))
        {
            writer.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "./"));
            write(writer);
        }

        return output.ToArray();
    }

    /// <summary>Rewrites the size field of the header at <paramref name="offset"/> (11 octal digits) and its checksum.</summary>
    private static void DeclareSize(byte[] tar, int offset, long size)
    {
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(tar, offset + 124);
        Encoding.ASCII.GetBytes("        ").CopyTo(tar, offset + 148);
        var sum = tar.AsSpan(offset, 512).ToArray().Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, offset + 148);
    }
}
