using System.Runtime.InteropServices;
using BackupAgent.Core.Errors;

namespace BackupAgent.Storage.Directory;

/// <summary>
/// The directory that holds an item, reached from the store root one segment at a time with O_NOFOLLOW: a symbolic
/// link anywhere below the root (put there by whoever else can write the store) is refused, never followed, however
/// the store changed since it was listed. Holds the descriptors of the root and of each directory until disposed.
/// </summary>
internal sealed class ItemDirectory : IDisposable
{
    private readonly List<int> _fds = [];
    private readonly string _root;
    private readonly string[] _segments;

    private ItemDirectory(string root, string[] segments)
    {
        _root = root;
        _segments = segments;
    }

    /// <summary>The descriptor of the directory that holds the item.</summary>
    public int Fd => _fds[^1];

    /// <summary>The item's own name in its directory.</summary>
    public string FileName => _segments[^1];

    /// <summary>
    /// Opens the directories of <paramref name="name"/> (a valid store name), creating missing ones (0700) when
    /// <paramref name="create"/>; null when one is missing or is not a directory. A symbolic link is refused.
    /// </summary>
    public static ItemDirectory? Open(string root, string name, bool create)
    {
        var walk = new ItemDirectory(root, name.Split('/'));
        try
        {
            var errno = NativeFile.OpenDirectory(root, out var rootFd);
            if (errno is NativeFile.NoSuchEntry or NativeFile.NotADirectory && !create)
            {
                walk.Dispose();
                return null;
            }

            walk._fds.Add(rootFd);
            Check(errno, root);
            for (var i = 0; i < walk._segments.Length - 1; i++)
            {
                var segment = walk._segments[i];
                if (create && NativeFile.MakeDirectoryAt(walk.Fd, segment) is not (0 or NativeFile.Exists) and var made)
                {
                    Check(made, walk.PathTo(i));
                }

                errno = NativeFile.OpenAt(walk.Fd, segment, NativeFile.ReadOnly | NativeFile.Directory | NativeFile.NoFollow, out var fd);
                if (errno is NativeFile.NotADirectory or NativeFile.TooManyLinks && new FileInfo(walk.PathTo(i)).LinkTarget is not null)
                {
                    throw LinkRefused(root, name, walk.PathTo(i));
                }

                if (errno is NativeFile.NoSuchEntry or NativeFile.NotADirectory && !create)
                {
                    walk.Dispose();
                    return null;
                }

                Check(errno, walk.PathTo(i));
                walk._fds.Add(fd);
            }

            return walk;
        }
        catch
        {
            walk.Dispose();
            throw;
        }
    }

    /// <summary>Opens the item itself with O_NOFOLLOW; errno <see cref="NativeFile.TooManyLinks"/> means it is a symbolic link.</summary>
    public int OpenItem(string name, int flags, out int fd) => NativeFile.OpenAt(Fd, name, flags | NativeFile.NoFollow, out fd);

    /// <summary>Opens an item of this directory for reading, only when it is a regular file (see <see cref="NativeFile.OpenRegularAt"/>).</summary>
    public int OpenRegularItem(string name, out int fd) => NativeFile.OpenRegularAt(Fd, name, NativeFile.ReadOnly | NativeFile.NoFollow, out fd);

    /// <summary>Removes the item's directory when it is left empty (never the root).</summary>
    public void RemoveIfEmpty()
    {
        if (_fds.Count > 1)
        {
            _ = NativeFile.RemoveDirectoryAt(_fds[^2], _segments[^2]);
        }
    }

    public static BackupAgentException LinkRefused(string root, string name, string link) =>
        new($"{root} refuses item '{name}': '{link}' is a symbolic link, and the store never follows links");

    /// <summary>Throws an <see cref="IOException"/> naming <paramref name="path"/> for an errno other than 0.</summary>
    public static void Check(int errno, string path)
    {
        if (errno != 0)
        {
            throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    public string PathTo(int segment) => Path.Combine([_root, .. _segments[..(segment + 1)]]);

    public void Dispose()
    {
        foreach (var fd in _fds.Where(fd => fd >= 0))
        {
            NativeFile.CloseFd(fd);
        }

        _fds.Clear();
    }
}
