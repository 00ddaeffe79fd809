using BackupAgent.Core.Engine;
using Serilog;

namespace BackupAgent.Core.Consistency;

/// <summary>Runs hooks inside their containers with <c>sh -c</c>, logging their output; returns the failures.</summary>
public sealed class HookRunner(IContainerControl engine, ILogger log)
{
    public async Task<IReadOnlyList<(Hook Hook, string Failure)>> RunAsync(string phase, IReadOnlyList<Hook> hooks, CancellationToken cancellationToken)
    {
        var failures = new List<(Hook, string)>();
        foreach (var hook in hooks)
        {
            log.Information("Running the {Phase} hook in {Container}: {Command}", phase, hook.Container, hook.Command);
            string? failure;
            try
            {
                var exit = await engine.ExecAsync(hook.Container, ["sh", "-c", hook.Command], hook.User, hook.Timeout, cancellationToken);
                foreach (var line in exit.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    log.Information("{Phase} hook output ({Container}): {Line}", phase, hook.Container, line);
                }

                failure = exit.ExitCode == 0 ? null : $"the {phase} hook in '{hook.Container}' exited with code {exit.ExitCode}";
            }
            catch (ExecTimeoutException)
            {
                failure = $"the {phase} hook in '{hook.Container}' did not finish within {hook.Timeout.TotalSeconds:0} s";
            }
            catch (Errors.BackupAgentException e)
            {
                failure = $"the {phase} hook in '{hook.Container}' could not run: {e.Message}";
            }

            if (failure is not null)
            {
                log.Error("{Failure}", failure);
                failures.Add((hook, failure));
            }
        }

        return failures;
    }
}
