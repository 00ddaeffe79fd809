using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Incremental;

/// <summary>What <c>backup --dry-run</c> says about chains: the level and base an archive would have, or why it would be a full one.</summary>
public sealed class ChainDryRunTests : IAsyncLifetime
{
    private TestScope _scope = null!;
    private string _source = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _source = await _scope.CreateVolumeAsync("dry-chain");
        await TestScope.ShellInVolumeAsync(_source, "printf 'one\\n' > /d/a");
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private string[] Sets() => Directory.Exists(_scope.Backups)
        ? [.. Directory.GetDirectories(_scope.Backups).Where(d => BackupAgent.Core.Sets.BackupSetId.TryGetTime(Path.GetFileName(d), out _))]
        : [];

    [Fact]
    public async Task A_dry_run_of_an_incremental_backup_says_which_level_on_which_base_it_would_make_or_why_a_full()
    {
        var nothing = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental", "--dry-run");
        Assert.Contains($"full (level 0), starting a new chain: the store holds no earlier backup of '{_source}'", nothing.Stdout);
        Assert.Empty(Sets());

        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--full");
        var full = Path.GetFileName(Assert.Single(Sets()));
        await TestScope.ShellInVolumeAsync(_source, "printf 'two\\n' > /d/b");

        var level = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental", "--dry-run");
        Assert.Contains($"incremental: level 1 on set {full} (only what changed since then)", level.Stdout);
        var json = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--incremental", "--dry-run", "--json");
        Assert.Contains($"\"base\": \"{full}\"", json.Stdout.Replace("\":\"", "\": \""));
        var forced = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", _source, "--full", "--dry-run");
        Assert.Contains("full (level 0), starting a new chain: a full backup was asked for", forced.Stdout);
        Assert.Equal([full], Sets().Select(Path.GetFileName));
    }
}
