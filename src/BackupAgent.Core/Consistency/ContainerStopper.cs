using System.Diagnostics;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using Serilog;

namespace BackupAgent.Core.Consistency;

/// <summary>How long a container was down for a run.</summary>
public sealed record Downtime(string Container, double Seconds);

/// <summary>What a recovery did with the containers that runs which died left stopped on this engine, by name.</summary>
public sealed class Recovery
{
    public List<string> Started { get; } = [];

    /// <summary>Containers that no longer exist: forgotten.</summary>
    public List<string> Dropped { get; } = [];

    /// <summary>Containers recreated under their name (a new ID, e.g. by <c>docker compose up</c>): left to their new selves.</summary>
    public List<string> Recreated { get; } = [];

    /// <summary>Containers that did not start, with the error: the journal keeps them and every run tries again.</summary>
    public List<string> Failed { get; } = [];

    /// <summary>Containers on other engines: left to a run against those.</summary>
    public List<string> Elsewhere { get; } = [];

    /// <summary>Restores a dead run left unfinished, by target: rolled back (before their swap) or completed (inside it).</summary>
    public List<string> Restores { get; } = [];

    /// <summary>Unfinished restores that could not be settled, with the error: the journal keeps them and every run tries again.</summary>
    public List<string> Unsettled { get; } = [];
}

/// <summary>
/// Stops containers for the length of a read or a restore and starts them again, through the journal: what is
/// stopped is recorded before it is stopped; a container another live run still needs stopped is not started;
/// <see cref="RecoverAsync"/> starts what dead runs left stopped on this engine (entries name their engine). Nothing
/// a dead run left can fail a later run: a container that is gone is dropped, one recreated under its name is left
/// alone, and one that does not start is kept in the journal with a warning (retried by every run, and reported by
/// <c>recover</c>, which then exits 1). <see cref="Locks"/> keep two runs off one volume.
/// </summary>
public sealed class ContainerStopper(IContainerEngine engine, StopJournal journal, VolumeLocks locks, ILogger log)
{
    /// <summary>The volume locks of this state directory, which every operation that reads or writes volumes takes.</summary>
    public VolumeLocks Locks => locks;

    /// <summary>
    /// Deals with what runs which died left (see <see cref="Recovery"/>): first their unfinished restores are settled,
    /// then their containers are started, unless a live run still needs them stopped. Settling can take long (the old
    /// contents of a large volume are removed), so it runs outside the journal's lock, on entries this process has
    /// claimed; a container whose run left a restore unsettled stays stopped, so that nothing runs on a half-swapped
    /// volume.
    /// </summary>
    public async Task<Recovery> RecoverAsync(CancellationToken cancellationToken)
    {
        var recovery = new Recovery();
        var identity = await engine.GetIdentityAsync(cancellationToken);
        var claimed = new List<(JournalEntry Dead, JournalEntry Claim)>();
        HashSet<string> neededByLive;
        using (await journal.LockAsync(cancellationToken))
        {
            var entries = journal.Read();
            neededByLive = entries.Where(e => e.OwnerAlive).SelectMany(e => e.Containers).Select(c => c.Id).ToHashSet();
            foreach (var dead in entries.Where(e => !e.OwnerAlive))
            {
                if (!dead.IsOn(identity))
                {
                    // Another engine's containers: started by the next run against that engine (or 'recover' there).
                    log.Information("Leaving {Containers} to a run against {Endpoint}: run {RunId} stopped them there",
                        dead.Containers.Select(c => c.Name), dead.Endpoint, dead.RunId);
                    recovery.Elsewhere.AddRange(dead.Containers.Select(c => $"{c.Name} (on {dead.Endpoint})"));
                    continue;
                }

                // Claimed: while this process lives, no other run settles the same entry.
                var claim = dead with { Owner = ProcessIdentity.Current };
                journal.Record(claim);
                claimed.Add((dead, claim));
            }
        }

        foreach (var (dead, claim) in claimed)
        {
            var unsettled = new List<StagedRestore>();
            foreach (var restore in dead.Restores)
            {
                if (!await SettleOneAsync(dead, restore, recovery, cancellationToken))
                {
                    unsettled.Add(restore);
                }
            }

            using (await journal.LockAsync(cancellationToken))
            {
                var failed = new List<StoppedContainer>();
                foreach (var container in dead.Containers.Reverse().Where(c => !neededByLive.Contains(c.Id)))
                {
                    if (unsettled.Count > 0)
                    {
                        log.Warning("Leaving container {Container} stopped until the restore its run left unfinished is settled", container.Name);
                        failed.Insert(0, container);
                    }
                    else if (!await RecoverOneAsync(dead, container, recovery, cancellationToken))
                    {
                        failed.Insert(0, container);
                    }
                }

                // What is left goes back to the dead owner, for the next run to try again.
                journal.Record(claim with { Owner = dead.Owner, Containers = failed, Restores = unsettled });
            }
        }

        return recovery;
    }

