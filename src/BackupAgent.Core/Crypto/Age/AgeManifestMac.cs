using System.Security.Cryptography;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>
/// The authentication of a public-key set's manifest, "bam2", stored as <c>ID/manifest.mac</c> like
/// <see cref="ManifestMac"/>. A public key authenticates nothing (whoever holds it, a store attacker included, can
/// encrypt a set of his own to it), so each recipient comes with a manifest key derived from its identity, which the
/// backing-up host holds beside the public key and which cannot give the identity back:
/// <code>
/// manifest key: HKDF-SHA256(ikm = the identity's 32 bytes, salt = empty, info = "backup-agent manifest key v1")
/// manifest.mac: "BAMAC2\0\0" | count (1) | count × (tag (16) | mac (32))
/// tag:          SHA-256("backup-agent recipient tag v1" | public key)[..16]
/// mac:          HMAC-SHA256(manifest key, "BAMAC2\0\0" | tag | the exact bytes of manifest.json)
/// </code>
/// A restoring host with only the identity derives the manifest key and its tag itself, finds its entry and checks it:
/// a manifest that was not written by a holder of the manifest key does not pass.
/// </summary>
public static class AgeManifestMac
{
    public const int MaxBytes = 9 + 255 * EntryBytes;

    private const int EntryBytes = 16 + 32;
    private static readonly byte[] Magic = "BAMAC2\0\0"u8.ToArray();

    public static bool IsOne(ReadOnlySpan<byte> mac) => mac.Length >= 8 && mac[..8].SequenceEqual(Magic);

    /// <summary>The <c>manifest.mac</c> of <paramref name="manifest"/> for every recipient that comes with its manifest key.</summary>
    public static byte[] Create(ReadOnlySpan<byte> manifest, IReadOnlyList<AgeRecipient> recipients)
    {
        var keyed = recipients.Where(r => r.ManifestKey is not null).DistinctBy(r => r.Encoded).Take(255).ToList();
        var mac = new List<byte>(9 + keyed.Count * EntryBytes);
        mac.AddRange(Magic);
        mac.Add((byte)keyed.Count);
        foreach (var recipient in keyed)
        {
            var tag = recipient.Tag;
            mac.AddRange(tag);
            mac.AddRange(Compute(recipient.ManifestKey!, tag, manifest));
        }

        return [.. mac];
    }

    /// <summary>Whether <paramref name="mac"/> authenticates <paramref name="manifest"/> for one of <paramref name="identities"/>.</summary>
    public static MacVerdict Check(ReadOnlySpan<byte> mac, ReadOnlySpan<byte> manifest, IReadOnlyList<AgeIdentity> identities)
    {
        if (!IsOne(mac) || mac.Length < 9 || mac.Length != 9 + mac[8] * EntryBytes)
        {
            return MacVerdict.Damaged;
        }

        var verdict = MacVerdict.WrongKey;
        for (var i = 0; i < mac[8]; i++)
        {
            var entry = mac.Slice(9 + i * EntryBytes, EntryBytes);
            foreach (var identity in identities)
            {
                var tag = identity.Recipient.Tag;
                if (entry[..16].SequenceEqual(tag))
                {
                    if (CryptographicOperations.FixedTimeEquals(Compute(identity.Recipient.ManifestKey!, tag, manifest), entry[16..]))
                    {
                        return MacVerdict.Authentic;
                    }

                    verdict = MacVerdict.Forged;
                }
            }
        }

        return verdict;
    }

    private static byte[] Compute(byte[] manifestKey, byte[] tag, ReadOnlySpan<byte> manifest)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, manifestKey);
        hmac.AppendData(Magic);
        hmac.AppendData(tag);
        hmac.AppendData(manifest);
        return hmac.GetHashAndReset();
    }
}
