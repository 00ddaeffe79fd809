using System.Runtime.CompilerServices;
using BackupAgent.Core.Storage;

namespace BackupAgent.Tests.Support;

/// <summary>
/// A backup store in memory that records what is done to it, in order ("write NAME", "delete NAME"), for unit tests
/// of the order in which an operation changes a store. It keeps the store contract (Stores/MemoryStoreTests).
/// </summary>
public sealed class MemoryStore(string location = "memory://backups") : IBackupStore
{
    private readonly Dictionary<string, byte[]> _items = new(StringComparer.Ordinal);

    public string Location => location;

    /// <summary>The writes and deletes done, in order.</summary>
    public List<string> Changes { get; } = [];

    public async Task WriteAsync(string name, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
    {
        StoreNames.Validate(name, Location);
        using var content = new MemoryStream();
        await writeContent(content, cancellationToken);
        lock (_items)
        {
            _items[name] = content.ToArray();
            Changes.Add($"write {name}");
        }
    }

    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        StoreNames.Validate(name, Location);
        lock (_items)
        {
            return _items.TryGetValue(name, out var content)
                ? Task.FromResult<Stream>(new MemoryStream(content, writable: false))
                : throw new StoreItemNotFoundException(Location, name);
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string[] names;
        lock (_items)
        {
            names = [.. _items.Keys.Where(n => n.StartsWith(prefix, StringComparison.Ordinal))];
        }

        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return name;
        }
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        StoreNames.Validate(name, Location);
        lock (_items)
        {
            _items.Remove(name);
            Changes.Add($"delete {name}");
        }

        return Task.CompletedTask;
    }
}
