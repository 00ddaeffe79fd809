using BackupAgent.Core.Crypto;
using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Hosting;

/// <summary>Where the encryption secret comes from: an option naming a file, or the environment. Never an argument value itself.</summary>
public static class KeyOptions
{
    public static readonly IReadOnlyList<OptionSpec> Specs = [new("--passphrase-file"), new("--key-file")];

    public const string Help = """
          --passphrase-file PATH  encrypt/decrypt archives with the passphrase in PATH (or $BACKUP_AGENT_PASSPHRASE,
                                  $BACKUP_AGENT_PASSPHRASE_FILE)
          --key-file PATH         ... or with the 32-byte key in PATH, raw or base64 (or $BACKUP_AGENT_KEY_FILE)
        """;

    /// <summary>The key from exactly one source, or null when none is given.</summary>
    public static ArchiveKey? Resolve(Arguments args, AgentConsole console)
    {
        var sources = new List<(string Name, Func<ArchiveKey> Load)>();
        if (args.Value("--passphrase-file") is { } passphraseFile)
        {
            sources.Add(("--passphrase-file", () => ArchiveKey.FromPassphrase(ReadSecretFile(passphraseFile, "--passphrase-file"))));
        }

        if (args.Value("--key-file") is { } keyFile)
        {
            sources.Add(("--key-file", () => ArchiveKey.FromKeyFile(keyFile)));
        }

        if (console.Environment("BACKUP_AGENT_PASSPHRASE") is { Length: > 0 } passphrase)
        {
            sources.Add(("BACKUP_AGENT_PASSPHRASE", () => ArchiveKey.FromPassphrase(passphrase)));
        }

        if (console.Environment("BACKUP_AGENT_PASSPHRASE_FILE") is { Length: > 0 } envPassphraseFile)
        {
            sources.Add(("BACKUP_AGENT_PASSPHRASE_FILE", () => ArchiveKey.FromPassphrase(ReadSecretFile(envPassphraseFile, "BACKUP_AGENT_PASSPHRASE_FILE"))));
        }

        if (console.Environment("BACKUP_AGENT_KEY_FILE") is { Length: > 0 } envKeyFile)
        {
            sources.Add(("BACKUP_AGENT_KEY_FILE", () => ArchiveKey.FromKeyFile(envKeyFile)));
        }

        return sources.Count switch
        {
            0 => null,
            1 => sources[0].Load(),
            _ => throw new BadInputException($"give one encryption secret, not {string.Join(" and ", sources.Select(s => s.Name))}"),
        };
    }

    private static string ReadSecretFile(string path, string option)
    {
        try
        {
            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{option}: cannot read '{path}': {e.Message}");
        }
    }
}
