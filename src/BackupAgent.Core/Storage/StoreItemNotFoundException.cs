using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Storage;

/// <summary>The store holds no item of that name.</summary>
public sealed class StoreItemNotFoundException(string location, string name)
    : BackupAgentException($"{location} has no item '{name}'")
{
    public string Name { get; } = name;
}
