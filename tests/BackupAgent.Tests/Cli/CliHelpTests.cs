using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Cli;

/// <summary>The help is made from the parser's tree; these walk that tree, so a new option without help (or help without its option) fails here.</summary>
public sealed class CliHelpTests
{
    private static readonly RootCommand Tree = CliTree.Build((_, _, _) => Task.FromResult(0));

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var command in CliTree.Descendants(Tree))
        {
            data.Add(CliTree.PathOf(command));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task The_help_of_every_command_lists_every_option_it_accepts(string path)
    {
        var command = Find(path);
        var help = await Agent.SucceedAsync([.. path.Split(' '), "--help"]);
        var accepted = CliTree.OptionsInScope(command).Where(o => !o.Hidden).ToList();
        Assert.NotEmpty(accepted);
        foreach (var option in accepted)
        {
            Assert.Contains(option.Name, help.Stdout);
        }

        foreach (var argument in command.Arguments)
        {
            Assert.Contains(argument.HelpName!, help.Stdout);
        }

        Assert.Contains($"Usage: backup-agent {path}", help.Stdout);
        Assert.Equal("", help.Stderr);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_COMMAND_prints_the_same_help_as_COMMAND_help(string path)
    {
        var viaFlag = await Agent.SucceedAsync([.. path.Split(' '), "--help"]);
        var viaHelp = await Agent.SucceedAsync(["help", .. path.Split(' ')]);
        Assert.Equal(viaFlag.Stdout, viaHelp.Stdout);
    }

    [Fact]
    public async Task Every_option_of_the_help_is_on_a_line_of_its_own()
    {
        // The hand-written help glued --passphrase-file onto the previous line.
        var help = (await Agent.SucceedAsync("backup", "--help")).Stdout.Split('\n');
        foreach (var option in Find("backup").Options)
        {
            Assert.Contains(help, line => line.TrimStart().StartsWith(option.Name + " ", StringComparison.Ordinal) || line.Trim() == option.Name);
        }
    }

    [Fact]
    public async Task The_overview_names_every_command_and_the_exit_codes()
    {
        var overview = await Agent.SucceedAsync("--help");
        foreach (var command in CliTree.Descendants(Tree).OfType<AgentCommand>())
        {
            Assert.Contains("  " + CliTree.PathOf(command) + " ", overview.Stdout);
        }

        Assert.Contains("Exit codes: 0 success", overview.Stdout);
        Assert.Equal(overview.Stdout, (await Agent.SucceedAsync("help")).Stdout);

        var bare = await Agent.RunAsync();
        Assert.Equal(2, bare.ExitCode);
        Assert.Contains("Commands:", bare.Stderr);
    }

    [Fact]
    public async Task The_prune_help_lists_every_keep_rule()
    {
        var help = (await Agent.SucceedAsync("prune", "--help")).Stdout;
        foreach (var rule in new[] { "--keep-last N", "--keep-hourly N", "--keep-daily N", "--keep-weekly N", "--keep-monthly N", "--keep-yearly N", "--keep-within DURATION" })
        {
            Assert.Contains(rule, help);
        }
    }

    private static Command Find(string path) => CliTree.Descendants(Tree).Single(c => CliTree.PathOf(c) == path);
}
