using System.Diagnostics;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using Serilog;

namespace BackupAgent.Core.Consistency;

/// <summary>How long a container was down for a run.</summary>
public sealed record Downtime(string Container, double Seconds);

/// <summary>
/// Stops containers for the length of a read or a restore and starts them again, through the journal: what is
/// stopped is recorded before it is stopped; a container another live run still needs stopped is not started;
/// <see cref="RecoverAsync"/> starts what dead runs left stopped on this engine (entries name their engine).
/// </summary>
public sealed class ContainerStopper(IContainerEngine engine, StopJournal journal, ILogger log)
{

    /// <summary>Starts the containers that runs which died left stopped, unless a live run still needs them stopped.</summary>
    public async Task<IReadOnlyList<string>> RecoverAsync(CancellationToken cancellationToken)
    {
        using var _ = await journal.LockAsync(cancellationToken);
        var entries = journal.Read();
        var neededByLive = entries.Where(e => e.OwnerAlive).SelectMany(e => e.Containers).Select(c => c.Id).ToHashSet();
        var started = new List<string>();
        foreach (var dead in entries.Where(e => !e.OwnerAlive))
        {
            if (!dead.IsOn(await engine.GetIdentityAsync(cancellationToken)))
            {
                // Another engine's containers: started by the next run against that engine (or 'recover' there).
                log.Information("Leaving {Containers} to a run against {Endpoint}: run {RunId} stopped them there",
                    dead.Containers.Select(c => c.Name), dead.Endpoint, dead.RunId);
                continue;
            }

            foreach (var restore in dead.Restores)
            {
                log.Warning("{Action} the restore into {Target} of run {RunId}, which an agent left unfinished",
                    restore.Committing ? "Completing" : "Rolling back", restore.Target, dead.RunId);
                await StagedTarget.SettleAsync(engine, restore, cancellationToken);
            }

            foreach (var container in dead.Containers.Reverse().Where(c => !neededByLive.Contains(c.Id)))
            {
                log.Warning("Starting container {Container}, left stopped by run {RunId} of an agent that stopped at {StartedAt}", container.Name, dead.RunId, dead.StartedAt);
                await engine.StartContainerAsync(container.Id, cancellationToken);
                started.Add(container.Name);
            }

            journal.Remove(dead.RunId);
        }

        return started;
    }

    /// <summary>
    /// Stops the running containers of <paramref name="containers"/> (in that order) and returns the handle that starts
    /// them again; the caller starts them on every path (see <see cref="StoppedSet.RestartAsync"/>).
    /// </summary>
    public async Task<StoppedSet> StopAsync(string runId, IReadOnlyList<ContainerInfo> containers, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (containers.Count == 0)
        {
            return new StoppedSet(this, runId, []);
        }

        List<StoppedContainer> toStop;
        List<StoppedContainer> shared;
        using (await journal.LockAsync(cancellationToken))
        {
            var stoppedByOthers = journal.Read().Where(e => e.OwnerAlive).SelectMany(e => e.Containers).Select(c => c.Id).ToHashSet();
            toStop = containers.Where(c => c.Running).Select(c => new StoppedContainer(c.Id, c.Name)).ToList();
            shared = containers.Where(c => !c.Running && stoppedByOthers.Contains(c.Id)).Select(c => new StoppedContainer(c.Id, c.Name)).ToList();
            journal.Record(new JournalEntry(runId, ProcessIdentity.Current, DateTimeOffset.UtcNow, [.. toStop, .. shared])
            {
                Engine = await engine.GetIdentityAsync(cancellationToken),
                Endpoint = engine.Endpoint,
            });
        }

        var set = new StoppedSet(this, runId, [.. toStop, .. shared]);
        foreach (var container in toStop)
        {
            var timeoutOf = timeout ?? containers.First(c => c.Id == container.Id).StopTimeout;
            log.Information("Stopping container {Container} for the backup", container.Name);
            try
            {
                await engine.StopContainerAsync(container.Id, timeoutOf, cancellationToken);
                set.MarkStopped(container);
            }
            catch (Exception failure)
            {
                await set.RestartAfterAsync(failure);
                throw;
            }
        }

        return set;
    }

    /// <summary>
    /// How long a container started again must keep running to count as started: an application that cannot start
    /// (PostgreSQL without its lock file) exits within a second or two, and that must fail the run, not pass as started.
    /// </summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(3);

