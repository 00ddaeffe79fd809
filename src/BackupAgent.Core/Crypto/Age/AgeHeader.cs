using System.Security.Cryptography;
using System.Text;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>One recipient stanza of an age header: <c>-&gt; TYPE ARGS...</c> and its body.</summary>
public sealed record AgeStanza(IReadOnlyList<string> Arguments, byte[] Body);

/// <summary>
/// The age v1 header (C2SP age): the version line, one stanza per recipient wrapping the 16-byte file key, and
/// <c>--- MAC</c>, HMAC-SHA256 under HKDF-SHA256(file key, "header") over everything up to and including <c>---</c>.
/// </summary>
public static class AgeHeader
{
    public const string VersionLine = "age-encryption.org/v1";

    /// <summary>The longest header this reader takes (a few stanzas are a few hundred bytes).</summary>
    public const int MaxBytes = 64 << 10;

    /// <summary>Serializes a header for <paramref name="stanzas"/> and seals it with the file key's MAC.</summary>
    public static byte[] Write(IEnumerable<AgeStanza> stanzas, ReadOnlySpan<byte> fileKey)
    {
        var text = new StringBuilder(VersionLine).Append('\n');
        foreach (var stanza in stanzas)
        {
            text.Append("-> ").Append(string.Join(' ', stanza.Arguments)).Append('\n');
            var body = Base64(stanza.Body);
            for (var i = 0; i <= body.Length; i += 64)
            {
                text.Append(body.AsSpan(i, Math.Min(64, body.Length - i))).Append('\n');
                if (body.Length - i < 64)
                {
                    break;
                }
            }
        }

        text.Append("---");
        var covered = Encoding.ASCII.GetBytes(text.ToString());
        var mac = Mac(fileKey, covered);
        return [.. covered, .. Encoding.ASCII.GetBytes(" " + Base64(mac) + "\n")];
    }

    /// <summary>The stanzas of a header (everything before its payload), and a check of its MAC once the file key is known.</summary>
    public static (IReadOnlyList<AgeStanza> Stanzas, Func<byte[], bool> MacMatches) Parse(ReadOnlySpan<byte> header, string archive)
    {
        var lines = Encoding.ASCII.GetString(header).Split('\n');
        if (header.Length == 0 || header[^1] != '\n' || lines.Length < 3 || lines[0] != VersionLine)
        {
            throw Damaged(archive, lines.Length > 0 && lines[0].StartsWith("age-encryption.org/", StringComparison.Ordinal) && lines[0] != VersionLine
                ? $"its age version '{lines[0]}' is not v1" : "it is not an age v1 file");
        }

        var stanzas = new List<AgeStanza>();
        var i = 1;
        while (lines[i].StartsWith("-> ", StringComparison.Ordinal))
        {
            var arguments = lines[i][3..].Split(' ');
            if (arguments.Any(a => a.Length == 0 || a.Any(c => c is < '!' or > '~')))
            {
                throw Damaged(archive, "a stanza's arguments are malformed");
            }

            var body = new StringBuilder();
            while (true)
            {
                i++;
                if (i >= lines.Length - 1 || lines[i].Length > 64)
                {
                    throw Damaged(archive, "a stanza's body is malformed");
                }

                body.Append(lines[i]);
                if (lines[i].Length < 64)
                {
                    break;
                }
            }

            stanzas.Add(new AgeStanza(arguments, DecodeBase64(body.ToString()) ?? throw Damaged(archive, "a stanza's body is not canonical base64")));
            i++;
        }

        var macLine = lines[i];
        if (stanzas.Count == 0 || i != lines.Length - 2 || !macLine.StartsWith("--- ", StringComparison.Ordinal) || DecodeBase64(macLine[4..]) is not { Length: 32 } mac)
        {
            throw Damaged(archive, "its header is malformed");
        }

        var covered = header[..(header.Length - macLine.Length - 1 + 3)].ToArray();
        return (stanzas, fileKey => CryptographicOperations.FixedTimeEquals(Mac(fileKey, covered), mac));
    }

    /// <summary>Where the header in <paramref name="bytes"/> ends (just after its MAC line), or -1 when it does not end there yet.</summary>
    public static int End(ReadOnlySpan<byte> bytes)
    {
        for (var start = 0; start < bytes.Length;)
        {
            var newline = bytes[start..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                return -1;
            }

            if (bytes[start..].StartsWith("---"u8))
            {
                return start + newline + 1;
            }

            start += newline + 1;
        }

        return -1;
    }

    public static string Base64(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    /// <summary>Unpadded canonical base64 (RFC 4648 3.5), else null.</summary>
    public static byte[]? DecodeBase64(string text)
    {
        if (text.Contains('=') || text.Length % 4 == 1)
        {
            return null;
        }

        try
        {
            var bytes = Convert.FromBase64String(text + new string('=', (4 - text.Length % 4) % 4));
            return Base64(bytes) == text ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] Mac(ReadOnlySpan<byte> fileKey, byte[] covered) =>
        HMACSHA256.HashData(HKDF.DeriveKey(HashAlgorithmName.SHA256, fileKey.ToArray(), 32, [], "header"u8.ToArray()), covered);

    internal static BackupAgentException Damaged(string archive, string how) => new($"cannot decrypt archive '{archive}': {how}");
}
