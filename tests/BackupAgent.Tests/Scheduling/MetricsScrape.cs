using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BackupAgent.Tests.Scheduling;

/// <summary>One scrape of /metrics in Prometheus' text format: each series (NAME{LABELS}) and its value, and the TYPE lines.</summary>
public sealed class MetricsScrape
{
    private MetricsScrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Types[parts[2]] = parts[3];
            }
            else if (!line.StartsWith('#'))
            {
                var space = line.LastIndexOf(' ');
                Series[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
        }
    }

    public string Text { get; }

    public Dictionary<string, double> Series { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    public static async Task<MetricsScrape> TakeAsync(HttpClient http, string url) => new(await http.GetStringAsync(url));

    /// <summary>The value of a series, or null when the scrape has none of that name and labels.</summary>
    public double? this[string series] => Series.TryGetValue(series, out var value) ? value : null;

    public override string ToString() => Text;

    /// <summary>A port on 127.0.0.1 that nothing listens on now.</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
