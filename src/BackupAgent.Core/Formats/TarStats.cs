using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BackupAgent.Core.Progress;

namespace BackupAgent.Core.Formats;

/// <summary>
/// The one tar parser: fed with a tar stream's bytes in any chunking, without buffering it, it parses the 512-byte
/// headers (ustar, GNU and pax) and counts the entries, their content and every byte; with <c>index: true</c> it also
/// indexes each entry as it passes (name, type, mode, owner, mtime, size, link, and the SHA-256 of a file's content),
/// handed on through <see cref="TakeEntries"/>. A backup, a migration and a deep verify index with it in the same
/// pass that counts; a restore bounds with it (<see cref="BoundedTarStream"/>).
/// </summary>
public sealed class TarStats(bool index = false, bool dumpDirs = false)
{
    private const int Block = 512;
    private const int MaxExtensionBytes = 1 << 20;

    /// <summary>The largest GNU dumpdir (an incremental archive's list of a directory's entries) kept for <see cref="TakeDumpDirs"/>.</summary>
    private const int MaxDumpDirBytes = 64 << 20;

    private readonly List<(string Path, byte[] Contents)> _dumpDirs = [];
    private MemoryStream? _dumpDir;
    private string? _dumpDirPath;

    private readonly byte[] _header = new byte[Block];
    private readonly List<TarIndexEntry> _completed = [];
    private int _headerFill;
    private long _skip;

    // An extension record being read (pax 'x', GNU long name 'L' or long link 'K'), and what the records before an entry said.
    private char _extensionType;
    private MemoryStream? _extension;
    private Dictionary<string, string>? _pax;
    private string? _longName;
    private string? _longLink;

    // The entry whose content is passing, when indexing: its hash, and how much of its content is still to come.
    private TarIndexEntry? _pending;
    private IncrementalHash? _hash;
    private long _contentLeft;

    /// <summary>Entries that stand for a file system object (not the GNU long-name or pax extension records).</summary>
    public long Entries { get; private set; }

    /// <summary>Sum of the sizes of the regular files.</summary>
    public long ContentBytes { get; private set; }

    /// <summary>Every byte of the stream, padding included.</summary>
    public long TarBytes { get; private set; }

    /// <summary>True once the end-of-archive marker (a zero block) was seen.</summary>
    public bool Ended { get; private set; }

    /// <summary>The run's progress, told of every byte as it passes (every tar of a backup, restore, verify and migration passes here).</summary>
    public ProgressMeter? Progress { get; init; }

