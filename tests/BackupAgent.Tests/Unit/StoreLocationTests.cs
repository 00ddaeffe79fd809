using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;

namespace BackupAgent.Tests.Unit;

public sealed class StoreLocationTests
{
    [Theory]
    [InlineData("/var/backups", "/var/backups")]
    [InlineData("/var/backups/", "/var/backups")]
    [InlineData("/var/./backups/../backups", "/var/backups")]
    [InlineData("file:///var/backups", "/var/backups")]
    [InlineData("file:///var/my%20backups", "/var/my backups")]
    public void Absolute_paths_and_file_uris_name_a_directory(string dest, string path)
    {
        var location = StoreLocation.Parse(dest, "--to");
        Assert.Equal(StoreKind.Directory, location.Kind);
        Assert.Equal(path, location.Path);
    }

    [Theory]
    [InlineData("s3://my-bucket", "my-bucket", "")]
    [InlineData("s3://my-bucket/", "my-bucket", "")]
    [InlineData("s3://my.bucket-1/host1/daily/", "my.bucket-1", "host1/daily")]
    public void S3_uris_name_a_bucket_and_a_prefix(string dest, string bucket, string prefix)
    {
        var location = StoreLocation.Parse(dest, "--to");
        Assert.Equal(StoreKind.S3, location.Kind);
        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(prefix, location.Path);
    }

    [Theory]
    [InlineData("backups", "relative path")]
    [InlineData("s3://My_Bucket/x", "not name a valid S3 bucket ('My_Bucket')")]
    [InlineData("s3://ab/x", "not name a valid S3 bucket ('ab')")]
    [InlineData("s3:///x", "not name a valid S3 bucket ('')")]
    [InlineData("s3://bucket/a//b", "invalid prefix 'a//b'")]
    [InlineData("s3://bucket/a/../b", "invalid prefix 'a/../b'")]
    [InlineData("./backups", "relative path")]
    [InlineData("", "needs a destination")]
    [InlineData("ftp://host/x", "unknown scheme 'ftp'")]
    [InlineData("file://host/x", "not a valid file URI")]
    public void Other_destinations_are_refused_with_the_reason(string dest, string message)
    {
        var e = Assert.Throws<BadInputException>(() => StoreLocation.Parse(dest, "--to"));
        Assert.Contains(message, e.Message);
        Assert.Contains("--to", e.Message);
    }
}
