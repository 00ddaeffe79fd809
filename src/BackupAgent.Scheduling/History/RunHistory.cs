using System.Globalization;
using Microsoft.Data.Sqlite;

namespace BackupAgent.Scheduling.History;

public enum RunOutcome
{
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>One run of a job as the history keeps it.</summary>
public sealed record RunRecord(string RunId, string Job, string Trigger, DateTimeOffset StartedAt)
{
    public RunOutcome Outcome { get; init; } = RunOutcome.Running;

    public DateTimeOffset? FinishedAt { get; init; }

    public long Bytes { get; init; }

    public IReadOnlyList<string> Sets { get; init; } = [];

    public string? Error { get; init; }

    /// <summary>What a person should look at although the run succeeded (e.g. a volume that shrank sharply).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The downtime of each container the run stopped, as "NAME SECONDS s".</summary>
    public IReadOnlyList<string> Downtimes { get; init; } = [];

    /// <summary>What happened in each copy destination: a set copied, there already or not copied, or a destination pruned; one line each.</summary>
    public IReadOnlyList<string> Copies { get; init; } = [];

    public TimeSpan? Duration => FinishedAt - StartedAt;

    /// <summary>The fire time of the schedule this run is for (scheduled runs; kept by the cluster's shared history, not history.db).</summary>
    public DateTimeOffset? ScheduledFor { get; init; }
}

/// <summary>
/// The run history: a small SQLite file (history.db) in the state directory, so that `status` shows the last runs
/// after a restart. A run is recorded when it starts and updated when it ends; one that never ended (the agent
/// was killed) stays "running" until the next start marks it failed.
/// </summary>
public sealed class RunHistory
{
    private readonly string _connectionString;

    public RunHistory(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        File = Path.Combine(stateDirectory, "history.db");
        _connectionString = new SqliteConnectionStringBuilder { DataSource = File, Pooling = false, DefaultTimeout = 30 }.ToString();
        Execute("""
            CREATE TABLE IF NOT EXISTS runs (
              run_id TEXT PRIMARY KEY, job TEXT NOT NULL, trigger TEXT NOT NULL, started_at TEXT NOT NULL,
              finished_at TEXT, outcome TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0, sets TEXT NOT NULL DEFAULT '', error TEXT);
            CREATE INDEX IF NOT EXISTS runs_by_job ON runs (job, started_at);
            """);
        foreach (var column in new[] { "warnings", "downtimes", "copies" }.Where(c => !HasColumn(c)))
        {
            Execute($"ALTER TABLE runs ADD COLUMN {column} TEXT NOT NULL DEFAULT ''");
        }
    }

    public string File { get; }

    public void Save(RunRecord run) => Execute(
        """
        INSERT INTO runs (run_id, job, trigger, started_at, finished_at, outcome, bytes, sets, error, warnings, downtimes, copies)
        VALUES ($id, $job, $trigger, $started, $finished, $outcome, $bytes, $sets, $error, $warnings, $downtimes, $copies)
        ON CONFLICT (run_id) DO UPDATE SET finished_at = $finished, outcome = $outcome, bytes = $bytes, sets = $sets, error = $error,
          warnings = $warnings, downtimes = $downtimes, copies = $copies
        """,
        ("$id", run.RunId), ("$job", run.Job), ("$trigger", run.Trigger), ("$started", Text(run.StartedAt)),
        ("$finished", run.FinishedAt is { } f ? Text(f) : null), ("$outcome", run.Outcome.ToString()), ("$bytes", run.Bytes),
        ("$sets", string.Join(' ', run.Sets)), ("$error", run.Error), ("$warnings", string.Join('\n', run.Warnings)), ("$downtimes", string.Join('\n', run.Downtimes)),
        ("$copies", string.Join('\n', run.Copies)));

    /// <summary>Marks runs left "running" by an agent that stopped without finishing them.</summary>
    public void MarkInterrupted(DateTimeOffset now) => Execute(
        "UPDATE runs SET outcome = 'Failed', finished_at = $now, error = 'the agent stopped during this run' WHERE outcome = 'Running'",
        ("$now", Text(now)));

    /// <summary>The runs of a job, newest first.</summary>
    public IReadOnlyList<RunRecord> Runs(string job, int limit = 100) => Query(
        "SELECT run_id, job, trigger, started_at, finished_at, outcome, bytes, sets, error, warnings, downtimes, copies FROM runs WHERE job = $job ORDER BY started_at DESC LIMIT $limit",
        ("$job", job), ("$limit", limit));

    public RunRecord? Last(string job) => Runs(job, 1).FirstOrDefault();

    /// <summary>The newest run of the job that succeeded, or null.</summary>
    public RunRecord? LastSucceeded(string job) => Query(
        "SELECT run_id, job, trigger, started_at, finished_at, outcome, bytes, sets, error, warnings, downtimes, copies FROM runs WHERE job = $job AND outcome = 'Succeeded' ORDER BY started_at DESC LIMIT 1",
        ("$job", job)).FirstOrDefault();

    private static string Text(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private bool HasColumn(string name)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = $name", [("$name", name)]);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    private List<RunRecord> Query(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var runs = new List<RunRecord>();
        while (reader.Read())
        {
            runs.Add(new RunRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), Time(reader.GetString(3)))
            {
                FinishedAt = reader.IsDBNull(4) ? null : Time(reader.GetString(4)),
                Outcome = Enum.Parse<RunOutcome>(reader.GetString(5)),
                Bytes = reader.GetInt64(6),
                Sets = reader.GetString(7).Split(' ', StringSplitOptions.RemoveEmptyEntries),
                Error = reader.IsDBNull(8) ? null : reader.GetString(8),
                Warnings = reader.GetString(9).Split('\n', StringSplitOptions.RemoveEmptyEntries),
                Downtimes = reader.GetString(10).Split('\n', StringSplitOptions.RemoveEmptyEntries),
                Copies = reader.GetString(11).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            });
        }

        return runs;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
