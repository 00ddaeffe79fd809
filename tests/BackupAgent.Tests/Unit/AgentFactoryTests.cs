using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Scheduling.Config;
using BackupAgent.Tests.Support;
using BackupAgent.Wiring;

namespace BackupAgent.Tests.Unit;

public sealed class AgentFactoryTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backup-agent-factory-{Guid.NewGuid():N}");
    private readonly CollectingLog _log = new();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task An_engine_is_opened_at_the_endpoint_asked_for_with_the_helper_image_of_the_settings()
    {
        var factory = new AgentFactory(new AgentSettings { StateDirectory = _directory, HelperImage = "helper:test" });
        await using var engine = factory.OpenEngine(new EngineEndpoint("tcp://10.9.8.7:2375"), _log.Logger);
        Assert.Equal("tcp://10.9.8.7:2375", engine.Endpoint);
        Assert.Equal("helper:test", engine.HelperImage);
    }

    [Fact]
    public async Task The_agents_own_engine_is_the_one_of_its_settings()
    {
        var factory = new AgentFactory(new AgentSettings { StateDirectory = _directory, Engine = new EngineEndpoint("tcp://own-engine:2375") });
        await using var engine = factory.OpenEngine(_log.Logger);
        Assert.Equal("tcp://own-engine:2375", engine.Endpoint);
    }

    [Fact]
    public void A_missing_directory_is_a_store_to_write_but_not_one_to_read()
    {
        var dest = Path.Combine(_directory, "backups");
        var factory = new AgentFactory(new AgentSettings { StateDirectory = _directory });
        Assert.NotNull(factory.OpenStore(dest, "--to", forWriting: true, _log.Logger));
        Assert.Contains("does not exist", Assert.Throws<BadInputException>(() => factory.OpenStore(dest, "--from", forWriting: false, _log.Logger)).Message);
    }

    [Fact]
    public void A_bad_destination_is_named_by_what_the_caller_calls_it()
    {
        var factory = new AgentFactory(new AgentSettings { StateDirectory = _directory });
        var e = Assert.Throws<BadInputException>(() => factory.OpenStore("relative/path", "the destination of job nightly", forWriting: true, _log.Logger));
        Assert.Contains("the destination of job nightly", e.Message);
    }

    [Fact]
    public void Options_come_before_the_environment_and_the_environment_before_the_defaults()
    {
        var environment = new Dictionary<string, string?> { ["DOCKER_HOST"] = "tcp://from-env:2375", ["BACKUP_AGENT_HELPER_IMAGE"] = "env:image", ["BACKUP_AGENT_STATE_DIR"] = "/env/state" };
        var settings = Read(["--docker-host", "tcp://from-option:2375", "--state-dir", "/option/state"], environment);
        Assert.Equal("tcp://from-option:2375", settings.Engine.Address);
        Assert.Equal("/option/state", settings.StateDirectory);
        Assert.Equal("env:image", settings.HelperImage);
        Assert.Equal(TimeSpan.FromDays(1), settings.HelperTimeout);
        Assert.Equal(AgentSettings.DefaultEngineAddress, Read([], []).Engine.Address);
    }

    [Fact]
    public void The_certificates_of_DOCKER_CERT_PATH_are_used_only_with_DOCKER_TLS_VERIFY()
    {
        Assert.Null(Read([], new() { ["DOCKER_CERT_PATH"] = "/certs" }).Engine.TlsCertPath);
        Assert.Equal("/certs", Read([], new() { ["DOCKER_CERT_PATH"] = "/certs", ["DOCKER_TLS_VERIFY"] = "1" }).Engine.TlsCertPath);
        Assert.Equal("/mine", Read(["--docker-cert-path", "/mine"], new() { ["DOCKER_CERT_PATH"] = "/certs", ["DOCKER_TLS_VERIFY"] = "1" }).Engine.TlsCertPath);
    }

    [Fact]
    public void A_helper_timeout_of_zero_is_no_limit_and_a_bad_one_names_where_it_came_from()
    {
        Assert.Null(Read(["--helper-timeout", "0"], []).HelperTimeout);
        var e = Assert.Throws<BadInputException>(() => Read([], new() { ["BACKUP_AGENT_HELPER_TIMEOUT"] = "soon" }));
        Assert.Contains("BACKUP_AGENT_HELPER_TIMEOUT 'soon' is not a whole number of seconds", e.Message);
    }

    [Fact]
    public void The_configurations_engine_section_counts_only_where_no_option_or_variable_says_otherwise_and_its_certificates_only_for_its_engine()
    {
        var configured = new EngineOptions { Host = "tcp://from-yaml:2375", CertPath = "/yaml/certs", HelperImage = "yaml:image", HelperTimeoutSeconds = 600 };

        var fromYaml = Read([], [], configured);
        var overridden = Read(["--helper-timeout", "60"], new() { ["DOCKER_HOST"] = "tcp://from-env:2375", ["BACKUP_AGENT_HELPER_IMAGE"] = "env:image" }, configured);

        Assert.Equal(("tcp://from-yaml:2375", "/yaml/certs", "yaml:image", TimeSpan.FromMinutes(10)),
            (fromYaml.Engine.Address, fromYaml.Engine.TlsCertPath, fromYaml.HelperImage, fromYaml.HelperTimeout));
        Assert.Equal(("tcp://from-env:2375", null, "env:image", TimeSpan.FromMinutes(1)),
            (overridden.Engine.Address, overridden.Engine.TlsCertPath, overridden.HelperImage, overridden.HelperTimeout));
    }

    private static AgentSettings Read(string[] tokens, Dictionary<string, string?> environment, EngineOptions? configured = null) =>
        SettingsReader.Read(Arguments.Parse("backup", tokens, []), new AgentConsole(TextWriter.Null, TextWriter.Null, environment.GetValueOrDefault, IsTerminal: false), configured);
}
