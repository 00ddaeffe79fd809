using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Storage;

/// <summary>
/// The names every store accepts, checked alike by every backend: '/'-separated segments, none of them empty,
/// <c>.</c> or <c>..</c>, and no control characters (so no NUL, which would cut a name short on its way to the OS).
/// A name is therefore relative, and stays inside the store whatever it says.
/// </summary>
public static class StoreNames
{
    /// <summary>Why <paramref name="name"/> is not a valid item name, or null when it is.</summary>
    public static string? Problem(string name) =>
        name.Length == 0 ? "it is empty"
        : name.Any(char.IsControl) ? "it holds a control character"
        : name.StartsWith('/') ? "it is absolute"
        : name.Split('/').Any(s => s.Length == 0) ? "it has an empty segment"
        : name.Split('/').Any(s => s is "." or "..") ? "it has a '.' or '..' segment"
        : null;

    public static bool IsValid(string name) => Problem(name) is null;

    /// <summary>Throws <see cref="InvalidItemNameException"/> unless <paramref name="name"/> is a valid item name.</summary>
    public static string Validate(string name, string location) =>
        Problem(name) is { } problem ? throw new InvalidItemNameException(location, name, problem) : name;
}

/// <summary>A name no store accepts (one that could reach outside the store); the store refuses it before any I/O.</summary>
public sealed class InvalidItemNameException(string location, string name, string problem)
    : BackupAgentException($"{location} refuses the item name '{Printable(name)}': {problem}")
{
    public string Name { get; } = name;

    private static string Printable(string name) =>
        string.Concat(name.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}