    public void Append(ReadOnlySpan<byte> data)
    {
        TarBytes += data.Length;
        Progress?.Add(data.Length);
        while (!data.IsEmpty && !Ended)
        {
            if (_skip > 0)
            {
                var n = (int)Math.Min(_skip, data.Length);
                OnData(data[..n]);
                _skip -= n;
                data = data[n..];
                if (_skip == 0)
                {
                    OnDataEnd();
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

    /// <summary>
    /// The GNU dumpdirs read since the last call (with <c>dumpDirs: true</c>): each directory of an incremental archive
    /// with the records that list its entries ("Y" in the archive, "N" unchanged, "D" a directory, "R"/"T" renames).
    /// </summary>
    public IReadOnlyList<(string Path, byte[] Contents)> TakeDumpDirs()
    {
        if (_dumpDirs.Count == 0)
        {
            return [];
        }

        var taken = _dumpDirs.ToArray();
        _dumpDirs.Clear();
        return taken;
    }

    /// <summary>The entries indexed since the last call, in stream order (none unless indexing).</summary>
    public IReadOnlyList<TarIndexEntry> TakeEntries()
    {
        if (_completed.Count == 0)
        {
            return [];
        }

        var entries = _completed.ToArray();
        _completed.Clear();
        return entries;
    }

    private void OnHeader()
    {
        if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
        {
            Ended = true;
            return;
        }

        var type = (char)_header[156];
        var size = Checked(ParseNumber(_header.AsSpan(124, 12)));
        var padded = (size + Block - 1) / Block * Block;
        switch (type)
        {
            case 'x' or 'g' or 'L' or 'K':
                // GNU tar honours a record of any size; one this parser would not read could hide what follows it.
                // A global pax record ('g') is read only to refuse what it must not carry (see OnDataEnd).
                _extensionType = type;
                _extension = size <= MaxExtensionBytes ? new MemoryStream((int)size)
                    : throw new InvalidDataException($"a tar extension record of {size} bytes is beyond the {MaxExtensionBytes} this agent reads");
                _skip = padded;
                if (_skip == 0)
                {
                    OnDataEnd();
                }

                return;
        }

        if (_pax?.TryGetValue("size", out var paxSize) == true && long.TryParse(paxSize, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
        {
            size = Checked(s);
            padded = (size + Block - 1) / Block * Block;
        }

        Entries++;
        if (type is '0' or '\0' or '7' or 'S')
        {
            ContentBytes += size;
        }

        _skip = type is '1' or '2' or '3' or '4' or '5' or '6' ? 0 : padded;
        if (dumpDirs && type == 'D' && _skip > 0)
        {
            _dumpDir = size <= MaxDumpDirBytes ? new MemoryStream((int)size)
                : throw new InvalidDataException($"a directory's list of entries of {size} bytes is beyond the {MaxDumpDirBytes} this agent reads");
            _dumpDirPath = (_pax?.GetValueOrDefault("path") ?? _longName ?? UstarName()).TrimEnd('/');
        }

        if (index)
        {
            var entry = Describe(type, size);
            if (_skip > 0 && size > 0 && type is not ('1' or 'D'))
            {
                (_pending, _hash, _contentLeft) = (entry, IncrementalHash.CreateHash(HashAlgorithmName.SHA256), size);
            }
            else
            {
                _completed.Add(entry);
            }
        }

        (_pax, _longName, _longLink) = (null, null, null);
    }

    private TarIndexEntry Describe(char type, long size)
    {
        var name = _pax?.GetValueOrDefault("path") ?? _longName ?? UstarName();
        var linkName = _pax?.GetValueOrDefault("linkpath") ?? _longLink ?? Text(_header.AsSpan(157, 100));
        // A GNU dumpdir (incremental archives) is a directory; its content lists the directory's entries, not a file's bytes.
        var normalized = type is '\0' or '7' ? '0' : type == 'D' ? '5' : type;
        size = type == 'D' ? 0 : size;
        var link = normalized == '2' ? linkName : normalized == '1' ? linkName.TrimEnd('/') : null;
        var uid = PaxNumber("uid") ?? ParseNumber(_header.AsSpan(108, 8));
        var gid = PaxNumber("gid") ?? ParseNumber(_header.AsSpan(116, 8));
        var mtime = PaxNumber("mtime") ?? ParseNumber(_header.AsSpan(136, 12));
        var mode = (int)(ParseNumber(_header.AsSpan(100, 8)) & 0xFFF);
        return new TarIndexEntry(name.TrimEnd('/'), normalized.ToString(), mode, (int)uid, (int)gid, mtime, size, null, link);
    }

    /// <summary>A ustar name: the prefix field joined to the name field (POSIX ustar only; GNU tar's format keeps other data there).</summary>
    private string UstarName()
    {
        var name = Text(_header.AsSpan(0, 100));
        if (_header.AsSpan(257, 6).SequenceEqual("ustar\0"u8) && Text(_header.AsSpan(345, 155)) is { Length: > 0 } prefix)
        {
            return $"{prefix}/{name}";
        }

        return name;
    }

    private long? PaxNumber(string key) =>
        _pax?.GetValueOrDefault(key) is { } value && long.TryParse(value.Split('.')[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    private void OnData(ReadOnlySpan<byte> data)
    {
        if (_extension is not null)
        {
            _extension.Write(data[..(int)Math.Min(data.Length, _extension.Capacity - _extension.Length)]);
        }
        else if (_dumpDir is not null)
        {
            _dumpDir.Write(data[..(int)Math.Min(data.Length, _dumpDir.Capacity - _dumpDir.Length)]);
        }
        else if (_hash is not null && _contentLeft > 0)
        {
            var n = (int)Math.Min(_contentLeft, data.Length);
            _hash.AppendData(data[..n]);
            _contentLeft -= n;
        }
    }

    private void OnDataEnd()
    {
        if (_extension is not null)
        {
            var bytes = _extension.GetBuffer().AsSpan(0, (int)_extension.Length);
            switch (_extensionType)
            {
                case 'x':
                    _pax = ParsePax(Unlisted(bytes));
                    break;
                case 'g':
                    Unlisted(bytes);
                    break;
                case 'L':
                    _longName = Text(bytes);
                    break;
                case 'K':
                    _longLink = Text(bytes);
                    break;
            }

            _extension = null;
        }
        else if (_dumpDir is not null)
        {
            _dumpDirs.Add((_dumpDirPath!, _dumpDir.ToArray()));
            (_dumpDir, _dumpDirPath) = (null, null);
        }
        else if (_pending is not null)
        {
            _completed.Add(_pending with { Sha256 = Convert.ToHexStringLower(_hash!.GetHashAndReset()) });
            _hash.Dispose();
            (_pending, _hash) = (null, null);
        }
    }

    /// <summary>
    /// Refuses a pax record that carries a directory's listing (GNU.dumpdir: GNU tar's pax form of the GNU 'D'
    /// dumpdir, which steers what its incremental extraction deletes and renames, for one entry or, in a global record,
    /// for every one after it). The agent's own archives are GNU format and never hold one; the listings this parser
    /// hands on for checking (<see cref="TakeDumpDirs"/>) are the 'D' entries, so one in a pax record would pass unchecked.
    /// The record's raw bytes are searched, so that no malformed record before it hides it from the parse.
    /// </summary>
    private static ReadOnlySpan<byte> Unlisted(ReadOnlySpan<byte> pax) =>
        pax.IndexOf(" GNU.dumpdir="u8) >= 0
            ? throw new InvalidDataException("a pax header carries a directory listing (GNU.dumpdir), which this agent does not accept (its own archives list directories as GNU dumpdirs)")
            : pax;

    /// <summary>A size a tar may declare: none is negative (a base-256 field with its sign bit) or beyond 2^50 (no sum may overflow).</summary>
    private static long Checked(long size) =>
        size is >= 0 and <= MaxSize ? size : throw new InvalidDataException($"a tar header declares a size of {size} bytes");

    private const long MaxSize = 1L << 50;

    /// <summary>A NUL-terminated text field (or record), as UTF-8.</summary>
    private static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
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

    /// <summary>Parses pax extended header data: "LEN key=value\n" records, LEN counting the whole record.</summary>
    private static Dictionary<string, string> ParsePax(ReadOnlySpan<byte> data)
    {
        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(data[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length <= space + 1 || length > data.Length)
            {
                break;
            }

            var record = Encoding.UTF8.GetString(data[(space + 1)..(length - 1)]);
            var equals = record.IndexOf('=');
            if (equals > 0)
            {
                records[record[..equals]] = record[(equals + 1)..];
            }

            data = data[length..];
        }

        return records;
    }
}

/// <summary>
/// Counts the tar read from the inner stream as it passes; given <paramref name="onEntry"/>, also indexes it in the
/// same pass, handing each entry on (awaited before the read returns, so a slow consumer slows the read, and memory
/// stays bounded). <see cref="Stats"/> is exact for what has been read; <paramref name="progress"/> is told as it is.
/// </summary>
public sealed class TarStatsStream(
    Stream inner, Func<TarIndexEntry, CancellationToken, ValueTask>? onEntry = null, Action<string, byte[]>? onDumpDir = null, ProgressMeter? progress = null) : PassThroughStream(inner)
{
    public TarStats Stats { get; } = new(index: onEntry is not null, dumpDirs: onDumpDir is not null) { Progress = progress };

    public override int Read(Span<byte> buffer) => onEntry is null ? base.Read(buffer) : throw new NotSupportedException("an indexing tar stream is read asynchronously");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await base.ReadAsync(buffer, cancellationToken);
        if (onEntry is not null)
        {
            foreach (var entry in Stats.TakeEntries())
            {
                await onEntry(entry, cancellationToken);
            }

            if (onDumpDir is not null)
            {
                foreach (var (path, contents) in Stats.TakeDumpDirs())
                {
                    onDumpDir(path, contents);
                }
            }
        }

        return n;
    }

    protected override void OnRead(ReadOnlySpan<byte> data) => Stats.Append(data);
}

/// <summary>
/// Passes a tar stream on while counting it, and fails as soon as it holds more than declared: more entries, more
/// content (a header's declared size counts at once) or more bytes. A restore is bounded by its manifest this way.
/// It also stops an incremental archive whose directory listing names an entry outside its directory.
/// </summary>
public sealed class BoundedTarStream(Stream inner, long maxEntries, long maxContentBytes, long maxTarBytes, string what, ProgressMeter? progress = null) : PassThroughStream(inner)
{
    /// <summary>What has passed so far (told to <paramref name="progress"/> as it passes).</summary>
    public TarStats Stats { get; } = new(dumpDirs: true) { Progress = progress };

    protected override void OnRead(ReadOnlySpan<byte> data)
    {
        Stats.Append(data);

        // An incremental archive's directory listings steer GNU tar's extraction (what it deletes, what it renames):
        // one that names anything outside its own directory never reaches the helper.
        foreach (var (path, contents) in Stats.TakeDumpDirs())
        {
            if (IncrementalTree.Problem(contents) is { } problem)
            {
                throw new ArchiveExceedsManifestException($"{what} holds a listing of the directory '{path}' that {problem}; unpacking was stopped");
            }
        }

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
