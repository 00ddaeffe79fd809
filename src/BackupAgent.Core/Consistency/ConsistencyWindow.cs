using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Operations;
using Serilog;

namespace BackupAgent.Core.Consistency;

/// <summary>
/// The window in which a run's data holds still, the one skeleton of backup, restore and migrate: the pre-backup hooks
/// run when it opens (a failed one that must fail the run fails it, before anything is stopped); the containers of the
/// plan are stopped (journalled first) only for the length of <see cref="WhileStoppedAsync{T}"/>, which starts them
/// again on every path; the post-backup hooks run when it closes, and on every path, since disposing a window that
/// was not closed closes it. What fails once the data is safe (a container that does not start again, a post-backup
/// hook) does not undo the run: <see cref="CloseAsync"/> returns it, and the run fails loudly with it.
/// </summary>
public sealed class ConsistencyWindow : IAsyncDisposable
{
    private readonly ContainerStopper _stopper;
    private readonly HookRunner _hooks;
    private readonly string _runId;
    private readonly ConsistencyPlan _plan;
    private readonly ILogger _log;
    private readonly TimeSpan? _stopTimeout;
    private readonly List<string> _problems = [];
    private bool _closed;

    private ConsistencyWindow(ContainerStopper stopper, HookRunner hooks, string runId, ConsistencyPlan plan, TimeSpan? stopTimeout, ILogger log)
    {
        (_stopper, _hooks, _runId, _plan, _stopTimeout, _log) = (stopper, hooks, runId, plan, stopTimeout, log);
    }

    /// <summary>How long each container was down, once <see cref="WhileStoppedAsync{T}"/> has started them again.</summary>
    public IReadOnlyList<Downtime> Downtimes { get; private set; } = [];

    /// <summary>
    /// Runs the plan's pre-backup hooks. When one that must fail the run failed, the window is closed (post-backup
    /// hooks too) and the run fails with the hooks' failures and <paramref name="unchanged"/> (e.g. "nothing was backed up").
    /// </summary>
    public static async Task<ConsistencyWindow> OpenAsync(
        IContainerEngine engine, ContainerStopper stopper, string runId, ConsistencyPlan plan, string unchanged, ILogger log, CancellationToken cancellationToken,
        TimeSpan? stopTimeout = null)
    {
        var window = new ConsistencyWindow(stopper, new HookRunner(engine, log), runId, plan, stopTimeout, log);
        try
        {
            var fatal = (await window._hooks.RunAsync("pre-backup", plan.PreHooks, cancellationToken)).Where(f => f.Hook.FailRunOnError).Select(f => f.Failure).ToList();
            return fatal.Count > 0 ? throw new BackupAgentException($"{string.Join("; ", fatal)}; {unchanged}") : window;
        }
        catch
        {
            await window.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the plan's containers, runs <paramref name="body"/>, and starts them again on every path: after a failure
    /// (one error naming both when the start fails too), or after success (a failed start is one of the window's
    /// problems then: the data is read and consistent). With <paramref name="leaveStopped"/> a successful body leaves
    /// them stopped on purpose (a migration's cut-over) and forgets them in the journal. A body that fails with
    /// <see cref="SwapIncompleteException"/> leaves them stopped and journalled: recovery completes the swap, then starts them.
    /// </summary>
    public async Task<T> WhileStoppedAsync<T>(Func<CancellationToken, Task<T>> body, CancellationToken cancellationToken, bool leaveStopped = false)
    {
        var stopped = await _stopper.StopAsync(_runId, _plan.Stop, _stopTimeout, cancellationToken);
        T value;
        try
        {
            value = await body(cancellationToken);
        }
        catch (SwapIncompleteException)
        {
            throw;
        }
        catch (Exception failure)
        {
            await stopped.RestartAfterAsync(failure);
            throw;
        }

        if (leaveStopped)
        {
            _log.Information("Leaving {Containers} stopped for the cut-over", _plan.Stop.Select(c => c.Name));
            await stopped.ReleaseAsync(cancellationToken);
            return value;
        }

        try
        {
            // Not cancelled: what was stopped runs again whatever happens to the run now.
            Downtimes = await stopped.RestartAsync(CancellationToken.None);
        }
        catch (BackupAgentException restart)
        {
            _problems.Add(restart.Message);
        }

        return value;
    }

    /// <summary>Runs the post-backup hooks (once) and returns what failed after the data was safe: containers that did not start again, post-backup hooks.</summary>
    public async Task<IReadOnlyList<string>> CloseAsync()
    {
        if (!_closed)
        {
            _closed = true;
            _problems.AddRange((await _hooks.RunAsync("post-backup", _plan.PostHooks, CancellationToken.None)).Select(f => f.Failure));
        }

        return _problems;
    }

    /// <summary>Closes the window if the run did not (it failed): the post-backup hooks run on every path.</summary>
    public async ValueTask DisposeAsync() => await CloseAsync();
}
