using BackupAgent.Core.Errors;
using BackupAgent.Core.Progress;
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

    /// <summary>Where an operation of the run reports its progress: plain log lines, once it has lasted <see cref="PlainProgress.LongRun"/> (a new renderer each time).</summary>
    public IProgressSink Progress => new PlainProgress(Log, TimeProvider.System, PlainProgress.LongRun);

    /// <summary>Opens the job's destination store.</summary>
    public IBackupStore OpenDestination() => Factory.OpenStore(Destination, $"the destination of job {Job.Name}", forWriting: true, Log);

    /// <summary>Opens one of the job's copy destinations (copies:), by the name the job gives it.</summary>
    public IBackupStore OpenCopy(string name) =>
        Factory.OpenStore(Destinations.Resolve(Agent, name)!, $"copy destination {name} of job {Job.Name}", forWriting: true, Log);
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

/// <summary>A run that failed after doing part of its work (sets backed up, copied or pruned): the history and the webhook get what it did with the error.</summary>
public sealed class PartialRunException(string message, FailureKind kind, JobResult done, Exception? inner) : BackupAgentException(message, kind, inner)
{
    public JobResult Done { get; } = done;

    /// <summary><paramref name="failure"/>, with what the run did before it.</summary>
    public static PartialRunException Of(Exception failure, JobResult done) =>
        new(failure.Message, failure is BackupAgentException known ? known.Kind : FailureKind.OperationFailed, done, failure);
}

public static class JobKinds
{
    public static IReadOnlyList<IJobKind> All { get; } = [new BackupJobKind(), new PruneJobKind(), new VerifyJobKind(), new MigrateJobKind(), new CopyJobKind()];

    public static IEnumerable<string> Names => All.Select(k => k.Name);
}
