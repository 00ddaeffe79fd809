using System.Security.Cryptography;
using System.Text;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Crypto;

/// <summary>
/// What archives are encrypted or decrypted with: a passphrase (new sets: age's scrypt recipient; sets of the older
/// "bae1" format: PBKDF2-SHA256), a key file holding 32 random bytes, raw or base64 ("bae1", HKDF-SHA256), age X25519
/// public keys (encrypt only) or age identities (decrypt only). Never logged, never stored.
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

    /// <summary>The passphrase's bytes (UTF-8) or the key file's key.</summary>
    internal byte[] Secret => _secret;

    /// <summary>The public keys of a <see cref="KeyKind.Recipients"/> key.</summary>
    public IReadOnlyList<AgeRecipient> Recipients { get; private init; } = [];

    /// <summary>The identities of a <see cref="KeyKind.Identity"/> key.</summary>
    public IReadOnlyList<AgeIdentity> Identities { get; private init; } = [];

    /// <summary>The format this key writes: age for a passphrase or public keys, "bae1" for a key file.</summary>
    public string Format => Kind == KeyKind.KeyFile ? EncryptionFormat.Name : AgeFormat.Name;

    /// <summary>Whether this key can write sets (an identity only reads them).</summary>
    public bool CanEncrypt => Kind != KeyKind.Identity;

    public static ArchiveKey FromRecipients(IReadOnlyList<AgeRecipient> recipients) =>
        recipients.Count == 0 ? throw new BadInputException("no recipient given")
        : recipients.All(r => r.ManifestKey is null)
            ? throw new BadInputException($"recipient {recipients[0].Encoded} comes without its manifest key, so the sets made for it could not be authenticated: give the recipients file that 'backup-agent keygen' wrote (or 'backup-agent keygen --recipients-of IDENTITY' writes) instead of the bare key")
            : new(KeyKind.Recipients, []) { Recipients = recipients };

    public static ArchiveKey FromIdentityFile(string path) => new(KeyKind.Identity, []) { Identities = AgeIdentity.ReadFile(path) };

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
        if (Kind is KeyKind.Recipients or KeyKind.Identity)
        {
            throw new KeyException(new Phrase($"the archive is in the older bae1 format, which age keys do not open (give {Setting.Key})"));
        }

        if (kind != Kind)
        {
            throw new KeyException(kind == KeyKind.Passphrase
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

    /// <summary>age X25519 public keys: encrypts (and authenticates manifests with their manifest keys), never decrypts.</summary>
    Recipients = 3,

    /// <summary>age X25519 identities: decrypts, and checks manifests with the manifest keys derived from them.</summary>
    Identity = 4,
}
