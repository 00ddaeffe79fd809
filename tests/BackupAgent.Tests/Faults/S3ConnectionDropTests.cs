using Amazon.S3.Model;
using BackupAgent.Storage.S3;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Faults;

/// <summary>
/// An S3 server whose connections drop mid-transfer (a proxy in front of s3rver resets them): a few drops are
/// retried and the job succeeds; a server that keeps dropping fails the job cleanly, leaving the earlier backups
/// as they were, and the next backup succeeds.
/// </summary>
public sealed class S3ConnectionDropTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private FaultProxy _proxy = null!;
    private string _bucket = "";
    private Dictionary<string, string?> _env = null!;

    private string Dest => $"s3://{_bucket}/faults";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _bucket = await S3TestServer.CreateBucketAsync();
        _proxy = FaultProxy.Start(S3TestServer.Endpoint);
        _env = S3TestServer.AgentEnvironment(_proxy.Endpoint);
        _env[S3Environment.PartSizeMiB] = "5";
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _scope.DisposeAsync();
    }

    [Fact]
    public async Task Uploads_cut_mid_part_are_retried_and_the_backup_restores_byte_for_byte()
    {
        var (volume, before) = await VolumeAsync("s3-cut-upload");
        _proxy.CutsLeft = 2;

        var backup = await Agent.RunWithAsync(_env, "backup", "--to", Dest, "--volume", volume, "--compression", "none");

        Assert.True(backup.ExitCode == 0, backup.ToString());
        FaultLedger.Settle("S3 uploads cut mid-part (retried)", _proxy.Cuts, backup.ExitCode == 0, await BytesLostAsync(volume, "latest", before));
    }

    [Fact]
    public async Task A_server_that_keeps_cutting_uploads_fails_the_backup_cleanly_and_the_next_one_succeeds()
    {
        var (volume, before) = await VolumeAsync("s3-cut-always");
        await Agent.SucceedWithAsync(_env, "backup", "--to", Dest, "--volume", volume, "--compression", "none");
        var baseline = await KeysAsync();
        _proxy.CutsLeft = int.MaxValue;

        var failed = await Agent.RunWithAsync(_env, "backup", "--to", Dest, "--volume", volume, "--compression", "none");
        var cuts = _proxy.Cuts;
        _proxy.CutsLeft = 0;

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("backup-agent: backup failed:", failed.Stderr);
        Assert.Contains($"s3://{_bucket}/faults", failed.Stderr);
        Assert.Equal(baseline, await KeysAsync());
        Assert.Single((await Agent.SucceedWithAsync(_env, "list", "--from", Dest)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var next = await Agent.RunWithAsync(_env, "backup", "--to", Dest, "--volume", volume, "--compression", "none");
        var lost = 0L;
        foreach (var set in (await Agent.SucceedWithAsync(_env, "list", "--from", Dest)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            lost += await BytesLostAsync(volume, set.Split(' ')[0], before);
        }

        FaultLedger.Settle("S3 uploads cut on every attempt", cuts, next.ExitCode == 0, lost);
    }

    [Fact]
    public async Task A_download_cut_mid_way_is_resumed_and_the_restore_completes()
    {
        var (volume, before) = await VolumeAsync("s3-cut-download");
        // Straight to the server: no connection of the upload may be reused (and cut) by the restore.
        var direct = S3TestServer.AgentEnvironment();
        direct[S3Environment.PartSizeMiB] = "5";
        await Agent.SucceedWithAsync(direct, "backup", "--to", Dest, "--volume", volume, "--compression", "none");
        _proxy.CutDirection = FaultProxy.Direction.Download;
        _proxy.CutsLeft = 2;
        var target = _scope.Track(_scope.Name("s3-cut-restored"));

        var restore = await Agent.RunWithAsync(_env, "restore", "--from", Dest, "--volume", $"{volume}={target}");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("resuming from there", restore.Stderr);
        var lost = VolumeSnapshot.BytesLost(before, await VolumeSnapshot.TakeAsync(target));
        FaultLedger.Settle("S3 downloads cut mid-way (resumed)", _proxy.Cuts, restore.ExitCode == 0, lost);
    }

    [Fact]
    public async Task A_forced_restore_whose_downloads_keep_being_cut_leaves_the_old_contents_file_by_file()
    {
        var (volume, before) = await VolumeAsync("s3-cut-forced");
        var direct = S3TestServer.AgentEnvironment();
        direct[S3Environment.PartSizeMiB] = "5";
        await Agent.SucceedWithAsync(direct, "backup", "--to", Dest, "--volume", volume, "--compression", "none");
        var target = await _scope.CreateVolumeAsync("s3-cut-old");
        await TestScope.ShellInVolumeAsync(target, "echo old > /d/old; mkdir /d/dir; chown 7:8 /d/dir; chmod 0710 /d");
        var old = await VolumeSnapshot.TakeAsync(target);
        _proxy.CutDirection = FaultProxy.Direction.Download;
        _proxy.CutsLeft = int.MaxValue;

        // One attempt: a read cut mid-way is not resumed (with resumes, every cut still makes progress and the restore completes).
        var once = new Dictionary<string, string?>(_env) { [S3Environment.MaxAttempts] = "1" };
        var failed = await Agent.RunWithAsync(once, "restore", "--from", Dest, "--volume", $"{volume}={target}", "--force");
        var cuts = _proxy.Cuts;
        _proxy.CutsLeft = 0;

        Assert.True(failed.ExitCode == 1 && failed.Stderr.Contains("backup-agent: restore failed:") && failed.Stderr.Contains($"s3://{_bucket}/faults"), failed.ToString());
        Assert.DoesNotContain("   at ", failed.Stderr);
        VolumeSnapshot.AssertEqual(old, await VolumeSnapshot.TakeAsync(target));
        var next = await Agent.RunWithAsync(_env, "restore", "--from", Dest, "--volume", $"{volume}={target}", "--force");
        var lost = VolumeSnapshot.BytesLost(before, next.ExitCode == 0 ? await VolumeSnapshot.TakeAsync(target) : null);
        FaultLedger.Settle("S3 downloads of a forced restore cut on every attempt", cuts, next.ExitCode == 0, lost);
    }

    private async Task<(string Volume, VolumeSnapshot Before)> VolumeAsync(string stem)
    {
        var volume = await _scope.CreateVolumeAsync(stem);
        await TestScope.ShellInVolumeAsync(volume, "head -c 24000000 /dev/urandom > /d/big; echo small > /d/small");
        return (volume, await VolumeSnapshot.TakeAsync(volume));
    }

    private async Task<long> BytesLostAsync(string volume, string set, VolumeSnapshot before)
    {
        var copy = _scope.Track(_scope.Name($"s3-check-{Guid.NewGuid():N}"[..24]));
        var restore = await Agent.RunWithAsync(_env, "restore", "--from", Dest, "--backup", set, "--volume", $"{volume}={copy}");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        return VolumeSnapshot.BytesLost(before, await VolumeSnapshot.TakeAsync(copy));
    }

    private async Task<List<string>> KeysAsync()
    {
        using var client = S3TestServer.Client();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        return (listed.S3Objects ?? []).Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
    }
}
