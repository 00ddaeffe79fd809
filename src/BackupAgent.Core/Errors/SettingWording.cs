using Serilog.Core;
using Serilog.Events;

namespace BackupAgent.Core.Errors;

/// <summary>
/// Words the settings that log events name, as <see cref="Phrase"/> does for messages: Core logs a setting as a
/// property whose value is a <see cref="Setting"/> (rendered with <c>:l</c>), and each host's logger words it in its
/// own terms, the CLI's as its options and the scheduled agent's as its configuration keys.
/// </summary>
public sealed class SettingWording(Func<Setting, string> name) : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        foreach (var (key, value) in logEvent.Properties.ToList())
        {
            if (value is ScalarValue { Value: Setting setting })
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty(key, new ScalarValue(name(setting))));
            }
        }
    }
}
