using System.Text.Json;
using BackupAgent.Core.Errors;
using BackupAgent.Scheduling.Config;
using BackupAgent.Scheduling.History;
using Npgsql;

namespace BackupAgent.Scheduling.Cluster;

/// <summary>A node of the fleet as the cluster's table holds it.</summary>
public sealed record ClusterNodeRow(string Node, string ConfigHash, DateTimeOffset StartedAt, DateTimeOffset LastSeen, double? ClockSkewMs, string? Problem)
{
    /// <summary>Quartz's own check-in of the node (qrtz_scheduler_state), null when Quartz holds none.</summary>
    public DateTimeOffset? LastCheckin { get; init; }
}

/// <summary>A run as the fleet's shared history holds it: which node ran it.</summary>
public sealed record ClusterRunRow(string RunId, string Job, string Node, string Trigger, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Outcome, long Bytes, IReadOnlyList<string> Sets, string? Error)
{
    public double? DurationSeconds => FinishedAt is { } f ? (f - StartedAt).TotalSeconds : null;
}

/// <summary>
/// The PostgreSQL of cluster mode: Quartz's own tables (created from the schema the Quartz in use carries where they
/// are missing, under an advisory lock so that nodes starting at once create them once, with the rows of qrtz_locks
/// seeded: two first inserts racing can abort a transaction, quartznet #1786), and
/// the agent's: the cluster's configuration hash, the nodes, and the shared run history.
/// </summary>
public sealed class ClusterDatabase : IAsyncDisposable
{
    public const string SchedulerName = "backup-agent";

    /// <summary>The problem of a node that stopped (SIGTERM): not a live holder of its configuration any more.</summary>
    public const string Left = "left the cluster (stopped)";

    /// <summary>Quartz's default table prefix (QRTZ_), as PostgreSQL folds it.</summary>
    private const string TablePrefix = "qrtz_";

    private const long SchemaLock = 0x6261636b7570; // "backup" as a number: one advisory lock for creating the schema and adopting a configuration.

    private readonly NpgsqlDataSource _source;

    public ClusterDatabase(ClusterOptions options)
    {
        ConnectionString = ConnectionStringOf(options);
        _source = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>The connection string with the password of cluster.password (or password_FILE) put in.</summary>
    public string ConnectionString { get; }

    public static string ConnectionStringOf(ClusterOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Postgres);
        if (options.Password is { Length: > 0 } password)
        {
            builder.Password = password;
        }

        return builder.ConnectionString;
    }

