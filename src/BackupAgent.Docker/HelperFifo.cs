using System.Runtime.InteropServices;
using BackupAgent.Core.Errors;

namespace BackupAgent.Docker;

/// <summary>
/// The fast path for a helper's output (or, for a restore, its input) on a local engine: a FIFO in a private (0700)
/// directory of the host, bind-mounted into the helper, which its command writes its stdout into (or reads its stdin
/// from) instead of Docker's attach stream. The agent opens its end as soon as the helper is started; if the helper
/// exits before it opened its own, <see cref="UnblockAsync"/> opens and closes the other end so that the agent's open
/// returns instead of waiting forever. Beside the FIFO it may hold the helper's work file (<see cref="PutWorkFile"/>,
/// GNU tar's snapshot file). Disposing removes the FIFO, the work file and their directory, on every path.
/// </summary>
internal sealed class HelperFifo : IAsyncDisposable
{
    public const string ContainerDirectory = "/backup-agent-run";
    public const string ContainerPath = ContainerDirectory + "/pipe";

    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    /// <summary>
    /// 0606: the agent reads or writes; the helper, root in its container but without DAC_OVERRIDE, uses the "other"
    /// bits when the agent is not root. Nobody else reaches it: the directory is 0700.
    /// </summary>
    private const uint HelperFifoMode = 0x186;

    private const string TempPrefix = "backup-agent-run-";

    /// <summary>The wrapper's exit code when it cannot open the FIFO (the command never ran).</summary>
    public const int CannotOpen = 126;

    /// <summary>The name of the helper's work file in the FIFO's directory.</summary>
    private const string WorkFileName = "work";

    private readonly string _directory;
    private readonly string _path;
    private Task<FileStream>? _open;
    private FileStream? _work;

    private HelperFifo(string directory, string onEngineHost, bool forInput)
    {
        _directory = directory;
        HostDirectory = onEngineHost;
        ForInput = forInput;
        _path = Path.Combine(directory, "pipe");
    }

    /// <summary>The FIFO's directory as the engine sees it (on its host), which the helper bind-mounts.</summary>
    public string HostDirectory { get; }

    /// <summary>Whether the helper reads its stdin from the FIFO (else it writes its stdout into it).</summary>
    public bool ForInput { get; }

    /// <summary>
    /// Creates the private directory and the FIFO under <paramref name="runRoot"/>; without one (an agent that is not
    /// root and was given no BACKUP_AGENT_RUN_DIR), a fresh directory in the temporary directory, made by mkdtemp so
    /// that no other user can have made it first. Directories are named by the agent's PID namespace and PID, for
    /// <see cref="SweepLeftovers"/>. <paramref name="placement"/> says where the engine finds the directory.
    /// </summary>
    public static HelperFifo Create(string? runRoot, bool forInput, FifoPlacement placement)
    {
        var where = runRoot ?? Path.GetTempPath();
        HelperFifo? fifo = null;
        try
        {
            string directory;
            if (runRoot is null)
            {
                directory = Directory.CreateTempSubdirectory($"{TempPrefix}{OwnerStem}").FullName;
            }
            else
            {
                Directory.CreateDirectory(runRoot, PrivateDirectory);
                directory = Path.Combine(runRoot, $"{OwnerStem}{Guid.NewGuid():N}"[..(OwnerStem.Length + 12)]);
                Directory.CreateDirectory(directory, PrivateDirectory);
            }

            fifo = new HelperFifo(directory, placement.OnEngineHost(directory), forInput);
            if (MakeFifo(fifo._path, HelperFifoMode) != 0)
            {
                throw new IOException($"mkfifo failed with errno {Marshal.GetLastPInvokeError()}");
            }

            File.SetUnixFileMode(fifo._path, (UnixFileMode)HelperFifoMode); // mkfifo's mode is masked by the umask
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            fifo?.RemoveFiles();
            throw new BackupAgentException($"cannot create the helper's FIFO in {where}: {e.Message} (set BACKUP_AGENT_RUN_DIR, or BACKUP_AGENT_HELPER_OUTPUT=attach)", inner: e);
        }

        return fifo;
    }

