namespace BackupAgent.Core.Formats;

/// <summary>Passes everything through to the inner stream but does not close it.</summary>
internal sealed class NonClosingStream(Stream inner) : PassThroughStream(inner)
{
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Flush();
        }
    }

    public override ValueTask DisposeAsync() => new(Inner.FlushAsync());
}
