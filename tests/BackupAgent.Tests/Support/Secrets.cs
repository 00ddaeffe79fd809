using System.Collections.Concurrent;

namespace BackupAgent.Tests.Support;

/// <summary>
/// The secrets the tests hand the agent (passphrases, keys, S3 secret keys). Every run of the agent in the suite
/// checks that none of them appears anywhere in its output or logs.
/// </summary>
public static class Secrets
{
    private static readonly ConcurrentDictionary<string, bool> Known = new();

    /// <summary>Registers a secret and returns it.</summary>
    public static string Register(string secret)
    {
        Known[secret] = true;
        return secret;
    }

    public static void AssertNotIn(string output, string what)
    {
        foreach (var secret in Known.Keys.Where(s => s.Length >= 6))
        {
            Assert.False(output.Contains(secret, StringComparison.Ordinal), $"{what} printed a secret");
        }
    }
}
