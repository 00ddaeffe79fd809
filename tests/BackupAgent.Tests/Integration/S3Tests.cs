using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Backups to s3://BUCKET/PREFIX on a real S3 server (s3rver), as a user runs them.</summary>
public sealed class S3Tests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _bucket = "";
    private Dictionary<string, string?> _env = null!;

    private string Dest => $"s3://{_bucket}/host1/daily";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _bucket = await S3TestServer.CreateBucketAsync();
        _env = S3TestServer.AgentEnvironment();
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Theory]
    [InlineData("zstd")]
    [InlineData("gzip")]
    [InlineData("none")]
    public async Task Each_compression_backs_up_lists_verifies_and_restores_through_s3(string compression)
    {
        var source = await _scope.CreateVolumeAsync("s3-" + compression);
        await TestScope.ShellInVolumeAsync(source, "yes backup | head -c 300000 > /d/text; head -c 70000 /dev/urandom > /d/noise; mkdir /d/dir; ln -s text /d/dir/link");
        var before = await VolumeSnapshot.TakeAsync(source);

        var backup = await Agent.SucceedWithAsync(_env, "backup", "--to", Dest, "--volume", source, "--compression", compression, "--json");
        var set = JsonDocument.Parse(backup.Stdout).RootElement;
        var id = set.GetProperty("id").GetString()!;
        var expected = set.GetProperty("archives").EnumerateArray()
            .SelectMany(a => new[] { a.GetProperty("file").GetString(), a.TryGetProperty("index", out var i) ? i.GetString() : null })
            .OfType<string>().Append("manifest.json").Select(f => $"host1/daily/{id}/{f}").Order(StringComparer.Ordinal);
        var list = await Agent.SucceedWithAsync(_env, "list", "--from", Dest);
        Assert.Contains(id, list.Stdout);
        await Agent.SucceedWithAsync(_env, "verify", "--from", Dest);

        using var client = S3TestServer.Client();
        var keys = (await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket })).S3Objects.Select(o => o.Key);
        Assert.Equal(expected, keys.Order(StringComparer.Ordinal));

        var target = _scope.Track(_scope.Name("s3-restored-" + compression));
        await Agent.SucceedWithAsync(_env, "restore", "--from", Dest, "--volume", $"{source}={target}");
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task A_set_encrypted_to_an_age_public_key_backs_up_to_s3_and_restores_with_the_identity()
    {
        var source = await _scope.CreateVolumeAsync("s3-age");
        await TestScope.ShellInVolumeAsync(source, "head -c 200000 /dev/urandom > /d/noise; echo small > /d/small");
        var before = await VolumeSnapshot.TakeAsync(source);
        var identity = Path.Combine(_scope.Directory, "key.txt");
        await Agent.SucceedAsync("keygen", "--output", identity);

        var backup = await Agent.SucceedWithAsync(_env, "backup", "--to", Dest, "--volume", source, "--recipient", identity + ".recipients", "--json");
        Assert.EndsWith(".tar.zst.age", JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("archives")[0].GetProperty("file").GetString());
        await Agent.SucceedWithAsync(_env, "verify", "--from", Dest, "--identity-file", identity);
        var target = _scope.Track(_scope.Name("s3-age-restored"));
        await Agent.SucceedWithAsync(_env, "restore", "--from", Dest, "--volume", $"{source}={target}", "--identity-file", identity);
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task A_backup_of_several_parts_restores_byte_for_byte()
    {
        var source = await _scope.CreateVolumeAsync("s3-parts");
        await TestScope.ShellInVolumeAsync(source, "head -c 17000000 /dev/urandom > /d/big; echo small > /d/small");
        var before = await VolumeSnapshot.TakeAsync(source);
        var env = new Dictionary<string, string?>(_env) { ["BACKUP_AGENT_S3_PART_SIZE_MIB"] = "5" };

        var backup = await Agent.SucceedWithAsync(env, "backup", "--to", Dest, "--volume", source, "--compression", "none", "--verbose");
        var parts = Regex.Match(backup.Stderr, @"in (\d+) part\(s\)");
        Assert.True(parts.Success && int.Parse(parts.Groups[1].Value) >= 3, backup.ToString());

        await Agent.SucceedWithAsync(env, "verify", "--from", Dest);
        var target = _scope.Track(_scope.Name("s3-parts-restored"));
        await Agent.SucceedWithAsync(env, "restore", "--from", Dest, "--volume", $"{source}={target}");
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task Prune_on_s3_plans_with_dry_run_then_deletes_manifests_and_archives()
    {
        var source = await _scope.CreateVolumeAsync("s3-prune");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(JsonDocument.Parse((await Agent.SucceedWithAsync(_env, "backup", "--to", Dest, "--volume", source, "--json")).Stdout).RootElement.GetProperty("id").GetString()!);
        }

        var dry = await Agent.SucceedWithAsync(_env, "prune", "--from", Dest, "--keep-last", "1", "--dry-run");
        Assert.Contains($"delete  {ids[0]}", dry.Stdout);
        Assert.Contains($"delete  {ids[1]}", dry.Stdout);
        Assert.Contains($"keep    {ids[2]}  (newest, last)", dry.Stdout);
        Assert.Equal(3, JsonDocument.Parse((await Agent.SucceedWithAsync(_env, "list", "--from", Dest, "--json")).Stdout).RootElement.GetArrayLength());

        await Agent.SucceedWithAsync(_env, "prune", "--from", Dest, "--keep-last", "1");
        using var client = S3TestServer.Client();
        var keys = (await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket })).S3Objects.Select(o => o.Key).ToList();
        Assert.All(keys, k => Assert.Contains(ids[2], k));
        await Agent.SucceedWithAsync(_env, "verify", "--from", Dest);
    }

    [Fact]
    public async Task A_missing_bucket_exits_1_naming_the_bucket()
    {
        var source = await _scope.CreateVolumeAsync("s3-nobucket");
        var missing = $"ba-missing-{_scope.Id}";
        var result = await Agent.RunWithAsync(_env, "backup", "--to", $"s3://{missing}/x", "--volume", source);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"S3 bucket '{missing}' does not exist", result.Stderr);

        result = await Agent.RunWithAsync(_env, "list", "--from", $"s3://{missing}/x");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"S3 bucket '{missing}' does not exist", result.Stderr);
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", "label=backup-agent.helper", "--filter", $"volume={source}")).Trim());
    }

    [Fact]
    public async Task A_wrong_access_key_exits_1_without_showing_the_secret()
    {
        var source = await _scope.CreateVolumeAsync("s3-badkey");
        var env = new Dictionary<string, string?>(_env) { ["AWS_ACCESS_KEY_ID"] = "NOT-A-KEY", ["AWS_SECRET_ACCESS_KEY"] = "secret-must-not-leak" };
        var result = await Agent.RunWithAsync(env, "backup", "--to", Dest, "--volume", source);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"S3 refused access to bucket '{_bucket}'", result.Stderr);
        Assert.DoesNotContain("secret-must-not-leak", result.ToString());
    }

    [Fact]
    public async Task Invalid_s3_settings_exit_2_listing_every_problem()
    {
        var env = new Dictionary<string, string?>(_env) { ["BACKUP_AGENT_S3_PART_SIZE_MIB"] = "1", ["BACKUP_AGENT_S3_PARALLEL_PARTS"] = "0" };
        var result = await Agent.RunWithAsync(env, "list", "--from", Dest);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("BACKUP_AGENT_S3_PART_SIZE_MIB", result.Stderr);
        Assert.Contains("BACKUP_AGENT_S3_PARALLEL_PARTS", result.Stderr);
    }

    [Fact]
    public async Task Killing_the_s3_server_mid_upload_fails_the_backup_and_leaves_earlier_sets_intact()
    {
        await using var server = await S3rverProcess.StartAsync(Path.Combine(_scope.Directory, "s3rver"));
        var bucket = await S3TestServer.CreateBucketAsync(server.Endpoint);
        var env = S3TestServer.AgentEnvironment(server.Endpoint);
        var dest = $"s3://{bucket}/p";
        var small = await _scope.CreateVolumeAsync("s3-kill-small");
        await TestScope.ShellInVolumeAsync(small, "echo earlier > /d/f");
        var earlier = await Agent.SucceedWithAsync(env, "backup", "--to", dest, "--volume", small, "--json");
        var earlierId = JsonDocument.Parse(earlier.Stdout).RootElement.GetProperty("id").GetString()!;

        var big = await _scope.CreateVolumeAsync("s3-kill-big");
        await TestScope.ShellInVolumeAsync(big, "head -c 400000000 /dev/urandom > /d/big");
        var run = Agent.RunWithAsync(env, "backup", "--to", dest, "--volume", big, "--compression", "none");
        while ((await DockerCli.RunAsync("ps", "-q", "--filter", "label=backup-agent.helper", "--filter", $"volume={big}")).Trim() == "")
        {
            if (run.IsCompleted)
            {
                Assert.Fail($"the backup ended before it was interrupted: {await run}");
            }

            await Task.Delay(50);
        }

        await Task.Delay(300);
        Assert.False(run.IsCompleted, "the backup ended before the server was killed");
        await server.KillAsync();
        var result = await run.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("backup failed: S3 ", result.Stderr);
        Assert.Contains($"bucket '{bucket}'", result.Stderr);
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", "label=backup-agent.helper", "--filter", $"volume={big}")).Trim());

        await server.RestartAsync();
        var list = await Agent.SucceedWithAsync(env, "list", "--from", dest, "--json");
        var ids = JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
        Assert.Equal([earlierId], ids);
        await Agent.SucceedWithAsync(env, "verify", "--from", dest);
    }
}
