using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Helpers;

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

            var nonEmpty = await EmptyCheckHelper.HoldsEntriesAsync(engine, target, cancellationToken);
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
}
