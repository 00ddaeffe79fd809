using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using Serilog;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// What a job with no sources backs up: the volume backup-agent-demo, created with a few files when missing, so that
/// a newcomer running the default configuration sees a backup happen.
/// </summary>
public static class DemoVolume
{
    public const string Name = "backup-agent-demo";

    public static async Task EnsureAsync(IContainerEngine engine, ILogger log, CancellationToken cancellationToken)
    {
        if (await engine.FindVolumeAsync(Name, cancellationToken) is not null)
        {
            return;
        }

        log.Information("Creating the demo volume {Volume} with a few files (a job with no sources backs it up)", Name);
        await engine.CreateVolumeAsync(new VolumeInfo(Name, "local", new Dictionary<string, string>(), new Dictionary<string, string> { ["backup-agent.demo"] = "true" }), cancellationToken);
        const string script = """
            cd /demo && mkdir -p notes && echo "Backed up by backup-agent. Replace the job's sources in agent.yaml with your volumes." > README.txt &&
            date -u > notes/created-at.txt && seq 1 1000 > notes/numbers.txt
            """;
        var spec = new HelperSpec("create the demo volume", ["sh", "-c", script]) { Mounts = [new HelperMount(Name, "/demo", ReadOnly: false)] };
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        if (exit.ExitCode != 0)
        {
            throw new HelperFailedException($"filling the demo volume {Name}", exit.ExitCode, exit.Stderr);
        }
    }
}
