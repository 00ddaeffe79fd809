using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace BackupAgent.Scheduling.Config;

/// <summary>Finds keys that no options type has (a typo would otherwise be silently ignored) and shows key paths as users write them.</summary>
internal static class ConfigKeys
{
    public const string FileSuffix = "_FILE";

    /// <summary>"jobs:0:cron" as "jobs[0].cron".</summary>
    public static string Display(string configKey)
    {
        var parts = configKey.Split(':');
        var text = parts[0];
        foreach (var part in parts.Skip(1))
        {
            text += int.TryParse(part, out _) ? $"[{part}]" : $".{part}";
        }

        return text;
    }

    public static void CheckUnknown(IConfiguration section, Type type, ConfigProblems problems)
    {
        foreach (var child in section.GetChildren())
        {
            var key = child.Key;
            if (key.EndsWith(FileSuffix, StringComparison.OrdinalIgnoreCase) && Property(type, key[..^FileSuffix.Length]) is not null)
            {
                continue;
            }

            if (Property(type, key) is not { } property)
            {
                var known = string.Join(", ", type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => Camel(p.Name)));
                problems.Add(Display(child.Path), $"unknown key '{key}' (known here: {known})");
                continue;
            }

            CheckValue(child, property.PropertyType, problems);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, ConfigProblems problems)
    {
        if (ElementType(type) is { } element)
        {
            foreach (var item in section.GetChildren())
            {
                CheckValue(item, element, problems);
            }
        }
        else if (type.IsClass && type != typeof(string))
        {
            CheckUnknown(section, type, problems);
        }
        else if (section.GetChildren().Any())
        {
            problems.Add(Display(section.Path), "expected a single value, not a list or a mapping");
        }
    }

    /// <summary>The item type of a list, or the value type of a dictionary.</summary>
    private static Type? ElementType(Type type) =>
        type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) && type != typeof(string) ? type.GetGenericArguments()[^1] : null;

    private static PropertyInfo? Property(Type type, string key) =>
        type.GetProperty(key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is { CanWrite: true } p ? p : null;

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
