namespace BackupAgent.Tests.Support;

/// <summary>The checkout the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding BackupAgent.sln, above the test binaries.</summary>
    public static string Root
    {
        get
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "BackupAgent.sln")))
            {
                root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("no BackupAgent.sln above the test folder");
            }

            return root;
        }
    }
}
