using Amazon.S3.Model;
using BackupAgent.Core.Storage;
using BackupAgent.Storage.S3;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Stores;

/// <summary>The store contract against a real S3 server (s3rver), one bucket per test, with a key prefix.</summary>
public sealed class S3StoreTests : StoreContract
{
    private readonly CollectingLog _log = new();
    private string _bucket = "";

    protected override async Task<IBackupStore> CreateStoreAsync()
    {
        _bucket = await S3TestServer.CreateBucketAsync();
        return OpenStore(S3TestServer.Options() with { PartSize = S3Options.MinimumPartSize });
    }

    private S3Store OpenStore(S3Options options) =>
        S3Store.Open(StoreLocation.Parse($"s3://{_bucket}/backups/host1", "--to"), options, _log.Logger);

    [Fact]
    public async Task A_multipart_upload_of_four_parts_reads_back_byte_for_byte()
    {
        var data = RandomBytes((3 * S3Options.MinimumPartSize) + 123_457);
        await Store.WriteBytesAsync("set/big.tar", data, CancellationToken.None);

        Assert.Equal(data, await Store.ReadBytesAsync("set/big.tar", CancellationToken.None));
        Assert.Contains($"Uploaded \"set/big.tar\" to \"s3://{_bucket}/backups/host1\" in 4 part(s), {data.Length} bytes", _log.Messages);
    }

    [Fact]
    public async Task A_multipart_write_that_fails_after_some_parts_leaves_nothing_visible()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.WriteAsync("p/partial", async (s, ct) =>
        {
            await s.WriteAsync(RandomBytes((2 * S3Options.MinimumPartSize) + 1000), ct);
            throw new InvalidOperationException("source died");
        }, CancellationToken.None));

        Assert.Empty(await ListAsync(""));
        using var client = S3TestServer.Client();
        var all = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        Assert.Empty(all.S3Objects ?? []);
    }

    [Fact]
    public async Task Items_live_under_the_prefix_and_list_strips_it()
    {
        await Store.WriteBytesAsync("s/a", "a"u8.ToArray(), CancellationToken.None);
        using var client = S3TestServer.Client();
        var all = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        Assert.Equal(["backups/host1/s/a"], (all.S3Objects ?? []).Select(o => o.Key));
        Assert.Equal(["s/a"], await ListAsync("s/"));
    }

    [Fact]
    public async Task A_missing_bucket_fails_at_once_naming_it()
    {
        var store = S3Store.Open(StoreLocation.Parse("s3://ba-no-such-bucket-x/p", "--to"), S3TestServer.Options(), Serilog.Core.Logger.None);
        var e = await Assert.ThrowsAsync<BackupAgent.Core.Errors.BackupAgentException>(() => store.WriteBytesAsync("a", "x"u8.ToArray(), CancellationToken.None));
        Assert.Contains("S3 bucket 'ba-no-such-bucket-x' does not exist", e.Message);
    }

    [Fact]
    public async Task A_wrong_access_key_is_refused_at_once_without_showing_the_secret()
    {
        var store = OpenStore(S3TestServer.Options() with { AccessKeyId = "WRONGKEY", SecretAccessKey = "very-secret-value" });
        var e = await Assert.ThrowsAsync<BackupAgent.Core.Errors.BackupAgentException>(() => store.WriteBytesAsync("a", "x"u8.ToArray(), CancellationToken.None));
        Assert.Contains($"S3 refused access to bucket '{_bucket}'", e.Message);
        Assert.DoesNotContain("very-secret-value", e.ToString());
    }
}
