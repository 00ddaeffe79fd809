using Serilog.Events;

namespace BackupAgent.Scheduling.Config.Validation;

public sealed class LoggingOptionsValidator : IOptionsValidator<LoggingOptions>
{
    public void Validate(LoggingOptions options, string path, ConfigProblems problems)
    {
        if (!Enum.TryParse<LogEventLevel>(options.Level, ignoreCase: true, out _))
        {
            problems.Add($"{path}.level", $"'{options.Level}' is not one of {string.Join(", ", Enum.GetNames<LogEventLevel>())}");
        }

        if (options.Console is not ("human" or "json" or "none"))
        {
            problems.Add($"{path}.console", $"'{options.Console}' is not one of human, json, none");
        }

        if (options.File.Format is not ("human" or "json"))
        {
            problems.Add($"{path}.file.format", $"'{options.File.Format}' is not one of human, json");
        }

        if (options.File.RetainedFiles < 1)
        {
            problems.Add($"{path}.file.retainedFiles", "must be at least 1");
        }
    }
}
