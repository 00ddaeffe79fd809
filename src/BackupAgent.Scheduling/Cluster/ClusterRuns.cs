using BackupAgent.Scheduling.Running;

namespace BackupAgent.Scheduling.Cluster;

/// <summary>
/// The fleet's shared run history: every run of this node, at its start and at its end, in PostgreSQL (beside the
/// node's own history.db). While PostgreSQL is away (restarted) a record is retried for up to a minute, so that a
/// restart loses no run.
/// </summary>
internal sealed class ClusterRuns(ClusterDatabase database, string node) : IRunObserver
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(3);

    public async Task ObserveAsync(RunNotice notice)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await database.SaveRunAsync(node, notice.Run, CancellationToken.None);
                return;
            }
            catch (Exception e) when (attempt < 20)
            {
                if (attempt == 1)
                {
                    notice.Log.Warning("The run could not be recorded in the cluster's history yet, retrying: {Error}", JobTerms.Describe(e));
                }

                await Task.Delay(Retry);
            }
        }
    }
}
