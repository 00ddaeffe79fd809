using BackupAgent.Core.Storage;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Stores;

/// <summary>The store in memory that unit tests use keeps the contract every backend keeps.</summary>
public sealed class MemoryStoreTests : StoreContract
{
    protected override Task<IBackupStore> CreateStoreAsync() => Task.FromResult<IBackupStore>(new MemoryStore());
}
