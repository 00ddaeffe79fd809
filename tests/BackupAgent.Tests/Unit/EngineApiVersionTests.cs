using BackupAgent.Core.Errors;
using BackupAgent.Docker;
using BackupAgent.Tests.Support;
using Serilog;

namespace BackupAgent.Tests.Unit;

/// <summary>
/// The Engine API version the agent asks for: the newest both it and the engine speak, carried by every request after
/// the unversioned /version. Engines that are not here (Docker 29, which refuses anything below 1.44; one too old;
/// one too new) are fake sockets that answer /version as they would.
/// </summary>
public sealed class EngineApiVersionTests : IDisposable
{
    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    private readonly string _directory = Directory.CreateTempSubdirectory("ba-api-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("1.41", "1.12", "1.41")] // Docker 20.10, the engine here
    [InlineData("1.47", "1.24", "1.47")] // Docker 27
    [InlineData("1.52", "1.44", "1.52")] // Docker 29
    [InlineData("1.54", "1.44", "1.54")]
    [InlineData("1.60", "1.44", "1.54")] // newer than the agent: the agent's newest
    [InlineData("1.41", null, "1.41")]
    public void The_newest_version_both_sides_speak_is_chosen(string engineNewest, string? engineOldest, string expected)
    {
        Assert.Equal(Version.Parse(expected), EngineApiVersion.Negotiate("unix:///e.sock", engineNewest, engineOldest));
    }

    [Theory]
    [InlineData("1.30", "1.12", "the Docker engine at unix:///e.sock speaks Engine API 1.30 at most; the agent needs 1.41 or newer (Docker 20.10 or newer)")]
    [InlineData("1.70", "1.60", "the Docker engine at unix:///e.sock accepts Engine API 1.60 or newer; this agent speaks up to 1.54 (upgrade the agent)")]
    [InlineData("", null, "the Docker engine at unix:///e.sock did not say which Engine API versions it speaks (its /version has no ApiVersion)")]
    public void Ranges_that_do_not_meet_fail_in_one_line_naming_the_engine(string engineNewest, string? engineOldest, string message)
    {
        var e = Assert.Throws<BackupAgentException>(() => EngineApiVersion.Negotiate("unix:///e.sock", engineNewest, engineOldest));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("1.52", "1.44", "1.52")]
    [InlineData("1.60", "1.44", "1.54")]
    [InlineData("1.41", "1.12", "1.41")]
    public async Task Every_request_after_the_version_probe_carries_the_negotiated_version(string engineNewest, string engineOldest, string expected)
    {
        await using var fake = new FakeEngineSocket(Path.Combine(_directory, "engine.sock"), new Dictionary<string, string>
        {
            ["/version"] = $$"""{"Version":"29.0.0","ApiVersion":"{{engineNewest}}","MinAPIVersion":"{{engineOldest}}","Os":"linux","Arch":"amd64"}""",
            [$"/v{expected}/info"] = """{"ID":"FAKE","Name":"fake-engine","DockerRootDir":"/var/lib/docker"}""",
            [$"/v{expected}/volumes/none-such"] = """{"Name":"none-such","Driver":"local","Mountpoint":"/x","Scope":"local"}""",
        });
        await using var engine = new DockerEngine(fake.Endpoint, "backup-agent-helper:latest", Log);

        Assert.Equal("FAKE fake-engine /var/lib/docker", await engine.GetIdentityAsync(CancellationToken.None));
        Assert.NotNull(await engine.FindVolumeAsync("none-such", CancellationToken.None));

        Assert.Equal(["GET /version", $"GET /v{expected}/info", $"GET /v{expected}/volumes/none-such"], fake.Requests);
        Assert.Equal(Version.Parse(expected), engine.ApiVersion);
    }

    [Fact]
    public async Task An_engine_too_old_fails_with_its_version_and_gets_no_other_request()
    {
        await using var fake = new FakeEngineSocket(Path.Combine(_directory, "engine.sock"), new Dictionary<string, string>
        {
            ["/version"] = """{"Version":"17.03.0","ApiVersion":"1.26","MinAPIVersion":"1.12"}""",
        });
        await using var engine = new DockerEngine(fake.Endpoint, "backup-agent-helper:latest", Log);

        var e = await Assert.ThrowsAsync<BackupAgentException>(() => engine.GetIdentityAsync(CancellationToken.None));

        Assert.Equal($"the Docker engine at {fake.Endpoint} speaks Engine API 1.26 at most; the agent needs 1.41 or newer (Docker 20.10 or newer)", e.Message);
        Assert.Equal(["GET /version"], fake.Requests);
    }
}
