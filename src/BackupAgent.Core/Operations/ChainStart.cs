using System.Security.Cryptography;
using System.Text;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;
using BackupAgent.Core.Storage;
using Serilog;

namespace BackupAgent.Core.Operations;

/// <summary>
/// How a backup makes chains (docs/incremental.md): <see cref="Incremental"/> false is a new full that starts one
/// (<c>--full</c>), true continues the latest chain of each source where it fits (<c>--incremental</c>). A full is
/// made anyway after <see cref="FullEvery"/> incrementals, or when <see cref="NextFullAfter"/> (a fullCron) has a time
/// after the chain's full and not after now.
/// </summary>
public sealed record ChainRequest(bool Incremental)
{
    public int? FullEvery { get; init; }

    public Func<DateTimeOffset, DateTimeOffset?>? NextFullAfter { get; init; }
}

/// <summary>Where one source's archive goes in its chain: on a base (with the base's checked snapshot file), or a new full, and why.</summary>
internal sealed record ChainStart(ChainLink? Base, byte[]? Snapshot, string? FullReason, string Engine)
{
    /// <summary>
    /// The read of the index of the whole tree at the base (checked against its pin), which the new level's tree index
    /// builds on. It runs while the source is read (it never fails: a tree that cannot be read says why).
    /// </summary>
    public Task<BaseTree>? BaseTree { get; init; }

    public int Level => Base is null ? 0 : Base.Archive.Level + 1;

    /// <summary>The largest snapshot file the agent reads back from a store (it holds every directory's file names).</summary>
    public const int MaxSnapshotBytes = 512 << 20;

