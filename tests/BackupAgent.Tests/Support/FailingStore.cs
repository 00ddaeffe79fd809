using BackupAgent.Core.Errors;
using BackupAgent.Core.Storage;

namespace BackupAgent.Tests.Support;

/// <summary>
/// A store that passes everything to another one, except that the writes of items for which <see cref="FailWrite"/>
/// says so fail after <see cref="BytesBeforeFailure"/> bytes, as a connection or disk that gives out mid-item would.
/// </summary>
public sealed class FailingStore(IBackupStore inner) : IBackupStore
{
    public Func<string, bool> FailWrite { get; set; } = _ => false;

    public long BytesBeforeFailure { get; set; } = 10;

    public string Location => inner.Location;

    public Task WriteAsync(string name, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken) =>
        FailWrite(name)
            ? inner.WriteAsync(name, (stream, ct) => writeContent(new FailAfter(stream, BytesBeforeFailure, name), ct), cancellationToken)
            : inner.WriteAsync(name, writeContent, cancellationToken);

    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken) => inner.OpenReadAsync(name, cancellationToken);

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public Task DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

    private sealed class FailAfter(Stream inner, long limit, string name) : Core.Formats.PassThroughStream(inner)
    {
        private long _written;

        protected override void OnWrite(ReadOnlySpan<byte> data)
        {
            _written += data.Length;
            if (_written > limit)
            {
                throw new BackupAgentException($"the connection dropped while writing '{name}'");
            }
        }
    }
}
