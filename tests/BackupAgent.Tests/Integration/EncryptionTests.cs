using System.Text.Json;
using System.Text.Json.Nodes;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Encrypted backups: the store never sees plaintext, and a wrong key or damage stops a restore before any volume is touched.</summary>
public sealed class EncryptionTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _source = "";
    private string _passphrase = "";
    private string _setId = "";
    private string _archive = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _source = await _scope.CreateVolumeAsync("secret");
        await TestScope.ShellInVolumeAsync(_source, "yes 'TOP SECRET PAYROLL' | head -c 300000 > /d/payroll.txt; chmod 600 /d/payroll.txt");
        _passphrase = Path.Combine(_scope.Directory, "passphrase");
        await File.WriteAllTextAsync(_passphrase, "correct horse battery staple\n");
        var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--passphrase-file", _passphrase, "--json");
        using var json = JsonDocument.Parse(backup.Stdout);
        _setId = json.RootElement.GetProperty("id").GetString()!;
        var archive = json.RootElement.GetProperty("archives")[0];
        Assert.Equal("bae1-aes-256-gcm", archive.GetProperty("encryption").GetString());
        _archive = Path.Combine(_scope.Backups, _setId, archive.GetProperty("file").GetString()!);
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task An_encrypted_backup_holds_no_plaintext_and_restores_with_the_passphrase()
    {
        Assert.DoesNotContain("TOP SECRET", await File.ReadAllTextAsync(_archive));
        Assert.DoesNotContain("correct horse", await File.ReadAllTextAsync(Path.Combine(_scope.Backups, _setId, "manifest.json")));

        var target = _scope.Track(_scope.Name("secret-restored"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}", "--passphrase-file", _passphrase);
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(_source), await VolumeSnapshot.TakeAsync(target));
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--passphrase-file", _passphrase);
    }

    [Fact]
    public async Task Without_a_key_restore_and_verify_exit_2_saying_the_set_is_encrypted()
    {
        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={_scope.Name("nokey")}");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is encrypted: give --passphrase-file", result.Stderr);
        Assert.Equal(2, (await Agent.RunAsync("verify", "--from", _scope.Backups)).ExitCode);
    }

    [Fact]
    public async Task A_wrong_passphrase_fails_before_any_volume_is_touched()
    {
        var wrong = Path.Combine(_scope.Directory, "wrong");
        await File.WriteAllTextAsync(wrong, "tr0ub4dor&3");
        await AssertRestoreRefusedAsync(wrong, "wrong passphrase or key");
    }

    [Fact]
    public async Task A_tampered_archive_with_a_matching_manifest_fails_before_any_volume_is_touched()
    {
        var bytes = await File.ReadAllBytesAsync(_archive);
        bytes[bytes.Length - 100] ^= 0x40;
        await File.WriteAllBytesAsync(_archive, bytes);
        await RewriteManifestHashAsync(bytes);
        await AssertRestoreRefusedAsync(_passphrase, "tampered");
    }

    [Fact]
    public async Task A_truncated_archive_with_a_matching_manifest_fails_before_any_volume_is_touched()
    {
        var bytes = (await File.ReadAllBytesAsync(_archive))[..^50];
        await File.WriteAllBytesAsync(_archive, bytes);
        await RewriteManifestHashAsync(bytes);
        await AssertRestoreRefusedAsync(_passphrase, "tampered with or truncated");
    }

    private async Task AssertRestoreRefusedAsync(string passphraseFile, string message)
    {
        var target = _scope.Track(_scope.Name("never"));
        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}", "--passphrase-file", passphraseFile);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Contains("no volume was touched", result.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));
    }

    /// <summary>An attacker who can write the store can fix up the manifest too: authentication must still catch it.</summary>
    private async Task RewriteManifestHashAsync(byte[] archive)
    {
        var path = Path.Combine(_scope.Backups, _setId, "manifest.json");
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        manifest["archives"]![0]!["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(archive));
        manifest["archives"]![0]!["bytes"] = archive.Length;
        await File.WriteAllTextAsync(path, manifest.ToJsonString());
    }
}
