using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BackupAgent.Core.Sets;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Unit;

/// <summary>The one door from a manifest's bytes to a set: whatever the store holds, a set comes out whole and valid, or not at all.</summary>
public sealed class ManifestDoorTests
{
    private const string Id = "20260101T000000Z-abcdef";

    /// <summary>A manifest as the agent writes it: a volume with an index, and a bind mount.</summary>
    private static JsonNode Genuine() => JsonSerializer.SerializeToNode(TestSets.Set(Id,
        TestSets.Archive("db", mountPath: "/var/lib/db") with { Index = "db.tar.zst.index.jsonl.gz", Driver = "local" },
        TestSets.Archive("/srv/app", mountPath: "/app", kind: SourceKind.Bind)), BackupCatalog.Json)!;

    [Fact]
    public void A_manifest_the_agent_wrote_comes_through_whole()
    {
        var set = Open(Genuine());
        Assert.Equal(["db", "/srv/app"], set.Archives.Select(a => a.Volume));
        Assert.Equal("db.tar.zst.index.jsonl.gz", set.Archives[0].Index);
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "volume", "\"/root/.ssh\"", "the volume name is not a Docker volume name" },
        { "volume", "\"-db\"", "the volume name is not a Docker volume name" },
        { "volume", "\"db/../x\"", "the volume name is not a Docker volume name" },
        { "file", "\"../../etc/passwd\"", "is not a plain name" },
        { "file", "\"/etc/passwd\"", "is not a plain name (it has a '/')" },
        { "file", "\"sub/x\"", "is not a plain name (it has a '/')" },
        { "file", "\"..\"", "is not a plain name (it has a '.' or '..' segment)" },
        { "file", "\"\"", "is not a plain name (it is empty)" },
        { "file", "\"a\\u0000b\"", "is not a plain name (it holds a control character)" },
        { "file", "\"a\\nb\"", "is not a plain name (it holds a control character)" },
        { "file", "null", "file '' is missing" },
        { "file", "\"manifest.json\"", "is the name of the set's own file" },
        { "index", "\"../x\"", "index '../x' is not a plain name" },
        { "index", "\"db.tar.zst\"", "item 'db.tar.zst' belongs to two archives" },
        { "kind", "7", "is not a known one" },
        { "kind", "\"container\"", "is corrupt or truncated" },
        { "compression", "\"lz4\"", "is corrupt or truncated" },
        { "compression", "-1", "is not a known one" },
        { "encryption", "\"rot13\"", "encryption 'rot13' is not age-v1 or bae1-aes-256-gcm" },
        { "bytes", "-1", "a size or count is negative" },
        { "files", "-5", "a size or count is negative" },
        { "sha256", "\"00\"", "sha256 is not 64 lower-case hex digits" },
        { "sha256", "\"" + new string('A', 64) + "\"", "sha256 is not 64 lower-case hex digits" },
        { "sha256", "null", "sha256 is not 64 lower-case hex digits" },
        { "driver", "\"local; rm -rf /\"", "is not a driver name" },
        { "driverOptions", "{\"type\": null}", "driver options and labels must map names to strings" },
        { "driverOptions", "{\"type\": 1}", "is corrupt or truncated" },
        { "labels", "null", "driver options and labels must map names to strings" },
        { "mountPath", "\"relative\"", "the mount path is not an absolute, normalized path" },
        { "containers", "[null]", "a container name is null" },
        { "excludes", "null", "the exclude patterns are missing" },
        { "excludes", "[null]", "exclude pattern '' is empty" },
        { "excludes", "[\"a\\nb\"]", "exclude pattern 'a\\x0ab' holds a control character" },
        { "excludes", "[\"/\"]", "exclude pattern '/' would leave out the whole source" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_value_the_agent_never_writes_makes_the_set_unreadable(string field, string value, string reason)
    {
        var manifest = Genuine();
        manifest["archives"]![0]![field] = JsonNode.Parse(value);
        if (field == "index" && value.Contains("db.tar.zst"))
        {
            manifest["archives"]![0]!["file"] = "db.tar.zst";
        }

        AssertUnreadable(manifest, reason);
    }

    [Theory]
    [InlineData("\"srv/app\"")]
    [InlineData("\"/srv/../etc\"")]
    [InlineData("\"/srv//app\"")]
    [InlineData("\"/srv/app/\"")]
    [InlineData("\"/srv/./app\"")]
    public void A_bind_mount_whose_host_path_is_not_absolute_and_normalized_makes_the_set_unreadable(string path)
    {
        var manifest = Genuine();
        manifest["archives"]![1]!["volume"] = JsonNode.Parse(path);
        AssertUnreadable(manifest, "the host path of the bind mount is not an absolute, normalized path");
    }

    [Theory]
    [InlineData("archives", "null", "must not be null")]
    [InlineData("archives", "[null]", "archive 0 is null")]
    [InlineData("warnings", "[null]", "a downtime or warning is null")]
    [InlineData("toolVersion", "null", "must not be null")]
    [InlineData("archives", "{}", "is corrupt or truncated")]
    public void A_missing_or_null_part_of_the_set_makes_it_unreadable(string field, string value, string reason)
    {
        var manifest = Genuine();
        manifest[field] = JsonNode.Parse(value);
        AssertUnreadable(manifest, reason);
    }

    [Fact]
    public void A_removed_required_field_makes_the_set_unreadable()
    {
        var manifest = Genuine();
        manifest["archives"]![0]!.AsObject().Remove("sha256");
        AssertUnreadable(manifest, "is corrupt or truncated");
    }

    [Fact]
    public void A_manifest_that_is_not_an_object_is_unreadable()
    {
        var e = Assert.Throws<UnreadableManifestException>(() => ManifestDoor.Open(Id, "[1, 2]"u8.ToArray(), "/backups"));
        Assert.Contains("has format version 0", e.Message);
    }

    private static BackupSet Open(JsonNode manifest) =>
        ManifestDoor.Open(Id, Encoding.UTF8.GetBytes(manifest.ToJsonString()), "/backups");

    private static void AssertUnreadable(JsonNode manifest, string reason)
    {
        var e = Assert.Throws<UnreadableManifestException>(() => Open(manifest));
        Assert.Contains($"the manifest of backup set '{Id}' in /backups", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
