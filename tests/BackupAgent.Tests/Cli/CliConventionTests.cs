using System.Text.Json;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Formats;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Cli;

/// <summary>The command line's conventions, run in-process against directory stores (no engine).</summary>
public sealed class CliConventionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backup-agent-cli-").FullName;

    private string Backups => Path.Combine(_dir, "backups");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(new[] { "bakup" }, "unknown command 'bakup'; did you mean 'backup'?")]
    [InlineData(new[] { "resotre" }, "unknown command 'resotre'; did you mean 'restore'?")]
    [InlineData(new[] { "config", "chek" }, "config: unknown command 'chek'; did you mean 'check'?")]
    [InlineData(new[] { "backup", "--compresion", "gzip" }, "backup: unknown option '--compresion'; did you mean '--compression'?")]
    [InlineData(new[] { "help", "bakup" }, "help: unknown command 'bakup'; did you mean 'backup'?")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate' (see 'backup-agent --help')")]
    public async Task A_typo_gets_one_line_that_names_it_and_the_nearest_name(string[] args, string message)
    {
        var result = await Agent.RunAsync(args);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains(message, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData(new[] { "list", "--from" }, "list: --from needs a value")]
    [InlineData(new[] { "list", "--from", "--json" }, "list: --from needs a value")]
    [InlineData(new[] { "list", "--from", "/a", "--from", "/b" }, "list: --from is given more than once")]
    [InlineData(new[] { "list", "--json=yes" }, "list: --json takes no value")]
    [InlineData(new[] { "list", "stray" }, "list: unexpected argument 'stray'")]
    [InlineData(new[] { "list", "--json", "--json" }, "list: --json is given more than once")]
    [InlineData(new[] { "config" }, "config: name one of its commands: check")]
    [InlineData(new[] { "completion" }, "completion: SHELL is missing")]
    [InlineData(new[] { "--verbose", "list", "--quiet", "--from", "/b" }, "list: give --verbose or --quiet, not both")]
    public async Task Bad_usage_gets_one_line_naming_the_culprit_and_exit_2(string[] args, string message)
    {
        var result = await Agent.RunAsync(args);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_global_option_works_before_the_command_as_after_it()
    {
        var id = await CraftedSets.StoreAsync(Backups, "vol", CraftedSets.Tar(("f", "data")));
        var before = await Agent.SucceedAsync("--verbose", "--helper-timeout", "5", "list", "--from", Backups);
        var after = await Agent.SucceedAsync("list", "--from", Backups, "--verbose", "--helper-timeout", "5");
        Assert.Contains(id, before.Stdout);
        Assert.Equal(before.Stdout, after.Stdout);

        // A bad global value is refused wherever it stands, naming it.
        var bad = await Agent.RunAsync("--helper-timeout", "soon", "copy", "--from", Backups, "--to", Path.Combine(_dir, "other"));
        Assert.Equal(ExitCodes.BadInput, bad.ExitCode);
        Assert.Contains("--helper-timeout 'soon'", bad.Stderr);
    }

    [Fact]
    public async Task Quiet_keeps_stderr_to_errors_and_the_result_on_stdout()
    {
        var id = await CraftedSets.StoreAsync(Backups, "vol", CraftedSets.Tar(("f", "data")));
        var loud = await Agent.SucceedAsync("copy", "--from", Backups, "--to", Path.Combine(_dir, "loud"));
        Assert.Contains($"Copying backup set {id}", loud.Stderr);

        var quiet = await Agent.SucceedAsync("--quiet", "copy", "--from", Backups, "--to", Path.Combine(_dir, "quiet"));
        Assert.Equal("", quiet.Stderr);
        Assert.Contains($"{id} copied to", quiet.Stdout);

        var key = await Agent.SucceedAsync("keygen", "--quiet");
        Assert.Equal("", key.Stderr);
        Assert.Contains("AGE-SECRET-KEY-1", key.Stdout);
        Assert.Contains("Public key: age1", (await Agent.SucceedAsync("keygen")).Stderr);

        var failing = await Agent.RunAsync("copy", "--quiet", "--from", Path.Combine(_dir, "missing"), "--to", Path.Combine(_dir, "x"));
        Assert.NotEqual(0, failing.ExitCode);
        Assert.StartsWith("backup-agent: copy failed:", failing.Stderr);
    }

    [Theory]
    [InlineData(false, null, false)]
    [InlineData(true, "1", false)]
    [InlineData(true, null, true)]
    public async Task Colour_is_used_only_on_a_terminal_and_never_with_NO_COLOR(bool terminal, string? noColor, bool coloured)
    {
        var environment = new Dictionary<string, string?> { ["NO_COLOR"] = noColor, ["TERM"] = "xterm" };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new AgentConsole(stdout, stderr, name => environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name), terminal);
        await CraftedSets.StoreAsync(Backups, "vol", CraftedSets.Tar(("f", "data")));

        // An information line of the log and an error line.
        Assert.Equal(0, await AgentCli.RunAsync(["copy", "--from", Backups, "--to", Path.Combine(_dir, $"copy-{terminal}-{noColor}")], console, CancellationToken.None));
        Assert.Equal(ExitCodes.BadInput, await AgentCli.RunAsync(["bakup"], console, CancellationToken.None));
        Assert.Contains("Copying backup set", stderr.ToString());
        Assert.Contains("did you mean 'backup'", stderr.ToString());
        Assert.Equal(coloured, stderr.ToString().Contains('\u001b'));
        Assert.DoesNotContain('\u001b', stdout.ToString());
    }

    [Fact]
    public async Task Text_output_prints_human_sizes_and_json_keeps_bytes()
    {
        var content = new string('x', 20_000);
        var id = await CraftedSets.StoreAsync(Backups, "vol", CraftedSets.Tar(("f", content)));
        var stored = new FileInfo(Path.Combine(Backups, id, "vol.tar")).Length;

        var text = await Agent.SucceedAsync("list", "--from", Backups);
        Assert.Contains($"  {ByteSize.Human(stored)}  vol", text.Stdout);
        Assert.Matches(@"\d+\.\d KiB", text.Stdout);
        Assert.DoesNotContain($"{stored}", text.Stdout);

        var json = await Agent.SucceedAsync("list", "--from", Backups, "--json");
        var archive = JsonDocument.Parse(json.Stdout).RootElement[0].GetProperty("archives")[0];
        Assert.Equal(stored, archive.GetProperty("bytes").GetInt64());

        var copy = await Agent.SucceedAsync("copy", "--from", Backups, "--to", Path.Combine(_dir, "copy"));
        Assert.Contains($"{id} copied to {Path.Combine(_dir, "copy")} ({ByteSize.Human(stored)})", copy.Stdout);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1024, "1.0 KiB")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(1048575, "1.0 MiB")]
    [InlineData(5L * 1024 * 1024, "5.0 MiB")]
    [InlineData(3L << 30, "3.0 GiB")]
    [InlineData(1L << 40, "1.0 TiB")]
    public void Sizes_read_in_binary_units(long bytes, string human) => Assert.Equal(human, ByteSize.Human(bytes));

    [Fact]
    public async Task Version_prints_the_version_either_way()
    {
        var flag = await Agent.SucceedAsync("--version");
        Assert.StartsWith("backup-agent ", flag.Stdout);
        Assert.Equal(flag.Stdout, (await Agent.SucceedAsync("version")).Stdout);
    }
}
