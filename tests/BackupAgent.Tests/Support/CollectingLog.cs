using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace BackupAgent.Tests.Support;

/// <summary>A logger that keeps the rendered messages, for tests that check what was logged.</summary>
public sealed class CollectingLog : ILogEventSink
{
    private readonly List<string> _messages = [];

    /// <param name="wording">How the settings that events name are worded (as a host's logger words them); null: not at all.</param>
    public CollectingLog(Func<Core.Errors.Setting, string>? wording = null)
    {
        var config = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(this);
        Logger = (wording is null ? config : config.Enrich.With(new Core.Errors.SettingWording(wording))).CreateLogger();
    }

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
