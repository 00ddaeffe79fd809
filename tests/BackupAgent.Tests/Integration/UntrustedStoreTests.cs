using BackupAgent.Core.Sets;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// Sets crafted by whoever can write the store, internally consistent (sizes and SHA-256s recomputed): nothing in
/// them decides where on the host the agent writes, and every refusal is one line naming the set, never a stack trace.
/// The host directories these tests offer as bait are scratch directories of the test, never real system paths.
/// </summary>
public sealed class UntrustedStoreTests : IAsyncLifetime
{
    private static readonly byte[] Payload = CraftedSets.Tar(("payload", "from the store"));

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Driver_options_that_bind_a_host_directory_are_dropped_with_a_warning_and_the_directory_stays_untouched()
    {
        var device = HostDirectory("device");
        var id = await CraftedSets.StoreAsync(_scope.Backups, "vol", Payload, lie: a => a with { Driver = "local", DriverOptions = BindTo(device) });
        var target = _scope.Track(_scope.Name("options"));

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", id, "--volume", $"vol={target}");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Creating volume {target} with driver local but without the driver options device, o, type of its manifest", result.Stderr);
        Assert.Contains("--trust-volume-options", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(device));
        Assert.Equal("local {}", (await DockerCli.RunAsync("volume", "inspect", "-f", "{{.Driver}} {{json .Options}}", target)).Trim().Replace("null", "{}"));
        Assert.Equal("from the store", (await TestScope.ShellInVolumeAsync(target, "cat /d/payload")).Trim());
    }

    [Fact]
    public async Task With_trust_volume_options_the_driver_options_of_the_manifest_are_used()
    {
        var device = HostDirectory("trusted-device");
        var id = await CraftedSets.StoreAsync(_scope.Backups, "vol", Payload, lie: a => a with { Driver = "local", DriverOptions = BindTo(device) });
        var target = _scope.Track(_scope.Name("trusted"));

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", id, "--volume", $"vol={target}", "--trust-volume-options");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("without the driver options", result.Stderr);
        Assert.Contains(device, await DockerCli.RunAsync("volume", "inspect", "-f", "{{json .Options}}", target));
        Assert.Equal("from the store", (await File.ReadAllTextAsync(Path.Combine(device, "payload"))).Trim());
    }

    [Fact]
    public async Task A_bind_mount_archive_is_refused_without_a_target_and_its_host_path_stays_untouched()
    {
        var hostPath = HostDirectory("srv-app");
        var id = await StoreBindAsync(hostPath);

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", id);

        Assert.Equal(2, result.ExitCode);
        AssertOneLine(result);
        Assert.Contains($"backup set '{id}' is of the bind mount '{hostPath}', a host path: give a target (--volume {hostPath}=TARGET) or --to-original-paths", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(hostPath));
    }

    [Theory]
    [InlineData("named")]
    [InlineData("to-original-paths")]
    public async Task A_bind_mount_archive_goes_back_to_its_host_path_when_the_command_line_says_so(string how)
    {
        var hostPath = HostDirectory("srv-" + how);
        var id = await StoreBindAsync(hostPath);

        string[] choice = how == "named" ? ["--volume", $"{hostPath}={hostPath}"] : ["--to-original-paths"];
        var result = await Agent.RunAsync(["restore", "--from", _scope.Backups, "--backup", id, .. choice]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("from the store", (await File.ReadAllTextAsync(Path.Combine(hostPath, "payload"))).Trim());
    }

    [Fact]
    public async Task Prune_never_follows_an_item_name_through_a_symbolic_link_to_a_host_directory()
    {
        var host = HostDirectory("precious");
        await File.WriteAllTextAsync(Path.Combine(host, "precious"), "host data");
        var crafted = await CraftedSets.StoreAsync(_scope.Backups, "vol", Payload, lie: a => a with { File = "sub/precious" }, createdAt: DateTimeOffset.UtcNow.AddHours(-2));
        Directory.CreateSymbolicLink(Path.Combine(_scope.Backups, crafted, "sub"), host);
        await CraftedSets.StoreAsync(_scope.Backups, "vol", Payload);

        var list = await Agent.RunAsync("list", "--from", _scope.Backups);
        var prune = await Agent.RunAsync("prune", "--from", _scope.Backups, "--keep-last", "1");

        Assert.Equal(1, list.ExitCode);
        Assert.Contains($"the manifest of backup set '{crafted}'", list.Stderr);
        Assert.Contains("file 'sub/precious' is not a plain name", list.Stderr);
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.Contains($"keep {crafted}: its manifest cannot be read, so it is never pruned", prune.Stdout);
        Assert.DoesNotContain("   at ", prune.Stderr);
        Assert.Equal("host data", await File.ReadAllTextAsync(Path.Combine(host, "precious")));
        Assert.True(File.Exists(Path.Combine(_scope.Backups, crafted, "manifest.json")));
    }

    public static TheoryData<string, string> NamesOutsideTheSet => new()
    {
        { "file", "../../escape.tar" },
        { "file", "/tmp/backup-agent-absolute.tar" },
        { "index", "../other/vol.tar.index.jsonl.gz" },
    };

    [Theory]
    [MemberData(nameof(NamesOutsideTheSet))]
    public async Task An_item_name_outside_its_set_makes_the_set_unreadable_in_one_line_and_prune_keeps_its_manifest(string field, string name)
    {
        var crafted = await CraftedSets.StoreAsync(_scope.Backups, "vol", Payload,
            lie: a => field == "file" ? a with { File = name } : a with { Index = name }, createdAt: DateTimeOffset.UtcNow.AddHours(-2));
        await CraftedSets.StoreAsync(_scope.Backups, "vol", Payload);
        var target = _scope.Track(_scope.Name("outside"));

        var list = await Agent.RunAsync("list", "--from", _scope.Backups);
        var restore = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", crafted, "--volume", $"vol={target}");
        var verify = await Agent.RunAsync("verify", "--from", _scope.Backups, "--backup", crafted);
        var prune = await Agent.RunAsync("prune", "--from", _scope.Backups, "--keep-last", "1");

        Assert.Equal(1, list.ExitCode);
        foreach (var result in new[] { restore, verify })
        {
            Assert.Equal(1, result.ExitCode);
            AssertOneLine(result);
            Assert.Contains($"the manifest of backup set '{crafted}'", result.Stderr);
            Assert.Contains($"{field} '{name}' is not a plain name", result.Stderr);
        }

        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.DoesNotContain("   at ", prune.Stderr);
        Assert.True(File.Exists(Path.Combine(_scope.Backups, crafted, "manifest.json")));
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));
    }

    [Fact]
    public async Task A_crafted_index_that_is_not_json_fails_a_deep_verify_in_one_line()
    {
        var id = await CraftedSets.StoreAsync(_scope.Backups, "vol", Payload, lie: a => a with { Index = "vol.tar.index.jsonl.gz" });
        await File.WriteAllBytesAsync(Path.Combine(_scope.Backups, id, "vol.tar.index.jsonl.gz"), CraftedSets.Gzip("{ not an index\n"u8.ToArray()));

        var result = await Agent.RunAsync("verify", "--from", _scope.Backups, "--backup", id, "--deep");

        Assert.Equal(1, result.ExitCode);
        AssertOneLine(result);
        Assert.Contains("index 'vol.tar.index.jsonl.gz' of 'vol' cannot be read", result.Stderr);
    }

    [Fact]
    public async Task An_index_changed_in_the_store_fails_a_deep_verify_naming_it_against_its_pin()
    {
        var volume = await _scope.CreateVolumeAsync("pinned");
        await TestScope.ShellInVolumeAsync(volume, "echo real > /d/file");
        var id = (await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", volume, "--compression", "none")).Stdout.Split('\n')[0].Split(' ')[^1];
        var index = Directory.GetFiles(Path.Combine(_scope.Backups, id), "*.index.jsonl.gz").Single();
        await File.WriteAllBytesAsync(index, CraftedSets.Gzip("{\"p\":\".\",\"t\":\"5\",\"m\":493,\"u\":0,\"g\":0,\"mt\":0,\"s\":0}\n"u8.ToArray()));

        var result = await Agent.RunAsync("verify", "--from", _scope.Backups, "--backup", id, "--deep");

        Assert.Equal(1, result.ExitCode);
        AssertOneLine(result);
        Assert.Contains($"index '{Path.GetFileName(index)}' of '{volume}' is corrupt or truncated", result.Stderr);
    }

    private Task<string> StoreBindAsync(string hostPath) =>
        CraftedSets.StoreAsync(_scope.Backups, hostPath, Payload, lie: a => a with { Kind = SourceKind.Bind, Volume = hostPath, MountPath = "/app" });

    /// <summary>An empty scratch directory of this test on the host.</summary>
    private string HostDirectory(string stem)
    {
        var path = Path.Combine(_scope.Directory, stem);
        Directory.CreateDirectory(path);
        return path;
    }

    private static Dictionary<string, string> BindTo(string device) => new() { ["type"] = "none", ["o"] = "bind", ["device"] = device };

    /// <summary>A refusal is one line of stderr, "backup-agent: ...", and never a stack trace.</summary>
    internal static void AssertOneLine(AgentResult result)
    {
        Assert.DoesNotContain("   at ", result.Stderr);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => !l.Contains(" INF ") && !l.Contains(" WRN ") && !l.Contains(" ERR "));
        Assert.StartsWith("backup-agent: ", line);
    }
}
