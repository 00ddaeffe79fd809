using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Errors;

namespace BackupAgent.Tests.Unit;

public sealed class ArgumentsTests
{
    private static System.CommandLine.Option[] Options => [CliOption.Value("--to", "DEST", "d"), CliOption.Repeatable("--volume", "NAME", "v"), CliOption.Flag("--json", "j")];

    [Fact]
    public void Values_are_taken_with_a_space_or_an_equals_sign_and_repeatable_options_collect_all()
    {
        var args = Arguments.Parse("backup", ["--to", "/b", "--volume=a", "--volume", "b", "--json"], Options);
        Assert.Equal("/b", args.Value("--to"));
        Assert.Equal(["a", "b"], args.Values("--volume"));
        Assert.True(args.Flag("--json"));
        Assert.False(args.Flag("--verbose"));
    }

    [Theory]
    [InlineData(new[] { "--nope" }, "unknown option '--nope'")]
    [InlineData(new[] { "--to" }, "--to needs a value")]
    [InlineData(new[] { "--to", "--json" }, "--to needs a value")]
    [InlineData(new[] { "--to", "/a", "--to", "/b" }, "--to is given more than once")]
    [InlineData(new[] { "--json=yes" }, "--json takes no value")]
    [InlineData(new[] { "stray" }, "unexpected argument 'stray'")]
    public void Bad_arguments_name_the_culprit(string[] tokens, string message)
    {
        var e = Assert.Throws<BadInputException>(() => Arguments.Parse("backup", tokens, Options));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void An_equals_sign_with_nothing_after_it_is_an_empty_value_for_the_command_to_refuse()
    {
        Assert.Equal("", Arguments.Parse("backup", ["--to="], Options).Value("--to"));
        Assert.Equal([""], Arguments.Parse("backup", ["--volume="], Options).Values("--volume"));
    }

    [Fact]
    public void A_missing_required_option_is_named()
    {
        var args = Arguments.Parse("restore", [], Options);
        Assert.Contains("restore: --to is required", Assert.Throws<BadInputException>(() => args.Required("--to")).Message);
    }

    [Fact]
    public void Bad_input_maps_to_exit_2_and_other_failures_to_exit_1()
    {
        Assert.Equal(2, ExitCodes.For(new BadInputException("x")));
        Assert.Equal(1, ExitCodes.For(new BackupAgentException("x")));
        Assert.Equal(1, ExitCodes.For(new IOException("x")));
    }
}
