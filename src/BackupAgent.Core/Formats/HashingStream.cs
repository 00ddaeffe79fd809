using System.Security.Cryptography;

namespace BackupAgent.Core.Formats;

/// <summary>Counts and SHA-256-hashes every byte read from or written to the inner stream.</summary>
public sealed class HashingStream(Stream inner, bool leaveOpen = true) : PassThroughStream(inner)
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private string? _sha256;

    public long Bytes { get; private set; }

    /// <summary>The lower-case hex digest of everything that passed; call once all bytes have passed.</summary>
    public string Sha256 => _sha256 ??= Convert.ToHexStringLower(_hash.GetHashAndReset());

    protected override void OnRead(ReadOnlySpan<byte> data) => Observe(data);

    protected override void OnWrite(ReadOnlySpan<byte> data) => Observe(data);

    private void Observe(ReadOnlySpan<byte> data)
    {
        _hash.AppendData(data);
        Bytes += data.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!leaveOpen)
            {
                Inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
