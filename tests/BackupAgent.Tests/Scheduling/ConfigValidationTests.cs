using BackupAgent.Core.Errors;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Running;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Scheduling;

/// <summary>Each bad configuration gives its message with the key path; all problems come at once; exit 2 through the CLI.</summary>
public sealed class ConfigValidationTests : IDisposable
{
    private const string Good = """
        destinations:
          local: { url: ./backups }
        jobs:
          - name: nightly
            cron: "0 0 3 * * ?"
            timeZone: Europe/Berlin
            destination: local
        """ + "\n";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backup-agent-config-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    public static TheoryData<string, string, string> BadConfigs => new()
    {
        { "bad cron", Good.Replace("0 0 3 * * ?", "0 0 3 * *"), "jobs[0].cron: '0 0 3 * *' is not a Quartz cron expression" },
        { "cron missing", Good.Replace("    cron: \"0 0 3 * * ?\"\n", ""), "jobs[0].cron: is missing" },
        { "unknown time zone", Good.Replace("Europe/Berlin", "Mars/Olympus"), "jobs[0].timeZone: 'Mars/Olympus' is not a known time zone" },
        { "unknown scheme", Good.Replace("url: ./backups", "url: ftp://host/backups"), "destinations.local.url: the destination 'ftp://host/backups' uses the unknown scheme 'ftp'" },
        { "unknown scheme in a job", Good.Replace("destination: local", "destination: ftp://host/x"), "jobs[0].destination: the destination 'ftp://host/x' uses the unknown scheme 'ftp'" },
        { "missing bucket", Good.Replace("url: ./backups", "url: s3:///prefix"), "destinations.local.url: 's3:///prefix' has no bucket name: write s3://BUCKET[/PREFIX]" },
        { "unknown destination name", Good.Replace("destination: local", "destination: nowhere"), "jobs[0].destination: 'nowhere' is not a destination name (local) nor a path or URL" },
        { "duplicate job names", Good + Good[Good.IndexOf("  - name", StringComparison.Ordinal)..].Replace("nightly", "NIGHTLY"), "jobs: the job name 'nightly' is used more than once (jobs[0], jobs[1])" },
        { "unknown key", Good.Replace("    cron:", "    cronn: x\n    cron:"), "jobs[0].cronn: unknown key 'cronn' (known here: name, kind, cron, timeZone, sources, destination, compression, stop, hooks, keep, volume, deep, engine, targetEngine, passphrase, keyFile, recipients, identityFile, copies, exclude, catchUp, ping, incremental)" },
        { "unknown top-level key", "retention: 3\n" + Good, "retention: unknown key 'retention'" },
        { "unknown kind", Good.Replace("destination: local", "destination: local\n    kind: shred"), "jobs[0].kind: 'shred' is not a job kind this agent knows (backup, copy, migrate, prune, verify)" },
        { "prune without rules", Good.Replace("destination: local", "destination: local\n    kind: prune"), "jobs[0].keep: a prune job needs at least one rule" },
        { "bad keep.within", Good.Replace("destination: local", "destination: local\n    kind: prune\n    keep: { within: soon }"), "jobs[0].keep.within: keep.within 'soon' is not a duration" },
        { "hook without container or command", Good.Replace("destination: local", "destination: local\n    hooks: [{ onError: ignore }]"), "jobs[0].hooks[0].container: is missing" },
        { "hook with a bad onError", Good.Replace("destination: local", "destination: local\n    hooks: [{ container: db, pre: x, onError: ignore }]"), "jobs[0].hooks[0].onError: 'ignore' is not fail or continue" },
        { "migrate without a target", Good.Replace("destination: local", "destination: local\n    kind: migrate"), "jobs[0].targetEngine: is missing" },
        { "passphrase and key file", Good.Replace("destination: local", "destination: local\n    passphrase: x\n    keyFile: /k"), "jobs[0].passphrase: give one of passphrase, keyFile, recipients or identityFile, not passphrase and keyFile" },
        { "a bare public key without its manifest key", Good.Replace("destination: local", "destination: local\n    recipients: [age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj]"), "jobs[0].recipients: recipient age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj comes without its manifest key" },
        { "recipients on a verify job", Good.Replace("destination: local", "destination: local\n    kind: verify\n    recipients: [/nonexistent/recipients]"), "jobs[0].recipients: public keys only encrypt: a verify job reads sets (give identityFile)" },
        { "an unreadable recipients file", Good.Replace("destination: local", "destination: local\n    recipients: [/nonexistent/recipients]"), "jobs[0].recipients: cannot read the recipients file '/nonexistent/recipients'" },
        { "an identity file on a backup job", Good.Replace("destination: local", "destination: local\n    identityFile: /nonexistent/key.txt"), "jobs[0].identityFile: an identity decrypts: a backup job encrypts to recipients" },
        { "an unreadable identity file", Good.Replace("destination: local", "destination: local\n    kind: verify\n    identityFile: /nonexistent/key.txt"), "jobs[0].identityFile: cannot read the identity file '/nonexistent/key.txt'" },
        { "bad compression", Good.Replace("destination: local", "destination: local\n    compression: lz4"), "jobs[0].compression: 'lz4' is not one of zstd, gzip, none" },
        { "incremental with both rules", Good.Replace("destination: local", "destination: local\n    incremental: { fullEvery: 7, fullCron: \"0 0 3 ? * SUN\" }"), "jobs[0].incremental: needs one of fullEvery (a full after N incrementals) or fullCron" },
        { "fullEvery out of range", Good.Replace("destination: local", "destination: local\n    incremental: { fullEvery: 0 }"), "jobs[0].incremental.fullEvery: 0 is not between 1 and 1000" },
        { "bad fullCron", Good.Replace("destination: local", "destination: local\n    incremental: { fullCron: \"0 0 3\" }"), "jobs[0].incremental.fullCron: '0 0 3' is not a Quartz cron expression" },
        { "incremental prune job", Good.Replace("destination: local", "destination: local\n    kind: prune\n    keep: { last: 3 }\n    incremental: { fullEvery: 7 }"), "jobs[0].incremental: only a backup job makes incremental sets (this one is kind prune)" },
        { "an engine no engines: names", Good.Replace("destination: local", "destination: local\n    engine: web2"), "jobs[0].engine: unknown engine 'web2' (no engines are named under engines:)" },
        { "an engine engines: lacks", "engines:\n  web1: { host: \"tcp://10.0.0.5:2376\" }\n" + Good.Replace("destination: local", "destination: local\n    engine: web2"), "jobs[0].engine: unknown engine 'web2' (engines: web1)" },
        { "a named engine without a host", "engines:\n  web1: { certPath: /etc }\n" + Good, "engines.web1.host: is missing" },
        { "a named engine with a bad host", "engines:\n  web1: { host: \"ftp://x\" }\n" + Good, "engines.web1.host: 'ftp://x' is not an engine address like unix:///var/run/docker.sock or tcp://HOST:2376" },
        { "a migrate target that is no engine name", Good.Replace("destination: local", "destination: local\n    kind: migrate\n    targetEngine: backup-host\n    sources: { volumes: [v] }"), "jobs[0].targetEngine: unknown engine 'backup-host' (no engines are named under engines:), nor a URI" },
        { "bad job name", Good.Replace("name: nightly", "name: 'my job'"), "jobs[0].name: 'my job' may only hold letters, digits, '.', '_' and '-'" },
        { "no jobs", "destinations: {}\n", "jobs: no job is configured" },
        { "bad label selector", Good.Replace("destination: local", "destination: local\n    sources: { labelSelector: '=x' }"), "jobs[0].sources.labelSelector: '=x' is not a label filter" },
        { "bad webhook", Good + "notifications: { webhook: { url: 'not a url' } }\n", "notifications.webhook.url: is not an absolute http:// or https:// URL" },
        { "bad console format", Good + "logging: { console: xml }\n", "logging.console: 'xml' is not one of human, json, none" },
        { "bad number", Good + "concurrency: { maxRuns: 0 }\n", "concurrency.maxRuns: 0 is not between 1 and 64" },
        { "bad helper timeout", Good + "engine: { helperTimeoutSeconds: -1 }\n", "engine.helperTimeoutSeconds: -1 is not between 0 (no limit) and 4294967" },
        { "metrics.listen without a port", Good + "metrics: { listen: 127.0.0.1 }\n", "metrics.listen: '127.0.0.1' is not HOST:PORT (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 for every interface)" },
        { "metrics.listen with a bad port", Good + "metrics: { listen: '0.0.0.0:70000' }\n", "metrics.listen: '0.0.0.0:70000': the port '70000' is not between 1 and 65535" },
        { "metrics.listen on a host name", Good + "metrics: { listen: 'backup.example:9464' }\n", "metrics.listen: 'backup.example:9464': 'backup.example' is not an IP address, localhost or *" },
        { "metrics.listen on a bare IPv6 address", Good + "metrics: { listen: '::1:9464' }\n", "metrics.listen: '::1:9464': write an IPv6 address in brackets, e.g. [::1]:9464" },
        { "bad failure ping", Good.Replace("destination: local", "destination: local\n    ping: { failure: 'hc-ping.com/uuid' }"), "jobs[0].ping.failure: is not an absolute http:// or https:// URL" },
        { "unknown ping key", Good.Replace("destination: local", "destination: local\n    ping: { fail: 'https://hc-ping.com/uuid/fail' }"), "jobs[0].ping.fail: unknown key 'fail' (known here: start, success, failure)" },
        { "a list where a value goes", Good.Replace("timeZone: Europe/Berlin", "timeZone: [UTC]"), "jobs[0].timeZone: expected a single value" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void A_bad_config_is_refused_with_the_key_path_named(string what, string yaml, string expected)
    {
        var e = Assert.Throws<BadInputException>(() => Load(yaml));
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{what}: expected «{expected}» in:\n{e.Message}");
    }

    [Fact]
    public void A_backup_job_with_incremental_rules_makes_chains_with_them()
    {
        var every = Load(Good.Replace("destination: local", "destination: local\n    incremental: { fullEvery: 7 }"));
        Assert.Equal(7, BackupJobKind.ChainOf(every.Jobs[0])!.FullEvery);
        Assert.True(BackupJobKind.ChainOf(every.Jobs[0])!.Incremental);

        var cron = BackupJobKind.ChainOf(Load(Good.Replace("destination: local", "destination: local\n    incremental: { fullCron: \"0 0 3 ? * SUN\" }")).Jobs[0])!;
        var sunday = new DateTimeOffset(2026, 11, 29, 2, 0, 0, TimeSpan.Zero);
        Assert.Equal(DayOfWeek.Sunday, cron.NextFullAfter!(sunday.AddDays(-3))!.Value.DayOfWeek);
        Assert.Null(BackupJobKind.ChainOf(Load(Good).Jobs[0]));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var yaml = Good.Replace("0 0 3 * * ?", "nonsense").Replace("Europe/Berlin", "Nowhere/City").Replace("url: ./backups", "url: gopher://x") + "typo: 1\n";
        var e = Assert.Throws<BadInputException>(() => Load(yaml));
        Assert.Contains("has 4 problem(s)", e.Message);
        Assert.Contains("jobs[0].cron:", e.Message);
        Assert.Contains("jobs[0].timeZone:", e.Message);
        Assert.Contains("destinations.local.url:", e.Message);
        Assert.Contains("typo: unknown key", e.Message);
    }

    [Fact]
    public void Anchors_block_scalars_quotes_and_nulls_read_as_YAML_means_them()
    {
        var options = Load("""
            destinations:
              local: { url: './backups' }
            jobs:
              - name: nightly
                cron: &daily "0 0 3 * * ?"
                timeZone: Europe/Berlin
                destination: local
                passphrase: ~
                hooks:
                  - container: db
                    pre: |
                      pg_dumpall > /dump.sql # kept: inside a block scalar
                      sync
              - name: "second"
                cron: *daily
                destination: 'local'
            """ + "\n");

        Assert.Equal("0 0 3 * * ?", options.Jobs[1].Cron);
        Assert.Equal("second", options.Jobs[1].Name);
        Assert.Null(options.Jobs[0].Passphrase);
        Assert.Equal("pg_dumpall > /dump.sql # kept: inside a block scalar\nsync\n", options.Jobs[0].Hooks[0].Pre);
    }

    [Theory]
    [InlineData("jobs: [ { name: a\n")]
    [InlineData("destinations:\n  local: { url: x }\n   bad: indentation\n")]
    public void A_file_that_is_not_YAML_is_refused_in_one_line_naming_the_file_and_the_place(string yaml)
    {
        var e = Assert.Throws<BadInputException>(() => Load(yaml));
        Assert.StartsWith($"the configuration {Path.Combine(_directory, "agent.yaml")} is not valid YAML: ", e.Message);
        Assert.Matches(@"is not valid YAML: line \d+, column \d+: \S", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_key_given_twice_in_one_mapping_is_refused_naming_it()
    {
        var e = Assert.Throws<BadInputException>(() => Load(Good.Replace("    cron:", "    name: again\n    cron:")));
        Assert.StartsWith($"the configuration {Path.Combine(_directory, "agent.yaml")} is not valid YAML: ", e.Message);
        Assert.Contains("name", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Environment_variables_override_any_key()
    {
        var options = Load(Good.Replace("0 0 3 * * ?", "broken"), ("BACKUP_AGENT__Jobs__0__Cron", "0 15 4 * * ?"), ("BACKUP_AGENT__Concurrency__MaxRuns", "5"));
        Assert.Equal("0 15 4 * * ?", options.Jobs[0].Cron);
        Assert.Equal(5, options.Concurrency.MaxRuns);

        var e = Assert.Throws<BadInputException>(() => Load(Good, ("BACKUP_AGENT__Jobs__0__TimeZone", "Atlantis")));
        Assert.Contains("jobs[0].timeZone: 'Atlantis'", e.Message);
    }

    [Fact]
    public void The_metrics_address_comes_from_the_file_or_the_environment_and_a_bad_one_is_named()
    {
        Assert.Null(Load(Good).Metrics.Listen);
        Assert.Equal("127.0.0.1:9464", Load(Good + "metrics: { listen: '127.0.0.1:9464' }\n").Metrics.Listen);
        Assert.Equal("[::1]:9500", Load(Good + "metrics: { listen: '127.0.0.1:9464' }\n", ("BACKUP_AGENT__Metrics__Listen", "[::1]:9500")).Metrics.Listen);

        var e = Assert.Throws<BadInputException>(() => Load(Good, ("BACKUP_AGENT__Metrics__Listen", "all:9464")));
        Assert.Contains("has 1 problem(s)", e.Message);
        Assert.Contains("metrics.listen: 'all:9464': 'all' is not an IP address", e.Message);
    }

    [Fact]
    public void A_bad_ping_url_is_named_by_its_key_and_never_echoed()
    {
        var yaml = Good.Replace("destination: local", "destination: local\n    ping: { start: 'ftp://hc-ping.com/secret-uuid/start', success: 'https://hc-ping.com/secret-uuid', failure: 'secret-uuid/fail' }");
        var e = Assert.Throws<BadInputException>(() => Load(yaml));
        Assert.Contains("has 2 problem(s)", e.Message);
        Assert.Contains("jobs[0].ping.start: is not an absolute http:// or https:// URL", e.Message);
        Assert.Contains("jobs[0].ping.failure: is not an absolute http:// or https:// URL", e.Message);
        Assert.DoesNotContain("secret-uuid", e.Message);
    }

    [Fact]
    public void A_secret_comes_from_the_file_a_FILE_key_names()
    {
        var secret = ConfigFile.Write(_directory, "https://hooks.example/T0/B0/xyz\n", "webhook-url");
        var options = Load(Good, ("BACKUP_AGENT__Notifications__Webhook__Url_FILE", secret));
        Assert.Equal("https://hooks.example/T0/B0/xyz", options.Notifications.Webhook.Url);

        var e = Assert.Throws<BadInputException>(() => Load(Good + $"notifications: {{ webhook: {{ url_FILE: {_directory}/missing }} }}\n"));
        Assert.Contains("notifications.webhook.url_FILE: cannot read the secret file", e.Message);
    }

    [Fact]
    public void Relative_destinations_and_state_are_relative_to_the_config_file()
    {
        var options = Load(Good);
        Assert.Equal(Path.Combine(_directory, "backups"), Destinations.Resolve(options, "local"));
        Assert.Equal(Path.Combine(_directory, "state"), options.StateDirectory());
    }

    [Fact]
    public void The_shipped_default_config_is_valid()
    {
        var options = ConfigLoader.Load(Path.Combine(Repository.Root, "config", "agent.yaml"), [], JobKinds.Names);
        Assert.True(options.Jobs.Single().Sources.IsEmpty);
    }

    [Fact]
    public async Task Config_check_and_run_exit_2_listing_every_problem()
    {
        var path = ConfigFile.Write(_directory, Good.Replace("0 0 3 * * ?", "every day") + "typo: 1\n");
        foreach (var command in new[] { "config check", "run" })
        {
            var result = await Agent.RunAsync([.. command.Split(' '), "--config", path]);
            Assert.True(result.ExitCode == 2, $"{command}: {result}");
            Assert.Contains($"the configuration {path} has 2 problem(s)", result.Stderr);
            Assert.Contains("jobs[0].cron: 'every day' is not a Quartz cron expression", result.Stderr);
            Assert.Contains("typo: unknown key 'typo'", result.Stderr);
        }

        var good = ConfigFile.Write(_directory, Good, "good.yaml");
        var check = await Agent.SucceedAsync("config", "check", "--config", good);
        Assert.Contains("nightly: backup to", check.Stdout);

        var missing = await Agent.RunAsync("backup", "--job", "nope", "--config", good);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("there is no job named 'nope'", missing.Stderr);

        var mixed = await Agent.RunAsync("backup", "--job", "nightly", "--config", good, "--volume", "x");
        Assert.Equal(2, mixed.ExitCode);
        Assert.Contains("drop --volume", mixed.Stderr);

        var absent = await Agent.RunAsync("status", "--config", Path.Combine(_directory, "absent.yaml"));
        Assert.Equal(2, absent.ExitCode);
        Assert.Contains("there is no configuration file at", absent.Stderr);
    }

    private AgentOptions Load(string yaml, params (string Key, string Value)[] environment) =>
        ConfigLoader.Load(ConfigFile.Write(_directory, yaml), environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)), JobKinds.Names);
}
