using System.Formats.Tar;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>A volume full of what restores get wrong, backed up and restored once for all the tests of the class.</summary>
public sealed class FidelityFixture : IAsyncLifetime
{
    // 2001-02-03 04:05:06 UTC
    public const long FixedTime = 981173106;

    private const string Populate = """
        set -e
        cd /d
        printf 'hello\n' > plain.txt && chown 1234:5678 plain.txt && chmod 640 plain.txt
        printf 'x' > setuid && chmod 4755 setuid
        printf 'y' > setgid && chmod 2750 setgid
        mkdir sticky && chmod 1777 sticky
        mkdir -p empty/nested
        ln -s plain.txt link-to-plain
        ln -s /does/not/exist dangling
        printf 'shared' > hard1 && ln hard1 hard2 && mkdir linked && ln hard1 linked/hard3
        printf 'spaces' > 'name with spaces'
        printf 'newline' > "$(printf 'new\nline')"
        printf 'unicode' > 'ünïcødé-日本語'
        head -c 100000 /dev/urandom > random.bin
        touch -d '2001-02-03 04:05:06' plain.txt empty/nested empty
        chown 4242:4343 /d && chmod 750 /d
        """;

    private TestScope _scope = null!;

    public VolumeSnapshot Before { get; private set; } = null!;

    public VolumeSnapshot After { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        var source = await _scope.CreateVolumeAsync("fidelity");
        await TestScope.ShellInVolumeAsync(source, Populate);
        Before = await VolumeSnapshot.TakeAsync(source);
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source);
        var target = _scope.Track(_scope.Name("fidelity-restored"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}");
        After = await VolumeSnapshot.TakeAsync(target);
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();
}

/// <summary>A restore keeps what a user would check: bytes, modes, owners, times, links and odd names.</summary>
public sealed class FidelityTests(FidelityFixture fixture) : IClassFixture<FidelityFixture>
{
    private const long FixedTime = FidelityFixture.FixedTime;

    private VolumeSnapshot Before => fixture.Before;

    private VolumeSnapshot After => fixture.After;

    [Fact]
    public void The_restored_volume_equals_the_source_in_every_entry_and_hard_link()
    {
        VolumeSnapshot.AssertEqual(Before, After);
    }

    [Fact]
    public void File_contents_numeric_owners_modes_and_mtimes_are_kept()
    {
        var plain = After["./plain.txt"];
        Assert.Equal((1234, 5678), (plain.Uid, plain.Gid));
        Assert.Equal((UnixFileMode)Convert.ToInt32("640", 8), plain.Mode);
        Assert.Equal(FixedTime, plain.MTime);
        Assert.Equal(Before["./random.bin"].Sha256, After["./random.bin"].Sha256);
        Assert.Equal(100000, After["./random.bin"].Size);
    }

    [Fact]
    public void Setuid_setgid_and_sticky_bits_are_kept()
    {
        Assert.Equal((UnixFileMode)Convert.ToInt32("4755", 8), After["./setuid"].Mode);
        Assert.Equal((UnixFileMode)Convert.ToInt32("2750", 8), After["./setgid"].Mode);
        Assert.Equal((UnixFileMode)Convert.ToInt32("1777", 8), After["./sticky"].Mode);
    }

    [Fact]
    public void The_volume_roots_own_mode_and_owner_are_kept()
    {
        var root = After["."];
        Assert.Equal((4242, 4343), (root.Uid, root.Gid));
        Assert.Equal((UnixFileMode)Convert.ToInt32("750", 8), root.Mode);
    }

    [Fact]
    public void Symlinks_dangling_ones_included_keep_their_targets()
    {
        Assert.Equal(TarEntryType.SymbolicLink, After["./link-to-plain"].Type);
        Assert.Equal("plain.txt", After["./link-to-plain"].LinkTarget);
        Assert.Equal("/does/not/exist", After["./dangling"].LinkTarget);
    }

    [Fact]
    public void Hard_links_stay_one_inode()
    {
        Assert.Equal(["./hard1 | ./hard2 | ./linked/hard3"], After.HardLinkGroups);
    }

    [Fact]
    public void Empty_directories_and_their_mtimes_are_kept()
    {
        Assert.Equal(TarEntryType.Directory, After["./empty/nested"].Type);
        Assert.Equal(FixedTime, After["./empty/nested"].MTime);
        Assert.Equal(FixedTime, After["./empty"].MTime);
    }

    [Fact]
    public void Names_with_spaces_newlines_and_non_ascii_characters_are_kept()
    {
        Assert.Equal(Before["./name with spaces"], After["./name with spaces"]);
        Assert.Equal(Before["./new\nline"], After["./new\nline"]);
        Assert.Equal(Before["./ünïcødé-日本語"], After["./ünïcødé-日本語"]);
    }
}
