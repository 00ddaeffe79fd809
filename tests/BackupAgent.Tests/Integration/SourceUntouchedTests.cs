using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// A backup never writes to its sources: helpers mount volumes without Docker's copy of the image's directory, so
/// an empty volume keeps its root's owner, mode and mtime (an empty PostgreSQL socket volume, 2775 postgres:postgres,
/// once became root:root 0755).
/// </summary>
public sealed class SourceUntouchedTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Backing_up_empty_volumes_by_name_and_by_container_leaves_their_roots_as_they_were()
    {
        var socket = await _scope.CreateVolumeAsync("empty-socket");
        var secret = await _scope.CreateVolumeAsync("empty-secret");
        // The app first: docker create itself copies the image's directory into an empty volume it mounts.
        var app = await _scope.CreateContainerAsync("empty-app", "-v", $"{socket}:/var/run/postgresql", "-v", $"{secret}:/source");
        await TestScope.ShellAsync(["-v", $"{socket}:/a", "-v", $"{secret}:/b"],
            "rm -rf /a/* /b/*; chown 101:104 /a; chmod 2775 /a; touch -d @1600000000 /a; chmod 0700 /b; touch -d @1500000000 /b");
        var before = await RootsAsync(socket, secret);

        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", socket, "--volume", secret);
        Assert.Equal(before, await RootsAsync(socket, secret));
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--container", app);
        Assert.Equal(before, await RootsAsync(socket, secret));

        // A deep verify restores the empty volumes into scratch volumes: they hold the archive, not the image's directory.
        var verify = await Agent.RunAsync("verify", "--from", _scope.Backups, "--deep");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(before, await RootsAsync(socket, secret));
    }

    [Fact]
    public async Task An_empty_volume_restored_into_a_new_volume_keeps_the_roots_owner_and_mode()
    {
        var socket = await _scope.CreateVolumeAsync("empty-src");
        await TestScope.ShellInVolumeAsync(socket, "chown 101:104 /d; chmod 2775 /d; touch -d @1600000000 /d");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", socket);
        var copy = _scope.Track(_scope.Name("empty-copy"));

        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{socket}={copy}");

        Assert.Equal(await RootsAsync(socket), await RootsAsync(copy));
    }

    /// <summary>Each volume root's mode, owner, group and mtime, and what it holds.</summary>
    private static async Task<string> RootsAsync(params string[] volumes)
    {
        var mounts = volumes.SelectMany((v, i) => new[] { "-v", $"{v}:/r{i}" }).ToArray();
        var roots = string.Join(" ", volumes.Select((_, i) => $"/r{i}"));
        return await TestScope.ShellAsync(mounts, $"for r in {roots}; do stat -c '%a %u %g %Y' $r; ls -A $r; done");
    }
}
