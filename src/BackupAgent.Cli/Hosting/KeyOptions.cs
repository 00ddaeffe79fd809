using System.CommandLine;
using BackupAgent.Core.Crypto;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Hosting;

/// <summary>Where the encryption secret comes from: an option naming a file, or the environment. Never an argument value itself.</summary>
public static class KeyOptions
{
    /// <summary>The options of a command that writes sets (backup): a secret, or public keys.</summary>
    public static IReadOnlyList<Option> Write() =>
    [
        Passphrase(),
        KeyFile(),
        CliOption.Repeatable("--recipient", "KEY|FILE", "... or to age public keys: the recipients file that `backup-agent keygen` writes (an age1... key with its manifest key), or an age1... key; this host then cannot read the sets it makes (or $BACKUP_AGENT_RECIPIENTS_FILE)"),
    ];

    /// <summary>The options of a command that reads sets (restore, verify): a secret, or identities.</summary>
    public static IReadOnlyList<Option> Read() =>
    [
        Passphrase(),
        KeyFile(),
        CliOption.Value("--identity-file", "PATH", "... or with the age identities in PATH (AGE-SECRET-KEY-1..., as `backup-agent keygen` and age-keygen write them; or $BACKUP_AGENT_IDENTITY_FILE)"),
    ];

    private static Option Passphrase() => CliOption.Value("--passphrase-file", "PATH",
        "encrypt/decrypt archives with the passphrase in PATH (or $BACKUP_AGENT_PASSPHRASE, $BACKUP_AGENT_PASSPHRASE_FILE); new sets are in the age format (scrypt)");

    private static Option KeyFile() => CliOption.Value("--key-file", "PATH", "... or with the 32-byte key in PATH, raw or base64 (or $BACKUP_AGENT_KEY_FILE)");

    /// <summary>The key from exactly one source, or null when none is given; public keys only when <paramref name="writing"/>, identities only when not.</summary>
    public static ArchiveKey? Resolve(Arguments args, AgentConsole console, bool writing)
    {
        var sources = new List<(string Name, Func<ArchiveKey> Load)>();
        if (writing && args.Values("--recipient") is { Count: > 0 } recipients)
        {
            sources.Add(("--recipient", () => ArchiveKey.FromRecipients([.. recipients.SelectMany(AgeIdentity.ReadRecipients)])));
        }

        if (writing && console.Environment("BACKUP_AGENT_RECIPIENTS_FILE") is { Length: > 0 } envRecipients)
        {
            sources.Add(("BACKUP_AGENT_RECIPIENTS_FILE", () => ArchiveKey.FromRecipients(AgeIdentity.ReadRecipients(envRecipients))));
        }

        if (!writing && args.Value("--identity-file") is { } identityFile)
        {
            sources.Add(("--identity-file", () => ArchiveKey.FromIdentityFile(identityFile)));
        }

        if (!writing && console.Environment("BACKUP_AGENT_IDENTITY_FILE") is { Length: > 0 } envIdentity)
        {
            sources.Add(("BACKUP_AGENT_IDENTITY_FILE", () => ArchiveKey.FromIdentityFile(envIdentity)));
        }

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
