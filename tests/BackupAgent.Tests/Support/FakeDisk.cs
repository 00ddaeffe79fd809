using System.Formats.Tar;
using System.Text;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Helpers;

namespace BackupAgent.Tests.Support;

/// <summary>
/// The contents of <see cref="FakeEngine"/>'s volumes, each a tree of paths under its root (a file's text, or null
/// for a directory), and the restore's helper jobs as functions over that tree and the tar they are fed, changing it
/// as their scripts change the disk: the stage job records <c>.backup-agent-was-TOKEN</c> and unpacks the tar into
/// <c>.backup-agent-stage-TOKEN</c> (exiting 2 on a tar it cannot read, what it unpacked left behind); the swap job's
/// commit renames the staging to <c>-commit-</c> (the commit point), moves the old entries into <c>-old-</c> (then
/// <c>-trash-</c>), the new ones up, and removes the rest, resuming wherever it stopped; its rollback removes the
/// staging (past the commit point it finishes the swap), and rollback-if-empty then says whether anything is left.
/// A job is recognised by its script, its target is its one writable mount.
/// </summary>
public sealed class FakeDisk
{
    private static readonly string StageScript = StageHelper.Spec("", "", "", false, 0, 0).Command[2];
    private static readonly string SwapScript = SwapHelper.Spec("", "", SwapAction.Commit).Command[2];

    private readonly Dictionary<string, SortedDictionary<string, string?>> _trees = [];

    /// <summary>Targets whose commit exits right after its commit point (the staging renamed), as a failed mv does.</summary>
    public HashSet<string> FailAfterCommitPoint { get; } = [];

    /// <summary>What <paramref name="volume"/> holds, one line per entry in path order: "dir/" or "dir/file: text".</summary>
    public IReadOnlyList<string> Listing(string volume) =>
        [.. Tree(volume).Select(e => e.Value is null ? $"{e.Key}/" : $"{e.Key}: {e.Value}")];

    /// <summary>Writes files (path, text) into <paramref name="volume"/>, making their directories.</summary>
    public void Write(string volume, params (string Path, string Text)[] files)
    {
        foreach (var (path, text) in files)
        {
            for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                Tree(volume)[path[..slash]] = null;
            }

            Tree(volume)[path] = text;
        }
    }

    public void Remove(string volume) => _trees.Remove(volume);

    /// <summary>Whether this is a job the disk runs (else the engine does not support it).</summary>
    public static bool Runs(HelperSpec spec) => spec.Command is [_, _, var script, ..] && (script == StageScript || script == SwapScript);

    /// <summary>Runs a stage or swap job on its target's tree, fed <paramref name="input"/>.</summary>
    public FakeEngine.HelperRun Run(HelperSpec spec, byte[] input)
    {
        var target = spec.Mounts.Single(m => !m.ReadOnly).Source;
        var (token, action) = (spec.Command[5], spec.Command[6]);
        var (exit, stderr) = spec.Command[2] == StageScript ? Stage(Tree(target), token, input) : Swap(target, Tree(target), token, action);
        return new FakeEngine.HelperRun([], exit, stderr);
    }

    private SortedDictionary<string, string?> Tree(string volume) =>
        _trees.TryGetValue(volume, out var tree) ? tree : _trees[volume] = new SortedDictionary<string, string?>(StringComparer.Ordinal);

    private static (int, string) Stage(SortedDictionary<string, string?> tree, string token, byte[] tar)
    {
        var stage = $".backup-agent-stage-{token}";
        if (tree.ContainsKey(stage))
        {
            return (SwapHelper.SwapFailed, $"mkdir: can't create directory '{stage}': File exists");
        }

        tree[$".backup-agent-was-{token}"] = "";
        tree[stage] = null;
        try
        {
            using var reader = new TarReader(new MemoryStream(tar));
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                var name = (entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name).TrimEnd('/');
                if (name is not ("" or "."))
                {
                    tree[$"{stage}/{name}"] = entry.DataStream is null ? null : new StreamReader(entry.DataStream, Encoding.UTF8).ReadToEnd();
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            return (2, "tar: Unexpected EOF in archive\ntar: Error is not recoverable: exiting now");
        }

        return (0, "");
    }

    private (int, string) Swap(string target, SortedDictionary<string, string?> tree, string token, string action)
    {
        var (stage, commit, old) = ($".backup-agent-stage-{token}", $".backup-agent-commit-{token}", $".backup-agent-old-{token}");
        var (trash, done, was) = ($".backup-agent-trash-{token}", $".backup-agent-done-{token}", $".backup-agent-was-{token}");
        if (action != "commit" && !new[] { commit, old, trash, done }.Any(tree.ContainsKey))
        {
            RemoveTree(tree, stage);
            RemoveTree(tree, was);
            return action == "rollback-if-empty" && tree.Count > 0 ? (SwapHelper.NotEmpty, "") : (0, "");
        }

        if (tree.ContainsKey(stage))
        {
            Move(tree, stage, commit);
            if (FailAfterCommitPoint.Contains(target))
            {
                return (SwapHelper.SwapFailed, $"mv: can't rename '{target}/app': Input/output error");
            }
        }

        if (tree.ContainsKey(commit) && !tree.ContainsKey(trash))
        {
            tree[old] = null;
            tree[$"{old}/.backup-agent-root-{token}"] = "";
            foreach (var entry in Top(tree).Where(e => e != commit && e != old))
            {
                Move(tree, entry, $"{old}/{entry}");
            }

            Move(tree, old, trash);
        }

        if (tree.ContainsKey(commit))
        {
            foreach (var entry in Top(tree, commit))
            {
                RemoveTree(tree, entry);
                Move(tree, $"{commit}/{entry}", entry);
            }

            Move(tree, commit, done);
        }

        RemoveTree(tree, trash);
        RemoveTree(tree, done);
        return (0, "");
    }

    /// <summary>The names of the entries directly in <paramref name="directory"/> (the root when empty).</summary>
    private static List<string> Top(SortedDictionary<string, string?> tree, string directory = "")
    {
        var prefix = directory.Length == 0 ? "" : directory + "/";
        return [.. tree.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.Length > prefix.Length && !k[prefix.Length..].Contains('/')).Select(k => k[prefix.Length..])];
    }

    private static List<string> Subtree(SortedDictionary<string, string?> tree, string path) =>
        [.. tree.Keys.Where(k => k == path || k.StartsWith(path + "/", StringComparison.Ordinal))];

    private static void RemoveTree(SortedDictionary<string, string?> tree, string path) => Subtree(tree, path).ForEach(k => tree.Remove(k));

    private static void Move(SortedDictionary<string, string?> tree, string from, string to)
    {
        foreach (var key in Subtree(tree, from))
        {
            tree[to + key[from.Length..]] = tree[key];
            tree.Remove(key);
        }
    }
}
