using System.Globalization;
using System.Security.Cryptography;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>
/// The age v1 format (C2SP age) for archives and indexes: a header whose stanzas wrap a fresh 16-byte file key for
/// each X25519 recipient (an ephemeral X25519 share, HKDF-SHA256, ChaCha20-Poly1305) or for a passphrase (scrypt,
/// the only stanza), then a 16-byte nonce and the payload in 64 KiB chunks of ChaCha20-Poly1305 STREAM under
/// HKDF-SHA256(file key, nonce, "payload"), the last chunk flagged in its nonce. Any age implementation opens it:
/// <c>age -d -i key.txt X.tar.zst.age | zstd -d | tar x</c>. The primitives are libsodium's (Geralt) and the BCL's.
/// </summary>
public static class AgeFormat
{
    public const string Name = "age-v1";
    public const string FileSuffix = ".age";
    public const int ChunkBytes = 64 << 10;
    public const int TagBytes = 16;
    public const int NonceBytes = 16;

    /// <summary>age's own default scrypt work factor (log2 N) for new files.</summary>
    public const int ScryptWorkFactor = 18;

    /// <summary>
    /// The highest work factor a reader takes: the one age and the agent write (2^18: 256 MiB and about a second per
    /// item), so that a crafted header in the untrusted store costs no more than a genuine one. scrypt's memory doubles
    /// with each step (2^20 is 1 GiB, 2^22, age's own reader's default cap, 4 GiB and some 15 s), and a restore reads
    /// several items; age's documentation says its cap may not suit systems processing untrusted files. See docs/encryption.md.
    /// </summary>
    public const int MaxScryptWorkFactor = ScryptWorkFactor;

    private static readonly byte[] X25519Info = "age-encryption.org/v1/X25519"u8.ToArray();
    private static readonly byte[] ScryptLabel = "age-encryption.org/v1/scrypt"u8.ToArray();
    private static readonly byte[] ZeroNonce = new byte[12];

    /// <summary>A new header and its file key, for the recipients (or the passphrase) of <paramref name="key"/>.</summary>
    internal static (byte[] Header, byte[] FileKey) NewHeader(ArchiveKey key)
    {
        var fileKey = RandomNumberGenerator.GetBytes(16);
        var stanzas = key.Kind switch
        {
            KeyKind.Recipients => key.Recipients.Select(r => WrapX25519(fileKey, r)).ToList(),
            KeyKind.Passphrase => [WrapScrypt(fileKey, key.Secret, ScryptWorkFactor)],
            _ => throw new InvalidOperationException($"a {key.Kind} key does not write age"),
        };
        return (AgeHeader.Write(stanzas, fileKey), fileKey);
    }

    /// <summary>Unwraps the file key of a header with <paramref name="key"/> (an identity or a passphrase) and checks the header's MAC.</summary>
    internal static byte[] OpenHeader(ReadOnlySpan<byte> header, ArchiveKey key, string archive)
    {
        var (stanzas, macMatches) = AgeHeader.Parse(header, archive);
        var scrypt = stanzas.Where(s => s.Arguments[0] == "scrypt").ToList();
        if (scrypt.Count > 0 && stanzas.Count > 1)
        {
            throw AgeHeader.Damaged(archive, "its header mixes a passphrase with other recipients");
        }

        byte[]? fileKey;
        if (key.Kind == KeyKind.Passphrase)
        {
            fileKey = scrypt.Count == 1
                ? UnwrapScrypt(scrypt[0], key.Secret, archive) ?? throw new KeyException($"cannot decrypt archive '{archive}': wrong passphrase")
                : throw new KeyException(new Phrase($"cannot decrypt archive '{archive}': it was encrypted to public keys, not with a passphrase (give {Setting.Key})"));
        }
        else if (key.Kind == KeyKind.Identity)
        {
            if (scrypt.Count == 1)
            {
                throw new KeyException($"cannot decrypt archive '{archive}': it was encrypted with a passphrase, not to a public key");
            }

            fileKey = key.Identities.Select(identity => stanzas.Select(s => UnwrapX25519(s, identity, archive)).FirstOrDefault(k => k is not null)).FirstOrDefault(k => k is not null)
                ?? throw new KeyException($"cannot decrypt archive '{archive}': it was not encrypted to this identity (wrong identity file)");
        }
        else
        {
            throw new KeyException(key.Kind == KeyKind.Recipients
                ? new Phrase($"cannot decrypt archive '{archive}': public keys only encrypt (give {Setting.Key})")
                : new Phrase($"cannot decrypt archive '{archive}': it is in the age format, which a key file does not open (give {Setting.Key})"));
        }

        return macMatches(fileKey) ? fileKey : throw AgeHeader.Damaged(archive, "its header was tampered with (its MAC does not match)");
    }

