using System.Formats.Tar;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Integration;

/// <summary>
/// Archives crafted to escape the target volume, with manifests that match them (an attacker who can write the
/// store can write both). Whatever the archive says, nothing lands outside the target: the helper's root file system
/// is read-only, the target is its only writable mount, and GNU tar refuses '..' and defuses symlinks.
/// </summary>
public sealed class HostileArchiveTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    public static TheoryData<string> Attacks => ["dotdot", "absolute", "symlink-then-file", "hardlink-outside", "device", "long-name"];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task A_crafted_archive_writes_nothing_outside_the_target_volume(string attack)
    {
        var canary = Path.Combine(_scope.Directory, "canary");
        var tar = Craft(attack, canary);
        var id = await StoreAsync("vol", tar);
        var target = _scope.Track(_scope.Name("hostile-" + attack));

        var result = await Agent.RunAsync("restore", "--from", _scope.Backups, "--backup", id, "--volume", $"vol={target}");

        Assert.False(System.IO.File.Exists(canary) || Directory.Exists(canary), $"{attack}: the canary outside the volume was written\n{result}");
        Assert.False(System.IO.File.Exists("/tmp/backup-agent-escape") || System.IO.File.Exists("/backup-agent-escape"), result.ToString());
        var inside = await TestScope.ShellAsync(["-v", $"{target}:/d"], "find /d | sort");
        switch (attack)
        {
            case "dotdot":
            case "symlink-then-file":
            case "device":
                // GNU tar refuses the entry (exit 2): the restore fails and says why.
                Assert.Equal(1, result.ExitCode);
                Assert.Contains("the helper container exited with code 2", result.Stderr);
                break;
            case "absolute":
                Assert.True(result.ExitCode == 0, result.ToString());
                Assert.Contains("/d/tmp/backup-agent-escape", inside);
                break;
            case "hardlink-outside":
                Assert.Equal(1, result.ExitCode);
                break;
            case "long-name":
                // Longer than PATH_MAX: tar either writes it (inside the target) or refuses it with a clear error.
                Assert.True(result.ExitCode == 0 ? inside.Contains(new string('n', 200)) : result.Stderr.Contains("exited with code 2"), result.ToString());
                break;
        }
    }

    private static byte[] Craft(string attack, string canary)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true))
        {
            writer.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "./"));
            switch (attack)
            {
                case "dotdot":
                    writer.WriteEntry(Entry("./../../../../.." + canary, "escaped"));
                    break;
                case "absolute":
                    writer.WriteEntry(Entry("/tmp/backup-agent-escape", "escaped"));
                    break;
                case "symlink-then-file":
                    writer.WriteEntry(new GnuTarEntry(TarEntryType.SymbolicLink, "./evil") { LinkName = "/tmp" });
                    writer.WriteEntry(Entry("./evil/backup-agent-escape", "escaped"));
                    break;
                case "hardlink-outside":
                    writer.WriteEntry(new GnuTarEntry(TarEntryType.HardLink, "./passwd") { LinkName = "../../../etc/passwd" });
                    break;
                case "device":
                    writer.WriteEntry(new GnuTarEntry(TarEntryType.BlockDevice, "./disk") { DeviceMajor = 8, DeviceMinor = 0 });
                    break;
                case "long-name":
                    var deep = string.Join('/', Enumerable.Range(0, 50).Select(_ => new string('n', 200)));
                    writer.WriteEntry(Entry("./" + deep[..9_990], "long"));
                    break;
            }
        }

        return output.ToArray();
    }

    private static GnuTarEntry Entry(string name, string content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };

    private Task<string> StoreAsync(string volume, byte[] tar) => CraftedSets.StoreAsync(_scope.Backups, volume, tar);
}
