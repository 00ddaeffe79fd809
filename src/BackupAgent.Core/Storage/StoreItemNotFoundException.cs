using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Storage;

/// <summary>The store holds no item of that name.</summary>
public sealed class StoreItemNotFoundException(string location, string name)
    : BackupAgentException($"{location} has no item '{name}'")
{
    public string Name { get; } = name;
}

/// <summary>An item read into memory is larger than the reader takes.</summary>
public sealed class StoreItemTooLargeException(string location, string name, int maxBytes)
    : BackupAgentException($"'{name}' in {location} is larger than {maxBytes} bytes");
