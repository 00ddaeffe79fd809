using System.Runtime.InteropServices;

namespace BackupAgent.Storage.Directory;

/// <summary>
/// What .NET does not offer: fsync of a directory (which makes a rename durable), and the <c>*at</c> calls that walk
/// a path one directory at a time (with O_NOFOLLOW) so that no symbolic link in it is followed. Calls return the
/// errno (0 on success).
/// </summary>
internal static class NativeFile
{
    public const int NoSuchEntry = 2; // ENOENT
    public const int Exists = 17; // EEXIST
    public const int NotADirectory = 20; // ENOTDIR
    public const int IsADirectory = 21; // EISDIR
    public const int NotEmpty = 39; // ENOTEMPTY
    public const int TooManyLinks = 40; // ELOOP: what O_NOFOLLOW gives for a symbolic link

    public const int ReadOnly = 0;
    public const int WriteOnly = 1;
    public const int Create = 0x40;
    public const int Exclusive = 0x80;
    public const int CloseOnExec = 0x80000;
    private const int RemoveDirectoryFlag = 0x200; // AT_REMOVEDIR
    private const int NonBlocking = 0x800; // O_NONBLOCK (x86-64 and aarch64 alike)
    private const int EmptyPath = 0x1000; // AT_EMPTY_PATH: statx of the descriptor itself
    private const uint TypeMask = 0x1; // STATX_TYPE
    private const int FileTypeMask = 0xF000; // S_IFMT; stx_mode is the u16 at offset 28 of struct statx, on every architecture
    private const int RegularFile = 0x8000; // S_IFREG
    private const int GetFlags = 3; // F_GETFL
    private const int SetFlags = 4; // F_SETFL

    // aarch64 numbers these two differently from x86-64.
    private static readonly bool Arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    public static readonly int Directory = Arm ? 0x4000 : 0x10000;
    public static readonly int NoFollow = Arm ? 0x8000 : 0x20000;

    public static int OpenDirectory(string path, out int fd) => Result(fd = Open(path, ReadOnly | Directory | CloseOnExec));

    public static int OpenAt(int directory, string name, int flags, out int fd) => Result(fd = OpenAt(directory, name, flags | CloseOnExec, 0b110_000_000));

    /// <summary>Not an errno: what <see cref="OpenRegularAt"/> returns for an item that is not a regular file.</summary>
    public const int NotRegular = -1;

    /// <summary>
    /// Opens an item only when it is a regular file: opening a FIFO would block (in the kernel, where nothing cancels
    /// it) and a device would be read as data. It is opened non-blocking, checked with statx, then made blocking.
    /// </summary>
    public static int OpenRegularAt(int directory, string name, int flags, out int fd)
    {
        var errno = OpenAt(directory, name, flags | NonBlocking, out fd);
        if (errno != 0)
        {
            return errno;
        }

        var stat = new byte[256];
        if (Statx(fd, "", EmptyPath, TypeMask, stat) != 0 || (BitConverter.ToUInt16(stat, 28) & FileTypeMask) != RegularFile ||
            SetStatusFlags(fd, SetFlags, GetStatusFlags(fd, GetFlags, 0) & ~NonBlocking) != 0)
        {
            _ = Close(fd);
            fd = -1;
            return NotRegular;
        }

        return 0;
    }

    public static int MakeDirectoryAt(int directory, string name) => Result(MkdirAt(directory, name, 0b111_000_000));

    public static int UnlinkAt(int directory, string name) => Result(UnlinkAt(directory, name, 0));

    public static int RemoveDirectoryAt(int directory, string name) => Result(UnlinkAt(directory, name, RemoveDirectoryFlag));

    public static int RenameAt(int directory, string from, string to) => Result(RenameAt(directory, from, directory, to));

    public static void FsyncBestEffort(int fd) => _ = Fsync(fd);

    public static void CloseFd(int fd) => _ = Close(fd);

    private static int Result(int returned) => returned < 0 ? Marshal.GetLastPInvokeError() : 0;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAt(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, int flags, int mode);

    [DllImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static extern int MkdirAt(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, int mode);

    [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static extern int UnlinkAt(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, int flags);

    [DllImport("libc", EntryPoint = "renameat", SetLastError = true)]
    private static extern int RenameAt(int fromDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string from, int toDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string to);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int GetStatusFlags(int fd, int command, int unused);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int SetStatusFlags(int fd, int command, int flags);
}
