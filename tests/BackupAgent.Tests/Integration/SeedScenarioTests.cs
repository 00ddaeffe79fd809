using System.Text.Json;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Docker's "manage data in containers" recipe, end to end against the real engine.</summary>
public sealed class SeedScenarioTests : IAsyncLifetime
{
    private const string Data = """
        mkdir -p /dbdata/pg/base && printf 'CREATE TABLE t;\n' > /dbdata/pg/schema.sql &&
        head -c 300000 /dev/urandom > /dbdata/pg/base/16384 && chown -R 999:999 /dbdata/pg &&
        chmod 700 /dbdata/pg && printf 'seed' > /dbdata/README
        """;

    private TestScope _scope = null!;
    private string _dbdata = "";
    private string _db3 = "";

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        // docker create -v /dbdata --name dbdata; db1 and db2 --volumes-from dbdata; db3 --volumes-from db1.
        _dbdata = await _scope.CreateContainerAsync("dbdata", "-v", "/dbdata");
        var db1 = await _scope.CreateContainerAsync("db1", "--volumes-from", _dbdata);
        await _scope.CreateContainerAsync("db2", "--volumes-from", _dbdata);
        _db3 = await _scope.CreateContainerAsync("db3", "--volumes-from", db1);
        await TestScope.ShellAsync(["--volumes-from", _dbdata], Data);
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Backing_up_db3_by_container_captures_dbdata_through_the_volumes_from_chain_and_restores_it_byte_for_byte()
    {
        var volume = await AnonymousVolumeOfAsync(_dbdata);
        var before = await VolumeSnapshot.TakeAsync(volume);

        var backup = await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--container", _db3, "--json");
        using var set = JsonDocument.Parse(backup.Stdout);
        var archive = Assert.Single(set.RootElement.GetProperty("archives").EnumerateArray());
        Assert.Equal(volume, archive.GetProperty("volume").GetString());
        Assert.Equal("/dbdata", archive.GetProperty("mountPath").GetString());
        Assert.Equal(64, archive.GetProperty("sha256").GetString()!.Length);
        Assert.True(archive.GetProperty("bytes").GetInt64() > 0);

        // Remove the containers and their volume, as after losing the host's data.
        await _scope.RemoveContainersAsync();
        Assert.Null(await VolumeOrNullAsync(volume));

        var restored = _scope.Track(_scope.Name("dbdata2"));
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"/dbdata={restored}");
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(restored));

        // A new container mounting the restored volume sees the data where db1 saw it.
        var seen = await TestScope.ShellAsync(["-v", $"{restored}:/dbdata"], "cat /dbdata/README; stat -c '%u:%g %a' /dbdata/pg");
        Assert.Equal("seed999:999 700", seen.Trim());
    }

    [Fact]
    public async Task Backing_up_by_volume_name_restores_into_a_new_volume_with_the_same_contents()
    {
        var volume = await AnonymousVolumeOfAsync(_dbdata);
        var before = await VolumeSnapshot.TakeAsync(volume);

        await Agent.SucceedAsync("backup", "--to", $"file://{_scope.Backups}", "--volume", volume);
        var restored = _scope.Track(_scope.Name("dbdata3"));
        var result = await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--backup", "latest", "--volume", $"{volume}={restored}", "--json");

        using var json = JsonDocument.Parse(result.Stdout);
        var restoredVolume = Assert.Single(json.RootElement.GetProperty("volumes").EnumerateArray());
        Assert.Equal(restored, restoredVolume.GetProperty("target").GetString());
        Assert.True(restoredVolume.GetProperty("created").GetBoolean());
        VolumeSnapshot.AssertEqual(before, await VolumeSnapshot.TakeAsync(restored));
    }

    private static async Task<string> AnonymousVolumeOfAsync(string container) =>
        (await DockerCli.RunAsync("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", container)).Trim();

    internal static async Task<string?> VolumeOrNullAsync(string volume)
    {
        try
        {
            return await DockerCli.RunAsync("volume", "inspect", volume);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