    /// <summary>Rolls back or completes a restore a dead run left unfinished; false when that failed (kept for the next run).</summary>
    private async Task<bool> SettleOneAsync(JournalEntry dead, StagedRestore restore, Recovery recovery, CancellationToken cancellationToken)
    {
        var action = restore.Committing ? "Completing" : "Rolling back";
        log.Warning("{Action} the restore into {Target} of run {RunId}, which an agent that stopped at {StartedAt} left unfinished",
            action, restore.Target, dead.RunId, dead.StartedAt);
        try
        {
            await StagedTarget.SettleAsync(engine, restore, log, cancellationToken);
            recovery.Restores.Add($"{restore.Target} ({(restore.Committing ? "completed" : "rolled back")})");
            return true;
        }
        catch (BackupAgentException e)
        {
            log.Warning("The restore into {Target} could not be settled: {Error}; the stop journal in {Directory} keeps it, and every run (or 'backup-agent recover') tries again",
                restore.Target, e.Message, journal.Directory);
            recovery.Unsettled.Add($"{restore.Target} ({e.Message})");
            return false;
        }
    }

    /// <summary>Starts one container a dead run left stopped, or drops it when it is gone or was recreated; false when it did not start.</summary>
    private async Task<bool> RecoverOneAsync(JournalEntry dead, StoppedContainer container, Recovery recovery, CancellationToken cancellationToken)
    {
        if (await engine.FindContainerAsync(container.Id, cancellationToken) is null)
        {
            if (await engine.FindContainerAsync(container.Name, cancellationToken) is { } successor)
            {
                log.Warning("Leaving container {Container} as it is: it was recreated (now {NewId}) since run {RunId} stopped it as {Id}",
                    container.Name, successor.Id[..Math.Min(12, successor.Id.Length)], dead.RunId, container.Id[..Math.Min(12, container.Id.Length)]);
                recovery.Recreated.Add(container.Name);
            }
            else
            {
                log.Warning("Dropping container {Container} from the stop journal: it no longer exists (run {RunId} of an agent that stopped at {StartedAt} had stopped it)",
                    container.Name, dead.RunId, dead.StartedAt);
                recovery.Dropped.Add(container.Name);
            }

            return true;
        }

        log.Warning("Starting container {Container}, left stopped by run {RunId} of an agent that stopped at {StartedAt}", container.Name, dead.RunId, dead.StartedAt);
        try
        {
            await engine.StartContainerAsync(container.Id, cancellationToken);
            recovery.Started.Add(container.Name);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Warning("Container {Container} did not start again: {Error}; the stop journal in {Directory} keeps it, and every run (or 'backup-agent recover') tries again",
                container.Name, e.Message, journal.Directory);
            recovery.Failed.Add($"{container.Name} ({e.Message})");
            return false;
        }
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
            log.Information("Stopping container {Container} for run {RunId}", container.Name, runId);
            try
            {
                // The downtime runs from the stop request: a container's shutdown (up to its stop timeout) is downtime too.
                var clock = Stopwatch.StartNew();
                await engine.StopContainerAsync(container.Id, timeoutOf, cancellationToken);
                set.MarkStopped(container, clock);
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

    /// <summary>After <see cref="Settle"/>, fails naming each container that has exited with an error since it was started, with its exit code and the end of its log.</summary>
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
            // A one-shot container that finished its work (exit 0) did start; one that was removed cannot be told.
            if (await engine.FindContainerAsync(container.Id, cancellationToken) is { Running: false, ExitCode: not 0 } now)
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

        internal void MarkStopped(StoppedContainer container, Stopwatch clock) => _clocks[container.Id] = clock;

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
