namespace BackupAgent.Cli.Hosting;

/// <summary>"did you mean" for a mistyped command or option: the nearest names by edit distance (a swap counts once).</summary>
internal static class Suggest
{
    /// <summary>"; did you mean 'backup'?" (or two or three names tied), else "".</summary>
    public static string DidYouMean(string typed, IEnumerable<string> names)
    {
        var scored = names.Distinct(StringComparer.Ordinal)
            .Select(n => (Name: n, Distance: n.StartsWith(typed, StringComparison.Ordinal) && typed.TrimStart('-').Length >= 2 ? 0 : Distance(typed, n)))
            .Where(s => s.Distance <= Math.Max(1, typed.TrimStart('-').Length / 3))
            .ToList();
        if (scored.Count == 0)
        {
            return "";
        }

        var best = scored.Min(s => s.Distance);
        var nearest = scored.Where(s => s.Distance == best).Select(s => $"'{s.Name}'").Take(3).ToList();
        return $"; did you mean {(nearest.Count == 1 ? nearest[0] : string.Join(", ", nearest[..^1]) + " or " + nearest[^1])}?";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
