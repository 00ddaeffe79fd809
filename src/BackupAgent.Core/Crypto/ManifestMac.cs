using System.Buffers.Binary;
using System.Security.Cryptography;

namespace BackupAgent.Core.Crypto;

/// <summary>
/// The authentication of an encrypted set's manifest, "bam1", stored beside it as <c>ID/manifest.mac</c> and written
/// just before it (the manifest is written last). Whoever can write the store cannot change what a restore or verify
/// with the key uses (volumes, host paths, driver options, items, sizes, SHA-256s) without the key:
/// <code>
/// manifest.mac: "BAMAC1\0\0" | kind (1 = passphrase/PBKDF2-SHA256, 2 = key file/HKDF-SHA256) | iterations (u32 BE)
///               | salt (16) | key check (16) | mac (32)
/// mac key:   passphrase: HKDF-Expand-SHA256(PBKDF2-SHA256(passphrase, salt, iterations), "backup-agent manifest mac v1")
///            key file:   HKDF-SHA256(key, salt, "backup-agent manifest mac v1")
/// key check: HMAC-SHA256(mac key, "key check")[..16]
/// mac:       HMAC-SHA256(mac key, everything before the mac | the exact bytes of manifest.json)
/// </code>
/// The salt is random per set, the iteration count that of archives (<see cref="ArchiveKey.Pbkdf2Iterations"/>);
/// the info string keeps the mac key apart from every archive key. Comparisons are constant-time.
/// </summary>
public static class ManifestMac
{
    public const string Item = "manifest.mac";
    public const int Bytes = MacOffset + 32;

    private const int MacOffset = 8 + 1 + 4 + 16 + 16;
    private const int MaxIterations = 10 * ArchiveKey.Pbkdf2Iterations;
    private static readonly byte[] Magic = "BAMAC1\0\0"u8.ToArray();

    /// <summary>The <c>manifest.mac</c> of <paramref name="manifest"/> (its exact bytes) under <paramref name="key"/>.</summary>
    public static byte[] Create(ReadOnlySpan<byte> manifest, ArchiveKey key)
    {
        var mac = new byte[Bytes];
        var iterations = EncryptionFormat.WritePreamble(mac, Magic, key, 16);
        var macKey = key.DeriveManifestKey(mac[13..29], iterations);
        KeyCheck(macKey).CopyTo(mac.AsSpan(29));
        Compute(macKey, mac.AsSpan(0, MacOffset), manifest).CopyTo(mac.AsSpan(MacOffset));
        return mac;
    }

    /// <summary>Whether <paramref name="mac"/> authenticates <paramref name="manifest"/> under <paramref name="key"/>.</summary>
    public static MacVerdict Check(ReadOnlySpan<byte> mac, ReadOnlySpan<byte> manifest, ArchiveKey key)
    {
        if (mac.Length != Bytes || !mac[..8].SequenceEqual(Magic))
        {
            return MacVerdict.Damaged;
        }

        var kind = (KeyKind)mac[8];
        var iterations = (int)BinaryPrimitives.ReadUInt32BigEndian(mac[9..]);
        if (kind != key.Kind)
        {
            return kind is KeyKind.Passphrase or KeyKind.KeyFile ? MacVerdict.WrongKey : MacVerdict.Damaged;
        }

        if (kind == KeyKind.Passphrase ? iterations is < 1 or > MaxIterations : iterations != 0)
        {
            return MacVerdict.Damaged;
        }

        var macKey = key.DeriveManifestKey(mac[13..29].ToArray(), iterations);
        return !CryptographicOperations.FixedTimeEquals(KeyCheck(macKey), mac[29..MacOffset]) ? MacVerdict.WrongKey
            : !CryptographicOperations.FixedTimeEquals(Compute(macKey, mac[..MacOffset], manifest), mac[MacOffset..]) ? MacVerdict.Forged
            : MacVerdict.Authentic;
    }

    private static byte[] Compute(byte[] macKey, ReadOnlySpan<byte> header, ReadOnlySpan<byte> manifest)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        hmac.AppendData(header);
        hmac.AppendData(manifest);
        return hmac.GetHashAndReset();
    }

    private static byte[] KeyCheck(byte[] macKey) => HMACSHA256.HashData(macKey, "key check"u8)[..16];
}

public enum MacVerdict
{
    Authentic,

    /// <summary>Made with another passphrase or key (by the key check).</summary>
    WrongKey,

    /// <summary>The right key, but the manifest (or the MAC) was changed.</summary>
    Forged,

    /// <summary>Not a manifest MAC of this agent.</summary>
    Damaged,
}
