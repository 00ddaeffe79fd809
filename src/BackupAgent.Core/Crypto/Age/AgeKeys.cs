using System.Security.Cryptography;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>
/// An age X25519 recipient (<c>age1...</c>), with the manifest key of its identity when it is known
/// (<see cref="AgeManifestMac"/>): the key that lets a host that can only encrypt authenticate what it writes.
/// </summary>
public sealed record AgeRecipient(byte[] PublicKey, byte[]? ManifestKey)
{
    public const string Hrp = "age";

    public string Encoded => Bech32.Encode(Hrp, PublicKey);

    /// <summary>Parses <c>age1...</c>; null when <paramref name="text"/> is not an X25519 recipient.</summary>
    public static AgeRecipient? TryParse(string text) =>
        Bech32.Decode(text) is ("age", { Length: 32 } key) && !text.Any(char.IsUpper) ? new AgeRecipient(key, null) : null;

    /// <summary>The 16-byte tag that names this recipient in a set's manifest MAC (not secret: it links sets made for it).</summary>
    public byte[] Tag => SHA256.HashData([.. "backup-agent recipient tag v1"u8, .. PublicKey])[..16];
}

/// <summary>An age X25519 identity (<c>AGE-SECRET-KEY-1...</c>): it decrypts what was encrypted to its recipient.</summary>
public sealed class AgeIdentity
{
    public const string Hrp = "age-secret-key-";
    public const string ManifestKeyHrp = "backup-agent-manifest-key-";

    private AgeIdentity(byte[] secret)
    {
        Secret = secret;
        var pub = new byte[32];
        Geralt.X25519.ComputePublicKey(pub, secret);
        Recipient = new AgeRecipient(pub, HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, [], "backup-agent manifest key v1"u8.ToArray()));
    }

    internal byte[] Secret { get; }

    /// <summary>The public key, with the manifest key derived from this identity (HKDF-SHA256; it cannot give the identity back).</summary>
    public AgeRecipient Recipient { get; }

    public static AgeIdentity Generate() => new(RandomNumberGenerator.GetBytes(32));

    public string Encoded => Bech32.Encode(Hrp, Secret, upper: true);

    public string EncodedManifestKey => Bech32.Encode(ManifestKeyHrp, Recipient.ManifestKey!, upper: true);

    public static AgeIdentity? TryParse(string text) =>
        text.StartsWith("AGE-SECRET-KEY-1", StringComparison.Ordinal) && Bech32.Decode(text) is (Hrp, { Length: 32 } secret) ? new AgeIdentity(secret) : null;

    /// <summary>Reads an identity file as age does: <c>AGE-SECRET-KEY-1...</c> lines, <c>#</c> comments and blank lines.</summary>
    public static IReadOnlyList<AgeIdentity> ReadFile(string path)
    {
        var identities = new List<AgeIdentity>();
        var number = 0;
        foreach (var raw in ReadLines(path, "identity file"))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            identities.Add(TryParse(line) ?? throw new BadInputException(
                $"the identity file '{path}' has no age X25519 identity (AGE-SECRET-KEY-1...) on line {number}"));
        }

        return identities.Count > 0 ? identities : throw new BadInputException($"the identity file '{path}' holds no identity (AGE-SECRET-KEY-1... lines)");
    }

    /// <summary>
    /// Reads recipients: <paramref name="value"/> is an <c>age1...</c> key or a file of them (age's recipients file, one a
    /// line, <c>#</c> comments), where a comment <c># backup-agent-manifest-key: age1... BACKUP-AGENT-MANIFEST-KEY-1...</c>
    /// (written by <c>backup-agent keygen</c>) gives a recipient its manifest key.
    /// </summary>
    public static IReadOnlyList<AgeRecipient> ReadRecipients(string value)
    {
        if (AgeRecipient.TryParse(value) is { } bare)
        {
            return [bare];
        }

        if (value.StartsWith("age1", StringComparison.Ordinal))
        {
            throw new BadInputException($"'{value}' is not an age X25519 public key (age1..., 62 characters)");
        }

        var keys = new List<AgeRecipient>();
        var manifestKeys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in ReadLines(value, "recipients file"))
        {
            number++;
            var line = raw.Trim();
            if (line.StartsWith(ManifestKeyComment, StringComparison.Ordinal))
            {
                var parts = line[ManifestKeyComment.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != 2 || AgeRecipient.TryParse(parts[0]) is null || Bech32.Decode(parts[1]) is not (ManifestKeyHrp, { Length: 32 } manifestKey) || !parts[1].StartsWith("BACKUP-AGENT-", StringComparison.Ordinal))
                {
                    throw new BadInputException($"the recipients file '{value}' has a damaged manifest key on line {number}");
                }

                manifestKeys[parts[0]] = manifestKey;
            }
            else if (line.Length > 0 && !line.StartsWith('#'))
            {
                keys.Add(AgeRecipient.TryParse(line) ?? throw new BadInputException(
                    $"the recipients file '{value}' has no age X25519 public key (age1...) on line {number}"));
            }
        }

        return keys.Count == 0
            ? throw new BadInputException($"the recipients file '{value}' holds no public key (age1... lines)")
            : keys.Select(k => k with { ManifestKey = manifestKeys.GetValueOrDefault(k.Encoded) }).ToList();
    }

    public const string ManifestKeyComment = "# backup-agent-manifest-key: ";

    /// <summary>The recipients file of this identity: its public key for age, and the comment that gives the agent its manifest key.</summary>
    public string RecipientsFile(string identityPath) => $"""
        # The public key of {identityPath}, for backup-agent backup --recipient FILE (and age -R FILE).
        # It encrypts and cannot decrypt. The manifest key below lets the agent authenticate the manifests of the sets it makes
        # for this key, so that whoever writes the store cannot forge them: keep this file private (0600).
        {ManifestKeyComment}{Recipient.Encoded} {EncodedManifestKey}
        {Recipient.Encoded}

        """;

    private static string[] ReadLines(string path, string what)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"cannot read the {what} '{path}': {e.Message}");
        }
    }
}
