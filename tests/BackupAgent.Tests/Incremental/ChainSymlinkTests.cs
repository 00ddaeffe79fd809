using System.Formats.Tar;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Incremental;

/// <summary>
/// GNU tar's incremental extraction in the stage never follows a symlink an earlier level staged: a name that was a
/// symlink to a directory at level 0 and is a real directory at level 1 restores as that directory, and the
/// directory the symlink pointed at keeps every file.
/// </summary>
public sealed class ChainSymlinkTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _source = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _source = await _scope.CreateVolumeAsync("symlink");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_symlink_that_became_a_directory_restores_as_the_directory_and_leaves_its_old_target_whole()
    {
        await TestScope.ShellInVolumeAsync(_source, """
            set -e; cd /d
            mkdir b && head -c 30000 /dev/urandom > b/keep1 && printf 'keep two\n' > b/keep2
            ln -s b link
            """);
        var full = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--full");
        Assert.Contains("(full, level 0)", full.Stdout);

        await TestScope.ShellInVolumeAsync(_source, """
            set -e; cd /d
            rm link && mkdir link && printf 'new\n' > link/new
            """);
        var expected = await VolumeSnapshot.TakeAsync(_source);
        var incremental = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental");
        Assert.Contains("(level 1 on ", incremental.Stdout);

        var target = _scope.Track(_scope.Name("symlink-restored"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        var restored = await VolumeSnapshot.TakeAsync(target);

        Assert.Equal(TarEntryType.Directory, restored["./link"].Type);
        Assert.Equal(["./link/new"], restored.Entries.Keys.Where(k => k.StartsWith("./link/", StringComparison.Ordinal)));
        Assert.Equal(["./b/keep1", "./b/keep2"], restored.Entries.Keys.Where(k => k.StartsWith("./b/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(expected["./b/keep1"], restored["./b/keep1"]);
        Assert.Equal(expected["./b/keep2"], restored["./b/keep2"]);
        VolumeSnapshot.AssertEqual(expected, restored);
    }
}
