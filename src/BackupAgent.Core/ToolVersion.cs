using System.Reflection;

namespace BackupAgent.Core;

public static class ToolVersion
{
    public static string Current { get; } =
        "backup-agent " + (typeof(ToolVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");
}
