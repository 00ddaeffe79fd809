using System.Text;

namespace BackupAgent.Core.Formats;

/// <summary>
/// Counts the entries of a tar stream as it passes, without buffering it: fed with the stream's bytes in any
/// chunking, it parses the 512-byte headers (ustar, GNU and pax) and skips the data blocks.
/// </summary>
public sealed class TarStats
{
    private const int Block = 512;
    private const int MaxPaxBytes = 1 << 20;

    private readonly byte[] _header = new byte[Block];
    private int _headerFill;
    private long _skip;
    private MemoryStream? _pax;
    private long? _paxSize;

    /// <summary>Entries that stand for a file system object (not the GNU long-name or pax extension records).</summary>
    public long Entries { get; private set; }

    /// <summary>Sum of the sizes of the regular files.</summary>
    public long ContentBytes { get; private set; }

    /// <summary>Every byte of the stream, padding included.</summary>
    public long TarBytes { get; private set; }

    /// <summary>True once the end-of-archive marker (a zero block) was seen.</summary>
    public bool Ended { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        TarBytes += data.Length;
        while (!data.IsEmpty && !Ended)
        {
            if (_skip > 0)
            {
                var n = (int)Math.Min(_skip, data.Length);
                _pax?.Write(data[..n]);
                _skip -= n;
                data = data[n..];
                if (_skip == 0 && _pax is not null)
                {
                    _paxSize = ParsePaxSize(_pax);
                    _pax = null;
                }

                continue;
            }

            var take = Math.Min(Block - _headerFill, data.Length);
            data[..take].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += take;
            data = data[take..];
            if (_headerFill == Block)
            {
                _headerFill = 0;
                OnHeader();
            }
        }
    }

    private void OnHeader()
    {
        if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
        {
            Ended = true;
            return;
        }

        var type = (char)_header[156];
        var size = ParseNumber(_header.AsSpan(124, 12));
        var padded = (size + Block - 1) / Block * Block;
        switch (type)
        {
            case 'x':
                _pax = size is > 0 and <= MaxPaxBytes ? new MemoryStream((int)size) : null;
                _skip = padded;
                return;
            case 'L' or 'K' or 'g':
                _skip = padded;
                return;
        }

        if (_paxSize is { } paxSize)
        {
            size = paxSize;
            padded = (size + Block - 1) / Block * Block;
            _paxSize = null;
        }

        Entries++;
        if (type is '0' or '\0' or '7' or 'S')
        {
            ContentBytes += size;
        }

        _skip = type is '1' or '2' or '3' or '4' or '5' or '6' ? 0 : padded;
    }

    /// <summary>Parses a numeric header field: NUL/space-terminated octal, or GNU base-256 when the high bit is set.</summary>
    internal static long ParseNumber(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            long value = field[0] & 0x7f;
            foreach (var b in field[1..])
            {
                value = (value << 8) | b;
            }

            return value;
        }

        long octal = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' && octal == 0)
            {
                continue;
            }

            if (b is < (byte)'0' or > (byte)'7')
            {
                break;
            }

            octal = (octal * 8) + (b - '0');
        }

        return octal;
    }

    /// <summary>Finds the "size" record in pax extended header data ("LEN key=value\n" records).</summary>
    private static long? ParsePaxSize(MemoryStream pax)
    {
        foreach (var record in Encoding.UTF8.GetString(pax.GetBuffer(), 0, (int)pax.Length).Split('\n'))
        {
            var space = record.IndexOf(' ');
            if (space > 0 && record.AsSpan(space + 1).StartsWith("size=") && long.TryParse(record.AsSpan(space + 6), out var size))
            {
                return size;
            }
        }

        return null;
    }
}

/// <summary>Feeds the bytes read from the inner stream to a <see cref="TarStats"/>.</summary>
public sealed class TarStatsStream(Stream inner) : PassThroughStream(inner)
{
    public TarStats Stats { get; } = new();

    protected override void OnRead(ReadOnlySpan<byte> data) => Stats.Append(data);

    protected override void OnWrite(ReadOnlySpan<byte> data) => Stats.Append(data);
}

/// <summary>
/// Passes a tar stream on while counting it, and fails as soon as it holds more than declared: more entries, more
/// content (a header's declared size counts at once) or more bytes. A restore is bounded by its manifest this way.
/// </summary>
public sealed class BoundedTarStream(Stream inner, long maxEntries, long maxContentBytes, long maxTarBytes, string what) : PassThroughStream(inner)
{
    /// <summary>What has passed so far.</summary>
    public TarStats Stats { get; } = new();

    protected override void OnRead(ReadOnlySpan<byte> data)
    {
        Stats.Append(data);
        if (Stats.Entries > maxEntries || Stats.ContentBytes > maxContentBytes || Stats.TarBytes > maxTarBytes)
        {
            throw new ArchiveExceedsManifestException(
                $"{what} holds more than its manifest declares ({maxEntries} entries, {maxContentBytes} bytes of content, {maxTarBytes} tar bytes); " +
                $"unpacking was stopped after {Stats.Entries} entries");
        }
    }
}

/// <summary>An archive holds more than its manifest declares: a tar bomb, or a manifest that does not belong to it.</summary>
public sealed class ArchiveExceedsManifestException(string message) : Errors.BackupAgentException(message);
