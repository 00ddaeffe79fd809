using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core;

namespace BackupAgent.Cli.Commands;

public sealed class VersionCommand : ICommand
{
    public string Name => "version";

    public string Summary => "print the version (as --version does)";

    public string Details => "";

    public IReadOnlyList<Option> Options { get; } = [];

    public Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        context.Console.Out.WriteLine(ToolVersion.Current);
        return Task.FromResult(ExitCodes.Success);
    }
}
