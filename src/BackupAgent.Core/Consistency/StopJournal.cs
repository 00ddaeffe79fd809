using System.Text.Json;
using BackupAgent.Core.Errors;
using Serilog;

namespace BackupAgent.Core.Consistency;

/// <summary>One run's record of the containers it stopped (or shares stopped with another run) and must start again.</summary>
public sealed record JournalEntry(string RunId, string Owner, DateTimeOffset StartedAt, IReadOnlyList<StoppedContainer> Containers)
{
    public bool OwnerAlive => ProcessIdentity.IsAlive(Owner);

    /// <summary>The identity of the engine the containers are on (entries of older agents have none: any engine).</summary>
    public string? Engine { get; init; }

    /// <summary>Where that engine was reached, for messages.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The targets the run is restoring into (stage, verify, swap): what recovery rolls back or completes.</summary>
    public IReadOnlyList<StagedRestore> Restores { get; init; } = [];

    public bool IsOn(string engine) => Engine is null || Engine == engine;
}

public sealed record StoppedContainer(string Id, string Name);

/// <summary>
/// A target a run is restoring into: its staging token, whether the run created it, and whether the swap had begun
/// (then recovery completes it; before that it rolls it back).
/// </summary>
public sealed record StagedRestore(string Target, string Token, bool Created, bool Committing);

/// <summary>
/// The journal of stopped containers, on disk in the state directory (one file per run, written and flushed before
/// anything is stopped), so that containers stopped by an agent that was killed can be started again by the next one.
/// Readers and writers take an exclusive lock file, across processes and within one. An entry that cannot be read
/// is moved aside (renamed <c>*.corrupt</c>, kept for the user) with a warning, so that it never stops a later run.
/// </summary>
public sealed class StopJournal(string directory, ILogger log)
{
    public string Directory => directory;

    public async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        EnsureDirectory();
        var path = Path.Combine(directory, ".lock");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (IOException e)
            {
                throw new BackupAgentException($"the stop journal in '{directory}' stayed locked by another run for 2 minutes: {e.Message}");
            }
        }
    }

    /// <summary>The readable entries; corrupt ones are moved aside (call it under <see cref="LockAsync"/>).</summary>
    public IReadOnlyList<JournalEntry> Read()
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return [];
        }

        var entries = new List<JournalEntry>();
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.json"))
        {
            try
            {
                entries.Add(Parse(File.ReadAllBytes(file)));
            }
            catch (JsonException e)
            {
                SetAside(file, e.Message);
            }
        }

        return entries;
    }

    /// <summary>An entry, or a JsonException when the file is not one (truncated, empty, fields missing).</summary>
    private static JournalEntry Parse(byte[] json)
    {
        var entry = JsonSerializer.Deserialize<JournalEntry>(json, Json) ?? throw new JsonException("it is empty");
        if (string.IsNullOrEmpty(entry.RunId) || string.IsNullOrEmpty(entry.Owner) || entry.Containers is null ||
            entry.Containers.Any(c => c is null || string.IsNullOrEmpty(c.Id) || string.IsNullOrEmpty(c.Name)))
        {
            throw new JsonException("it lacks the run, its owner or its containers");
        }

        if (entry.Restores is null || entry.Restores.Any(r => r is null || string.IsNullOrEmpty(r.Target) || !IsToken(r.Token)))
        {
            throw new JsonException("a restore it names lacks its target or staging token");
        }

        return entry;
    }

    private void SetAside(string file, string problem)
    {
        var aside = file + ".corrupt";
        try
        {
            File.Move(file, aside, overwrite: true);
            log.Warning("The stop journal entry {File} is corrupt ({Problem}); moved aside as {Aside}: start the containers it names by hand if they are still stopped, look into the targets of the restores it names (staging directories .backup-agent-*), then delete it",
                file, problem, aside);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupAgentException($"the stop journal entry '{file}' is corrupt ({problem}) and cannot be moved aside ({e.Message}); start its containers by hand and delete it");
        }
    }

    /// <summary>Writes a run's entry durably (temporary file, fsync, rename); an entry with nothing left to undo is removed.</summary>
    public void Record(JournalEntry entry)
    {
        if (entry.Containers.Count == 0 && entry.Restores.Count == 0)
        {
            Remove(entry.RunId);
            return;
        }

        EnsureDirectory();
        var path = PathOf(entry.RunId);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, entry, Json);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    public void Remove(string runId) => File.Delete(PathOf(runId));

    /// <summary>The entry of one run, or null when it has none.</summary>
    public JournalEntry? Find(string runId) => File.Exists(PathOf(runId)) ? Parse(File.ReadAllBytes(PathOf(runId))) : null;

    /// <summary>A staging token as restores make them (it names directories in the target: nothing else may pass).</summary>
    private static bool IsToken(string? token) => token is { Length: > 0 and <= 32 } && token.All(char.IsAsciiHexDigitLower);

    /// <summary>Forgets the containers of a run (they were started, or are left stopped on purpose); its restores stay until settled.</summary>
    public void ReleaseContainers(string runId)
    {
        if (Find(runId) is { } entry)
        {
            Record(entry with { Containers = [] });
        }
    }

    private string PathOf(string runId) => Path.Combine(directory, runId + ".json");

    private void EnsureDirectory()
    {
        try
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupAgentException(new Phrase($"cannot create the state directory '{directory}' ({Setting.StateDirectory}): {e.Message}"));
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
