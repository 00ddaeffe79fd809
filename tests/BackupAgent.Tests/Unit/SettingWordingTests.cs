using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Operations;
using BackupAgent.Core.Sets;
using BackupAgent.Scheduling.Running;
using BackupAgent.Tests.Support;
using BackupAgent.Wiring;

namespace BackupAgent.Tests.Unit;

public sealed class SettingWordingTests
{
    [Fact]
    public void A_missing_key_is_worded_as_the_options_by_the_CLI_and_as_the_keys_by_a_job()
    {
        var e = Assert.Throws<KeyException>(() => ArchiveStreams.Require(null, TestSets.Archive("db").Stored()));
        Assert.Equal("archive 'db.tar.zst' of 'db' is encrypted: give --passphrase-file, --key-file, --identity-file, or BACKUP_AGENT_PASSPHRASE(_FILE)", OptionNames.Describe(e));
        Assert.Equal("archive 'db.tar.zst' of 'db' is encrypted: give passphrase, passphrase_FILE, keyFile or identityFile", JobTerms.Describe(e));
    }

    [Fact]
    public void A_bad_value_is_named_by_the_option_or_the_key_it_came_from()
    {
        var compression = Assert.Throws<BadInputException>(() => Compressions.Parse("lz4"));
        Assert.Equal("--compression 'lz4' is not one of zstd, gzip, none", OptionNames.Describe(compression));
        Assert.Equal("compression 'lz4' is not one of zstd, gzip, none", JobTerms.Describe(compression));

        var volume = Assert.Throws<BadInputException>(() => VolumeMapping.Parse("=x"));
        Assert.Equal("--volume '=x' is not NAME or NAME=TARGET", OptionNames.Describe(volume));
        Assert.Equal("sources.volumes '=x' is not NAME or NAME=TARGET", JobTerms.Describe(volume));
    }

    [Fact]
    public void A_bad_engine_address_is_named_as_the_setting_it_came_from()
    {
        var factory = new AgentFactory(new AgentSettings { StateDirectory = "/nonexistent" });
        var target = Assert.Throws<BadInputException>(() => factory.OpenEngine(new EngineEndpoint("not a uri") { Setting = Setting.TargetEngine }, new CollectingLog().Logger));
        Assert.StartsWith("--to-engine 'not a uri' is not a URI", OptionNames.Describe(target));
        Assert.StartsWith("targetEngine 'not a uri' is not a URI", JobTerms.Describe(target));
        var own = Assert.Throws<BadInputException>(() => factory.OpenEngine(new EngineEndpoint("not a uri"), new CollectingLog().Logger));
        Assert.StartsWith("--docker-host 'not a uri' is not a URI", OptionNames.Describe(own));
        Assert.StartsWith("DOCKER_HOST 'not a uri' is not a URI", JobTerms.Describe(own));
    }

    [Fact]
    public void A_remedy_is_worded_as_what_the_CLI_or_a_job_can_do()
    {
        var timeout = new HelperTimedOutException("backup of 'db'", TimeSpan.FromSeconds(2));
        Assert.EndsWith("and was stopped; allow more with --helper-timeout SECONDS or BACKUP_AGENT_HELPER_TIMEOUT", OptionNames.Describe(timeout));
        Assert.EndsWith("and was stopped; allow more with BACKUP_AGENT_HELPER_TIMEOUT (seconds) in the agent's environment", JobTerms.Describe(timeout));

        var refused = new BackupAgentException(new Phrase($"target 'db' is not empty; nothing was restored (use {Setting.Force} to replace its contents with the backup)"));
        Assert.Equal("target 'db' is not empty; nothing was restored (use --force to replace its contents with the backup)", OptionNames.Describe(refused));
        Assert.Equal("target 'db' is not empty; nothing was restored (use backup-agent restore --force to replace its contents with the backup)", JobTerms.Describe(refused));
    }

    [Fact]
    public void The_plain_message_names_no_option_of_the_CLI()
    {
        foreach (var setting in Enum.GetValues<Setting>())
        {
            var e = new BackupAgentException(new Phrase($"see {setting}"));
            Assert.DoesNotContain("--", e.Message);
            Assert.NotEqual(OptionNames.Describe(e), JobTerms.Describe(e));
        }
    }

    [Fact]
    public void Problems_joined_into_one_message_are_each_worded()
    {
        var e = new BadInputException(Phrase.Join("; ", [$"{Setting.Volume} 'a' names nothing that is migrated", $"{Setting.Volume} 'b' names nothing that is migrated"]));
        Assert.Equal("--volume 'a' names nothing that is migrated; --volume 'b' names nothing that is migrated", OptionNames.Describe(e));
    }

    [Fact]
    public void A_failure_wrapped_with_its_context_keeps_the_wording_of_its_inner_error()
    {
        var inner = Assert.Throws<BadInputException>(() => Compressions.Parse("lz4"));
        var wrapped = new BackupAgentException($"volume 'db': {inner.Message}", inner: inner);
        Assert.Equal("volume 'db': --compression 'lz4' is not one of zstd, gzip, none", OptionNames.Describe(wrapped));
    }

    [Fact]
    public void A_job_propagates_an_error_worded_in_its_terms_and_of_the_same_kind()
    {
        var inner = Assert.Throws<BadInputException>(() => Compressions.Parse("lz4"));
        var worded = Assert.IsType<BackupAgentException>(JobTerms.Reworded(inner));
        Assert.Equal("compression 'lz4' is not one of zstd, gzip, none", worded.Message);
        Assert.Equal(FailureKind.BadInput, worded.Kind);
        Assert.Equal(worded.Message, OptionNames.Describe(worded));

        var plain = new BackupAgentException("the store is full");
        Assert.Same(plain, JobTerms.Reworded(plain));
    }
}
