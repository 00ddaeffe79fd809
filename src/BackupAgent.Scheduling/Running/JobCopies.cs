using BackupAgent.Core.Operations;

namespace BackupAgent.Scheduling.Running;

/// <summary>The copies of a job (copies:): sets from its destination to each copy destination, one after the other; one failing does not stop the next.</summary>
public static class JobCopies
{
    /// <summary>What was copied where, one line per set and destination, and the problems of those that were not (each naming its set and destination).</summary>
    public static async Task<JobCopyResult> CopyAsync(JobRun run, Core.Storage.IBackupStore from, CopyRequest request, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var problems = new List<string>();
        var copied = new List<string>();
        long bytes = 0;
        foreach (var name in run.Job.Copies)
        {
            try
            {
                var result = await new CopyOperation(from, run.OpenCopy(name), run.Log).RunAsync(request, cancellationToken);
                lines.AddRange(result.Sets.Select(s => s.Describe(name)));
                problems.AddRange(result.Failed.Select(f => f.Describe(name)));
                bytes += result.CopiedBytes;
                copied.AddRange(result.Sets.Where(s => s.Outcome == CopyOutcome.Copied).Select(s => s.Id));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var line = $"nothing was copied to {name}: {JobTerms.Describe(e)}";
                run.Log.Error("Copying to {Destination} failed: {Error}", name, JobTerms.Describe(e));
                lines.Add(line);
                problems.Add(line);
            }
        }

        return new JobCopyResult(lines, problems, copied.Distinct().ToList(), bytes);
    }
}

/// <summary>What the copies of a run did: a line per set and destination, the problems, the IDs of the sets copied anywhere, and the bytes copied.</summary>
public sealed record JobCopyResult(IReadOnlyList<string> Lines, IReadOnlyList<string> Problems, IReadOnlyList<string> Copied, long Bytes);
