using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BackupAgent.Tests.Support;

/// <summary>
/// An s3rver of a test's own (for killing it mid-run): started from the copy install/test installs
/// (BACKUP_AGENT_TEST_S3RVER), on 127.0.0.1 and a free port, with its data in a given directory. Killed by its pid.
/// </summary>
public sealed class S3rverProcess : IAsyncDisposable
{
    public const string BinaryVariable = "BACKUP_AGENT_TEST_S3RVER";

    private readonly string _directory;
    private readonly int _port;
    private Process? _process;

    private S3rverProcess(string directory, int port)
    {
        _directory = directory;
        _port = port;
    }

    public string Endpoint => $"http://127.0.0.1:{_port}";

    public static async Task<S3rverProcess> StartAsync(string directory)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var server = new S3rverProcess(directory, port);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts the server (again, on the same port and data) and waits until it answers.</summary>
    public async Task RestartAsync()
    {
        var binary = Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } b
            ? b
            : throw new InvalidOperationException($"{BinaryVariable} is not set: this test needs the s3rver that install/test installs (run install/test)");
        Directory.CreateDirectory(_directory);
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { binary, "--directory", _directory, "--address", "127.0.0.1", "--port", _port.ToString(), "--silent" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 120; i++)
        {
            try
            {
                await http.GetAsync(Endpoint);
                return;
            }
            catch (HttpRequestException) when (!_process.HasExited)
            {
                await Task.Delay(250);
            }
        }

        throw new InvalidOperationException($"s3rver did not answer at {Endpoint}: {await _process.StandardError.ReadToEndAsync()}");
    }

    /// <summary>Kills the server by its pid, as a crash would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }
}
