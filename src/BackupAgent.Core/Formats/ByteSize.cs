using System.Globalization;

namespace BackupAgent.Core.Formats;

/// <summary>Sizes as people read them: 512 B, 1.5 KiB, 3.2 GiB (binary units, as du -h and restic print). JSON keeps bytes.</summary>
public static class ByteSize
{
    private static readonly string[] Units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    public static string Human(long bytes)
    {
        if (bytes is > -1024 and < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }

        var value = Math.Abs((double)bytes);
        var unit = -1;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        // 1023.96 KiB would round to "1024.0 KiB": say 1.0 MiB instead.
        if (Math.Round(value, 1) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return (bytes < 0 ? "-" : "") + value.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
