using BackupAgent.Core.Formats;

namespace BackupAgent.Storage.Directory;

/// <summary>Turns the file's own write errors (disk full, I/O error) into an error that names the store and the item.</summary>
internal sealed class FileErrorStream(Stream file, DirectoryStore store, string name) : PassThroughStream(file)
{
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            Inner.Write(buffer);
        }
        catch (IOException e)
        {
            throw store.WriteFailed(name, e);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.WriteAsync(buffer, cancellationToken);
        }
        catch (IOException e)
        {
            throw store.WriteFailed(name, e);
        }
    }

    protected override void Dispose(bool disposing)
    {
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