    private async Task<IReadOnlyList<Downtime>> RestartAsync(string runId, IReadOnlyList<StoppedContainer> containers, IReadOnlyDictionary<string, Stopwatch> clocks, CancellationToken cancellationToken)
    {
        if (containers.Count == 0)
        {
            return [];
        }

        var downtimes = new List<(StoppedContainer Container, Downtime Downtime)>();
        using (await journal.LockAsync(cancellationToken))
        {
            var neededByOthers = journal.Read().Where(e => e.RunId != runId && e.OwnerAlive).SelectMany(e => e.Containers).Select(c => c.Id).ToHashSet();
            var failures = new List<string>();
            foreach (var container in containers.Reverse())
            {
                if (neededByOthers.Contains(container.Id))
                {
                    log.Information("Leaving container {Container} stopped: another run still needs it stopped and will start it", container.Name);
                    continue;
                }

                try
                {
                    await engine.StartContainerAsync(container.Id, cancellationToken);
                    var seconds = clocks.TryGetValue(container.Id, out var clock) ? Math.Round(clock.Elapsed.TotalSeconds, 3) : 0;
                    downtimes.Add((container, new Downtime(container.Name, seconds)));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.Error("Container {Container} did not start again: {Error}", container.Name, e.Message);
                    failures.Add($"container '{container.Name}' did not start again: {e.Message}");
                }
            }

            if (failures.Count > 0)
            {
                throw new BackupAgentException(string.Join("; ", failures) + $" (the journal in {journal.Directory} keeps it; 'backup-agent recover' retries)");
            }

            journal.ReleaseContainers(runId);
        }

        await EnsureStillRunningAsync(downtimes.Select(d => d.Container).ToList(), cancellationToken);
        foreach (var (container, downtime) in downtimes)
        {
            log.Information("Started container {Container} again after {Seconds:0.000} s of downtime", container.Name, downtime.Seconds);
        }

        return downtimes.Where(d => clocks.ContainsKey(d.Container.Id)).Select(d => d.Downtime).ToList();
    }

    /// <summary>After <see cref="Settle"/>, fails naming each container that has exited since it was started, with its exit code and the end of its log.</summary>
    private async Task EnsureStillRunningAsync(IReadOnlyList<StoppedContainer> started, CancellationToken cancellationToken)
    {
        if (started.Count == 0 || Settle <= TimeSpan.Zero)
        {
            return;
        }

        await Task.Delay(Settle, cancellationToken);
        var failures = new List<string>();
        foreach (var container in started)
        {
            var now = await engine.GetContainerAsync(container.Id, cancellationToken);
            if (!now.Running)
            {
                var tail = (await engine.GetLogTailAsync(container.Id, 5, cancellationToken)).Trim().ReplaceLineEndings(" | ");
                log.Error("Container {Container} was started again but exited within {Seconds:0} s, with code {ExitCode}: {Log}", container.Name, Settle.TotalSeconds, now.ExitCode, tail);
                failures.Add($"container '{container.Name}' was started again but exited within {Settle.TotalSeconds:0} s with code {now.ExitCode}{(tail.Length == 0 ? "" : $" ({tail})")}");
            }
        }

        if (failures.Count > 0)
        {
            throw new BackupAgentException(string.Join("; ", failures));
        }
    }

    private async Task ForgetAsync(string runId, CancellationToken cancellationToken)
    {
        using var _ = await journal.LockAsync(cancellationToken);
        journal.ReleaseContainers(runId);
    }

    /// <summary>Records the targets a run is restoring into (none: all settled), in the run's entry, before they are touched.</summary>
    public async Task JournalRestoresAsync(string runId, IReadOnlyList<StagedRestore> restores, CancellationToken cancellationToken)
    {
        using var _ = await journal.LockAsync(cancellationToken);
        var entry = journal.Find(runId) ?? new JournalEntry(runId, ProcessIdentity.Current, DateTimeOffset.UtcNow, [])
        {
            Engine = await engine.GetIdentityAsync(cancellationToken),
            Endpoint = engine.Endpoint,
        };
        journal.Record(entry with { Restores = restores });
    }

    /// <summary>The containers one run stopped; <see cref="RestartAsync"/> starts them again, once.</summary>
    public sealed class StoppedSet
    {
        private readonly ContainerStopper _stopper;
        private readonly string _runId;
        private readonly IReadOnlyList<StoppedContainer> _containers;
        private readonly Dictionary<string, Stopwatch> _clocks = [];
        private Task<IReadOnlyList<Downtime>>? _restart;

        internal StoppedSet(ContainerStopper stopper, string runId, IReadOnlyList<StoppedContainer> containers)
        {
            _stopper = stopper;
            _runId = runId;
            _containers = containers;
        }

        internal void MarkStopped(StoppedContainer container) => _clocks[container.Id] = Stopwatch.StartNew();

        public Task<IReadOnlyList<Downtime>> RestartAsync(CancellationToken cancellationToken) =>
            _restart ??= _stopper.RestartAsync(_runId, _containers, _clocks, cancellationToken);

        /// <summary>Leaves the containers stopped on purpose (a cut-over): forgets them in the journal, so nothing starts them.</summary>
        public async Task ReleaseAsync(CancellationToken cancellationToken)
        {
            if (_containers.Count > 0)
            {
                await _stopper.ForgetAsync(_runId, cancellationToken);
            }

            _restart = Task.FromResult<IReadOnlyList<Downtime>>([]);
        }

        /// <summary>Starts the containers again after <paramref name="failure"/>; when that fails too, throws one error naming both.</summary>
        public async Task RestartAfterAsync(Exception failure)
        {
            try
            {
                await RestartAsync(CancellationToken.None);
            }
            catch (BackupAgentException restart)
            {
                throw new BackupAgentException($"{failure.Message}; and {restart.Message}", inner: failure);
            }
        }
    }
}
