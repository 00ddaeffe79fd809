using System.Text.Json;
using System.Text.Json.Nodes;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// Encrypted backups with a passphrase (new sets: age with scrypt): the store never sees plaintext, and a wrong key,
/// damage or a changed manifest stops a restore before any volume is touched. Key-file sets keep the older bae1 format.
/// </summary>
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
        await File.WriteAllTextAsync(_passphrase, Secrets.Register("correct horse battery staple") + "\n");
        var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--passphrase-file", _passphrase, "--json");
        using var json = JsonDocument.Parse(backup.Stdout);
        _setId = json.RootElement.GetProperty("id").GetString()!;
        var archive = json.RootElement.GetProperty("archives")[0];
        Assert.Equal("age-v1", archive.GetProperty("encryption").GetString());
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
    public async Task Without_a_key_restore_and_verify_exit_3_saying_the_set_is_encrypted()
    {
        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={_scope.Name("nokey")}");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("is encrypted: give --passphrase-file", result.Stderr);
        Assert.Equal(3, (await Agent.RunAsync("verify", "--from", _scope.Backups)).ExitCode);
    }

    [Fact]
    public async Task A_wrong_passphrase_exits_3_before_any_volume_is_touched()
    {
        var wrong = Path.Combine(_scope.Directory, "wrong");
        await File.WriteAllTextAsync(wrong, Secrets.Register("tr0ub4dor&3"));
        UntrustedStoreTests.AssertOneLine(await AssertRestoreRefusedAsync(wrong, "wrong passphrase", exitCode: 3));
    }

    [Fact]
    public async Task A_key_file_set_is_in_the_older_bae1_format_restores_and_a_wrong_key_file_exits_3()
    {
        var key = Path.Combine(_scope.Directory, "key");
        await File.WriteAllBytesAsync(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var backups = Path.Combine(_scope.Directory, "bae1");
        var backup = await Agent.SucceedAsync("backup", "--to", backups, "--volume", _source, "--key-file", key, "--json");
        var archive = JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("archives")[0];
        Assert.Equal("bae1-aes-256-gcm", archive.GetProperty("encryption").GetString());
        Assert.EndsWith(".tar.zst.enc", archive.GetProperty("file").GetString());

        var target = _scope.Track(_scope.Name("bae1-restored"));
        await Agent.SucceedAsync("restore", "--from", backups, "--volume", $"{_source}={target}", "--key-file", key);
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(_source), await VolumeSnapshot.TakeAsync(target));

        var wrong = Path.Combine(_scope.Directory, "wrong-key");
        await File.WriteAllBytesAsync(wrong, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var never = _scope.Track(_scope.Name("bae1-never"));
        var refused = await Agent.RunAsync("restore", "--from", backups, "--volume", $"{_source}={never}", "--key-file", wrong);
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("wrong key file", refused.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(never));
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

    [Fact]
    public async Task The_manifest_of_an_encrypted_set_carries_a_mac_and_a_genuine_set_verifies_with_its_key()
    {
        Assert.True(File.Exists(Mac));
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--passphrase-file", _passphrase);
    }

    [Fact]
    public async Task A_manifest_forged_in_the_store_is_refused_before_any_volume_is_touched()
    {
        var device = Path.Combine(_scope.Directory, "device");
        Directory.CreateDirectory(device);
        await CraftedSets.RewriteManifestAsync(_scope.Backups, _setId, m =>
            m["archives"]![0]!["driverOptions"] = new JsonObject { ["type"] = "none", ["o"] = "bind", ["device"] = device });

        var result = await AssertRestoreRefusedAsync(_passphrase, NotAuthenticated + " (its MAC does not match: the manifest was tampered with or truncated)");
        UntrustedStoreTests.AssertOneLine(result);
        Assert.Empty(Directory.GetFileSystemEntries(device));
        var verify = await Agent.RunAsync("verify", "--from", _scope.Backups, "--passphrase-file", _passphrase);
        Assert.Equal(1, verify.ExitCode);

        // Accepting sets without a MAC never accepts one whose MAC does not match.
        var accepting = await Agent.RunAsync("verify", "--from", _scope.Backups, "--passphrase-file", _passphrase, "--accept-without-mac");
        Assert.Equal(1, accepting.ExitCode);
        Assert.Contains("its MAC does not match", accepting.Stderr);
        Assert.Contains(NotAuthenticated, verify.Stderr);
    }

    [Fact]
    public async Task A_set_whose_manifest_mac_was_stripped_is_refused_with_the_key()
    {
        File.Delete(Mac);
        UntrustedStoreTests.AssertOneLine(await AssertRestoreRefusedAsync(_passphrase, NotAuthenticated + " (it has no manifest.mac)"));
    }

    [Fact]
    public async Task A_set_without_a_mac_made_by_an_older_agent_restores_with_accept_without_mac_and_a_warning()
    {
        File.Delete(Mac);
        var target = _scope.Track(_scope.Name("older-agent"));
        var restored = await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}", "--passphrase-file", _passphrase, "--accept-without-mac");
        Assert.Contains($"The manifest of backup set {_setId} carries no MAC, and is taken as it is", restored.Stderr);
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(_source), await VolumeSnapshot.TakeAsync(target));
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--passphrase-file", _passphrase, "--accept-without-mac");
    }

    [Fact]
    public async Task A_removed_encryption_field_is_refused_with_the_key_and_fails_in_one_line_without_it()
    {
        await CraftedSets.RewriteManifestAsync(_scope.Backups, _setId, m => m["archives"]![0]!.AsObject().Remove("encryption"));
        UntrustedStoreTests.AssertOneLine(await AssertRestoreRefusedAsync(_passphrase, NotAuthenticated));

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={_scope.Track(_scope.Name("nokey-plain"))}");
        Assert.Equal(1, result.ExitCode);
        UntrustedStoreTests.AssertOneLine(result);
        Assert.Contains("does not decompress", result.Stderr);
    }

    [Fact]
    public async Task A_set_that_claims_to_be_unencrypted_is_refused_when_a_key_is_given()
    {
        var plain = await CraftedSets.StoreAsync(_scope.Backups, "vol", CraftedSets.Tar(("f", "plain")));
        var target = _scope.Track(_scope.Name("plain"));

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", plain, "--volume", $"vol={target}", "--passphrase-file", _passphrase);

        Assert.Equal(1, result.ExitCode);
        UntrustedStoreTests.AssertOneLine(result);
        Assert.Contains($"the manifest of backup set '{plain}' is not authenticated by this key", result.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));
    }

    private string Mac => Path.Combine(_scope.Backups, _setId, "manifest.mac");

    private string NotAuthenticated => $"the manifest of backup set '{_setId}' is not authenticated by this key: it was changed in the store, or the key is wrong";

    private async Task<AgentResult> AssertRestoreRefusedAsync(string passphraseFile, string message, int exitCode = 1)
    {
        var target = _scope.Track(_scope.Name("never"));
        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}", "--passphrase-file", passphraseFile);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Contains("no volume was touched", result.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));
        return result;
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
