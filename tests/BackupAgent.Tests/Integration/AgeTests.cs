using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.Directory;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// Public-key sets in the age format, checked against Debian's age: the archives open with age, zstd and tar alone,
/// an archive made by age restores through the agent, and a wrong or missing identity, damage and a forged manifest
/// stop a restore before any volume is touched.
/// </summary>
public sealed class AgeTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _source = "";
    private string _identity = "";
    private string _recipients = "";
    private string _setId = "";
    private string _archive = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _source = await _scope.CreateVolumeAsync("age");
        await TestScope.ShellInVolumeAsync(_source, "yes 'TOP SECRET LEDGER' | head -c 200000 > /d/ledger.txt; mkdir /d/sub; echo hi > '/d/sub/a b'; chown 1234:55 /d/ledger.txt; chmod 640 /d/ledger.txt");
        _identity = Path.Combine(_scope.Directory, "key.txt");
        var keygen = await Agent.SucceedAsync("keygen", "--output", _identity);
        _recipients = _identity + ".recipients";
        Assert.Contains("Public key: age1", keygen.Stderr);
        Secrets.Register((await File.ReadAllLinesAsync(_identity)).Single(l => l.StartsWith("AGE-SECRET-KEY-1", StringComparison.Ordinal)));
        Secrets.Register((await File.ReadAllTextAsync(_recipients)).Split(' ', '\n').Single(w => w.StartsWith("BACKUP-AGENT-MANIFEST-KEY-1", StringComparison.Ordinal)));
        var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--recipient", _recipients, "--json");
        using var json = JsonDocument.Parse(backup.Stdout);
        _setId = json.RootElement.GetProperty("id").GetString()!;
        var archive = json.RootElement.GetProperty("archives")[0];
        Assert.Equal(AgeFormat.Name, archive.GetProperty("encryption").GetString());
        _archive = Path.Combine(_scope.Backups, _setId, archive.GetProperty("file").GetString()!);
        Assert.EndsWith(".tar.zst.age", _archive);
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Keygen_writes_private_files_that_age_keygen_reads_and_never_overwrites_them()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_identity));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_recipients));
        var publicKey = (await HostCommand.RunAsync("age-keygen", "-y", _identity)).Trim();
        Assert.Contains($"# public key: {publicKey}", await File.ReadAllTextAsync(_identity));
        Assert.Contains(publicKey, await File.ReadAllLinesAsync(_recipients));

        var before = await File.ReadAllTextAsync(_identity);
        var again = await Agent.RunAsync("keygen", "--output", _identity);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("exists; it is never overwritten", again.Stderr);
        Assert.Equal(before, await File.ReadAllTextAsync(_identity));
    }

    [Fact]
    public async Task An_archive_encrypted_by_the_agent_opens_with_age_zstd_and_tar_alone()
    {
        Assert.DoesNotContain("TOP SECRET", await File.ReadAllTextAsync(_archive));
        var output = Path.Combine(_scope.Directory, "by-hand");
        Directory.CreateDirectory(output);

        await ShellAsync($"age -d -i '{_identity}' '{_archive}' | zstd -d | tar -x --numeric-owner -C '{output}'");

        Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(output, "sub", "a b")));
        var ledger = Path.Combine(output, "ledger.txt");
        Assert.Equal(200_000, new FileInfo(ledger).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(ledger));
        Assert.Equal("1234:55", (await HostCommand.RunAsync("stat", "-c", "%u:%g", ledger)).Trim());
    }

    [Fact]
    public async Task The_disaster_recovery_page_restores_a_volume_with_age_zstd_tar_and_docker_alone()
    {
        var page = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "disaster-recovery.md"));
        var marked = page[page.IndexOf("<!-- The test suite runs the next block", StringComparison.Ordinal)..];
        var start = marked.IndexOf("```sh\n", StringComparison.Ordinal) + "```sh\n".Length;
        var procedure = marked[start..marked.IndexOf("```", start, StringComparison.Ordinal)];
        Assert.Contains("age -d -i \"$KEY\"", procedure);

        var target = _scope.Track(_scope.Name("by-hand"));
        await ShellAsync(procedure, new Dictionary<string, string>
        {
            ["KEY"] = _identity,
            ["SET"] = Path.GetDirectoryName(_archive)!,
            ["FILE"] = Path.GetFileName(_archive),
            ["VOLUME"] = target,
            ["IMAGE"] = DockerCli.HelperImage,
        });

        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(_source), await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task A_set_restores_and_deep_verifies_with_the_identity_file()
    {
        var target = _scope.Track(_scope.Name("age-restored"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={target}", "--identity-file", _identity);
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(_source), await VolumeSnapshot.TakeAsync(target));
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--deep", "--identity-file", _identity);
    }

    [Fact]
    public async Task A_key_pair_made_by_age_keygen_backs_up_and_restores()
    {
        var ageKey = Path.Combine(_scope.Directory, "age-keygen.txt");
        await HostCommand.RunAsync("age-keygen", "-o", ageKey);
        var recipients = Path.Combine(_scope.Directory, "age-keygen.recipients");
        await Agent.SucceedAsync("keygen", "--recipients-of", ageKey, "--output", recipients);
        var backups = Path.Combine(_scope.Directory, "age-keygen-backups");
        await Agent.SucceedAsync("backup", "--to", backups, "--volume", _source, "--recipient", recipients);

        var target = _scope.Track(_scope.Name("age-keygen"));
        await Agent.SucceedAsync("restore", "--from", backups, "--volume", $"{_source}={target}", "--identity-file", ageKey);
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(_source), await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task An_archive_encrypted_by_age_and_wrapped_in_a_set_restores_through_the_agent()
    {
        var tar = CraftedSets.Tar(("made-by-age.txt", "encrypted by the age CLI\n"), ("second", "2"));
        var tarFile = Path.Combine(_scope.Directory, "crafted.tar");
        await File.WriteAllBytesAsync(tarFile, tar);
        await ShellAsync($"zstd -q -c '{tarFile}' | age -R '{_recipients}' -o '{tarFile}.zst.age'");

        var stored = await File.ReadAllBytesAsync(tarFile + ".zst.age");
        var store = DirectoryStore.Open(_scope.Backups, forWriting: true);
        var id = BackupSetId.New(DateTimeOffset.UtcNow.AddSeconds(1));
        await store.WriteBytesAsync($"{id}/crafted.tar.zst.age", stored, CancellationToken.None);
        var stats = new TarStats();
        stats.Append(tar);
        var archive = TestSets.Archive("crafted") with
        {
            File = "crafted.tar.zst.age",
            Compression = Compression.Zstd,
            Encryption = AgeFormat.Name,
            Bytes = stored.Length,
            TarBytes = stats.TarBytes,
            ContentBytes = stats.ContentBytes,
            Files = stats.Entries,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(stored)),
        };
        await new BackupCatalog(store).SaveAsync(TestSets.Set(id, archive), Core.Crypto.ArchiveKey.FromRecipients(AgeIdentity.ReadRecipients(_recipients)), CancellationToken.None);

        var target = _scope.Track(_scope.Name("from-age"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--backup", id, "--volume", $"crafted={target}", "--identity-file", _identity);
        Assert.Equal("encrypted by the age CLI\n", await TestScope.ShellInVolumeAsync(target, "cat /d/made-by-age.txt"));
    }

    [Fact]
    public async Task A_wrong_identity_exits_3_with_its_own_message_before_any_volume_is_touched()
    {
        var other = Path.Combine(_scope.Directory, "other.txt");
        await HostCommand.RunAsync("age-keygen", "-o", other);
        var result = await AssertRestoreRefusedAsync(["--identity-file", other], 3, "wrong identity file");
        UntrustedStoreTests.AssertOneLine(result);
        Assert.Equal(3, (await Agent.RunAsync("verify", "--from", _scope.Backups, "--identity-file", other)).ExitCode);
    }

    [Fact]
    public async Task An_incremental_backup_to_public_keys_is_a_full_one_each_time_saying_why_and_restores()
    {
        var backups = Path.Combine(_scope.Directory, "incremental");
        await Agent.SucceedAsync("backup", "--to", backups, "--volume", _source, "--recipient", _recipients, "--incremental");
        var second = await Agent.SucceedAsync("backup", "--to", backups, "--volume", _source, "--recipient", _recipients, "--incremental");
        Assert.Contains("sets encrypted to public keys cannot be read by the host that makes them", second.Stderr);
        Assert.Contains("(full, level 0)", second.Stdout);

        var target = _scope.Track(_scope.Name("age-incremental"));
        await Agent.SucceedAsync("restore", "--from", backups, "--volume", $"{_source}={target}", "--identity-file", _identity);
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(_source), await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task A_bare_public_key_alone_is_refused_for_a_backup_before_anything_is_read()
    {
        var publicKey = (await HostCommand.RunAsync("age-keygen", "-y", _identity)).Trim();
        var backups = Path.Combine(_scope.Directory, "bare");
        var result = await Agent.RunAsync("backup", "--to", backups, "--volume", _source, "--recipient", publicKey);
        Assert.Equal(2, result.ExitCode);
        UntrustedStoreTests.AssertOneLine(result);
        Assert.Contains($"recipient {publicKey} comes without its manifest key", result.Stderr);
        Assert.False(Directory.Exists(backups) && Directory.EnumerateFileSystemEntries(backups).Any());
    }

    [Fact]
    public async Task A_missing_identity_exits_3_saying_the_set_is_encrypted()
    {
        var result = await AssertRestoreRefusedAsync([], 3, "is encrypted: give --passphrase-file, --key-file, --identity-file");
        UntrustedStoreTests.AssertOneLine(result);
        Assert.Equal(3, (await Agent.RunAsync("verify", "--from", _scope.Backups)).ExitCode);
    }

    [Fact]
    public async Task An_archive_replaced_by_one_an_attacker_encrypted_to_the_public_key_is_refused_before_any_volume_is_touched()
    {
        // Whoever knows the public key can make a valid age archive and fix up the manifest's hash: the MAC catches it.
        var evil = Path.Combine(_scope.Directory, "evil.tar");
        await File.WriteAllBytesAsync(evil, CraftedSets.Tar(("ledger.txt", "forged")));
        var publicKey = (await HostCommand.RunAsync("age-keygen", "-y", _identity)).Trim();
        await ShellAsync($"zstd -q -c '{evil}' | age -r {publicKey} -o '{_archive}.new' && mv '{_archive}.new' '{_archive}'");
        var bytes = await File.ReadAllBytesAsync(_archive);
        await CraftedSets.RewriteManifestAsync(_scope.Backups, _setId, m =>
        {
            m["archives"]![0]!["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            m["archives"]![0]!["bytes"] = bytes.Length;
        });

        UntrustedStoreTests.AssertOneLine(await AssertRestoreRefusedAsync(["--identity-file", _identity], 1, "its MAC does not match"));
    }

    [Fact]
    public async Task A_tampered_archive_is_refused_before_any_volume_is_touched()
    {
        var bytes = await File.ReadAllBytesAsync(_archive);
        bytes[^100] ^= 0x40;
        await File.WriteAllBytesAsync(_archive, bytes);
        var result = await AssertRestoreRefusedAsync(["--identity-file", _identity], 1, "corrupt or truncated");
        Assert.Contains("tampered with", result.Stderr);

        // An existing target is left exactly as it was, even with --force.
        var existing = await _scope.CreateVolumeAsync("age-existing");
        await TestScope.ShellInVolumeAsync(existing, "echo keep > /d/keep; mkdir /d/dir");
        var before = await VolumeSnapshot.TakeAsync(existing);
        var forced = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{_source}={existing}", "--force", "--identity-file", _identity);
        Assert.Equal(1, forced.ExitCode);
        Assert.Contains("no volume was touched", forced.Stderr);
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(existing));
    }

    [Fact]
    public async Task A_forged_manifest_is_refused_before_any_volume_is_touched_also_with_a_mac_of_the_forgers_own_key()
    {
        var device = Path.Combine(_scope.Directory, "device");
        Directory.CreateDirectory(device);
        await CraftedSets.RewriteManifestAsync(_scope.Backups, _setId, m =>
            m["archives"]![0]!["driverOptions"] = new JsonObject { ["type"] = "none", ["o"] = "bind", ["device"] = device });
        UntrustedStoreTests.AssertOneLine(await AssertRestoreRefusedAsync(["--identity-file", _identity], 1, "its MAC does not match"));

        // The forger makes a MAC of his own, with a manifest key of his own identity: it is not one for ours.
        var manifest = await File.ReadAllBytesAsync(Path.Combine(_scope.Backups, _setId, "manifest.json"));
        await File.WriteAllBytesAsync(Path.Combine(_scope.Backups, _setId, "manifest.mac"), AgeManifestMac.Create(manifest, [AgeIdentity.Generate().Recipient]));
        UntrustedStoreTests.AssertOneLine(await AssertRestoreRefusedAsync(["--identity-file", _identity], 3, "was authenticated with another key"));
        Assert.Empty(Directory.GetFileSystemEntries(device));
    }

    [Fact]
    public async Task A_passphrase_set_is_in_the_age_format_with_scrypt_and_opens_with_age()
    {
        var passphrase = Path.Combine(_scope.Directory, "passphrase");
        await File.WriteAllTextAsync(passphrase, Secrets.Register("age-scrypt correct horse") + "\n");
        var backups = Path.Combine(_scope.Directory, "scrypt-backups");
        var backup = await Agent.SucceedAsync("backup", "--to", backups, "--volume", _source, "--passphrase-file", passphrase, "--json");
        using var json = JsonDocument.Parse(backup.Stdout);
        var id = json.RootElement.GetProperty("id").GetString()!;
        var archive = Path.Combine(backups, id, json.RootElement.GetProperty("archives")[0].GetProperty("file").GetString()!);
        Assert.EndsWith(".tar.zst.age", archive);
        Assert.StartsWith("age-encryption.org/v1\n-> scrypt ", await File.ReadAllTextAsync(archive));

        // age reads a passphrase only from a terminal: script(1) gives it one.
        var decrypted = Path.Combine(_scope.Directory, "scrypt.tar.zst");
        await ShellAsync($"(sleep 2; echo 'age-scrypt correct horse') | script -qec \"age -d -o '{decrypted}' '{archive}'\" /dev/null > /dev/null");
        Assert.Contains("./ledger.txt", await ShellAsync($"zstd -d -c '{decrypted}' | tar -t"));

        var wrong = Path.Combine(_scope.Directory, "wrong");
        await File.WriteAllTextAsync(wrong, Secrets.Register("not the passphrase"));
        var target = _scope.Track(_scope.Name("scrypt-wrong"));
        var refused = await Agent.RunAsync("restore", "--from", backups, "--volume", $"{_source}={target}", "--passphrase-file", wrong);
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("wrong passphrase", refused.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));
    }

    [Fact]
    public async Task A_scheduled_backup_job_encrypts_to_its_recipients_and_a_verify_job_reads_with_its_identity_file()
    {
        var (backup, verify) = (_scope.Name("age-b"), _scope.Name("age-v"));
        var backups = Path.Combine(_scope.Directory, "job-backups");
        var config = Scheduling.ConfigFile.Write(_scope.Directory, $"""
            state: {Path.Combine(_scope.Directory, "state")}
            jobs:
              - name: {backup}
                cron: "0 0 3 * * ?"
                destination: {backups}
                recipients: [{_recipients}]
                sources: {"{"} volumes: [{_source}] {"}"}
              - name: {verify}
                kind: verify
                cron: "0 0 5 * * ?"
                destination: {backups}
                identityFile: {_identity}
            """);
        await Agent.SucceedAsync("run", "--config", config, "--once", backup);
        var set = Directory.GetDirectories(backups).Single();
        Assert.Single(Directory.GetFiles(set, "*.tar.zst.age"));
        await Agent.SucceedAsync("run", "--config", config, "--once", verify);
    }

    private async Task<AgentResult> AssertRestoreRefusedAsync(string[] key, int exitCode, string message)
    {
        var target = _scope.Track(_scope.Name("never"));
        var result = await Agent.RunAsync(["restore", "--from", _scope.Backups, "--volume", $"{_source}={target}", .. key]);
        Assert.True(exitCode == result.ExitCode, result.ToString());
        Assert.Contains(message, result.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));
        return result;
    }

    /// <summary>Runs a bash pipeline on the host; fails with its stderr when it exits non-zero.</summary>
    internal static async Task<string> ShellAsync(string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{script}\nexited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