    internal static byte[] PayloadKey(byte[] fileKey, ReadOnlySpan<byte> nonce) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, fileKey, 32, nonce.ToArray(), "payload"u8.ToArray());

    /// <summary>The nonce of chunk <paramref name="counter"/>: an 11-byte big-endian counter, then 1 on the last chunk.</summary>
    internal static void ChunkNonce(ulong counter, bool last, Span<byte> nonce)
    {
        nonce.Clear();
        for (var i = 10; i >= 3; i--)
        {
            nonce[i] = (byte)counter;
            counter >>= 8;
        }

        nonce[11] = last ? (byte)1 : (byte)0;
    }

    private static AgeStanza WrapX25519(byte[] fileKey, AgeRecipient recipient)
    {
        var ephemeral = RandomNumberGenerator.GetBytes(32);
        var share = new byte[32];
        Geralt.X25519.ComputePublicKey(share, ephemeral);
        var shared = new byte[32];
        Geralt.X25519.ComputeSharedSecret(shared, ephemeral, recipient.PublicKey);
        var wrapKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, [.. share, .. recipient.PublicKey], X25519Info);
        CryptographicOperations.ZeroMemory(ephemeral);
        return new AgeStanza(["X25519", AgeHeader.Base64(share)], Seal(wrapKey, fileKey));
    }

    private static byte[]? UnwrapX25519(AgeStanza stanza, AgeIdentity identity, string archive)
    {
        if (stanza.Arguments[0] != "X25519")
        {
            return null;
        }

        if (stanza.Arguments.Count != 2 || AgeHeader.DecodeBase64(stanza.Arguments[1]) is not { Length: 32 } share || stanza.Body.Length != 32)
        {
            throw AgeHeader.Damaged(archive, "an X25519 stanza is malformed");
        }

        var shared = new byte[32];
        try
        {
            Geralt.X25519.ComputeSharedSecret(shared, identity.Secret, share);
        }
        catch (CryptographicException)
        {
            throw AgeHeader.Damaged(archive, "an X25519 stanza has a low-order share");
        }

        var wrapKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, [.. share, .. identity.Recipient.PublicKey], X25519Info);
        return Open(wrapKey, stanza.Body);
    }

    private static AgeStanza WrapScrypt(byte[] fileKey, byte[] passphrase, int workFactor)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var wrapKey = Scrypt.DeriveKey(passphrase, [.. ScryptLabel, .. salt], workFactor);
        return new AgeStanza(["scrypt", AgeHeader.Base64(salt), workFactor.ToString(CultureInfo.InvariantCulture)], Seal(wrapKey, fileKey));
    }

    private static byte[]? UnwrapScrypt(AgeStanza stanza, byte[] passphrase, string archive)
    {
        if (stanza.Arguments.Count != 3 || AgeHeader.DecodeBase64(stanza.Arguments[1]) is not { Length: 16 } salt
            || stanza.Arguments[2] is not { Length: > 0 and < 3 } factor || factor[0] is < '1' or > '9' || !factor.All(char.IsAsciiDigit)
            || stanza.Body.Length != 32)
        {
            throw AgeHeader.Damaged(archive, "its scrypt stanza is malformed");
        }

        var workFactor = int.Parse(factor, CultureInfo.InvariantCulture);
        if (workFactor > MaxScryptWorkFactor)
        {
            throw AgeHeader.Damaged(archive, $"its scrypt work factor {workFactor} is above {MaxScryptWorkFactor}, the one age and this agent write (a crafted header, or a file from another tool)");
        }

        return Open(Scrypt.DeriveKey(passphrase, [.. ScryptLabel, .. salt], workFactor), stanza.Body);
    }

    private static byte[] Seal(byte[] key, byte[] plaintext)
    {
        var sealedBytes = new byte[plaintext.Length + TagBytes];
        Geralt.ChaCha20Poly1305.Encrypt(sealedBytes, plaintext, ZeroNonce, key);
        return sealedBytes;
    }

    private static byte[]? Open(byte[] key, byte[] sealedBytes)
    {
        var plaintext = new byte[sealedBytes.Length - TagBytes];
        try
        {
            Geralt.ChaCha20Poly1305.Decrypt(plaintext, sealedBytes, ZeroNonce, key);
            return plaintext;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
