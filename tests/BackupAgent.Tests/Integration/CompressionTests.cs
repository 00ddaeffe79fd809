using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

public sealed class CompressionTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Theory]
    [InlineData("zstd", ".tar.zst")]
    [InlineData("gzip", ".tar.gz")]
    [InlineData("none", ".tar")]
    public async Task Each_compression_round_trips_and_is_recorded_in_the_manifest(string compression, string extension)
    {
        var source = await _scope.CreateVolumeAsync("comp-" + compression);
        await TestScope.ShellInVolumeAsync(source, "yes backup | head -c 2000000 > /d/text; head -c 50000 /dev/urandom > /d/noise; mkdir /d/dir");
        var before = await VolumeSnapshot.TakeAsync(source);

        var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source, "--compression", compression, "--json");
        using var json = JsonDocument.Parse(backup.Stdout);
        var archive = json.RootElement.GetProperty("archives")[0];
        Assert.Equal(compression, archive.GetProperty("compression").GetString());
        Assert.EndsWith(extension, archive.GetProperty("file").GetString());
        var stored = new FileInfo(Path.Combine(_scope.Backups, json.RootElement.GetProperty("id").GetString()!, archive.GetProperty("file").GetString()!));
        Assert.Equal(archive.GetProperty("bytes").GetInt64(), stored.Length);
        if (compression != "none")
        {
            Assert.True(stored.Length < 500_000, $"{compression} stored {stored.Length} bytes of 2 MB of repeated text");
        }

        await Agent.SucceedAsync("verify", "--from", _scope.Backups);
        var target = _scope.Track(_scope.Name("comp-restored-" + compression));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}");
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(target));
    }
}
