using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Incremental;

/// <summary>
/// A chain of seven (a full and six incrementals) of a volume that changes between them in every way a restore gets
/// wrong: contents, deletions, renames of files and directories, modes, owners, mtimes, hard links and empty
/// directories. After each backup the chain is restored and compared file by file with the source at that point.
/// </summary>
public sealed class ChainRoundTripTests : IAsyncLifetime
{
    private static readonly string[] Changes =
    [
        // Level 0: the start.
        """
        set -e; cd /d
        printf 'one\n' > one.txt && chown 1000:1000 one.txt && chmod 640 one.txt
        printf 'two\n' > two.txt
        mkdir -p dir/sub empty && printf 'deep\n' > dir/sub/deep.txt
        printf 'shared\n' > hard1 && ln hard1 dir/hard2
        head -c 50000 /dev/urandom > random.bin
        touch -d '2001-02-03 04:05:06' one.txt
        """,
        // Level 1: a change, a deletion, a new file.
        """
        set -e; cd /d
        printf 'one, changed\n' >> one.txt
        rm two.txt
        printf 'three\n' > three.txt
        """,
        // Level 2: renames of a file and of a directory.
        """
        set -e; cd /d
        mv three.txt third.txt
        mv dir renamed-dir
        """,
        // Level 3: mode, owner and mtime changes only.
        """
        set -e; cd /d
        chmod 600 third.txt
        chown 4242:4343 random.bin
        touch -d '2010-01-01 00:00:00' renamed-dir/sub/deep.txt
        """,
        // Level 4: hard links and empty directories come and go.
        """
        set -e; cd /d
        ln third.txt third-link
        rm renamed-dir/hard2
        rmdir empty && mkdir -p new-empty/inner
        """,
        // Level 5: a directory deleted with its contents, a file replaced by a directory.
        """
        set -e; cd /d
        rm -r renamed-dir
        rm one.txt && mkdir one.txt && printf 'inside\n' > one.txt/file
        """,
        // Level 6: a big change and a removal of the only hard link partner.
        """
        set -e; cd /d
        head -c 80000 /dev/urandom > random.bin
        rm hard1
        chmod 750 new-empty
        """,
    ];

    private TestScope _scope = null!;
    private string _source = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _source = await _scope.CreateVolumeAsync("chain");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_chain_of_seven_restores_the_tree_at_each_point_and_at_a_middle_point()
    {
        var ids = new List<string>();
        var points = new List<VolumeSnapshot>();
        for (var level = 0; level < Changes.Length; level++)
        {
            await TestScope.ShellInVolumeAsync(_source, Changes[level]);
            points.Add(await VolumeSnapshot.TakeAsync(_source));
            var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, level == 0 ? "--full" : "--incremental");
            Assert.Contains(level == 0 ? "(full, level 0)" : $"(level {level} on {ids[^1]})", backup.Stdout);
            ids.Add(backup.Stdout.Split('\n')[0].Replace("backup set ", "").Trim());

            // Chains of length 1, 2, ... 7: the latest set restores the tree as it is now.
            var target = _scope.Track(_scope.Name($"chain-at-{level}"));
            await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
            VolumeSnapshot.AssertEqual(points[level], await VolumeSnapshot.TakeAsync(target));
        }

        // A middle point of the chain, into a volume that holds the latest tree (--force): exactly the tree of then.
        var middle = _scope.Track(_scope.Name("chain-middle"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={middle}");
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--backup", ids[3], "--volume", $"{_source}={middle}", "--force");
        VolumeSnapshot.AssertEqual(points[3], await VolumeSnapshot.TakeAsync(middle));

        var list = await Agent.SucceedAsync("list", "--from", _scope.Backups);
        Assert.Contains($"(level 6 on {ids[5]})", list.Stdout);
        await Agent.SucceedAsync("verify", "--from", _scope.Backups);

        // A deep verify replays the chain into a scratch volume and compares it with the index of the whole tree then.
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--deep");
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--backup", ids[2], "--deep");

        // Every scratch volume the chain's snapshot files went through is gone.
        Assert.Equal("", (await DockerCli.RunAsync("volume", "ls", "-q", "--filter", "label=backup-agent.scratch", "--filter", $"label=backup-agent.purpose=snapshot file of {_source}")).Trim());
    }
}
