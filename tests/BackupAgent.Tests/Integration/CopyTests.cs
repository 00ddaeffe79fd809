using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>backup-agent copy between a directory and a real S3 server (s3rver), both ways, as a user runs it.</summary>
public sealed class CopyTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _bucket = "";
    private Dictionary<string, string?> _env = null!;

    private string Offsite => $"s3://{_bucket}/offsite";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _bucket = await S3TestServer.CreateBucketAsync();
        _env = S3TestServer.AgentEnvironment();
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_copy_from_a_directory_to_s3_and_back_keeps_every_byte_and_the_copy_restores_the_volume()
    {
        var source = await _scope.CreateVolumeAsync("copy");
        await TestScope.ShellInVolumeAsync(source, "yes copy | head -c 200000 > /d/text; head -c 3000000 /dev/urandom > /d/noise; mkdir /d/dir; ln -s text /d/dir/link");
        var before = await VolumeSnapshot.TakeAsync(source);
        var passphrase = Path.Combine(_scope.Directory, "passphrase");
        await File.WriteAllTextAsync(passphrase, Secrets.Register("copy me as I am") + "\n");
        var plain = Id(await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--json"));
        var encrypted = Id(await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--passphrase-file", passphrase, "--json"));
        var back = Path.Combine(_scope.Directory, "back");

        var dry = await Agent.SucceedWithAsync(_env, "copy", "--from", _scope.Backups, "--to", Offsite, "--dry-run");
        Assert.Contains($"{plain} would be copied to {Offsite}", dry.Stdout);
        Assert.Contains("2 to copy, 0 there already, 0 not copied", dry.Stdout);

        var up = JsonDocument.Parse((await Agent.SucceedWithAsync(_env, "copy", "--from", _scope.Backups, "--to", Offsite, "--json")).Stdout).RootElement;
        Assert.Equal(["copied", "copied"], up.GetProperty("sets").EnumerateArray().Select(s => s.GetProperty("outcome").GetString()));
        var again = await Agent.SucceedWithAsync(_env, "copy", "--from", _scope.Backups, "--to", Offsite);
        Assert.Contains("0 copied, 2 there already, 0 not copied", again.Stdout);

        await Agent.SucceedWithAsync(_env, "copy", "--from", Offsite, "--to", back);
        Assert.Equal(Files(_scope.Backups), Files(back));
        foreach (var file in Files(_scope.Backups))
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_scope.Backups, file)), await File.ReadAllBytesAsync(Path.Combine(back, file)));
        }

        await Agent.SucceedWithAsync(_env, "verify", "--from", Offsite, "--backup", plain, "--deep");
        foreach (var (id, key) in new[] { (plain, Array.Empty<string>()), (encrypted, new[] { "--passphrase-file", passphrase }) })
        {
            var target = _scope.Track(_scope.Name("copy-restored-" + id[^6..]));
            await Agent.SucceedAsync(["restore", "--from", back, "--backup", id, "--volume", $"{source}={target}", .. key]);
            VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));
        }
    }

    [Fact]
    public async Task A_copy_from_s3_to_s3_of_one_volume_copies_only_the_sets_that_hold_it()
    {
        var (db, web) = (await _scope.CreateVolumeAsync("copy-db"), await _scope.CreateVolumeAsync("copy-web"));
        await TestScope.ShellInVolumeAsync(db, "echo db > /d/f");
        await TestScope.ShellInVolumeAsync(web, "echo web > /d/f");
        var first = $"s3://{_bucket}/first";
        var second = $"s3://{await S3TestServer.CreateBucketAsync()}/second";
        var withDb = Id(await Agent.SucceedWithAsync(_env, "backup", "--to", first, "--volume", db, "--json"));
        Id(await Agent.SucceedWithAsync(_env, "backup", "--to", first, "--volume", web, "--json"));

        var copy = await Agent.SucceedWithAsync(_env, "copy", "--from", first, "--to", second, "--volume", db);
        Assert.Contains($"{withDb} copied to {second}", copy.Stdout);
        var listed = JsonDocument.Parse((await Agent.SucceedWithAsync(_env, "list", "--from", second, "--json")).Stdout).RootElement;
        Assert.Equal([withDb], listed.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        await Agent.SucceedWithAsync(_env, "verify", "--from", second, "--deep");
    }

    [Fact]
    public async Task A_copy_of_a_tampered_archive_fails_naming_it_and_leaves_the_target_without_the_set()
    {
        var source = await _scope.CreateVolumeAsync("copy-tampered");
        await TestScope.ShellInVolumeAsync(source, "head -c 100000 /dev/urandom > /d/noise");
        var id = Id(await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--compression", "none", "--json"));
        var archive = Directory.EnumerateFiles(Path.Combine(_scope.Backups, id), "*.tar").Single();
        var bytes = await File.ReadAllBytesAsync(archive);
        bytes[5000] ^= 1;
        await File.WriteAllBytesAsync(archive, bytes);
        var back = Path.Combine(_scope.Directory, "back");

        var failed = await Agent.RunAsync("copy", "--from", _scope.Backups, "--to", back, "--backup", "latest");

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains($"backup-agent: copy: {id} was not copied to {back}: archive '{Path.GetFileName(archive)}' of '{source}' in set {id} in {_scope.Backups} is corrupt or truncated", failed.Stderr);
        Assert.Empty(Directory.Exists(back) ? Files(back) : []);
    }

    private static string Id(AgentResult backup) => JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("id").GetString()!;

    private static List<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToList();
}
