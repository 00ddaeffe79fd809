using Serilog.Events;
using Serilog.Formatting;

namespace BackupAgent.Cli.Hosting;

/// <summary>Colours each formatted log line by its level (errors red, warnings yellow, debug grey); used only on a terminal that takes colour.</summary>
internal sealed class ColourFormatter(ITextFormatter inner) : ITextFormatter
{
    public void Format(LogEvent logEvent, TextWriter output)
    {
        var colour = logEvent.Level switch
        {
            >= LogEventLevel.Error => Ansi.Red,
            LogEventLevel.Warning => Ansi.Yellow,
            <= LogEventLevel.Debug => Ansi.Grey,
            _ => null,
        };
        if (colour is null)
        {
            inner.Format(logEvent, output);
            return;
        }

        var line = new StringWriter();
        inner.Format(logEvent, line);
        var text = line.ToString();
        var body = text.TrimEnd('\r', '\n');
        output.Write(colour + body + Ansi.Reset + text[body.Length..]);
    }

    /// <summary>The console formatter of a run: <paramref name="plain"/>, coloured when the console takes colour.</summary>
    public static ITextFormatter For(AgentConsole console, ITextFormatter plain) => console.Colour ? new ColourFormatter(plain) : plain;
}
