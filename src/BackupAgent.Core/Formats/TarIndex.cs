using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace BackupAgent.Core.Formats;

/// <summary>
/// One entry of an archive's per-file index: what a deep verify compares after restoring into a scratch volume.
/// A hard link is recorded as a link (type "1") and resolved to the file it links to when indexes are compared, so
/// the comparison does not depend on which name tar saw first.
/// </summary>
public sealed record TarIndexEntry(
    [property: JsonPropertyName("p")] string Path,
    [property: JsonPropertyName("t")] string Type,
    [property: JsonPropertyName("m")] int Mode,
    [property: JsonPropertyName("u")] int Uid,
    [property: JsonPropertyName("g")] int Gid,
    [property: JsonPropertyName("mt")] long MTime,
    [property: JsonPropertyName("s")] long Size,
    [property: JsonPropertyName("h")] string? Sha256,
    [property: JsonPropertyName("l")] string? Link);

/// <summary>Builds, stores and compares per-file indexes of tar streams.</summary>
public static class TarIndex
{
    /// <summary>Compiled serialization (no reflection at run time): a chain's index of the whole tree is read and written at every level.</summary>
    private static JsonTypeInfo<TarIndexEntry> Json => TarIndexJson.Default.TarIndexEntry;

    /// <summary>Reads a whole tar stream and indexes every entry, hashing regular files' contents.</summary>
    public static async Task<List<TarIndexEntry>> BuildAsync(Stream tar, CancellationToken cancellationToken)
    {
        var entries = new List<TarIndexEntry>();
        await StreamAsync(tar, (e, _) =>
        {
            entries.Add(e);
            return ValueTask.CompletedTask;
        }, cancellationToken);
        return entries;
    }

    /// <summary>
    /// Indexes a tar stream entry by entry with the one tar parser (<see cref="TarStats"/>), holding nothing but the
    /// current entry: a hard link is recorded as such (type "1", its target in Link) and resolved only when indexes are
    /// compared. Reads to the end of the stream, and returns what was counted.
    /// </summary>
    public static async Task<TarStats> StreamAsync(Stream tar, Func<TarIndexEntry, CancellationToken, ValueTask> onEntry, CancellationToken cancellationToken)
    {
        var indexed = new TarStatsStream(tar, onEntry);
        await indexed.CopyToAsync(Stream.Null, OverlappedCopy.BufferBytes, cancellationToken);
        return indexed.Stats;
    }

    /// <summary>Replaces each hard link by the file it links to (under its own path), so that which name tar saw first does not matter.</summary>
    public static IEnumerable<TarIndexEntry> ResolveHardLinks(IEnumerable<TarIndexEntry> entries)
    {
        var byPath = new Dictionary<string, TarIndexEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var resolved = entry.Type == "1" && entry.Link is { } target && byPath.TryGetValue(target, out var file) ? file with { Path = entry.Path } : entry;
            byPath[entry.Path] = resolved;
            yield return resolved;
        }
    }

    /// <summary>Writes an index as JSON lines, as its entries arrive.</summary>
    public static async Task WriteAsync(IAsyncEnumerable<TarIndexEntry> entries, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, leaveOpen: true);
        await foreach (var entry in entries.WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(entry, Json).AsMemory(), cancellationToken);
        }
    }

    /// <summary>Reads an index of at most <paramref name="maxEntries"/> entries (its archive's count: an index cannot hold more, whatever a store did to it).</summary>
    public static async Task<List<TarIndexEntry>> ReadAsync(Stream input, CancellationToken cancellationToken, long maxEntries = long.MaxValue, long maxBytes = long.MaxValue)
    {
        var entries = new List<TarIndexEntry>();
        using var reader = new StreamReader(maxBytes == long.MaxValue ? input : new AtMostStream(input, maxBytes), leaveOpen: true);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (entries.Count >= maxEntries)
            {
                throw new InvalidDataException($"it holds more than the {maxEntries} entries of its archive");
            }

            if (line.Length > 0)
            {
                var entry = JsonSerializer.Deserialize<TarIndexEntry>(line, Json) ?? throw new InvalidDataException("empty index record");
                entries.Add(entry is { Path: not null, Type: not null } ? entry : throw new InvalidDataException("an index record without a path or type"));
            }
        }

        return entries;
    }

    /// <summary>An index read that stops with <see cref="InvalidDataException"/> past <paramref name="maxBytes"/> (before one huge line is held whole).</summary>
    private sealed class AtMostStream(Stream inner, long maxBytes) : PassThroughStream(inner)
    {
        private long _read;

        protected override void OnRead(ReadOnlySpan<byte> data)
        {
            _read += data.Length;
            if (_read > maxBytes)
            {
                throw new InvalidDataException($"it holds more than {maxBytes} bytes");
            }
        }
    }

    /// <summary>The differences between what was backed up and what a restore produced, one line each, at most <paramref name="max"/>.</summary>
    public static IReadOnlyList<string> Compare(IEnumerable<TarIndexEntry> expected, IEnumerable<TarIndexEntry> actual, int max = 20)
    {
        var restored = ResolveHardLinks(actual).ToDictionary(e => e.Path, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var entry in ResolveHardLinks(expected))
        {
            if (!restored.Remove(entry.Path, out var found))
            {
                differences.Add($"'{entry.Path}' is missing");
            }
            else if (found != entry)
            {
                differences.Add($"'{entry.Path}' differs: {Describe(entry, found)}");
            }
        }

        differences.AddRange(restored.Keys.Order(StringComparer.Ordinal).Select(p => $"'{p}' was not in the backup"));
        return differences.Count > max ? [.. differences.Take(max), $"... and {differences.Count - max} more"] : differences;
    }

    private static string Describe(TarIndexEntry want, TarIndexEntry got)
    {
        var parts = new List<string>();
        void Check<T>(string name, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
            {
                parts.Add($"{name} {a} in the backup, {b} restored");
            }
        }

        Check("type", want.Type, got.Type);
        Check("mode", Convert.ToString(want.Mode, 8), Convert.ToString(got.Mode, 8));
        Check("owner", $"{want.Uid}:{want.Gid}", $"{got.Uid}:{got.Gid}");
        Check("mtime", want.MTime, got.MTime);
        Check("size", want.Size, got.Size);
        Check("SHA-256", want.Sha256, got.Sha256);
        Check("link", want.Link, got.Link);
        return string.Join(", ", parts);
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TarIndexEntry))]
internal sealed partial class TarIndexJson : JsonSerializerContext;
