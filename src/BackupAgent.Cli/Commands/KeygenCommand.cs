using System.CommandLine;
using BackupAgent.Cli.Hosting;
using BackupAgent.Core.Crypto.Age;
using BackupAgent.Core.Errors;

namespace BackupAgent.Cli.Commands;

public sealed class KeygenCommand : ICommand
{
    public string Name => "keygen";

    public string Summary => "make an age key pair (0600), or the recipients file of an identity";

    public string Details => """
        Makes an age X25519 key pair, like age-keygen: the identity file (AGE-SECRET-KEY-1..., with its public key in a comment) goes to FILE, made private (0600) and never overwritten, or to stdout. Beside it, FILE.recipients (0600) is the recipients file for the host that backs up (backup --recipient FILE.recipients, or age -R): the public key, and the manifest key that lets that host authenticate the manifests of its sets; it cannot decrypt. Keep the identity away from that host: restore and verify take it with --identity-file, and age -d -i opens the archives by hand.

        --recipients-of writes the recipients file of an existing identity file (one of age-keygen's too).
        """;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOption.Value("--output", "FILE", "where to write (refused if it exists)"),
        CliOption.Value("--recipients-of", "IDENTITY_FILE", "an identity file whose recipients file to write"),
    ];

    public Task<int> RunAsync(Arguments args, CommandContext context, CancellationToken cancellationToken)
    {
        var output = args.Value("--output");
        var notes = args.Flag(GlobalOptions.Quiet) ? TextWriter.Null : context.Console.Error; // what it wrote where: not an error
        if (args.Value("--recipients-of") is { } identityFile)
        {
            var identities = AgeIdentity.ReadFile(identityFile);
            var text = string.Concat(identities.Select(i => i.RecipientsFile(identityFile)));
            if (output is null)
            {
                context.Console.Out.Write(text);
            }
            else
            {
                WritePrivate(output, text);
                notes.WriteLine($"Recipients file: {output}");
            }

            return Task.FromResult(ExitCodes.Success);
        }

        var identity = AgeIdentity.Generate();
        var file = $"""
            # created: {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssK}
            # public key: {identity.Recipient.Encoded}
            {identity.Encoded}

            """;
        if (output is null)
        {
            context.Console.Out.Write(file);
        }
        else
        {
            var recipients = output + ".recipients";
            if (File.Exists(recipients) || Directory.Exists(recipients))
            {
                throw new BadInputException($"'{recipients}' exists; it is never overwritten");
            }

            WritePrivate(output, file);
            WritePrivate(recipients, identity.RecipientsFile(output));
            notes.WriteLine($"Recipients file (for the host that backs up): {recipients}");
        }

        notes.WriteLine($"Public key: {identity.Recipient.Encoded}");
        return Task.FromResult(ExitCodes.Success);
    }

    /// <summary>Creates <paramref name="path"/> private to its owner (0600) from the start; an existing file is never overwritten.</summary>
    private static void WritePrivate(string path, string text)
    {
        try
        {
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            using var writer = new StreamWriter(stream);
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(path) || Directory.Exists(path))
        {
            throw new BadInputException($"'{path}' exists; it is never overwritten");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"cannot write '{path}': {e.Message}");
        }
    }
}
