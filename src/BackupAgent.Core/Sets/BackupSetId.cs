using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace BackupAgent.Core.Sets;

/// <summary>Backup set IDs: UTC time to the second plus a random suffix, so that they sort by time.</summary>
public static partial class BackupSetId
{
    public const string Latest = "latest";

    public static string New(DateTimeOffset createdAt) =>
        createdAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" +
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public static bool IsValid(string id) => Pattern().IsMatch(id);

    /// <summary>The UTC time an ID carries.</summary>
    public static bool TryGetTime(string id, out DateTimeOffset time)
    {
        time = default;
        return IsValid(id) && DateTimeOffset.TryParseExact(id[..16], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    [GeneratedRegex("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")]
    private static partial Regex Pattern();
}
