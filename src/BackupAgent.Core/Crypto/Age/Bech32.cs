using System.Text;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>
/// Bech32 (BIP 173) as age uses it for its keys: no length limit on the data part, all lower or all upper case,
/// the checksum over the lower-case string. Encoding, not cryptography.
/// </summary>
public static class Bech32
{
    private const string Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    private static readonly uint[] Generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

    /// <summary>Encodes <paramref name="data"/> under <paramref name="hrp"/>, in lower case (or upper case when <paramref name="upper"/>).</summary>
    public static string Encode(string hrp, ReadOnlySpan<byte> data, bool upper = false)
    {
        hrp = hrp.ToLowerInvariant();
        var values = ConvertBits(data, 8, 5, pad: true)!;
        var checksum = Checksum(hrp, values);
        var text = new StringBuilder(hrp.Length + 1 + values.Count + 6).Append(hrp).Append('1');
        foreach (var v in values.Concat(checksum))
        {
            text.Append(Charset[v]);
        }

        var result = text.ToString();
        return upper ? result.ToUpperInvariant() : result;
    }

    /// <summary>Decodes a Bech32 string: its human-readable part (lower case) and data; null when it is not valid Bech32.</summary>
    public static (string Hrp, byte[] Data)? Decode(string text)
    {
        if (text.Length < 8 || text.Any(c => c is < '!' or > '~') || (text.Any(char.IsLower) && text.Any(char.IsUpper)))
        {
            return null;
        }

        text = text.ToLowerInvariant();
        var separator = text.LastIndexOf('1');
        if (separator < 1 || separator + 7 > text.Length)
        {
            return null;
        }

        var hrp = text[..separator];
        var values = new List<byte>(text.Length - separator - 1);
        foreach (var c in text[(separator + 1)..])
        {
            var v = Charset.IndexOf(c);
            if (v < 0)
            {
                return null;
            }

            values.Add((byte)v);
        }

        if (Polymod(HrpExpand(hrp).Concat(values)) != 1)
        {
            return null;
        }

        var data = ConvertBits(values.Take(values.Count - 6).ToArray(), 5, 8, pad: false);
        return data is null ? null : (hrp, data.ToArray());
    }

    private static IEnumerable<byte> Checksum(string hrp, IReadOnlyList<byte> values)
    {
        var mod = Polymod(HrpExpand(hrp).Concat(values).Concat(new byte[6])) ^ 1;
        for (var i = 0; i < 6; i++)
        {
            yield return (byte)((mod >> (5 * (5 - i))) & 31);
        }
    }

    private static uint Polymod(IEnumerable<byte> values)
    {
        uint chk = 1;
        foreach (var v in values)
        {
            var top = chk >> 25;
            chk = ((chk & 0x1ffffff) << 5) ^ v;
            for (var i = 0; i < 5; i++)
            {
                if (((top >> i) & 1) != 0)
                {
                    chk ^= Generator[i];
                }
            }
        }

        return chk;
    }

    private static IEnumerable<byte> HrpExpand(string hrp) =>
        hrp.Select(c => (byte)(c >> 5)).Append((byte)0).Concat(hrp.Select(c => (byte)(c & 31)));

    /// <summary>Regroups bits; without padding, leftover bits must be fewer than <paramref name="from"/> and zero (else null).</summary>
    private static List<byte>? ConvertBits(ReadOnlySpan<byte> data, int from, int to, bool pad)
    {
        var acc = 0;
        var bits = 0;
        var result = new List<byte>(data.Length * from / to + 1);
        var max = (1 << to) - 1;
        foreach (var value in data)
        {
            acc = (acc << from) | value;
            bits += from;
            while (bits >= to)
            {
                bits -= to;
                result.Add((byte)((acc >> bits) & max));
            }
        }

        if (pad)
        {
            if (bits > 0)
            {
                result.Add((byte)((acc << (to - bits)) & max));
            }
        }
        else if (bits >= from || ((acc << (to - bits)) & max) != 0)
        {
            return null;
        }

        return result;
    }
}
