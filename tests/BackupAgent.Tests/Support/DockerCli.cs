using System.Diagnostics;

namespace BackupAgent.Tests.Support;

/// <summary>
/// The docker command line, for setting up and inspecting test scenarios the way a user would. A missing or
/// unreachable engine fails the test loudly: in CI the engine is always there.
/// </summary>
public static class DockerCli
{
    private static readonly SemaphoreSlim Loading = new(1, 1);

    public static string HelperImage =>
        Environment.GetEnvironmentVariable("BACKUP_AGENT_HELPER_IMAGE") is { Length: > 0 } image ? image : "backup-agent-helper:latest";

    /// <summary>The second engine that install/test starts for migration tests; fails loudly without it.</summary>
    public static string SecondEngine =>
        Environment.GetEnvironmentVariable("BACKUP_AGENT_TEST_ENGINE2") is { Length: > 0 } host
            ? host
            : throw new InvalidOperationException("BACKUP_AGENT_TEST_ENGINE2 is not set: run the tests with install/test, which starts the second engine");

    /// <summary>
    /// Restarts the second engine as a service manager would: SIGTERM by its pid, then install/second-engine restart,
    /// which starts it again on the data it has. Only for tests in <see cref="AloneCollection"/>: others use that engine.
    /// </summary>
    public static async Task RestartSecondEngineAsync()
    {
        var directory = Environment.GetEnvironmentVariable("BACKUP_AGENT_TEST_ENGINE2_DIR") ?? throw new InvalidOperationException("BACKUP_AGENT_TEST_ENGINE2_DIR is not set: run install/test");
        var pid = File.ReadAllText(Path.Combine(directory, "pid")).Trim();
        await HostCommand.RunAsync("kill", "-TERM", pid);
        await Poll.UntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), "the second engine did not stop within 60 s");
        await HostCommand.RunAsync("bash", Path.Combine(Repository.Root, "install", "second-engine"), "restart", directory);
    }

    /// <summary>
    /// Puts the helper image on another engine (docker save | docker load) unless it is there: the second engine starts
    /// empty, and a test that runs helpers there itself must not depend on an earlier test (a migration) having copied
    /// it. Idempotent; tests that call it at once load it once (and a load racing one from elsewhere is harmless).
    /// </summary>
    public static async Task EnsureHelperImageOnAsync(string host)
    {
        if (await HasHelperImageAsync(host))
        {
            return;
        }

        await Loading.WaitAsync();
        try
        {
            if (!await HasHelperImageAsync(host))
            {
                await RunBytesOnAsync(host, await RunBytesAsync(null, "save", HelperImage), "load", "-q");
            }
        }
        finally
        {
            Loading.Release();
        }
    }

    private static async Task<bool> HasHelperImageAsync(string host)
    {
        try
        {
            await RunOnAsync(host, "image", "inspect", HelperImage);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static async Task<string> RunAsync(params string[] args) => System.Text.Encoding.UTF8.GetString(await RunBytesAsync(null, args));

    /// <summary>Runs docker against another engine.</summary>
    public static async Task<string> RunOnAsync(string? host, params string[] args) => System.Text.Encoding.UTF8.GetString(await RunBytesOnAsync(host, null, args));

    public static Task<byte[]> RunBytesAsync(byte[]? stdin, params string[] args) => RunBytesOnAsync(null, stdin, args);

    /// <summary>Runs docker (on <paramref name="host"/>, else the default engine), optionally feeding stdin; returns stdout; throws with stderr on a non-zero exit.</summary>
    public static async Task<byte[]> RunBytesOnAsync(string? host, byte[]? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        if (host is not null)
        {
            start.Environment["DOCKER_HOST"] = host;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker");
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        await copy;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {process.ExitCode}: {await error}");
        }

        return output.ToArray();
    }
}
