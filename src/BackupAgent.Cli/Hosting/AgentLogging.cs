using BackupAgent.Core.Errors;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.Running;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace BackupAgent.Cli.Hosting;

/// <summary>
/// The agent's logger, as logging: in the configuration chooses: console human or compact JSON (or none), and a
/// rolling file (one per day). A run's lines carry Job and RunId (the human format shows them as [job run]).
/// </summary>
internal static class AgentLogging
{
    private const string HumanTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss} {Level:u3} {RunScope}{Message:lj}{NewLine}{Exception}";

    public static Serilog.Core.Logger Create(AgentOptions options, AgentConsole console, bool verbose, bool quiet = false)
    {
        var logging = options.Logging;
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : quiet ? LogEventLevel.Error : Enum.Parse<LogEventLevel>(logging.Level, ignoreCase: true))
            .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.With(new SettingWording(JobTerms.For));
        if (logging.Console != "none")
        {
            var formatter = Formatter(logging.Console);
            config = config.WriteTo.Sink(new TextWriterSink(console.Error, logging.Console == "human" ? ColourFormatter.For(console, formatter) : formatter));
        }

        if (logging.File.Path is { Length: > 0 } path)
        {
            config = config.WriteTo.File(Formatter(logging.File.Format), options.RelativeToConfig(path),
                rollingInterval: RollingInterval.Day, retainedFileCountLimit: logging.File.RetainedFiles);
        }

        return config.CreateLogger();
    }

    private static ITextFormatter Formatter(string format) =>
        format == "json" ? new CompactJsonFormatter() : new MessageTemplateTextFormatter(HumanTemplate);
}
