using BackupAgent.Docker;

namespace BackupAgent.Tests.Unit;

/// <summary>
/// Where helpers find the agent's FIFOs: on the engine's host, where the agent makes them; from an agent in a container,
/// through the mount of that container that holds its run directory, at the mount's source on the host; through
/// nothing when no mount holds it (the attach stream serves then).
/// </summary>
public sealed class FifoPlacementTests
{
    private const string Id = "4f1c0a3b5e6d7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708";

    private static readonly (string, string, string)[] AgentMounts =
    [
        ("bind", "/var/run/docker.sock", "/var/run/docker.sock"),
        ("volume", "/var/lib/docker/volumes/state/_data", "/var/lib/backup-agent"),
        ("bind", "/srv/run", "/run/backup-agent"),
        ("bind", "/srv/backups", "/backups"),
        ("tmpfs", "", "/tmp"),
    ];

    [Theory]
    [InlineData("/var/lib/backup-agent/run", "/var/lib/backup-agent/run/1-2-abc", "/var/lib/docker/volumes/state/_data/run/1-2-abc")]
    [InlineData("/run/backup-agent", "/run/backup-agent/1-2-abc", "/srv/run/1-2-abc")]
    [InlineData("/run/backup-agent/", "/run/backup-agent", "/srv/run")]
    public void A_run_directory_under_a_bind_mount_or_a_volume_is_reached_at_its_source_on_the_host(string runRoot, string directory, string onHost)
    {
        var placement = FifoPlacement.Find(AgentMounts, runRoot);
        Assert.NotNull(placement);
        Assert.Equal(onHost, placement.OnEngineHost(directory));
    }

    [Theory]
    [InlineData("/tmp")] // a tmpfs
    [InlineData("/run")] // above a mount, in the container's own layer
    [InlineData("/run/backup-agentx")] // a sibling that only shares the prefix
    [InlineData("/opt/backup-agent/run")]
    public void A_run_directory_that_no_host_mount_holds_has_no_placement(string runRoot)
    {
        Assert.Null(FifoPlacement.Find(AgentMounts, runRoot));
    }

    [Fact]
    public void The_deepest_mount_holds_the_directory()
    {
        var placement = FifoPlacement.Find([("bind", "/host", "/"), ("bind", "/srv/deep", "/a/b")], "/a/b/c");
        Assert.Equal("/srv/deep/c/d", placement!.OnEngineHost("/a/b/c/d"));
        Assert.Equal("/host/a/x", FifoPlacement.Find([("bind", "/host", "/"), ("bind", "/srv/deep", "/a/b")], "/a/x")!.OnEngineHost("/a/x"));
    }

    [Fact]
    public void On_the_host_every_path_is_the_same()
    {
        Assert.Equal("/run/backup-agent/1-2-abc", FifoPlacement.OnHost.OnEngineHost("/run/backup-agent/1-2-abc"));
        Assert.Null(FifoPlacement.OnHost.Mount);
    }

    [Fact]
    public void A_container_sees_its_id_in_its_mount_table_its_cgroup_and_its_host_name()
    {
        var mountInfo = $"1021 1003 8:1 /var/lib/docker/containers/{Id}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n"
            + $"1022 1003 8:1 /var/lib/docker/containers/{Id}/hosts /etc/hosts rw,relatime - ext4 /dev/sda1 rw\n";
        Assert.Equal([Id], FifoPlacement.CandidateContainerIds(mountInfo, null, "db"));
        Assert.Equal([Id], FifoPlacement.CandidateContainerIds(null, $"12:pids:/docker/{Id}\n0::/\n", null));
        Assert.Equal([Id[..12]], FifoPlacement.CandidateContainerIds("", "0::/\n", Id[..12]));
        Assert.Empty(FifoPlacement.CandidateContainerIds("25 1 8:1 / / rw - ext4 /dev/sda1 rw\n", "0::/\n4:memory:/process_api/3a8fb31d1ba206eb87d6ebe1c47c3f9b\n", "vm"));
    }

    [Fact]
    public async Task An_agent_outside_any_container_of_the_engine_makes_its_fifos_where_the_engine_sees_them()
    {
        var root = Directory.CreateTempSubdirectory("ba-place-").FullName;
        try
        {
            var (placement, why) = await HelperOutputChoice.PlaceFifosAsync(Path.Combine(root, "run"), [], (_, _) => throw new InvalidOperationException("no engine call"), CancellationToken.None);
            Assert.Same(FifoPlacement.OnHost, placement);
            Assert.Null(why);
            Assert.True(Directory.Exists(Path.Combine(root, "run")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task An_agent_in_a_container_uses_its_own_mounts_and_falls_back_with_a_reason_without_one()
    {
        var root = Directory.CreateTempSubdirectory("ba-place-").FullName;
        try
        {
            var run = Path.Combine(root, "run");
            var asked = new List<string>();
            Task<IReadOnlyList<(string, string, string)>?> Inspect(string id, IReadOnlyList<(string, string, string)> mounts)
            {
                asked.Add(id);
                return Task.FromResult(id == Id ? mounts : null);
            }

            var (placed, _) = await HelperOutputChoice.PlaceFifosAsync(run, ["0123456789ab", Id], (id, _) => Inspect(id, [("bind", "/srv/agent", root)]), CancellationToken.None);
            Assert.Equal("/srv/agent/run/x", placed!.OnEngineHost(Path.Combine(run, "x")));
            Assert.Equal(["0123456789ab", Id], asked);

            var (none, why) = await HelperOutputChoice.PlaceFifosAsync(run, [Id], (id, _) => Inspect(id, [("bind", "/srv/backups", "/backups")]), CancellationToken.None);
            Assert.Null(none);
            Assert.Equal($"the agent runs in container {Id[..12]}, where its run directory {run} is not a mount from the host (mount a host directory or a volume there, as install/docker/compose.yaml does)", why);

            var (unknown, stranger) = await HelperOutputChoice.PlaceFifosAsync(run, [Id], (_, _) => Task.FromResult<IReadOnlyList<(string, string, string)>?>(null), CancellationToken.None);
            Assert.Null(unknown);
            Assert.Contains("that this engine does not know", stranger);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_run_directory_that_cannot_be_made_falls_back_naming_it()
    {
        var file = Path.GetTempFileName();
        try
        {
            var (placement, why) = await HelperOutputChoice.PlaceFifosAsync(Path.Combine(file, "run"), [], (_, _) => throw new InvalidOperationException(), CancellationToken.None);
            Assert.Null(placement);
            Assert.StartsWith($"the run directory {Path.Combine(file, "run")} cannot be created: ", why);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
