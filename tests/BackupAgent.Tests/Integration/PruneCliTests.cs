using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

public sealed class PruneCliTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Prune_dry_run_shows_the_plan_and_the_real_run_keeps_exactly_what_it_said()
    {
        var volume = await _scope.CreateVolumeAsync("prune");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var set = JsonDocument.Parse((await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume, "--json")).Stdout);
            ids.Add(set.RootElement.GetProperty("id").GetString()!);
        }

        var dry = await Agent.SucceedAsync("prune", "--from", _scope.Backups, "--keep-last", "2", "--dry-run");
        Assert.Contains($"keep    {ids[2]}  (newest, last)", dry.Stdout);
        Assert.Contains($"keep    {ids[1]}  (last)", dry.Stdout);
        Assert.Contains($"delete  {ids[0]}", dry.Stdout);
        Assert.Contains("2 kept, 1 would delete", dry.Stdout);
        Assert.Equal(3, JsonDocument.Parse((await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json")).Stdout).RootElement.GetArrayLength());

        await Agent.SucceedAsync("prune", "--from", _scope.Backups, "--keep-last", "2");
        var listed = JsonDocument.Parse((await Agent.SucceedAsync("list", "--from", _scope.Backups, "--json")).Stdout);
        Assert.Equal([ids[2], ids[1]], listed.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.False(Directory.Exists(Path.Combine(_scope.Backups, ids[0])));
        await Agent.SucceedAsync("verify", "--from", _scope.Backups, "--backup", ids[1]);
    }

    [Fact]
    public async Task Prune_without_keep_rules_or_with_bad_values_exits_2()
    {
        Directory.CreateDirectory(_scope.Backups);
        var result = await Agent.RunAsync("prune", "--from", _scope.Backups);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("at least one --keep", result.Stderr);

        result = await Agent.RunAsync("prune", "--from", _scope.Backups, "--keep-daily", "many");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--keep-daily 'many' is not a whole number", result.Stderr);

        result = await Agent.RunAsync("prune", "--from", _scope.Backups, "--keep-last", "1", "--time-zone", "Mars/Olympus");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--time-zone 'Mars/Olympus'", result.Stderr);
    }
}
