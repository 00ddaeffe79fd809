using System.Security.Cryptography;
using System.Text;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Crypto;

/// <summary>
/// The secret archives are encrypted with: a passphrase (stretched per archive with PBKDF2-SHA256) or a key file
/// holding 32 random bytes, raw or base64 (expanded per archive with HKDF-SHA256). Never logged, never stored.
/// </summary>
public sealed class ArchiveKey
{
    public const int Pbkdf2Iterations = 600_000;

    private static readonly byte[] ManifestInfo = "backup-agent manifest mac v1"u8.ToArray();

    private readonly byte[] _secret;

    private ArchiveKey(KeyKind kind, byte[] secret)
    {
        Kind = kind;
        _secret = secret;
    }

    public KeyKind Kind { get; }

    public static ArchiveKey FromPassphrase(string passphrase) =>
        passphrase.Length == 0 ? throw new BadInputException("the passphrase is empty") : new(KeyKind.Passphrase, Encoding.UTF8.GetBytes(passphrase));

    /// <summary>Reads a key file: 32 bytes, raw or base64 (surrounding whitespace ignored).</summary>
    public static ArchiveKey FromKeyFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"cannot read the key file '{path}': {e.Message}");
        }

        if (bytes.Length == 32)
        {
            return new ArchiveKey(KeyKind.KeyFile, bytes);
        }

        try
        {
            var decoded = Convert.FromBase64String(Encoding.ASCII.GetString(bytes).Trim());
            if (decoded.Length == 32)
            {
                return new ArchiveKey(KeyKind.KeyFile, decoded);
            }
        }
        catch (FormatException)
        {
        }

        throw new BadInputException($"the key file '{path}' must hold 32 random bytes, raw or base64 (e.g. head -c 32 /dev/urandom | base64 > FILE)");
    }

    /// <summary>Derives the 32-byte key of one archive from its salt.</summary>
    internal byte[] Derive(KeyKind kind, byte[] salt, int iterations)
    {
        if (kind != Kind)
        {
            throw new BackupAgentException(kind == KeyKind.Passphrase
                ? "the archive was encrypted with a passphrase, but a key file was given"
                : "the archive was encrypted with a key file, but a passphrase was given");
        }

        return kind == KeyKind.Passphrase
            ? Rfc2898DeriveBytes.Pbkdf2(_secret, salt, iterations, HashAlgorithmName.SHA256, 32)
            : HKDF.DeriveKey(HashAlgorithmName.SHA256, _secret, 32, salt, "backup-agent archive v1"u8.ToArray());
    }

    /// <summary>Derives the key that authenticates a set's manifest (<see cref="ManifestMac"/>); its own info string keeps it apart from archive keys.</summary>
    internal byte[] DeriveManifestKey(byte[] salt, int iterations) => Kind == KeyKind.Passphrase
        ? HKDF.Expand(HashAlgorithmName.SHA256, Rfc2898DeriveBytes.Pbkdf2(_secret, salt, iterations, HashAlgorithmName.SHA256, 32), 32, ManifestInfo)
        : HKDF.DeriveKey(HashAlgorithmName.SHA256, _secret, 32, salt, ManifestInfo);
}

public enum KeyKind : byte
{
    Passphrase = 1,
    KeyFile = 2,
}
