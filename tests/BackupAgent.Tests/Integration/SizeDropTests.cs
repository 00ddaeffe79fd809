using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

public sealed class SizeDropTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task A_backup_of_a_volume_that_was_emptied_is_flagged_in_the_log_and_the_manifest()
    {
        var volume = await _scope.CreateVolumeAsync("shrink");
        await TestScope.ShellInVolumeAsync(volume, "head -c 3000000 /dev/urandom > /d/db.sqlite");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume);
        await TestScope.ShellInVolumeAsync(volume, "rm /d/db.sqlite");

        var result = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume, "--json");
        var warning = $"the contents of '{volume}' dropped from 3000000 to 0 bytes";
        Assert.Contains(warning, result.Stderr);
        using var set = JsonDocument.Parse(result.Stdout);
        Assert.Contains(warning, set.RootElement.GetProperty("warnings")[0].GetString());
    }
}
