using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Operations;

/// <summary>Whether each target volume (or host path) must be created, or holds data; refuses non-empty targets without force.</summary>
public static class TargetCheck
{
    public sealed record State(bool Create, bool NonEmpty);

    public static async Task<List<State>> InspectAsync(IContainerEngine engine, IReadOnlyList<string> targets, bool force, CancellationToken cancellationToken)
    {
        var states = new List<State>();
        var refused = new List<string>();
        foreach (var target in targets)
        {
            if (!target.StartsWith('/') && await engine.FindVolumeAsync(target, cancellationToken) is null)
            {
                states.Add(new State(Create: true, NonEmpty: false));
                continue;
            }

            var nonEmpty = await IsNonEmptyAsync(engine, target, cancellationToken);
            states.Add(new State(Create: false, nonEmpty));
            if (nonEmpty && !force)
            {
                refused.Add($"'{target}'");
            }
        }

        return refused.Count > 0
            ? throw new BackupAgentException(new Phrase($"target {string.Join(", ", refused)} is not empty (on {engine.Endpoint}); nothing was restored (use {Setting.Force} to replace its contents with the backup)"))
            : states;
    }

    private static async Task<bool> IsNonEmptyAsync(IContainerEngine engine, string target, CancellationToken cancellationToken)
    {
        var spec = new HelperSpec($"check of {target}", HelperCommands.CheckEmpty()) { Mounts = [new HelperMount(target, HelperCommands.TargetPath, ReadOnly: true)] };
        await using var helper = await engine.StartHelperAsync(spec, cancellationToken);
        var exit = await helper.WaitAsync(cancellationToken);
        return exit.ExitCode switch
        {
            0 => false,
            1 => true,
            _ => throw new HelperFailedException($"checking whether '{target}' is empty", exit.ExitCode, exit.Stderr),
        };
    }
}
