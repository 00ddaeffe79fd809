namespace BackupAgent.Tests.Scheduling;

/// <summary>Writes an agent configuration (YAML) into a directory and gives its path.</summary>
public static class ConfigFile
{
    public static string Write(string directory, string yaml, string name = "agent.yaml")
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>One backup job on the given volumes into <paramref name="backups"/>, its state next to the file.</summary>
    public static string Job(string name, string cron, string backups, params string[] volumes) => $"""
          - name: {name}
            cron: "{cron}"
            timeZone: UTC
            destination: {backups}
            compression: gzip
            sources:
              volumes: [{string.Join(", ", volumes)}]

        """;

    public static string Jobs(params string[] jobs) => "logging: { level: Debug }\njobs:\n" + string.Concat(jobs);
}