    /// <summary>The engine's identity as a manifest records it: hashed (it names a host and a data root).</summary>
    public static string EngineHash(string identity) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)));

    /// <summary>
    /// Chooses the base of <paramref name="source"/>'s archive from what the store lists, or says why it is a full one.
    /// The snapshot file the base carries comes from the store, which is untrusted: it must match its pin in the
    /// (authenticated, for an encrypted set) manifest and look like a GNU tar snapshot file, else the archive is a new full.
    /// GNU tar parses it only inside the helper.
    /// </summary>
    public static async Task<ChainStart> ChooseAsync(
        ChainRequest request, BackupSource source, BackupCatalog catalog, CatalogListing listing, ArchiveKey? key, string engine, DateTimeOffset now, ILogger log, CancellationToken cancellationToken)
    {
        // The host that encrypts to public keys cannot read its own sets, so not a base's snapshot file either.
        var (link, reason) = key?.Kind == Crypto.KeyKind.Recipients && request.Incremental
            ? ((ChainLink?)null, (string?)"sets encrypted to public keys cannot be read by the host that makes them, and an incremental backup reads its base's snapshot file: each backup is a full one")
            : Choose(request, source, listing, key is not null, engine, now);
        byte[]? snapshot = null;
        Task<BaseTree>? tree = null;
        if (link is not null)
        {
            try
            {
                await catalog.AuthenticateAsync(link.Set, key, acceptWithoutMac: false, log, cancellationToken);
                var treeItem = link.Archive.StoredTree() ?? throw new BackupAgentException($"set '{link.Set.Id}' has no index of the whole tree of '{source.Volume}'");
                snapshot = await ReadSnapshotAsync(catalog.Store, link, key, cancellationToken);
                var (store, chosen) = (catalog.Store, link);
                tree = Task.Run(() => Operations.BaseTree.ReadAsync(store, chosen, treeItem, key, cancellationToken), CancellationToken.None);
            }
            catch (BackupAgentException e) when (e is not BadInputException)
            {
                (link, reason) = (null, e.Message);
            }
        }

        if (link is null && !request.Incremental)
        {
            log.Information("Backing up {Volume} in full, starting a new chain", source.Volume);
        }
        else if (link is null)
        {
            log.Warning("Backing up {Volume} in full, starting a new chain: {Reason}", source.Volume, reason);
        }
        else
        {
            log.Information("Backing up what changed in {Volume} since set {BaseId} (level {Level})", source.Volume, link.Set.Id, link.Archive.Level + 1);
        }

        return new ChainStart(link, snapshot, reason, engine) { BaseTree = link is null ? null : tree };
    }

    /// <summary>The base a source's archive continues, or null and why not (pure: reads nothing but the listing).</summary>
    internal static (ChainLink? Base, string? Reason) Choose(ChainRequest request, BackupSource source, CatalogListing listing, bool encrypted, string engine, DateTimeOffset now)
    {
        if (!request.Incremental)
        {
            return (null, "a full backup was asked for");
        }

        var latest = listing.Sets.Select(s => (Set: s, Archive: Chains.SameSource(s, source.Kind, source.Volume))).FirstOrDefault(p => p.Archive is not null);
        if (latest.Archive is not { } archive)
        {
            return (null, $"the store holds no earlier backup of '{source.Volume}'");
        }

        var set = latest.Set;
        var newer = listing.Unreadable.FirstOrDefault(u => string.CompareOrdinal(u.Id, set.Id) > 0);
        if (newer is not null)
        {
            return (null, $"a newer set, '{newer.Id}', cannot be read, so the latest backup is unknown: {newer.Reason}");
        }

        if (archive.Snapshot is null)
        {
            return (null, $"the latest backup of '{source.Volume}', set '{set.Id}', has no snapshot file (a plain backup, or one made by migrate --via)");
        }

        if (archive.Engine != engine)
        {
            return (null, $"the latest backup of '{source.Volume}', set '{set.Id}', was read on another engine");
        }

        if ((archive.Encryption is not null) != encrypted)
        {
            return (null, $"set '{set.Id}' is {(encrypted ? "not " : "")}encrypted, and a chain is encrypted throughout");
        }

        if (!(archive.Excludes ?? []).SequenceEqual(source.Excludes, StringComparer.Ordinal))
        {
            // A file the new patterns no longer leave out is unchanged since the base's dump, so no level would hold it.
            return (null, $"the exclusions of '{source.Volume}' changed since set '{set.Id}' ({Patterns(archive.Excludes ?? [])} then, {Patterns(source.Excludes)} now)");
        }

        if (archive.Level >= ManifestDoor.MaxLevel || (request.FullEvery is { } every && archive.Level >= every))
        {
            return (null, $"set '{set.Id}' is incremental {archive.Level} of its chain; a full is made after {request.FullEvery ?? ManifestDoor.MaxLevel}");
        }

        var (links, problem) = Chains.Resolve(set, archive, listing);
        if (links is null)
        {
            return (null, $"the chain of set '{set.Id}' is broken: {problem}");
        }

        if (request.NextFullAfter?.Invoke(links[0].Set.CreatedAt) is { } due && due <= now)
        {
            return (null, $"a full is due since {due:yyyy-MM-dd HH:mm:ss}Z by fullCron (the chain's full is set '{links[0].Set.Id}')");
        }

        return (new ChainLink(set, archive), null);
    }

    /// <summary>Reads a base's snapshot file through its codec, checked against its pin, and checks that it is a GNU tar snapshot file (format 2).</summary>
    private static async Task<byte[]> ReadSnapshotAsync(IBackupStore store, ChainLink link, ArchiveKey? key, CancellationToken cancellationToken)
    {
        var item = link.Archive.StoredSnapshot()!;
        var what = $"the snapshot file '{item.File}' of set '{link.Set.Id}'";
        ItemReader reader;
        try
        {
            reader = await ItemReader.OpenAsync(store, link.Set.Id, item, key, cancellationToken);
        }
        catch (StoreItemNotFoundException)
        {
            throw new BackupAgentException($"{what} is missing from {store.Location}");
        }

        await using (reader)
        {
            // Held in memory, so read no more than the manifest declares (a hostile store's gzip bomb stops there), and never more than the cap.
            var declared = link.Archive.SnapshotPlainBytes;
            byte[]? snapshot = null;
            string? damage = declared > MaxSnapshotBytes ? $"{what} is declared larger than {MaxSnapshotBytes} bytes, more than the agent reads back" : null;
            try
            {
                if (damage is null)
                {
                    (snapshot, damage) = declared is { } exact ? await ReadExactlyAsync(reader.Plaintext, (int)exact, what, cancellationToken) : await ReadAtMostAsync(reader.Plaintext, what, cancellationToken);
                }
            }
            catch (Exception e) when (e is BackupAgentException or InvalidDataException or IOException)
            {
                damage = $"{what} cannot be read: {e.Message}";
            }

            // A changed file says so (its pin) before what the change broke.
            if (await reader.CheckAsync(cancellationToken) is { } corrupt)
            {
                throw new BackupAgentException(corrupt);
            }

            return damage is not null ? throw new BackupAgentException(damage)
                : SnapshotProblem(snapshot!) is { } problem ? throw new BackupAgentException($"{what} {problem}")
                : snapshot!;
        }
    }

    /// <summary>A snapshot file of a declared size: one buffer of that size, and one byte more is damage.</summary>
    private static async Task<(byte[]?, string?)> ReadExactlyAsync(Stream plaintext, int size, string what, CancellationToken cancellationToken)
    {
        var snapshot = new byte[size];
        var read = await plaintext.ReadAtLeastAsync(snapshot, size, throwOnEndOfStream: false, cancellationToken);
        return read < size ? (null, $"{what} holds {read} bytes; its manifest declares {size}")
            : await plaintext.ReadAsync(new byte[1], cancellationToken) > 0 ? (null, $"{what} is larger than the {size} bytes its manifest declares")
            : (snapshot, null);
    }

    /// <summary>A snapshot file of a set made before its size was recorded: at most <see cref="MaxSnapshotBytes"/>.</summary>
    private static async Task<(byte[]?, string?)> ReadAtMostAsync(Stream plaintext, string what, CancellationToken cancellationToken)
    {
        var bytes = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await plaintext.ReadAsync(buffer, cancellationToken)) > 0)
        {
            bytes.Write(buffer, 0, n);
            if (bytes.Length > MaxSnapshotBytes)
            {
                return (null, $"{what} is larger than {MaxSnapshotBytes} bytes");
            }
        }

        return (bytes.ToArray(), null);
    }

    /// <summary>When the dump that wrote <paramref name="snapshot"/> started (Unix seconds, its first field), or null.</summary>
    internal static long? DumpTime(ReadOnlySpan<byte> snapshot)
    {
        var newline = snapshot.IndexOf((byte)'\n');
        var body = newline < 0 ? [] : snapshot[(newline + 1)..];
        var end = body.IndexOf((byte)0);
        return end is > 0 and <= 19 && long.TryParse(body[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? seconds : null;
    }

    /// <summary>What makes <paramref name="snapshot"/> not a GNU tar snapshot file of format 2 ("GNU tar-VERSION-2\n", then NUL-separated fields), or null.</summary>
    internal static string? SnapshotProblem(ReadOnlySpan<byte> snapshot)
    {
        var newline = snapshot[..Math.Min(snapshot.Length, 64)].IndexOf((byte)'\n');
        if (!snapshot.StartsWith("GNU tar-"u8) || newline < 0 || !snapshot[..newline].EndsWith("-2"u8))
        {
            return "is not a GNU tar snapshot file of format 2";
        }

        // The dump time (seconds, nanoseconds), then per directory: nfs flag, mtime (s, ns), device, inode, name, its entries, an empty field.
        var body = snapshot[(newline + 1)..];
        return body.Length < 4 || body.Count((byte)0) < 2 || body[^1] != 0 || DumpTime(snapshot) is null ? "is truncated or not a GNU tar snapshot file" : null;
    }

    private static string Patterns(IReadOnlyList<string> patterns) => patterns.Count == 0 ? "none" : string.Join(", ", patterns.Select(p => $"'{p}'"));
}

/// <summary>The index of the whole tree at a chain's base, or why it cannot be read (the new level then gets no tree index, with a warning).</summary>
internal sealed record BaseTree(IReadOnlyList<Formats.TarIndexEntry>? Entries, string? Problem)
{
    /// <summary>Reads it through its codec, checked against its pin; never throws.</summary>
    public static async Task<BaseTree> ReadAsync(IBackupStore store, ChainLink link, StoredItem item, ArchiveKey? key, CancellationToken cancellationToken)
    {
        try
        {
            return new(await DeepVerify.ReadIndexAsync(store, link.Set, link.Archive, item, key, cancellationToken), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new(null, $"the index of the whole tree of set '{link.Set.Id}' cannot be read: {e.Message}");
        }
    }
}
