using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;

namespace BackupAgent.Scheduling.Running;

/// <summary>
/// kind: copy. Copies every set of the job's destination (optionally only those holding its volume) that a copy
/// destination lacks to each of them (as backup-agent copy --backup all): a run finishes what an interrupted one left.
/// </summary>
public sealed class CopyJobKind : IJobKind
{
    public string Name => "copy";

    public async Task<IReadOnlyList<string>> DryRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var from = run.OpenDestination();
        var lines = new List<string>();
        foreach (var name in run.Job.Copies)
        {
            var result = await new CopyOperation(from, run.OpenCopy(name), run.Log).RunAsync(new CopyRequest(CopyRequest.All, run.Job.Volume, DryRun: true), cancellationToken);
            lines.AddRange(result.Sets.Select(s => s.Describe(name)));
        }

        return lines;
    }

    public async Task<JobResult> RunAsync(JobRun run, CancellationToken cancellationToken)
    {
        var copies = await JobCopies.CopyAsync(run, run.OpenDestination(), new CopyRequest(CopyRequest.All, run.Job.Volume, DryRun: false), cancellationToken);
        var result = new JobResult(copies.Copied, copies.Bytes) { Copies = copies.Lines };
        if (copies.Problems.Count > 0)
        {
            throw PartialRunException.Of(new BackupAgentException($"job {run.Job.Name} did not copy everything: {string.Join("; ", copies.Problems)}"), result);
        }

        run.Log.Information("Copied {Count} set(s), {Bytes} bytes: {Copies}", copies.Copied.Count, copies.Bytes, copies.Lines);
        return result;
    }
}
