using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Incremental;

/// <summary>A chain continued from the store alone: on S3, and encrypted (archives, snapshot files and indexes alike).</summary>
public sealed class ChainStoresTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _source = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _source = await _scope.CreateVolumeAsync("stores");
        await TestScope.ShellInVolumeAsync(_source, "printf 'kept\\n' > /d/kept && printf 'secret-one\\n' > /d/a && mkdir /d/dir && printf 'secret-two\\n' > /d/dir/b");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private const string Change = "printf 'secret-three\\n' >> /d/a && rm /d/dir/b && mv /d/dir /d/moved && printf 'new\\n' > /d/moved/c";

    [Fact]
    public async Task A_chain_on_S3_restores_the_latest_tree()
    {
        var bucket = await S3TestServer.CreateBucketAsync();
        var env = S3TestServer.AgentEnvironment();
        var dest = $"s3://{bucket}/chain";
        await Agent.SucceedWithAsync(env, "backup", "--to", dest, "--volume", _source, "--full");
        await TestScope.ShellInVolumeAsync(_source, Change);
        var next = await Agent.SucceedWithAsync(env, "backup", "--to", dest, "--volume", _source, "--incremental");
        Assert.Contains("(level 1 on ", next.Stdout);

        var expected = await VolumeSnapshot.TakeAsync(_source);
        var target = _scope.Track(_scope.Name("stores-s3"));
        await Agent.SucceedWithAsync(env, "restore", "--from", dest, "--volume", $"{_source}={target}");
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));
        await Agent.SucceedWithAsync(env, "verify", "--from", dest);
    }

    [Fact]
    public async Task An_encrypted_chain_holds_no_plaintext_and_restores_with_the_passphrase()
    {
        var passphrase = Path.Combine(_scope.Directory, "passphrase");
        await File.WriteAllTextAsync(passphrase, Secrets.Register($"chain passphrase {Guid.NewGuid():N}") + "\n");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--full", "--passphrase-file", passphrase);
        await TestScope.ShellInVolumeAsync(_source, Change);
        var next = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental", "--passphrase-file", passphrase);
        Assert.Contains("(level 1 on ", next.Stdout);

        foreach (var file in Directory.GetFiles(_scope.Backups, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("manifest.json", StringComparison.Ordinal)))
        {
            var text = System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
            Assert.DoesNotContain("secret-", text);
            Assert.DoesNotContain("GNU tar-", text);
        }

        Assert.NotEmpty(Directory.GetFiles(_scope.Backups, "*.snar.gz.age", SearchOption.AllDirectories));
        var target = _scope.Track(_scope.Name("stores-enc"));
        var refused = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}");
        Assert.Contains("is encrypted: give --passphrase-file", refused.Stderr);

        var expected = await VolumeSnapshot.TakeAsync(_source);
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}", "--passphrase-file", passphrase);
        VolumeSnapshot.AssertEqual(expected, await VolumeSnapshot.TakeAsync(target));

        // Without the key the next backup cannot read the snapshot file, so it would not be part of the chain: a new full.
        var plain = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental");
        Assert.Contains("(full, level 0)", plain.Stdout);
        Assert.Contains("a chain is encrypted throughout", plain.Stderr);
    }
}
