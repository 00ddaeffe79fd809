using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

public sealed class ListTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task List_shows_complete_sets_newest_first_and_filters_by_volume()
    {
        var a = await _scope.CreateVolumeAsync("list-a");
        var b = await _scope.CreateVolumeAsync("list-b");
        var first = JsonDocument.Parse((await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", a, "--json")).Stdout);
        var second = JsonDocument.Parse((await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", a, "--volume", b, "--json")).Stdout);
        var firstId = first.RootElement.GetProperty("id").GetString();
        var secondId = second.RootElement.GetProperty("id").GetString();

        // An archive without a manifest (a crashed backup) is not a backup.
        Directory.CreateDirectory(Path.Combine(_scope.Backups, "20990101T000000Z-abcdef"));
        File.WriteAllText(Path.Combine(_scope.Backups, "20990101T000000Z-abcdef", "x.tar.zst"), "partial");

        using var all = JsonDocument.Parse((await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json")).Stdout);
        Assert.Equal([secondId, firstId], all.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var archive = all.RootElement[0].GetProperty("archives")[0];
        Assert.True(archive.TryGetProperty("volume", out _) && archive.TryGetProperty("bytes", out _) && archive.TryGetProperty("sha256", out _));
        Assert.True(all.RootElement[0].TryGetProperty("createdAt", out _));

        using var onlyB = JsonDocument.Parse((await Agent.SucceedAsync("list", "--from", _scope.Backups, "--volume", b, "--json")).Stdout);
        Assert.Equal([secondId], onlyB.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()));

        var human = await Agent.SucceedAsync("list", "--from", _scope.Backups);
        Assert.StartsWith(secondId!, human.Stdout);
        Assert.DoesNotContain("20990101", human.Stdout);
    }
}
