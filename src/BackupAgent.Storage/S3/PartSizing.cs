namespace BackupAgent.Storage.S3;

/// <summary>
/// How big each part of a streamed multipart upload is, when the total size is not known in advance.
/// The rule: parts start at the configured part size, and the size doubles after every tenth of the part limit
/// (after every 1,000 parts with the limit of 10,000; every 100 with 1,000), capped at 1 GiB (a part is held in
/// one buffer in memory). With the default 5 MiB (rclone's chunk size) and 10,000 parts an upload can reach about
/// 4.9 TiB; with 1,000 parts about 500 GiB. Memory stays at part size × (parallel parts + 1), 25 MiB at the
/// defaults: flat for any archive below first part size × a tenth of the limit (about 4.9 GiB at the defaults),
/// then doubling at each further tenth.
/// </summary>
public sealed class PartSizing(int firstPartSize, int maxParts)
{
    public const int MaximumPartSize = 1024 * 1024 * 1024;

    public int MaxParts => maxParts;

    /// <summary>The size of part <paramref name="partNumber"/> (1-based).</summary>
    public int SizeOf(int partNumber)
    {
        var doublings = (partNumber - 1) / Math.Max(1, maxParts / 10);
        return doublings >= 30 ? MaximumPartSize : (int)Math.Min(MaximumPartSize, (long)firstPartSize << doublings);
    }

    /// <summary>The largest upload these parts can hold.</summary>
    public long Capacity()
    {
        long total = 0;
        for (var part = 1; part <= maxParts; part++)
        {
            total += SizeOf(part);
        }

        return total;
    }
}
