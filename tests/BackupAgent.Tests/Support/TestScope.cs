namespace BackupAgent.Tests.Support;

/// <summary>
/// The Docker resources and directories of one test: unique names, labelled as test resources, and removed in
/// DisposeAsync. It never removes anything it did not create. Creating one checks the engine and fails loudly
/// without it.
/// </summary>
public sealed class TestScope : IAsyncDisposable
{
    public const string TestLabel = "backup-agent.test";

    private readonly List<string> _containers = [];
    private readonly List<string> _volumes = [];
    private readonly List<string> _images = [];
    private readonly List<(string? Host, string Kind, string Name)> _remote = [];

    private TestScope()
    {
        Id = Guid.NewGuid().ToString("N")[..8];
        Directory = Path.Combine(Path.GetTempPath(), $"backup-agent-test-{Id}");
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Id { get; }

    /// <summary>A scratch host directory for this test (removed afterwards).</summary>
    public string Directory { get; }

    /// <summary>A backup destination directory inside the scratch directory (not created yet).</summary>
    public string Backups => Path.Combine(Directory, "backups");

    public static async Task<TestScope> CreateAsync()
    {
        try
        {
            await DockerCli.RunAsync("image", "inspect", DockerCli.HelperImage);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"These tests need a Docker engine and the helper image {DockerCli.HelperImage}; run install/test, which starts them. {e.Message}", e);
        }

        return new TestScope();
    }

    /// <summary>A unique name for a test resource.</summary>
    public string Name(string stem) => $"ba-{stem}-{Id}";

    /// <summary>Registers a volume created some other way (e.g. by a restore) for removal.</summary>
    public string Track(string volume)
    {
        _volumes.Add(volume);
        return volume;
    }

    public async Task<string> CreateVolumeAsync(string stem, params string[] labels)
    {
        var name = Track(Name(stem));
        var args = new List<string> { "volume", "create", "--label", $"{TestLabel}={Id}" };
        foreach (var label in labels)
        {
            args.AddRange(["--label", label]);
        }

        args.Add(name);
        await DockerCli.RunAsync([.. args]);
        return name;
    }

    /// <summary>Creates (does not start) a container from the helper image, with extra `docker create` arguments.</summary>
    public async Task<string> CreateContainerAsync(string stem, params string[] dockerArgs)
    {
        var name = Name(stem);
        _containers.Add(name);
        await DockerCli.RunAsync(["create", "--name", name, "--label", $"{TestLabel}={Id}", "--log-driver", "none", "--network", "none", .. dockerArgs, DockerCli.HelperImage]);
        return name;
    }

    /// <summary>Runs (detached) a container from the helper image with a shell command, e.g. one that keeps writing to a volume.</summary>
    public async Task<string> RunContainerAsync(string stem, string[] dockerArgs, string script)
    {
        var name = Name(stem);
        _containers.Add(name);
        await DockerCli.RunAsync(["run", "-d", "--name", name, "--label", $"{TestLabel}={Id}", "--log-driver", "none", "--network", "none",
            "--stop-timeout", "2", .. dockerArgs, DockerCli.HelperImage, "sh", "-c", script]);
        return name;
    }

    public static async Task<bool> IsRunningAsync(string container) =>
        (await DockerCli.RunAsync("inspect", "-f", "{{.State.Running}}", container)).Trim() == "true";

    public void TrackImage(string image) => _images.Add(image);

    /// <summary>Registers a container, volume, network or image on an engine (null: the default one) for removal.</summary>
    public void TrackOn(string? host, string kind, string name) => _remote.Add((host, kind, name));

    /// <summary>
    /// On another engine (<paramref name="host"/>): a volume filled by <paramref name="script"/> (its root is /d), and an
    /// app container that uses it at /d and runs until stopped (stop timeout 2 s). Both are removed afterwards. The helper
    /// image is put on that engine first when it lacks it.
    /// </summary>
    public async Task<(string Volume, string App)> CreateAppOnAsync(string host, string stem, string script)
    {
        await DockerCli.EnsureHelperImageOnAsync(host);
        var volume = Name(stem);
        TrackOn(host, "volume", volume);
        await DockerCli.RunOnAsync(host, "volume", "create", "--label", $"{TestLabel}={Id}", volume);
        await DockerCli.RunOnAsync(host, "run", "--rm", "--log-driver", "none", "--network", "none", "-v", $"{volume}:/d", DockerCli.HelperImage, "sh", "-c", script);
        var app = Name(stem + "-app");
        TrackOn(host, "container", app);
        await DockerCli.RunOnAsync(host, "run", "-d", "--name", app, "--label", $"{TestLabel}={Id}", "--log-driver", "none", "--network", "none",
            "--stop-timeout", "2", "-v", $"{volume}:/d", DockerCli.HelperImage, "sh", "-c", "while true; do sleep 1; done");
        return (volume, app);
    }

    /// <summary>Runs a busybox shell script in a throwaway helper with the given `docker run` mount arguments.</summary>
    public static Task<string> ShellAsync(string[] mountArgs, string script) =>
        DockerCli.RunAsync(["run", "--rm", "--log-driver", "none", "--network", "none", .. mountArgs, DockerCli.HelperImage, "sh", "-c", script]);

    public static Task<string> ShellInVolumeAsync(string volume, string script) => ShellAsync(["-v", $"{volume}:/d"], script);

    /// <summary>Removes a volume and the containers (ours) that use it, as a user deleting it would.</summary>
    public async Task RemoveContainersAsync()
    {
        foreach (var container in Enumerable.Reverse(_containers))
        {
            await DockerCli.RunAsync("rm", "-f", "-v", container);
        }

        _containers.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (host, kind, name) in _remote.OrderBy(r => r.Kind is "volume" or "network"))
        {
            try
            {
                await DockerCli.RunOnAsync(host, kind switch
                {
                    "volume" => ["volume", "rm", "-f", name],
                    "image" => ["image", "rm", "-f", name],
                    "network" => ["network", "rm", name],
                    _ => ["rm", "-f", "-v", name],
                });
            }
            catch (InvalidOperationException)
            {
            }
        }

        foreach (var container in Enumerable.Reverse(_containers))
        {
            await IgnoreAsync("rm", "-f", "-v", container);
        }

        foreach (var volume in _volumes)
        {
            // A helper of this test's agent may still be on its way out (a run that was stopped): remove it first.
            foreach (var helper in (await TryAsync("ps", "-aq", "--filter", $"volume={volume}", "--filter", "label=backup-agent.helper")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                await IgnoreAsync("rm", "-f", helper);
            }

            await IgnoreAsync("volume", "rm", "-f", volume);
        }

        foreach (var image in _images)
        {
            await IgnoreAsync("image", "rm", "-f", image);
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<string> TryAsync(params string[] args)
    {
        try
        {
            return await DockerCli.RunAsync(args);
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    private static async Task IgnoreAsync(params string[] args)
    {
        try
        {
            await DockerCli.RunAsync(args);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
