using BackupAgent.Core.Crypto;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Core.Errors;

namespace BackupAgent.Tests.Crypto;

public sealed class AgeFormatTests
{
    [Fact]
    public void The_identity_and_recipient_of_the_age_specification_encode_and_decode_as_age_does()
    {
        // The example pair of C2SP's age specification (the identity is 32 bytes of 0x42).
        var identity = AgeIdentity.TryParse("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")!;
        Assert.Equal("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", identity.Recipient.Encoded);
        Assert.Equal("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX", identity.Encoded);
        Assert.Equal(identity.Recipient.PublicKey, AgeRecipient.TryParse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")!.PublicKey);
    }

    [Theory]
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk")] // checksum
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujw")] // truncated
    [InlineData("AGE1ZVKYG2LQZRAA2LNJVQEJ32NKUU0UES2S82HZRYE869XEEXVN73EQUNUJWJ")] // upper case recipient
    [InlineData("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73eqUnujwj")] // mixed case
    [InlineData("age1bzvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")] // 'b' is not Bech32
    public void A_recipient_that_is_not_exact_Bech32_is_refused(string text) => Assert.Null(AgeRecipient.TryParse(text));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(AgeFormat.ChunkBytes - 1)]
    [InlineData(AgeFormat.ChunkBytes)]
    [InlineData(AgeFormat.ChunkBytes + 1)]
    [InlineData(3 * AgeFormat.ChunkBytes)]
    [InlineData(200_001)]
    public async Task A_payload_of_any_size_round_trips_to_each_of_several_recipients(int size)
    {
        var (one, two) = (AgeIdentity.Generate(), AgeIdentity.Generate());
        var plain = Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), size);
        var sealedBytes = await EncryptAsync(plain, ArchiveKey.FromRecipients([one.Recipient, two.Recipient]));

        Assert.Equal(plain, await DecryptAsync(sealedBytes, await IdentityKeyAsync(two)));
        Assert.Equal(plain, await DecryptAsync(sealedBytes, await IdentityKeyAsync(one)));
        var chunks = Math.Max(1, (size + AgeFormat.ChunkBytes - 1) / AgeFormat.ChunkBytes);
        Assert.Equal(size + chunks * AgeFormat.TagBytes + AgeFormat.NonceBytes, sealedBytes.Length - HeaderLength(sealedBytes));
    }

    [Fact]
    public async Task A_payload_cut_at_a_chunk_boundary_or_with_a_flipped_bit_fails_and_so_does_a_changed_header()
    {
        var identity = AgeIdentity.Generate();
        var key = await IdentityKeyAsync(identity);
        var sealedBytes = await EncryptAsync(new byte[2 * AgeFormat.ChunkBytes + 10], ArchiveKey.FromRecipients([identity.Recipient]));
        var header = HeaderLength(sealedBytes);

        var cut = sealedBytes[..(header + AgeFormat.NonceBytes + AgeFormat.ChunkBytes + AgeFormat.TagBytes)];
        Assert.Contains("tampered with or truncated", (await Assert.ThrowsAsync<BackupAgentException>(() => DecryptAsync(cut, key))).Message);

        var flipped = (byte[])sealedBytes.Clone();
        flipped[^5] ^= 1;
        Assert.Contains("tampered with or truncated", (await Assert.ThrowsAsync<BackupAgentException>(() => DecryptAsync(flipped, key))).Message);

        var changed = (byte[])sealedBytes.Clone();
        changed[header - 5] ^= 1; // in the header's MAC
        Assert.Contains("header", (await Assert.ThrowsAsync<BackupAgentException>(() => DecryptAsync(changed, key))).Message);
    }

    [Fact]
    public async Task Another_identity_is_a_key_error_not_damage()
    {
        var sealedBytes = await EncryptAsync([1, 2, 3], ArchiveKey.FromRecipients([AgeIdentity.Generate().Recipient]));
        var e = await Assert.ThrowsAsync<KeyException>(async () => await DecryptAsync(sealedBytes, await IdentityKeyAsync(AgeIdentity.Generate())));
        Assert.Contains("not encrypted to this identity", e.Message);
        Assert.Equal(FailureKind.Key, e.Kind);
    }

    [Fact]
    public void A_manifest_mac_passes_only_for_its_identity_and_its_exact_manifest()
    {
        var (one, other) = (AgeIdentity.Generate(), AgeIdentity.Generate());
        var manifest = "{\"id\":\"x\"}"u8.ToArray();
        var mac = AgeManifestMac.Create(manifest, [one.Recipient]);

        Assert.Equal(MacVerdict.Authentic, AgeManifestMac.Check(mac, manifest, [one]));
        Assert.Equal(MacVerdict.Forged, AgeManifestMac.Check(mac, "{\"id\":\"y\"}"u8, [one]));
        Assert.Equal(MacVerdict.WrongKey, AgeManifestMac.Check(mac, manifest, [other]));
        Assert.Equal(MacVerdict.Damaged, AgeManifestMac.Check(mac[..^1], manifest, [one]));

        // A public key alone authenticates nothing: a MAC made for a recipient without its manifest key has no entry.
        Assert.Equal(MacVerdict.WrongKey, AgeManifestMac.Check(AgeManifestMac.Create(manifest, [one.Recipient with { ManifestKey = null }]), manifest, [one]));
    }

    [Fact]
    public void A_bare_public_key_without_its_manifest_key_is_refused_for_a_backup()
    {
        var e = Assert.Throws<BadInputException>(() => ArchiveKey.FromRecipients([AgeIdentity.Generate().Recipient with { ManifestKey = null }]));
        Assert.Contains("without its manifest key", e.Message);
    }

    [Fact]
    public async Task A_bae1_passphrase_archive_of_an_older_set_still_reads_through_the_item_codec_and_an_age_one_beside_it()
    {
        var passphrase = ArchiveKey.FromPassphrase("older agent");
        var bae1 = new MemoryStream();
        await using (var stream = new EncryptingStream(bae1, passphrase))
        {
            await stream.WriteAsync("from an older agent"u8.ToArray());
            await stream.FinishAsync(CancellationToken.None);
        }

        var age = await EncryptAsync("from this agent"u8.ToArray(), passphrase);
        Assert.Equal("from an older agent", await ReadItemAsync(bae1.ToArray(), EncryptionFormat.Name, passphrase));
        Assert.Equal("from this agent", await ReadItemAsync(age, AgeFormat.Name, passphrase));
        Assert.StartsWith("age-encryption.org/v1\n-> scrypt ", System.Text.Encoding.ASCII.GetString(age[..40]));
        await Assert.ThrowsAsync<KeyException>(() => ReadItemAsync(age, AgeFormat.Name, ArchiveKey.FromPassphrase("another")));
    }

    [Fact]
    public void A_scrypt_work_factor_above_the_one_age_writes_is_refused_before_any_scrypt_runs_and_age_s_own_is_tried()
    {
        var passphrase = ArchiveKey.FromPassphrase("a passphrase");
        byte[] Header(int workFactor) => AgeHeader.Write([new AgeStanza(["scrypt", AgeHeader.Base64(new byte[16]), workFactor.ToString(System.Globalization.CultureInfo.InvariantCulture)], new byte[32])], new byte[16]);

        Assert.Equal(18, AgeFormat.MaxScryptWorkFactor);
        foreach (var factor in new[] { 19, 22, 30 })
        {
            var e = Assert.Throws<BackupAgentException>(() => AgeFormat.OpenHeader(Header(factor), passphrase, "db.tar.zst.age"));
            Assert.Equal($"cannot decrypt archive 'db.tar.zst.age': its scrypt work factor {factor} is above 18, the one age and this agent write (a crafted header, or a file from another tool)", e.Message);
        }

        // 2^18 is derived (this header's body was sealed with no key, so the passphrase is wrong).
        Assert.Contains("wrong passphrase", Assert.Throws<KeyException>(() => AgeFormat.OpenHeader(Header(18), passphrase, "db.tar.zst.age")).Message);
    }

    private static async Task<string> ReadItemAsync(byte[] stored, string encryption, ArchiveKey key)
    {
        var item = new BackupAgent.Core.Sets.StoredItem("archive", "x.tar", "v", BackupAgent.Core.Formats.Compression.None, encryption, null, null);
        await using var plain = BackupAgent.Core.Operations.ArchiveStreams.OpenPlaintext(new MemoryStream(stored), item, key);
        return await new StreamReader(plain).ReadToEndAsync();
    }

    private static async Task<byte[]> EncryptAsync(byte[] plain, ArchiveKey key)
    {
        var output = new MemoryStream();
        await using (var stream = new AgeEncryptingStream(output, key))
        {
            // Odd write sizes, to cross chunk boundaries mid-write.
            for (var i = 0; i < plain.Length; i += 7777)
            {
                await stream.WriteAsync(plain.AsMemory(i, Math.Min(7777, plain.Length - i)));
            }

            await stream.FinishAsync(CancellationToken.None);
        }

        return output.ToArray();
    }

    private static async Task<byte[]> DecryptAsync(byte[] sealedBytes, ArchiveKey key)
    {
        await using var stream = new AgeDecryptingStream(new MemoryStream(sealedBytes), key, "test.age");
        var output = new MemoryStream();
        await stream.CopyToAsync(output);
        return output.ToArray();
    }

    private static async Task<ArchiveKey> IdentityKeyAsync(AgeIdentity identity)
    {
        var path = Path.Combine(Path.GetTempPath(), $"age-identity-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(path, $"# test\n{identity.Encoded}\n");
        try
        {
            return ArchiveKey.FromIdentityFile(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int HeaderLength(byte[] bytes) => AgeHeader.End(bytes);
}
