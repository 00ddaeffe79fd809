using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace BackupAgent.Cli.Hosting;

/// <summary>Writes formatted events to a TextWriter: the stderr of a CLI run that is not the process console (tests).</summary>
internal sealed class TextWriterSink(TextWriter writer, ITextFormatter formatter) : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        lock (writer)
        {
            formatter.Format(logEvent, writer);
        }
    }
}
