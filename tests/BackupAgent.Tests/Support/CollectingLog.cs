using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace BackupAgent.Tests.Support;

/// <summary>A logger that keeps the rendered messages, for tests that check what was logged.</summary>
public sealed class CollectingLog : ILogEventSink
{
    private readonly List<string> _messages = [];

    public CollectingLog() => Logger = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(this).CreateLogger();

    public ILogger Logger { get; }

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_messages)
        {
            _messages.Add(logEvent.RenderMessage());
        }
    }
}