    /// <summary>
    /// Removes the FIFO directories of agents that are gone (killed before they could remove them), best effort. Only
    /// those of this PID namespace: an agent in a container may share the run directory, with PIDs of its own.
    /// </summary>
    public static void SweepLeftovers(string? runRoot)
    {
        var (directory, prefix) = runRoot is null ? (Path.GetTempPath(), TempPrefix) : (runRoot, "");
        var ours = $"{prefix}{PidNamespace}-";
        IEnumerable<string> leftovers;
        try
        {
            leftovers = Directory.EnumerateDirectories(directory, ours + "*").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var leftover in leftovers)
        {
            var name = Path.GetFileName(leftover)[ours.Length..];
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name[..dash], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(leftover, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another user's, or already gone.
                }
            }
        }
    }

    /// <summary>"PIDNS-PID-": whose directory it is, for <see cref="SweepLeftovers"/>.</summary>
    private static string OwnerStem => $"{PidNamespace}-{Environment.ProcessId}-";

    /// <summary>The inode of this process's PID namespace (from /proc/self/ns/pid, "pid:[N]"), or 0.</summary>
    private static string PidNamespace
    {
        get
        {
            try
            {
                var link = File.ResolveLinkTarget("/proc/self/ns/pid", returnFinalTarget: false)?.Name ?? "";
                var digits = new string(link.Where(char.IsAsciiDigit).ToArray());
                return digits.Length > 0 ? digits : "0";
            }
            catch (IOException)
            {
                return "0";
            }
        }
    }

    /// <summary>
    /// Wraps a helper command so that its stdout goes into the FIFO (or its stdin comes from it); its exit code and
    /// stderr are unchanged, and a FIFO it cannot open gives <see cref="CannotOpen"/> (the shell's message is on stderr).
    /// </summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> command) =>
        ["sh", "-c", $"{{ exec \"$@\"; }} {(ForInput ? "<" : ">")}\"$0\" || exit {CannotOpen}", ContainerPath, .. command];

    /// <summary>Starts opening the read end in the background (an open of a FIFO waits for its writer).</summary>
    public Stream OpenReader()
    {
        _open = Task.Run(() => Widened(new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0)));
        return new FifoReadStream(_open);
    }

    /// <summary>Opens the write end (it waits for the helper to open its end; <see cref="UnblockAsync"/> ends that wait).</summary>
    public Task<FileStream> OpenWriterAsync() =>
        _open = Task.Run(() => Widened(new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0)));

    /// <summary>
    /// The pipe under the FIFO grows to <see cref="PipeBytes"/> (from the kernel's 64 KiB), so that each read and write
    /// moves up to 1 MiB: a quarter of the system calls and wake-ups of both ends. Best effort: a kernel that allows less
    /// (fs.pipe-max-size) keeps its size.
    /// </summary>
    private static FileStream Widened(FileStream pipe)
    {
        _ = SetPipeSize(pipe.SafeFileHandle, SetPipeSizeCommand, PipeBytes);
        return pipe;
    }

    private const int SetPipeSizeCommand = 1031; // F_SETPIPE_SZ

    public const int PipeBytes = 1 << 20;

    /// <summary>
    /// Makes the helper's work file beside the FIFO, holding <paramref name="content"/>, with the FIFO's mode (0606:
    /// a helper that is not its owner rewrites it through the "other" bits; the 0700 directory keeps everyone else out).
    /// The agent keeps the handle it made it with and reads it back through that (<see cref="TakeWorkFile"/>): a helper
    /// that replaced the file (a symlink, another inode) changes nothing the agent reads. Returns the file's path on
    /// the engine's host, which the helper bind-mounts.
    /// </summary>
    public string PutWorkFile(ReadOnlySpan<byte> content)
    {
        try
        {
            _work = new FileStream(Path.Combine(_directory, WorkFileName), new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Share = FileShare.ReadWrite,
                BufferSize = 0,
                UnixCreateMode = (UnixFileMode)HelperFifoMode,
            });
            File.SetUnixFileMode(_work.SafeFileHandle, (UnixFileMode)HelperFifoMode); // the create mode is masked by the umask
            _work.Write(content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupAgentException($"cannot create the helper's work file in {_directory}: {e.Message} (set BACKUP_AGENT_RUN_DIR, or BACKUP_AGENT_HELPER_OUTPUT=attach)", inner: e);
        }

        return Path.Join(HostDirectory, WorkFileName);
    }

    /// <summary>The work file as the helper left it, from its start; the caller owns it (it stays readable once the directory is removed).</summary>
    public Stream TakeWorkFile()
    {
        var work = _work ?? throw new InvalidOperationException("the helper has no work file");
        _work = null;
        work.Position = 0;
        return work;
    }

    /// <summary>Lets the agent's open still waiting for the helper's end return: for a helper that exited without opening it.</summary>
    public async Task UnblockAsync()
    {
        if (_open is null || _open.IsCompleted)
        {
            return;
        }

        try
        {
            var access = ForInput ? FileAccess.Read : FileAccess.Write;
            var other = Task.Run(() => new FileStream(_path, FileMode.Open, access, FileShare.ReadWrite, bufferSize: 0));
            await (await other.WaitAsync(TimeSpan.FromSeconds(10))).DisposeAsync();
        }
        catch (Exception e) when (e is IOException or TimeoutException or UnauthorizedAccessException)
        {
            // The agent's end is then released when its open fails or the FIFO is removed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await UnblockAsync();
        if (_open is { IsCompletedSuccessfully: true })
        {
            await _open.Result.DisposeAsync();
        }

        if (_work is not null)
        {
            await _work.DisposeAsync();
        }

        RemoveFiles();
    }

    private void RemoveFiles()
    {
        try
        {
            File.Delete(_path);
            File.Delete(Path.Combine(_directory, WorkFileName));
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory);
            }
        }
        catch (IOException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int SetPipeSize(Microsoft.Win32.SafeHandles.SafeFileHandle fd, int command, int bytes);

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
