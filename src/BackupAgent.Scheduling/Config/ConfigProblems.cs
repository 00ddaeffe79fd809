using BackupAgent.Core.Errors;

namespace BackupAgent.Scheduling.Config;

/// <summary>Every problem found in a configuration, each with the key path it is about.</summary>
public sealed class ConfigProblems
{
    private readonly List<string> _items = [];

    public IReadOnlyList<string> Items => _items;

    public void Add(string path, string message) => _items.Add($"{path}: {message}");

    /// <summary>Throws one error listing every problem (exit 2) when there is any.</summary>
    public void ThrowIfAny(string file)
    {
        if (_items.Count > 0)
        {
            throw new BadInputException(
                $"the configuration {file} has {_items.Count} problem(s); the agent does not start half-configured:\n  {string.Join("\n  ", _items)}");
        }
    }
}

/// <summary>Validates one options type, adding every problem it finds under <c>path</c>; never stops at the first.</summary>
public interface IOptionsValidator<in T>
{
    void Validate(T options, string path, ConfigProblems problems);
}
