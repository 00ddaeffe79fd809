using System.IO.Compression;
using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Formats;

public enum Compression
{
    Zstd,
    Gzip,
    None,
}

/// <summary>Compression as stream wrappers, applied while streaming (never a second pass).</summary>
public static class Compressions
{
    public static Compression Parse(string? value) => value?.ToLowerInvariant() switch
    {
        null or "zstd" => Compression.Zstd,
        "gzip" => Compression.Gzip,
        "none" => Compression.None,
        _ => throw new BadInputException(new Phrase($"{Setting.Compression} '{value}' is not one of zstd, gzip, none")),
    };

    public static string FileExtension(this Compression compression) => compression switch
    {
        Compression.Zstd => ".tar.zst",
        Compression.Gzip => ".tar.gz",
        _ => ".tar",
    };

    /// <summary>Wraps <paramref name="output"/> so that what is written to the result is compressed into it. Leaves it open.</summary>
    public static Stream Compress(this Compression compression, Stream output) => compression switch
    {
        Compression.Zstd => new ZstdSharp.CompressionStream(output, level: 3, bufferSize: OverlappedCopy.BufferBytes, leaveOpen: true),
        Compression.Gzip => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        _ => new NonClosingStream(output),
    };

    /// <summary>Wraps <paramref name="input"/> so that reading the result yields the decompressed bytes. Leaves it open.</summary>
    public static Stream Decompress(this Compression compression, Stream input) => compression switch
    {
        Compression.Zstd => new ZstdSharp.DecompressionStream(input, bufferSize: OverlappedCopy.BufferBytes, checkEndOfStream: true, leaveOpen: true),
        Compression.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true),
        _ => new NonClosingStream(input),
    };
}