    /// <summary>Where the database is, for messages: host and database, never the password.</summary>
    public static string Describe(ClusterOptions options)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(options.Postgres);
            return $"PostgreSQL at {builder.Host}, database {builder.Database ?? builder.Username}";
        }
        catch (ArgumentException)
        {
            return "PostgreSQL (cluster.postgres)";
        }
    }

    /// <summary>Creates what is missing: Quartz's tables, the locks' rows, the agent's tables. Safe to run on every start of every node.</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "select pg_advisory_xact_lock(@lock)", cancellationToken, ("lock", SchemaLock));
        foreach (var statement in QuartzSchema())
        {
            await ExecuteAsync(connection, statement, cancellationToken);
        }

        await ExecuteAsync(connection, """
            insert into qrtz_locks (sched_name, lock_name) values (@name, 'TRIGGER_ACCESS'), (@name, 'STATE_ACCESS') on conflict do nothing;
            create table if not exists backup_agent_cluster (key text primary key, value text not null, updated_at timestamptz not null default now());
            create table if not exists backup_agent_nodes (node_name text primary key, config_hash text not null, started_at timestamptz not null,
                last_seen timestamptz not null, clock_skew_ms double precision, problem text);
            create table if not exists backup_agent_runs (run_id text primary key, job text not null, node text not null, trigger text not null,
                fire_time timestamptz, started_at timestamptz not null, finished_at timestamptz, outcome text not null, bytes bigint not null default 0,
                sets text not null default '[]', error text);
            create index if not exists backup_agent_runs_job on backup_agent_runs (job, started_at desc);
            """, cancellationToken, ("name", SchedulerName));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Registers <paramref name="node"/> with its configuration hash and tells whether that is the cluster's. The first
    /// node of an empty cluster sets it; a node with another one adopts its own only when no live node (seen within
    /// <paramref name="alive"/>) holds the cluster's any more, e.g. once every node was restarted with a new file.
    /// </summary>
    public async Task<(bool Agrees, string ClusterHash)> JoinAsync(string node, string hash, TimeSpan alive, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "select pg_advisory_xact_lock(@lock)", cancellationToken, ("lock", SchemaLock));
        string? current;
        await using (var read = new NpgsqlCommand("select value from backup_agent_cluster where key = 'config_hash'", connection))
        {
            current = (string?)await read.ExecuteScalarAsync(cancellationToken);
        }

        var agrees = current == hash;
        if (!agrees)
        {
            await using var holders = new NpgsqlCommand(
                "select count(*) from backup_agent_nodes where config_hash = @hash and node_name <> @node and problem is null and last_seen > now() - @alive", connection);
            holders.Parameters.AddWithValue("hash", current ?? "");
            holders.Parameters.AddWithValue("node", node);
            holders.Parameters.AddWithValue("alive", alive);
            if (current is null || (long)(await holders.ExecuteScalarAsync(cancellationToken))! == 0)
            {
                await ExecuteAsync(connection, """
                    insert into backup_agent_cluster (key, value) values ('config_hash', @hash)
                    on conflict (key) do update set value = excluded.value, updated_at = now()
                    """, cancellationToken, ("hash", hash));
                agrees = true;
                current = hash;
            }
        }

        await ExecuteAsync(connection, """
            insert into backup_agent_nodes (node_name, config_hash, started_at, last_seen, problem) values (@node, @hash, now(), now(), @problem)
            on conflict (node_name) do update set config_hash = excluded.config_hash, last_seen = now(), problem = excluded.problem,
                started_at = case when backup_agent_nodes.config_hash = excluded.config_hash then backup_agent_nodes.started_at else now() end
            """, cancellationToken, ("node", node), ("hash", hash), ("problem", agrees ? DBNull.Value : "its configuration differs from the cluster's"));
        await transaction.CommitAsync(cancellationToken);
        return (agrees, current!);
    }

    /// <summary>This node is still here: its last sighting, its measured clock skew and what is wrong with it (null: nothing).</summary>
    public Task SeenAsync(string node, double? skewMs, string? problem, CancellationToken cancellationToken) => WithConnectionAsync(
        connection => ExecuteAsync(connection, "update backup_agent_nodes set last_seen = now(), clock_skew_ms = @skew, problem = @problem where node_name = @node",
            cancellationToken, ("node", node), ("skew", (object?)skewMs ?? DBNull.Value), ("problem", (object?)problem ?? DBNull.Value)),
        cancellationToken);

    /// <summary>How far this host's clock is from PostgreSQL's now(), taken halfway through the round trip (positive: this host is ahead).</summary>
    public async Task<TimeSpan> ClockSkewAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("select now()", connection);
        await command.ExecuteScalarAsync(cancellationToken); // warm: the measured trip is one round trip, not a connection
        var before = DateTimeOffset.UtcNow;
        var now = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        var after = DateTimeOffset.UtcNow;
        var local = before + (after - before) / 2;
        return local - new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
    }

    public Task<IReadOnlyList<ClusterNodeRow>> NodesAsync(CancellationToken cancellationToken) => WithConnectionAsync<IReadOnlyList<ClusterNodeRow>>(async connection =>
    {
        await using var command = new NpgsqlCommand("""
            select n.node_name, n.config_hash, n.started_at, n.last_seen, n.clock_skew_ms, n.problem, s.last_checkin_time
            from backup_agent_nodes n left join qrtz_scheduler_state s on s.sched_name = @name and s.instance_name = n.node_name
            order by n.node_name
            """, connection);
        command.Parameters.AddWithValue("name", SchedulerName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ClusterNodeRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ClusterNodeRow(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetDouble(4), reader.IsDBNull(5) ? null : reader.GetString(5))
            {
                LastCheckin = reader.IsDBNull(6) ? null : new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero), // Quartz keeps UTC ticks
            });
        }

        return rows;
    }, cancellationToken);

    /// <summary>Records a run of this node (at its start, and again when it ended).</summary>
    public Task SaveRunAsync(string node, RunRecord run, CancellationToken cancellationToken) => WithConnectionAsync(
        connection => ExecuteAsync(connection, """
            insert into backup_agent_runs (run_id, job, node, trigger, fire_time, started_at, finished_at, outcome, bytes, sets, error)
            values (@id, @job, @node, @trigger, @fire, @started, @finished, @outcome, @bytes, @sets, @error)
            on conflict (run_id) do update set finished_at = excluded.finished_at, outcome = excluded.outcome, bytes = excluded.bytes,
                sets = excluded.sets, error = excluded.error
            """, cancellationToken,
            ("id", run.RunId), ("job", run.Job), ("node", node), ("trigger", run.Trigger), ("fire", (object?)run.ScheduledFor ?? DBNull.Value), ("started", run.StartedAt),
            ("finished", (object?)run.FinishedAt ?? DBNull.Value), ("outcome", run.Outcome.ToString().ToLowerInvariant()), ("bytes", run.Bytes),
            ("sets", JsonSerializer.Serialize(run.Sets)), ("error", (object?)run.Error ?? DBNull.Value)),
        cancellationToken);

    /// <summary>
    /// Marks as abandoned the runs still running on nodes Quartz no longer has checking in within <paramref name="dead"/>
    /// (killed mid-run; Quartz recovers their jobs elsewhere), and this node's own from before it started.
    /// </summary>
    public Task<int> AbandonDeadRunsAsync(string node, DateTimeOffset nodeStarted, TimeSpan dead, CancellationToken cancellationToken) => WithConnectionAsync(
        async connection =>
        {
            await using var command = new NpgsqlCommand("""
                update backup_agent_runs r set outcome = 'abandoned', finished_at = now(), error = 'the node ' || r.node || ' stopped checking in (killed or cut off) during the run'
                where r.outcome = 'running' and (
                    (r.node = @node and r.started_at < @started)
                    or (r.node <> @node and not exists (select 1 from qrtz_scheduler_state s where s.sched_name = @name and s.instance_name = r.node
                        and s.last_checkin_time > @cutoff)))
                """, connection);
            command.Parameters.AddWithValue("node", node);
            command.Parameters.AddWithValue("started", nodeStarted);
            command.Parameters.AddWithValue("name", SchedulerName);
            command.Parameters.AddWithValue("cutoff", (DateTimeOffset.UtcNow - dead).UtcTicks);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        },
        cancellationToken);

    /// <summary>The newest runs of <paramref name="job"/> across the fleet, newest first.</summary>
    public Task<IReadOnlyList<ClusterRunRow>> RunsAsync(string? job, int limit, CancellationToken cancellationToken) => WithConnectionAsync<IReadOnlyList<ClusterRunRow>>(async connection =>
    {
        await using var command = new NpgsqlCommand(
            "select run_id, job, node, trigger, started_at, finished_at, outcome, bytes, sets, error from backup_agent_runs where (@job::text is null or job = @job) order by started_at desc limit @limit", connection);
        command.Parameters.AddWithValue("job", (object?)job ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ClusterRunRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ClusterRunRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6), reader.GetInt64(7),
                JsonSerializer.Deserialize<List<string>>(reader.GetString(8)) ?? [], reader.IsDBNull(9) ? null : reader.GetString(9)));
        }

        return rows;
    }, cancellationToken);

    /// <summary>When the job last succeeded on any node, or null.</summary>
    public Task<DateTimeOffset?> LastSucceededAsync(string job, CancellationToken cancellationToken) => WithConnectionAsync(async connection =>
    {
        await using var command = new NpgsqlCommand("select max(finished_at) from backup_agent_runs where job = @job and outcome = 'succeeded'", connection);
        command.Parameters.AddWithValue("job", job);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : (DateTimeOffset?)null;
    }, cancellationToken);

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _source.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new BackupAgentException($"cannot reach the cluster's PostgreSQL (cluster.postgres): {e.Message}", FailureKind.OperationFailed, e);
        }
    }

    private async Task WithConnectionAsync(Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await work(connection);
    }

    private async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await work(connection);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Quartz's own PostgreSQL schema, as the Quartz in use carries it (create_postgres.sql, the script its AdoJobStore
    /// provisions with: CREATE ... IF NOT EXISTS only, statements split at lines '--;;', '{0}' and '{1}' the table prefix).
    /// </summary>
    private static IEnumerable<string> QuartzSchema()
    {
        using var stream = typeof(Quartz.IScheduler).Assembly.GetManifestResourceStream("Quartz.Impl.AdoJobStore.Schema.create_postgres.sql")
            ?? throw new InvalidOperationException("the Quartz in use carries no PostgreSQL schema (Quartz.Impl.AdoJobStore.Schema.create_postgres.sql)");
        using var reader = new StreamReader(stream);
        var script = reader.ReadToEnd().Replace("{0}", TablePrefix, StringComparison.Ordinal).Replace("{1}", TablePrefix, StringComparison.Ordinal);
        return script.Split("\n--;;", StringSplitOptions.TrimEntries)
            .Where(statement => statement.Split('\n').Any(line => line.Length > 0 && !line.StartsWith("--", StringComparison.Ordinal)));
    }
}
