using Npgsql;

namespace BackupAgent.Tests.Support;

/// <summary>
/// A database of its own on the PostgreSQL install/test starts (BACKUP_AGENT_TEST_POSTGRES), for one cluster test:
/// created empty, dropped (with its connections) afterwards. Fails loudly without that PostgreSQL.
/// </summary>
public sealed class ClusterDatabaseScope : IAsyncDisposable
{
    private readonly string _server;

    private ClusterDatabaseScope(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>The connection string of this database, as cluster.postgres takes it.</summary>
    public string ConnectionString { get; }

    public static async Task<ClusterDatabaseScope> CreateAsync(string id)
    {
        var server = Environment.GetEnvironmentVariable("BACKUP_AGENT_TEST_POSTGRES") is { Length: > 0 } s
            ? s
            : throw new InvalidOperationException("BACKUP_AGENT_TEST_POSTGRES is not set: run the tests with install/test, which starts a private PostgreSQL");
        var scope = new ClusterDatabaseScope(server, $"ba_{id}");
        await scope.ExecuteOnServerAsync($"create database {scope.Name}");
        return scope;
    }

    public async Task<List<object?[]>> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>
    /// Restarts the PostgreSQL of install/test as a service manager would (fast shutdown by its pid, then a start on
    /// its data), with install/postgres restart BACKUP_AGENT_TEST_POSTGRES_DIR. Only the cluster tests use that server.
    /// </summary>
    public static async Task RestartServerAsync()
    {
        var directory = Environment.GetEnvironmentVariable("BACKUP_AGENT_TEST_POSTGRES_DIR") is { Length: > 0 } d
            ? d
            : throw new InvalidOperationException("BACKUP_AGENT_TEST_POSTGRES_DIR is not set: run the tests with install/test");
        await HostCommand.RunAsync("bash", Path.Combine(Repository.Root, "install", "postgres"), "restart", directory);
        NpgsqlConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync() => await ExecuteOnServerAsync($"drop database if exists {Name} with (force)");

    private async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
