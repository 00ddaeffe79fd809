using System.Text.Json;
using Amazon.S3.Model;
using BackupAgent.Storage.S3;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Faults;

/// <summary>
/// A copy to an S3 server whose upload connections keep dropping (a proxy in front of s3rver resets them): the sets
/// that could not be uploaded are not listed there and leave nothing behind, and running the copy again finishes
/// them, skipping what is there already; every set then restores from S3 byte for byte.
/// </summary>
public sealed class CopyInterruptedTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private FaultProxy _proxy = null!;
    private string _bucket = "";
    private Dictionary<string, string?> _env = null!;

    private string Offsite => $"s3://{_bucket}/copies";

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
    public async Task A_copy_cut_on_every_upload_of_a_large_set_fails_that_set_cleanly_and_the_next_copy_finishes_it()
    {
        var small = await _scope.CreateVolumeAsync("copy-cut-small");
        await TestScope.ShellInVolumeAsync(small, "head -c 300000 /dev/urandom > /d/small");
        var big = await _scope.CreateVolumeAsync("copy-cut-big");
        await TestScope.ShellInVolumeAsync(big, "head -c 24000000 /dev/urandom > /d/big; echo small > /d/small");
        var before = new Dictionary<string, VolumeSnapshot> { [small] = await VolumeSnapshot.TakeAsync(small), [big] = await VolumeSnapshot.TakeAsync(big) };
        var smallSet = Id(await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", small, "--compression", "none", "--json"));
        var bigSet = Id(await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", big, "--compression", "none", "--json"));
        _proxy.CutsLeft = int.MaxValue;

        var cut = await Agent.RunWithAsync(_env, "copy", "--from", _scope.Backups, "--to", Offsite);
        var cuts = _proxy.Cuts;
        _proxy.CutsLeft = 0;

        Assert.True(cut.ExitCode == 1, cut.ToString());
        Assert.Contains($"{smallSet} copied to {Offsite}", cut.Stdout);
        Assert.Contains($"backup-agent: copy: {bigSet} was not copied to {Offsite}:", cut.Stderr);
        Assert.DoesNotContain("   at ", cut.Stderr);
        Assert.DoesNotContain(await KeysAsync(), k => k.Contains(bigSet, StringComparison.Ordinal));
        var listed = JsonDocument.Parse((await Agent.SucceedWithAsync(S3TestServer.AgentEnvironment(), "list", "--from", Offsite, "--json")).Stdout).RootElement;
        Assert.Equal([smallSet], listed.EnumerateArray().Select(s => s.GetProperty("id").GetString()));

        var next = await Agent.RunWithAsync(_env, "copy", "--from", _scope.Backups, "--to", Offsite);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Contains($"{smallSet} is in {Offsite} already", next.Stdout);
        Assert.Contains($"{bigSet} copied to {Offsite}", next.Stdout);

        var lost = 0L;
        foreach (var (volume, set) in new[] { (small, smallSet), (big, bigSet) })
        {
            var copy = _scope.Track(_scope.Name($"copy-cut-check-{set[^6..]}"));
            var restore = await Agent.RunWithAsync(_env, "restore", "--from", Offsite, "--backup", set, "--volume", $"{volume}={copy}");
            Assert.True(restore.ExitCode == 0, restore.ToString());
            lost += VolumeSnapshot.BytesLost(before[volume], await VolumeSnapshot.TakeAsync(copy));
        }

        FaultLedger.Settle("S3 uploads of a copy cut on every attempt, then the copy run again", cuts, next.ExitCode == 0, lost);
    }

    private static string Id(AgentResult backup) => JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!;

    private async Task<List<string>> KeysAsync()
    {
        using var client = S3TestServer.Client();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        return (listed.S3Objects ?? []).Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
    }
}
