using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>Each failure gives a clear message naming the culprit, the documented exit code, and touches nothing.</summary>
public sealed class ErrorTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    private void AssertNoBackups() =>
        Assert.True(!Directory.Exists(_scope.Backups) || !Directory.EnumerateFileSystemEntries(_scope.Backups).Any(), "the destination holds something");

    [Fact]
    public async Task An_unknown_volume_exits_2_naming_it_and_writes_no_backup()
    {
        var known = await _scope.CreateVolumeAsync("known");
        var missing = _scope.Name("missing");
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", known, "--volume", missing);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"no volume named '{missing}'", result.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(missing));
        AssertNoBackups();
    }

    [Fact]
    public async Task An_unknown_container_exits_2_naming_it()
    {
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--container", _scope.Name("nope"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"no container named '{_scope.Name("nope")}'", result.Stderr);
    }

    [Fact]
    public async Task An_unreachable_engine_exits_1_naming_the_endpoint()
    {
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", "x1", "--docker-host", "unix:///tmp/no-such-docker.sock");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot reach the Docker engine at unix:///tmp/no-such-docker.sock", result.Stderr);
    }

    [Fact]
    public async Task Recover_with_a_configuration_goes_to_the_engine_of_its_engine_section()
    {
        var config = Scheduling.ConfigFile.Write(_scope.Directory,
            "engine: { host: unix:///tmp/no-such-configured-docker.sock }\n" + Scheduling.ConfigFile.Jobs(Scheduling.ConfigFile.Job("nightly", "0 0 3 * * ?", _scope.Backups, "x1")));

        var result = await Agent.RunAsync("recover", "--config", config, "--state-dir", Path.Combine(_scope.Directory, "state"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot reach the Docker engine at unix:///tmp/no-such-configured-docker.sock", result.Stderr);
    }

    [Fact]
    public async Task A_destination_that_is_a_file_exits_2_and_an_uncreatable_one_exits_1()
    {
        var volume = await _scope.CreateVolumeAsync("dest");
        var file = Path.Combine(_scope.Directory, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        var result = await Agent.RunAsync("backup", "--to", file, "--volume", volume);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"destination '{file}' is a file, not a directory", result.Stderr);

        result = await Agent.RunAsync("backup", "--to", "/proc/backup-agent-test", "--volume", volume);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("to /proc/backup-agent-test", result.Stderr);

        result = await Agent.RunAsync("backup", "--to", "relative/dir", "--volume", volume);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("relative path", result.Stderr);
    }

    [Fact]
    public async Task A_missing_helper_image_names_the_command_that_builds_it()
    {
        var volume = await _scope.CreateVolumeAsync("noimage");
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", volume, "--helper-image", $"backup-agent-missing:{_scope.Id}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the helper image 'backup-agent-missing:{_scope.Id}' is not on the engine", result.Stderr);
        Assert.Contains("install/helper-image", result.Stderr);
    }

    [Fact]
    public async Task A_helper_that_fails_gives_its_exit_code_and_stderr_and_leaves_no_set()
    {
        var volume = await _scope.CreateVolumeAsync("broken");
        var image = $"backup-agent-broken:{_scope.Id}";
        var builder = _scope.Name("builder");
        await DockerCli.RunAsync("run", "--name", builder, "--log-driver", "none", DockerCli.HelperImage, "sh", "-c",
            "rm /bin/tar && printf '#!/bin/sh\\necho simulated tar failure >&2\\nexit 2\\n' > /bin/tar && chmod 755 /bin/tar");
        _scope.TrackImage(image);
        await DockerCli.RunAsync("commit", builder, image);
        await DockerCli.RunAsync("rm", builder);

        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", volume, "--helper-image", image);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"reading volume '{volume}': the helper container exited with code 2: simulated tar failure", result.Stderr);
        AssertNoBackups();
        Assert.Equal("", (await DockerCli.RunAsync("ps", "-aq", "--filter", "label=backup-agent.helper", "--filter", $"ancestor={image}")).Trim());
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("delete")]
    public async Task A_damaged_archive_fails_restore_and_verify_before_any_volume_is_touched(string damage)
    {
        var source = await _scope.CreateVolumeAsync("damaged");
        await TestScope.ShellInVolumeAsync(source, "head -c 200000 /dev/urandom > /d/data");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source);
        var archive = Directory.EnumerateFiles(_scope.Backups, "*.tar.zst", SearchOption.AllDirectories).Single();
        switch (damage)
        {
            case "flip":
                var bytes = await File.ReadAllBytesAsync(archive);
                bytes[bytes.Length / 2] ^= 0xff;
                await File.WriteAllBytesAsync(archive, bytes);
                break;
            case "truncate":
                await using (var f = new FileStream(archive, FileMode.Open))
                {
                    f.SetLength(f.Length / 2);
                }

                break;
            default:
                File.Delete(archive);
                break;
        }

        var target = _scope.Track(_scope.Name("never-created"));
        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no volume was touched", result.Stderr);
        Assert.Contains(damage == "delete" ? "is missing from" : "is corrupt or truncated", result.Stderr);
        Assert.Null(await SeedScenarioTests.VolumeOrNullAsync(target));

        var verify = await Agent.RunAsync("verify", "--from", _scope.Backups);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("FAILED", verify.Stdout);
    }

    [Fact]
    public async Task A_backup_id_that_does_not_exist_exits_2()
    {
        var source = await _scope.CreateVolumeAsync("ids");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source);
        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", "20000101T000000Z-000000");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{_scope.Backups} has no backup set '20000101T000000Z-000000'", result.Stderr);

        result = await Agent.RunAsync("verify", "--from", _scope.Backups, "--backup", "bogus");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'bogus' is not a backup set ID", result.Stderr);
    }

    [Fact]
    public async Task A_non_empty_target_is_refused_without_force_and_replaced_exactly_with_it()
    {
        var source = await _scope.CreateVolumeAsync("force-src");
        await TestScope.ShellInVolumeAsync(source, "echo original > /d/file");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source);
        var target = await _scope.CreateVolumeAsync("force-dst");
        await TestScope.ShellInVolumeAsync(target, "echo precious > /d/file; echo stale > /d/stale; mkdir /d/olddir");

        var refused = await Agent.RunAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"target '{target}' is not empty", refused.Stderr);
        Assert.Contains("--force", refused.Stderr);
        Assert.Equal("precious", (await TestScope.ShellInVolumeAsync(target, "cat /d/file")).Trim());

        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--volume", $"{source}={target}", "--force");
        VolumeSnapshot.AssertEqual(await VolumeSnapshot.TakeAsync(source), await VolumeSnapshot.TakeAsync(target));
    }

    [Fact]
    public async Task Restore_recreates_a_volume_with_its_labels_and_driver_options()
    {
        var source = _scope.Track(_scope.Name("labelled"));
        var device = Directory.CreateDirectory(Path.Combine(_scope.Directory, "device")).FullName;
        await DockerCli.RunAsync("volume", "create", "--label", "com.docker.compose.project=shop", "--label", $"{TestScope.TestLabel}={_scope.Id}",
            "--opt", "type=none", "--opt", "o=bind", "--opt", $"device={device}", source);
        await TestScope.ShellInVolumeAsync(source, "echo data > /d/f");
        await Agent.SucceedAsync("backup", "--to", _scope.Backups, "--volume", source);
        await DockerCli.RunAsync("volume", "rm", source);
        File.Delete(Path.Combine(device, "f"));

        // The options make the volume a bind mount of a host directory: a store may decide that only when the user trusts it.
        await Agent.SucceedAsync("restore", "--from", _scope.Backups, "--trust-volume-options");
        var labels = await DockerCli.RunAsync("volume", "inspect", "-f", "{{index .Labels \"com.docker.compose.project\"}} {{.Options.type}} {{.Options.o}} {{.Options.device}}", source);
        Assert.Equal($"shop none bind {device}", labels.Trim());
        Assert.Equal("data\n", await File.ReadAllTextAsync(Path.Combine(device, "f")));
    }

    [Fact]
    public async Task Bad_usage_exits_2_with_the_culprit_named()
    {
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", "v", "--compression", "lz4");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--compression 'lz4'", result.Stderr);

        result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--bogus");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown option '--bogus'", result.Stderr);

        result = await Agent.RunAsync("frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown command 'frobnicate'", result.Stderr);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ünïcødé-volume")]
    [InlineData("a/b")]
    [InlineData("--")]
    public async Task Odd_volume_names_exit_2_naming_them_and_create_nothing(string name)
    {
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, $"--volume={name}");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"'{name}'", result.Stderr);
        Assert.False(Directory.Exists(_scope.Backups));
    }

    [Fact]
    public async Task A_volume_name_of_10000_characters_exits_2_and_creates_nothing()
    {
        var name = new string('v', 10_000);
        var result = await Agent.RunAsync("backup", "--to", _scope.Backups, "--volume", name);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no volume named", result.Stderr);
        Assert.False(Directory.Exists(_scope.Backups));
    }
}
