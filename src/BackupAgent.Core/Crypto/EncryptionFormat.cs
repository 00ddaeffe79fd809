using System.Buffers.Binary;
using System.Security.Cryptography;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Crypto;

/// <summary>
/// The encrypted archive format, "bae1": a header, then the plaintext in chunks of <see cref="ChunkBytes"/>, each
/// sealed with AES-256-GCM. Streaming and authenticated:
/// <code>
/// header: "BAENC1\0\0" | kind (1 = passphrase/PBKDF2-SHA256, 2 = key file/HKDF-SHA256) | iterations (u32 BE)
///         | salt (16) | nonce prefix (8) | chunk size (u32 BE) | key check (16) = HMAC-SHA256(key, "key check")[..16]
/// chunk i: AES-256-GCM(key, nonce = prefix | i (u32 BE), aad = header | last (1 byte: 1 on the final chunk))
///          = ciphertext | tag (16)
/// </code>
/// Every chunk but the last is full; the last is shorter (an empty one follows a full last chunk), so truncation
/// at any point, reordering and header changes all fail authentication. The manifest of an encrypted set is
/// authenticated with the same key in its own format, <see cref="ManifestMac"/>.
/// </summary>
public static class EncryptionFormat
{
    public const string Name = "bae1-aes-256-gcm";
    public const int ChunkBytes = 1 << 20;
    public const int TagBytes = 16;
    public const int HeaderBytes = 8 + 1 + 4 + 16 + 8 + 4 + 16;

    private static readonly byte[] Magic = "BAENC1\0\0"u8.ToArray();

    /// <summary>Makes a new header (random salt and nonce prefix) and its archive key.</summary>
    internal static (byte[] Header, byte[] Key) NewHeader(ArchiveKey key)
    {
        var header = new byte[HeaderBytes];
        var iterations = WritePreamble(header, Magic, key, 24);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(37), ChunkBytes);
        var derived = key.Derive(key.Kind, header[13..29], iterations);
        KeyCheck(derived).CopyTo(header.AsSpan(41));
        return (header, derived);
    }

    /// <summary>Reads a header and derives its key; a wrong key is told apart from damage by the key check.</summary>
    internal static (byte[] Key, int ChunkSize) OpenHeader(ReadOnlySpan<byte> header, ArchiveKey key, string archive)
    {
        if (header.Length < HeaderBytes || !header[..8].SequenceEqual(Magic))
        {
            throw new BackupAgentException($"archive '{archive}' is not an encrypted archive of this agent (no {Name} header), or it is truncated");
        }

        var kind = (KeyKind)header[8];
        var iterations = (int)BinaryPrimitives.ReadUInt32BigEndian(header[9..]);
        var chunk = (int)BinaryPrimitives.ReadUInt32BigEndian(header[37..]);
        if (kind is not (KeyKind.Passphrase or KeyKind.KeyFile) || chunk is <= 0 or > 64 << 20 || iterations > 100_000_000)
        {
            throw new BackupAgentException($"archive '{archive}' has a damaged encryption header");
        }

        var derived = key.Derive(kind, header[13..29].ToArray(), iterations);
        if (!CryptographicOperations.FixedTimeEquals(KeyCheck(derived), header[41..57]))
        {
            throw new KeyException($"cannot decrypt archive '{archive}': wrong passphrase or key");
        }

        return (derived, chunk);
    }

    /// <summary>
    /// Writes what both this format and <see cref="ManifestMac"/> begin with: magic (8) | kind (1) | iterations (u32 BE),
    /// then <paramref name="randomBytes"/> random bytes (salt, ...). Returns the iteration count.
    /// </summary>
    internal static int WritePreamble(Span<byte> destination, ReadOnlySpan<byte> magic, ArchiveKey key, int randomBytes)
    {
        magic.CopyTo(destination);
        destination[8] = (byte)key.Kind;
        var iterations = key.Kind == KeyKind.Passphrase ? ArchiveKey.Pbkdf2Iterations : 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[9..], (uint)iterations);
        RandomNumberGenerator.Fill(destination.Slice(13, randomBytes));
        return iterations;
    }

    internal static void Nonce(ReadOnlySpan<byte> header, uint index, Span<byte> nonce)
    {
        header[29..37].CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], index);
    }

    internal static byte[] Aad(ReadOnlySpan<byte> header, bool last)
    {
        var aad = new byte[HeaderBytes + 1];
        header.CopyTo(aad);
        aad[^1] = last ? (byte)1 : (byte)0;
        return aad;
    }

    private static byte[] KeyCheck(byte[] key) => HMACSHA256.HashData(key, "key check"u8)[..16];
}
