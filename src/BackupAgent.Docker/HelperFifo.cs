using System.Runtime.InteropServices;
using BackupAgent.Core.Errors;

namespace BackupAgent.Docker;

/// <summary>
/// The fast path for a helper's output on a local engine: a FIFO in a private (0700) directory of the host,
/// bind-mounted into the helper, which writes its stdout there instead of through Docker's attach stream.
/// The agent opens it for reading as soon as the helper is started; if the helper exits (or is removed) before
/// it opened its end, <see cref="UnblockAsync"/> opens and closes a writer so that the reader sees end-of-file
/// instead of waiting forever. Disposing removes the FIFO and its directory, on every path.
/// </summary>
internal sealed class HelperFifo : IAsyncDisposable
{
    public const string ContainerDirectory = "/backup-agent-run";
    public const string ContainerPath = ContainerDirectory + "/stdout";

    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    /// <summary>
    /// 0602: the agent reads; the helper, root in its container but without DAC_OVERRIDE, writes through the "other"
    /// bit when the agent is not root. Nobody else reaches it: the directory is 0700.
    /// </summary>
    private const uint HelperWritableFifo = 0x182;

    /// <summary>The wrapper's exit code when it cannot open the FIFO (the command never ran).</summary>
    public const int CannotOpen = 126;

    private readonly string _path;
    private Task<FileStream>? _open;

    private HelperFifo(string directory)
    {
        HostDirectory = directory;
        _path = Path.Combine(directory, "stdout");
    }

    public string HostDirectory { get; }

    /// <summary>Creates the private directory and the FIFO under <paramref name="runRoot"/>.</summary>
    public static HelperFifo Create(string runRoot)
    {
        var fifo = new HelperFifo(Path.Combine(runRoot, Guid.NewGuid().ToString("N")[..16]));
        try
        {
            Directory.CreateDirectory(runRoot, PrivateDirectory);
            Directory.CreateDirectory(fifo.HostDirectory, PrivateDirectory);
            if (MakeFifo(fifo._path, HelperWritableFifo) != 0)
            {
                throw new IOException($"mkfifo failed with errno {Marshal.GetLastPInvokeError()}");
            }

            File.SetUnixFileMode(fifo._path, (UnixFileMode)HelperWritableFifo); // mkfifo's mode is masked by the umask
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            fifo.RemoveFiles();
            throw new BackupAgentException($"cannot create the helper's output FIFO in {runRoot}: {e.Message} (set BACKUP_AGENT_RUN_DIR, or BACKUP_AGENT_HELPER_OUTPUT=attach)", inner: e);
        }

        return fifo;
    }

    /// <summary>
    /// Wraps a helper command so that its stdout goes into the FIFO; its exit code and stderr are unchanged, and a FIFO
    /// it cannot open gives <see cref="CannotOpen"/> (the shell's own message is on stderr).
    /// </summary>
    public static IReadOnlyList<string> Wrap(IReadOnlyList<string> command) =>
        ["sh", "-c", $"{{ exec \"$@\"; }} >\"$0\" || exit {CannotOpen}", ContainerPath, .. command];

    /// <summary>Starts opening the read end in the background (an open of a FIFO waits for its writer).</summary>
    public Stream OpenReader()
    {
        _open = Task.Run(() => new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0));
        return new FifoReadStream(_open);
    }

    /// <summary>Lets a reader still waiting for a writer see end-of-file: for a helper that exited without opening its end.</summary>
    public async Task UnblockAsync()
    {
        if (_open is null || _open.IsCompleted)
        {
            return;
        }

        try
        {
            var writer = Task.Run(() => new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0));
            await (await writer.WaitAsync(TimeSpan.FromSeconds(10))).DisposeAsync();
        }
        catch (Exception e) when (e is IOException or TimeoutException or UnauthorizedAccessException)
        {
            // The reader is then released when its open fails or the FIFO is removed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await UnblockAsync();
        if (_open is { IsCompletedSuccessfully: true })
        {
            await _open.Result.DisposeAsync();
        }

        RemoveFiles();
    }

    private void RemoveFiles()
    {
        try
        {
            File.Delete(_path);
            if (Directory.Exists(HostDirectory))
            {
                Directory.Delete(HostDirectory);
            }
        }
        catch (IOException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
