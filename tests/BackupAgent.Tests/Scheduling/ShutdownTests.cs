using System.Diagnostics;
using System.Text;
using BackupAgent.Scheduling.History;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>SIGTERM to the real agent process in the middle of a backup: it stops cleanly and leaves nothing behind.</summary>
public sealed class ShutdownTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task SIGTERM_mid_backup_leaves_no_helper_no_stopped_container_and_no_visible_partial_backup()
    {
        var volume = await _scope.CreateVolumeAsync("sigterm");
        await TestScope.ShellInVolumeAsync(volume, "head -c 300000000 /dev/urandom > /d/big");
        // -i keeps the container's sh waiting on its stdin: a running application container.
        var container = await _scope.CreateContainerAsync("sigterm", "-i", "-v", $"{volume}:/data");
        await DockerCli.RunAsync("start", container);
        var job = _scope.Name("sigterm");
        var config = ConfigFile.Write(_scope.Directory, $$"""
            jobs:
              - name: {{job}}
                cron: "* * * * * ?"
                destination: {{_scope.Backups}}
                compression: gzip
                sources: { containers: [{{container}}] }
            concurrency: { stopTimeoutSeconds: 60 }
            """);

        using var agent = StartAgent("run", "--config", config);
        var stderr = new StringBuilder();
        agent.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        agent.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Directory.Exists(_scope.Backups) || !Directory.EnumerateFiles(_scope.Backups, ".*.partial-*", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0))
        {
            Assert.False(agent.HasExited, $"the agent exited before its backup started:\n{Text(stderr)}");
            Assert.True(DateTime.UtcNow < deadline, $"no partial archive within 60 s:\n{Text(stderr)}");
            await Task.Delay(100);
        }

        using (var kill = Process.Start("kill", ["-TERM", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await agent.WaitForExitAsync(exit.Token);
        var log = Text(stderr);
        Assert.True(agent.ExitCode == 0, $"exit {agent.ExitCode}:\n{log}");
        Assert.Contains("was cancelled; nothing partial is left visible", log);
        Assert.Contains("The agent has stopped", log);

        var owners = await DockerCli.RunAsync("ps", "-a", "--filter", "label=backup-agent.helper", "--format", "{{.Label \"backup-agent.owner\"}}");
        Assert.DoesNotContain($":{agent.Id}:", owners);
        Assert.Equal("true", (await DockerCli.RunAsync("inspect", "-f", "{{.State.Running}}", container)).Trim());
        Assert.Empty(Directory.EnumerateFiles(_scope.Backups, "*", SearchOption.AllDirectories));
        Assert.Equal("", (await Agent.SucceedAsync("list", "--from", _scope.Backups)).Stdout.Trim());
        Assert.Equal(RunOutcome.Cancelled, new RunHistory(Path.Combine(_scope.Directory, "state")).Last(job)!.Outcome);
    }

    /// <summary>The agent built with the tests (the CLI project's output is copied next to them), as its own process.</summary>
    private static Process StartAgent(params string[] args)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "backup-agent");
        Assert.True(File.Exists(binary), $"the agent binary is missing at {binary}");
        var start = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}
