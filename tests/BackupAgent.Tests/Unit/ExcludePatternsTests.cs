using BackupAgent.Core.Errors;
using BackupAgent.Core.Helpers;

namespace BackupAgent.Tests.Unit;

/// <summary>How exclude patterns become GNU tar arguments: each one argument, anchored only when it starts at the root.</summary>
public sealed class ExcludePatternsTests
{
    [Fact]
    public void Each_pattern_is_one_exclude_argument_so_none_can_become_an_option()
    {
        var patterns = ExcludePatterns.Normalize(["*.log", "/cache/", "./tmp", "--to-command=sh -c id", "my dir", "*.log"], "test");

        Assert.Equal(["*.log", "/cache", "./tmp", "--to-command=sh -c id", "my dir"], patterns);
        Assert.Equal(
            ["--wildcards", "--no-anchored", "--exclude=*.log", "--anchored", "--exclude=./cache", "--exclude=./tmp", "--no-anchored", "--exclude=--to-command=sh -c id", "--exclude=my dir"],
            ExcludePatterns.TarArguments(patterns));
        Assert.Empty(ExcludePatterns.TarArguments([]));
    }

    [Fact]
    public void A_containers_label_is_split_at_commas_and_a_bad_pattern_names_the_label()
    {
        Assert.Equal(["*.tmp", "/scratch"], ExcludePatterns.FromLabels(new Dictionary<string, string> { [ExcludePatterns.Label] = " *.tmp , /scratch,," }, "app"));
        var e = Assert.Throws<BadInputException>(() => ExcludePatterns.FromLabels(new Dictionary<string, string> { [ExcludePatterns.Label] = "ok, ./" }, "app"));
        Assert.Equal("label backup-agent.exclude of container 'app': exclude pattern './' would leave out the whole source", e.Message);
    }
}
