using BackupAgent.Core.Storage;
using BackupAgent.Scheduling.Config;
using BackupAgent.Wiring;
using Serilog;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// What a kind of job does (kind: backup in the config). The extension point for prune, verify and migrate: implement
/// this and register it in <see cref="JobKinds.All"/>; the scheduler, history and notifications stay the same (the operations take the volume locks).
/// </summary>
public interface IJobKind
{
    string Name { get; }

    Task<JobResult> RunAsync(JobRun run, CancellationToken cancellationToken);

    /// <summary>What a run would do, one line each (run --once JOB --dry-run); touches nothing.</summary>
    Task<IReadOnlyList<string>> DryRunAsync(JobRun run, CancellationToken cancellationToken);
}

/// <summary>One run of a job: its configuration, its run ID, a logger that stamps every line with both, and the agent's factory of engines and stores.</summary>
public sealed record JobRun(JobOptions Job, AgentOptions Agent, string RunId, ILogger Log, AgentFactory Factory)
{
    /// <summary>The job's destination, relative paths resolved against the configuration file's directory.</summary>
    public string Destination => Destinations.Resolve(Agent, Job.Destination!)!;

    /// <summary>Opens the job's destination store.</summary>
    public IBackupStore OpenDestination() => Factory.OpenStore(Destination, $"the destination of job {Job.Name}", forWriting: true, Log);

    /// <summary>Opens the job's copy destinations (copies:), each with the name the job gives it.</summary>
    public IReadOnlyList<(string Name, IBackupStore Store)> OpenCopies() => Job.Copies
        .Select(c => (c, Factory.OpenStore(Destinations.Resolve(Agent, c)!, $"copy destination {c} of job {Job.Name}", forWriting: true, Log)))
        .ToList();
}

/// <summary>What a run did: the backup sets it wrote (or deleted) and their size, and what a person should look at.</summary>
public sealed record JobResult(IReadOnlyList<string> Sets, long Bytes)
{
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>How long each container stopped for the run was down, as "NAME 1.234 s".</summary>
    public IReadOnlyList<string> Downtimes { get; init; } = [];

    /// <summary>What happened to each set in each copy destination (or prune of one), one line each.</summary>
    public IReadOnlyList<string> Copies { get; init; } = [];
}

public static class JobKinds
{
    public static IReadOnlyList<IJobKind> All { get; } = [new BackupJobKind(), new PruneJobKind(), new VerifyJobKind(), new MigrateJobKind(), new CopyJobKind()];

    public static IEnumerable<string> Names => All.Select(k => k.Name);
}
