using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Sets;

/// <summary>
/// The backup sets in a store: <c>ID/manifest.json</c> beside the set's archives (and, for an encrypted set, its
/// <see cref="ManifestMac"/>), the manifest written last. The store is untrusted: every manifest comes in through
/// <see cref="ManifestDoor"/>, and a set to be used with a key through <see cref="AuthenticateAsync"/>.
/// </summary>
public sealed class BackupCatalog(IBackupStore store)
{
    /// <summary>The exact bytes of each manifest this catalog read, which <see cref="AuthenticateAsync"/> checks (never a second read).</summary>
    private readonly ConcurrentDictionary<string, byte[]> _manifests = new(StringComparer.Ordinal);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The largest own file of a set (beside its manifest) that a copy reads.</summary>
    private const int OwnFileBytes = 1 << 20;

    public IBackupStore Store => store;

    public Task SaveAsync(BackupSet set, CancellationToken cancellationToken) => SaveAsync(set, null, cancellationToken);

    /// <summary>Writes a set's manifest; with a key (an encrypted set) first its <see cref="ManifestMac"/>, so that the manifest is still written last.</summary>
    public async Task SaveAsync(BackupSet set, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var manifest = JsonSerializer.SerializeToUtf8Bytes(set, Json);
        if (key is not null)
        {
            await store.WriteBytesAsync(SetLayout.Mac(set.Id), key.Kind == KeyKind.Recipients ? AgeManifestMac.Create(manifest, key.Recipients) : ManifestMac.Create(manifest, key), cancellationToken);
        }

        await store.WriteBytesAsync(SetLayout.Manifest(set.Id), manifest, cancellationToken);
    }

    /// <summary>
    /// Writes the manifest of <paramref name="set"/> exactly as <paramref name="source"/> read it (a copy: its bytes are what
    /// its MAC authenticates), after the set's own files (<paramref name="ownFiles"/>, its MAC), so that the manifest is still written last.
    /// </summary>
    public async Task SaveCopyAsync(BackupCatalog source, BackupSet set, IReadOnlyDictionary<string, byte[]> ownFiles, CancellationToken cancellationToken)
    {
        var manifest = source.ManifestBytes(set.Id);
        foreach (var (file, bytes) in ownFiles)
        {
            await store.WriteBytesAsync(SetLayout.Item(set.Id, file), bytes, cancellationToken);
        }

        await store.WriteBytesAsync(SetLayout.Manifest(set.Id), manifest, cancellationToken);
    }

    /// <summary>
    /// The set's own files beside its manifest (<see cref="ManifestDoor.ReservedItems"/>: its MAC) that it has, as stored:
    /// unchecked, since a copy needs no key; whoever uses the set with the key checks them.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, byte[]>> ReadOwnFilesAsync(BackupSet set, CancellationToken cancellationToken)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in ManifestDoor.ReservedItems.Where(f => f != SetLayout.ManifestFile))
        {
            try
            {
                files[file] = await store.ReadBytesAsync(SetLayout.Item(set.Id, file), cancellationToken, maxBytes: OwnFileBytes);
            }
            catch (StoreItemNotFoundException)
            {
            }
        }

