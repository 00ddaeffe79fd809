using BackupAgent.Core.Crypto;
using BackupAgent.Core.Errors;

namespace BackupAgent.Tests.Crypto;

public sealed class EncryptionFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backup-agent-crypto-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(EncryptionFormat.ChunkBytes - 1)]
    [InlineData(EncryptionFormat.ChunkBytes)]
    [InlineData((3 * EncryptionFormat.ChunkBytes) + 12345)]
    public async Task Any_length_round_trips_and_the_ciphertext_hides_the_plaintext(int length)
    {
        var key = KeyFile();
        var plain = new byte[length];
        Random.Shared.NextBytes(plain);
        Array.Fill(plain, (byte)'A', 0, Math.Min(length, 4096));

        var sealedBytes = await EncryptAsync(plain, key);
        Assert.Equal(EncryptionFormat.HeaderBytes + length + (((length / EncryptionFormat.ChunkBytes) + 1) * EncryptionFormat.TagBytes), sealedBytes.Length);
        Assert.DoesNotContain(new string('A', 64), System.Text.Encoding.ASCII.GetString(sealedBytes));
        Assert.Equal(plain, await DecryptAsync(sealedBytes, key));
    }

    [Fact]
    public async Task A_passphrase_round_trips_and_a_wrong_one_is_named_as_wrong()
    {
        var sealedBytes = await EncryptAsync("secret data"u8.ToArray(), ArchiveKey.FromPassphrase("correct horse"));
        Assert.Equal("secret data"u8.ToArray(), await DecryptAsync(sealedBytes, ArchiveKey.FromPassphrase("correct horse")));
        var e = await Assert.ThrowsAnyAsync<BackupAgentException>(() => DecryptAsync(sealedBytes, ArchiveKey.FromPassphrase("battery staple")));
        Assert.Contains("wrong passphrase or key", e.Message);
    }

    [Fact]
    public async Task A_key_file_cannot_open_a_passphrase_archive()
    {
        var sealedBytes = await EncryptAsync("x"u8.ToArray(), ArchiveKey.FromPassphrase("p"));
        var e = await Assert.ThrowsAnyAsync<BackupAgentException>(() => DecryptAsync(sealedBytes, KeyFile()));
        Assert.Contains("encrypted with a passphrase, but a key file was given", e.Message);
    }

    [Theory]
    [InlineData(EncryptionFormat.HeaderBytes + 10, "tampered")]
    [InlineData(EncryptionFormat.HeaderBytes + EncryptionFormat.ChunkBytes + 20, "tampered")]
    [InlineData(8, "damaged encryption header")]
    [InlineData(30, "tampered")]
    [InlineData(50, "wrong passphrase or key")]
    public async Task A_flipped_byte_anywhere_fails_with_a_clear_error(int offset, string message)
    {
        var key = KeyFile();
        var sealedBytes = await EncryptAsync(new byte[(2 * EncryptionFormat.ChunkBytes) + 7], key);
        sealedBytes[offset] ^= 0x01;
        var e = await Assert.ThrowsAnyAsync<BackupAgentException>(() => DecryptAsync(sealedBytes, key));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(EncryptionFormat.HeaderBytes)]
    [InlineData(EncryptionFormat.HeaderBytes + 100)]
    [InlineData(EncryptionFormat.HeaderBytes + EncryptionFormat.ChunkBytes + EncryptionFormat.TagBytes)]
    public async Task A_truncated_archive_is_refused_even_at_a_chunk_boundary(int keep)
    {
        var key = KeyFile();
        var sealedBytes = await EncryptAsync(new byte[(2 * EncryptionFormat.ChunkBytes) + 7], key);
        var e = await Assert.ThrowsAnyAsync<BackupAgentException>(() => DecryptAsync(sealedBytes[..keep], key));
        Assert.Matches("truncated|tampered", e.Message);
    }

    [Fact]
    public void Key_files_must_hold_32_bytes_raw_or_base64()
    {
        var raw = Path.Combine(_dir, "raw");
        File.WriteAllBytes(raw, new byte[32]);
        Assert.Equal(KeyKind.KeyFile, ArchiveKey.FromKeyFile(raw).Kind);
        var b64 = Path.Combine(_dir, "b64");
        File.WriteAllText(b64, Convert.ToBase64String(new byte[32]) + "\n");
        Assert.Equal(KeyKind.KeyFile, ArchiveKey.FromKeyFile(b64).Kind);
        var bad = Path.Combine(_dir, "bad");
        File.WriteAllText(bad, "too short");
        Assert.Contains("must hold 32 random bytes", Assert.Throws<BadInputException>(() => ArchiveKey.FromKeyFile(bad)).Message);
    }

    private ArchiveKey KeyFile()
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        return ArchiveKey.FromKeyFile(path);
    }

    private static async Task<byte[]> EncryptAsync(byte[] plain, ArchiveKey key)
    {
        var output = new MemoryStream();
        await using (var encrypting = new EncryptingStream(output, key))
        {
            for (var i = 0; i < plain.Length; i += 70_000)
            {
                await encrypting.WriteAsync(plain.AsMemory(i, Math.Min(70_000, plain.Length - i)));
            }

            await encrypting.FinishAsync(CancellationToken.None);
        }

        return output.ToArray();
    }

    private static async Task<byte[]> DecryptAsync(byte[] sealedBytes, ArchiveKey key)
    {
        await using var decrypting = new DecryptingStream(new MemoryStream(sealedBytes), key, "test.tar.zst.enc");
        var output = new MemoryStream();
        await decrypting.CopyToAsync(output);
        return output.ToArray();
    }
}
