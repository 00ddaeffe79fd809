using System.Diagnostics;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Unit;

/// <summary>The unit install/systemd writes: a dedicated user in the docker group, hardened, and valid to systemd-analyze.</summary>
public sealed class SystemdUnitTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("backup-agent-systemd-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_unit_runs_as_its_own_user_in_the_docker_group_with_only_its_own_paths_writable()
    {
        var (code, unit, stderr) = await RunAsync("bash", Path.Combine(Repository.Root, "install", "systemd"), "unit");
        Assert.True(code == 0, stderr);
        var lines = unit.Split('\n').Select(l => l.Trim()).ToHashSet();
        foreach (var expected in new[]
                 {
                     "User=backup-agent", "Group=backup-agent", "SupplementaryGroups=docker",
                     "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=yes",
                     "ReadWritePaths=/var/lib/backup-agent /var/log/backup-agent /var/backups/backup-agent",
                     "CapabilityBoundingSet=", "RuntimeDirectory=backup-agent",
                     "Environment=BACKUP_AGENT_RUN_DIR=/run/backup-agent", "Environment=BACKUP_AGENT_STATE_DIR=/var/lib/backup-agent",
                     "ExecStart=/opt/backup-agent/backup-agent run --config /etc/backup-agent/agent.yaml",
                 })
        {
            Assert.True(lines.Contains(expected), $"the unit lacks {expected}:\n{unit}");
        }

        // systemd-analyze checks that the binary exists: point the unit at a stand-in.
        var binary = Path.Combine(_directory, "backup-agent");
        await File.WriteAllTextAsync(binary, "#!/bin/sh\n");
        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var file = Path.Combine(_directory, "backup-agent.service");
        await File.WriteAllTextAsync(file, unit.Replace("/opt/backup-agent/backup-agent ", binary + " ", StringComparison.Ordinal));

        var verify = await RunAsync("systemd-analyze", "verify", "--man=no", file);
        Assert.True(verify.Code == 0 && verify.Stderr.Trim() == "", $"systemd-analyze verify: exit {verify.Code}\n{verify.Stderr}\n{verify.Stdout}");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
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
