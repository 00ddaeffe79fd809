using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

public sealed class DeepVerifyTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Deep_verify_passes_an_intact_backup_and_leaves_no_scratch_volume()
    {
        var volume = await _scope.CreateVolumeAsync("deep-ok");
        await TestScope.ShellInVolumeAsync(volume, "mkdir -p /d/x/y; echo a > /d/x/a; ln /d/x/a /d/x/y/hard; ln -s a /d/x/sym; chown 7:8 /d/x/a; head -c 70000 /dev/urandom > /d/r");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume);

        var result = await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--deep");
        Assert.Contains($"{volume}: ok", result.Stdout);
        Assert.Contains("scratch volume", result.Stderr);
        Assert.Equal("", await ScratchVolumesOfAsync(volume));
    }

    [Fact]
    public async Task Deep_verify_catches_a_flipped_byte_inside_one_file_of_a_valid_looking_archive()
    {
        var volume = await _scope.CreateVolumeAsync("deep-bad");
        await TestScope.ShellInVolumeAsync(volume, "printf 'header UNIQUE-MARKER-CONTENT trailer' > /d/victim.txt; echo fine > /d/other.txt");
        var backup = JsonDocument.Parse((await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume, "--compression", "none", "--json")).Stdout);
        var id = backup.RootElement.GetProperty("id").GetString()!;
        var archivePath = Path.Combine(_scope.Backups, id, backup.RootElement.GetProperty("archives")[0].GetProperty("file").GetString()!);

        // Flip one byte of the file's contents and make the manifest agree: the tar stays well-formed.
        var bytes = await File.ReadAllBytesAsync(archivePath);
        var at = bytes.AsSpan().IndexOf("UNIQUE-MARKER"u8);
        Assert.True(at > 0);
        bytes[at] = (byte)'X';
        await File.WriteAllBytesAsync(archivePath, bytes);
        var manifestPath = Path.Combine(_scope.Backups, id, "manifest.json");
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!;
        manifest["archives"]![0]!["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString(), Encoding.UTF8);

        await Agent.SucceedAsync("verify", "--from", _scope.Backups);
        var deep = await Agent.RunAsync("verify", "--from", _scope.Backups, "--deep");
        Assert.Equal(1, deep.ExitCode);
        Assert.Contains("'./victim.txt' differs: SHA-256", deep.Stdout);
        Assert.DoesNotContain("other.txt", deep.Stdout);
        Assert.Equal("", await ScratchVolumesOfAsync(volume));
    }

    /// <summary>The scratch volumes a deep verify of <paramref name="volume"/> left (only this test's: other tests make their own at the same time).</summary>
    private static async Task<string> ScratchVolumesOfAsync(string volume) =>
        (await DockerCli.RunAsync("volume", "ls", "-q", "--filter", "label=backup-agent.scratch", "--filter", $"label=backup-agent.purpose=deep verify of {volume}")).Trim();
}