        return files;
    }

    /// <summary>The set <paramref name="id"/>, or null when the store has no manifest of that ID; one that cannot be read throws <see cref="UnreadableManifestException"/>.</summary>
    public async Task<BackupSet?> FindAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await LoadOrMissingAsync(id, cancellationToken);
        }
        catch (StoreItemNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Deletes a set's manifest: from then on the set is not listed, whatever happens to its archives.</summary>
    public Task DeleteManifestAsync(BackupSet set, CancellationToken cancellationToken) =>
        store.DeleteAsync(SetLayout.Manifest(set.Id), cancellationToken);

    /// <summary>Writes back the manifest of a set this catalog read, byte for byte (a prune that deleted it finds the set still needed).</summary>
    public Task RestoreManifestAsync(string id, CancellationToken cancellationToken) =>
        store.WriteBytesAsync(SetLayout.Manifest(id), ManifestBytes(id), cancellationToken);

    /// <summary>Deletes a set's <see cref="ManifestMac"/>, if it has one: after its manifest and archives.</summary>
    public Task DeleteMacAsync(BackupSet set, CancellationToken cancellationToken) =>
        store.DeleteAsync(SetLayout.Mac(set.Id), cancellationToken);

    /// <summary>
    /// Refuses a set that is to be used with <paramref name="key"/> unless its manifest, as this catalog read it, carries
    /// a valid <see cref="ManifestMac"/> under that key and says that every archive is encrypted. Without a key a set
    /// is taken as it is: an unencrypted set cannot be told from one rewritten by whoever can write the store. With
    /// <paramref name="acceptWithoutMac"/> (sets encrypted by agents older than the MAC have none) a set without a MAC is
    /// taken after a warning; a MAC that does not match never is.
    /// </summary>
    public async Task AuthenticateAsync(BackupSet set, ArchiveKey? key, bool acceptWithoutMac, ILogger log, CancellationToken cancellationToken)
    {
        if (key is null)
        {
            return;
        }

        var manifest = ManifestBytes(set.Id);
        byte[]? mac;
        try
        {
            mac = await store.ReadBytesAsync(SetLayout.Mac(set.Id), cancellationToken, maxBytes: AgeManifestMac.MaxBytes);
        }
        catch (StoreItemNotFoundException)
        {
            mac = null;
        }

        if (mac is null && acceptWithoutMac)
        {
            log.Warning("The manifest of backup set {SetId} carries no MAC, and is taken as it is: whoever can write {Store} could have changed it", set.Id, store.Location);
            return;
        }

        if (key.Kind == KeyKind.Recipients)
        {
            throw new KeyException(new Phrase($"public keys only encrypt: give {Setting.Key} to read backup set '{set.Id}'"));
        }

        var verdict = mac is null ? (MacVerdict?)null
            : AgeManifestMac.IsOne(mac) ? (key.Kind == KeyKind.Identity ? AgeManifestMac.Check(mac, manifest, key.Identities) : MacVerdict.WrongKey)
            : key.Kind == KeyKind.Identity ? (ManifestMac.Check(mac, manifest, key) == MacVerdict.Damaged ? MacVerdict.Damaged : MacVerdict.WrongKey)
            : ManifestMac.Check(mac, manifest, key);
        if (verdict == MacVerdict.WrongKey)
        {
            throw new KeyException(
                $"the manifest of backup set '{set.Id}' was authenticated with another key: {WrongKey(key)}; no volume was touched");
        }

        var why = verdict switch
            {
                null => $"it has no {ManifestMac.Item}",
                MacVerdict.Forged => "its MAC does not match: the manifest was tampered with or truncated",
                MacVerdict.Damaged => $"its {ManifestMac.Item} is damaged",
                _ => set.Archives.FirstOrDefault(a => a.Encryption is null) is { } plain ? $"it says archive '{plain.File}' is not encrypted" : null,
            };
        if (why is not null)
        {
            throw new BackupAgentException(
                $"the manifest of backup set '{set.Id}' is not authenticated by this key: it was changed in the store, or the key is wrong ({why}); no volume was touched");
        }
    }

    private static string WrongKey(ArchiveKey key) => key.Kind switch
    {
        KeyKind.Identity => "wrong identity file (or the set was made with a passphrase or a key file)",
        KeyKind.Passphrase => "wrong passphrase (or the set was made with a key file or for public keys)",
        _ => "wrong key file (or the set was made with a passphrase or for public keys)",
    };

    /// <summary>All complete sets, newest first; optionally only those holding <paramref name="volume"/>.</summary>
    public async Task<IReadOnlyList<BackupSet>> ListAsync(string? volume, CancellationToken cancellationToken) =>
        (await ScanAsync(volume, cancellationToken)).Sets;

    /// <summary>
    /// All complete sets, newest first (optionally only those holding <paramref name="volume"/>), and apart from them
    /// the sets whose manifests cannot be read (corrupt, truncated, of another format version): one bad manifest
    /// must not hide the others, and nothing may treat an unreadable set's archives as leftovers.
    /// </summary>
    public async Task<CatalogListing> ScanAsync(string? volume, CancellationToken cancellationToken)
    {
        var sets = new List<BackupSet>();
        var unreadable = new List<UnreadableSet>();
        await foreach (var name in store.ListAsync("", cancellationToken))
        {
            var slash = name.IndexOf('/');
            if (slash > 0 && name[(slash + 1)..] == SetLayout.ManifestFile && BackupSetId.IsValid(name[..slash]))
            {
                try
                {
                    sets.Add(await LoadAsync(name[..slash], cancellationToken));
                }
                catch (UnreadableManifestException e)
                {
                    unreadable.Add(new UnreadableSet(name[..slash], e.Message));
                }
                catch (BadInputException)
                {
                    // Gone since it was listed (a prune running beside this scan): not a set any more.
                }
            }
        }

        return new CatalogListing(
            sets.Where(s => volume is null || s.FindArchive(volume) is not null)
                .OrderByDescending(s => s.CreatedAt)
                .ThenByDescending(s => s.Id, StringComparer.Ordinal)
                .ToList(),
            unreadable.OrderByDescending(u => u.Id, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Finds a set by ID, or with <c>latest</c> the newest readable set that holds every one of <paramref name="volumes"/>.
    /// </summary>
    public async Task<BackupSet> ResolveAsync(string? idOrLatest, IReadOnlyCollection<string> volumes, CancellationToken cancellationToken)
    {
        if (idOrLatest is null or BackupSetId.Latest)
        {
            return Latest(await ScanAsync(null, cancellationToken), volumes);
        }

        if (!BackupSetId.IsValid(idOrLatest))
        {
            throw new BadInputException(new Phrase($"{Setting.Backup} '{idOrLatest}' is not a backup set ID (like 20260101T120000Z-a1b2c3) or 'latest'"));
        }

        return await LoadAsync(idOrLatest, cancellationToken);
    }

    /// <summary>The newest readable set of <paramref name="listing"/> that holds every one of <paramref name="volumes"/>.</summary>
    public BackupSet Latest(CatalogListing listing, IReadOnlyCollection<string> volumes)
    {
        var unreadable = listing.Unreadable.Count == 0
            ? ""
            : $" (the manifests of {string.Join(", ", listing.Unreadable.Select(u => $"'{u.Id}'"))} cannot be read)";
        var what = volumes.Count == 0 ? "no backup set" : $"no backup set with {string.Join(", ", volumes.Select(v => $"'{v}'"))}";
        var latest = listing.Sets.FirstOrDefault(s => volumes.All(v => s.FindArchive(v) is not null))
            ?? (listing.Unreadable.Count == 0
                ? throw new BadInputException($"{store.Location} holds {what}")
                : throw new BackupAgentException($"{store.Location} holds {what} that can be read{unreadable}"));

        // A newer set that cannot be read may be the latest one asked for: never fall back to older data silently.
        // IDs begin with their UTC time, so they sort by it (a set of the same second counts as newer).
        var newer = listing.Unreadable.FirstOrDefault(u => string.CompareOrdinal(u.Id[..16], latest.Id[..16]) >= 0 && u.Id != latest.Id);
        return newer is null
            ? latest
            : throw new BackupAgentException(new Phrase(
                $"the newest backup set cannot be read, so 'latest' is unknown: {newer.Reason}. Name a set with {Setting.Backup} (the newest readable one is {latest.Id})"));
    }

    private byte[] ManifestBytes(string id) =>
        _manifests.TryGetValue(id, out var bytes) ? bytes : throw new InvalidOperationException($"set {id} was not read by this catalog");

    private async Task<BackupSet> LoadAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await LoadOrMissingAsync(id, cancellationToken);
        }
        catch (StoreItemNotFoundException)
        {
            throw new BadInputException($"{store.Location} has no backup set '{id}'");
        }
    }

    /// <summary>Reads and opens a manifest; throws <see cref="StoreItemNotFoundException"/> when there is none.</summary>
    private async Task<BackupSet> LoadOrMissingAsync(string id, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await store.ReadBytesAsync(SetLayout.Manifest(id), cancellationToken);
        }
        catch (BackupAgentException e) when (e is not StoreItemNotFoundException)
        {
            // Too large, not a regular file, not readable: this set's manifest cannot be read, which hides no other set.
            throw new UnreadableManifestException($"the manifest of backup set '{id}' cannot be read: {e.Message}", e);
        }

        var set = ManifestDoor.Open(id, bytes, store.Location);
        _manifests[id] = bytes;
        return set;
    }
}

/// <summary>A set whose manifest is there but cannot be read, and why.</summary>
public sealed record UnreadableSet(string Id, string Reason);

/// <summary>The readable sets of a store, newest first, and the unreadable ones.</summary>
public sealed record CatalogListing(IReadOnlyList<BackupSet> Sets, IReadOnlyList<UnreadableSet> Unreadable);

/// <summary>A manifest that is corrupt, truncated, of an unknown format version, or of another set.</summary>
public sealed class UnreadableManifestException(string message, Exception? inner) : BackupAgentException(message, inner: inner);
