using System.Text.Json;
using System.Text.Json.Serialization;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;

namespace BackupAgent.Core.Sets;

/// <summary>The backup sets in a store: <c>ID/manifest.json</c> beside the set's archives, the manifest written last.</summary>
public sealed class BackupCatalog(IBackupStore store)
{
    private const string ManifestFile = "manifest.json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public IBackupStore Store => store;

    public static string ArchiveItem(BackupSet set, ArchiveInfo archive) => $"{set.Id}/{archive.File}";

    public Task SaveAsync(BackupSet set, CancellationToken cancellationToken) =>
        store.WriteBytesAsync($"{set.Id}/{ManifestFile}", JsonSerializer.SerializeToUtf8Bytes(set, Json), cancellationToken);

    /// <summary>Deletes a set's manifest: from then on the set is not listed, whatever happens to its archives.</summary>
    public Task DeleteManifestAsync(BackupSet set, CancellationToken cancellationToken) =>
        store.DeleteAsync($"{set.Id}/{ManifestFile}", cancellationToken);

    /// <summary>All complete sets, newest first; optionally only those holding <paramref name="volume"/>.</summary>
    public async Task<IReadOnlyList<BackupSet>> ListAsync(string? volume, CancellationToken cancellationToken)
    {
        var sets = new List<BackupSet>();
        await foreach (var name in store.ListAsync("", cancellationToken))
        {
            var slash = name.IndexOf('/');
            if (slash > 0 && name[(slash + 1)..] == ManifestFile && BackupSetId.IsValid(name[..slash]))
            {
                sets.Add(await LoadAsync(name[..slash], cancellationToken));
            }
        }

        return sets
            .Where(s => volume is null || s.FindArchive(volume) is not null)
            .OrderByDescending(s => s.CreatedAt)
            .ThenByDescending(s => s.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Finds a set by ID, or with <c>latest</c> the newest set that holds every one of <paramref name="volumes"/>.
    /// </summary>
    public async Task<BackupSet> ResolveAsync(string? idOrLatest, IReadOnlyCollection<string> volumes, CancellationToken cancellationToken)
    {
        if (idOrLatest is null or BackupSetId.Latest)
        {
            var sets = await ListAsync(null, cancellationToken);
            return sets.FirstOrDefault(s => volumes.All(v => s.FindArchive(v) is not null))
                ?? throw new BadInputException(volumes.Count == 0
                    ? $"{store.Location} holds no backup set"
                    : $"{store.Location} holds no backup set with {string.Join(", ", volumes.Select(v => $"'{v}'"))}");
        }

        if (!BackupSetId.IsValid(idOrLatest))
        {
            throw new BadInputException($"--backup '{idOrLatest}' is not a backup set ID (like 20260101T120000Z-a1b2c3) or 'latest'");
        }

        return await LoadAsync(idOrLatest, cancellationToken);
    }

    private async Task<BackupSet> LoadAsync(string id, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await store.ReadBytesAsync($"{id}/{ManifestFile}", cancellationToken);
        }
        catch (StoreItemNotFoundException)
        {
            throw new BadInputException($"{store.Location} has no backup set '{id}'");
        }

        int version;
        BackupSet? set;
        try
        {
            using var doc = JsonDocument.Parse(bytes.AsMemory(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0));
            version = doc.RootElement.TryGetProperty("formatVersion", out var v) && v.TryGetInt32(out var n) ? n : 0;
            set = version == BackupSet.CurrentFormatVersion ? doc.Deserialize<BackupSet>(Json) : null;
        }
        catch (JsonException e)
        {
            throw new BackupAgentException($"the manifest of backup set '{id}' in {store.Location} is corrupt: {e.Message}", inner: e);
        }

        if (version != BackupSet.CurrentFormatVersion)
        {
            throw new BackupAgentException(
                $"the manifest of backup set '{id}' in {store.Location} has format version {version}; this agent reads version {BackupSet.CurrentFormatVersion}");
        }

        if (set is null || set.Id != id)
        {
            throw new BackupAgentException($"the manifest of backup set '{id}' in {store.Location} names another set ('{set?.Id}')");
        }

        return set;
    }
}
