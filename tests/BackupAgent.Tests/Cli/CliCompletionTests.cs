using System.Diagnostics;
using BackupAgent.Cli.Hosting;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Cli;

public sealed class CliCompletionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backup-agent-completion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("bash")]
    [InlineData("zsh")]
    [InlineData("fish")]
    public async Task A_completion_script_is_printed_for_each_shell_and_names_every_command(string shell)
    {
        var result = await Agent.SucceedAsync("completion", shell);
        Assert.NotEmpty(result.Stdout.Trim());
        foreach (var command in new[] { "backup", "restore", "list", "verify", "prune", "copy", "recover", "migrate", "run", "status", "config", "check", "keygen", "completion", "help" })
        {
            Assert.Contains(command, result.Stdout);
        }

        var option = shell == "fish" ? "-l " : "--"; // fish names long options without their dashes
        Assert.Contains(option + "compression", result.Stdout);
        Assert.Contains(option + "keep-daily", result.Stdout);
        Assert.Contains(option + "verbose", result.Stdout);
    }

    [Fact]
    public async Task The_bash_script_parses_and_completes_commands_options_and_choices()
    {
        var script = Path.Combine(_dir, "backup-agent.bash");
        await File.WriteAllTextAsync(script, (await Agent.SucceedAsync("completion", "bash")).Stdout);
        var check = await BashAsync("-n", script);
        Assert.True(check.Code == 0, $"bash -n: {check.Stderr}");

        Assert.Equal("backup", await CompleteAsync(script, "bac"));
        Assert.Equal("--compression", await CompleteAsync(script, "backup", "--comp"));
        Assert.Equal("gzip", await CompleteAsync(script, "backup", "--compression", "gz"));
        Assert.Equal("check", await CompleteAsync(script, "config", "ch"));
        Assert.Equal("--config", await CompleteAsync(script, "config", "check", "--conf"));
        Assert.Equal("list", await CompleteAsync(script, "--verbose", "li"));
        Assert.Equal("--keep-weekly --keep-within", await CompleteAsync(script, "prune", "--from", "/b", "--keep-w"));
        Assert.Equal("fish", await CompleteAsync(script, "completion", "fi"));
    }

    [Fact]
    public async Task An_unknown_shell_is_refused_naming_it()
    {
        var result = await Agent.RunAsync("completion", "tcsh");
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("'tcsh' is not a shell", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    /// <summary>What the script offers for the last of <paramref name="words"/> after backup-agent.</summary>
    private static async Task<string> CompleteAsync(string script, params string[] words)
    {
        var line = string.Join(' ', words.Select(w => $"'{w}'"));
        var run = await BashAsync("-c", $"source '{script}'; COMP_WORDS=(backup-agent {line}); COMP_CWORD={words.Length}; _backup_agent; echo \"${{COMPREPLY[*]}}\"");
        Assert.True(run.Code == 0, run.Stderr);
        return run.Stdout.Trim();
    }

    private static async Task<(int Code, string Stdout, string Stderr)> BashAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
