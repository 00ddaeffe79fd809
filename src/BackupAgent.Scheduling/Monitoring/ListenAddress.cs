using System.Globalization;
using System.Net;

namespace BackupAgent.Scheduling.Monitoring;

/// <summary>
/// metrics.listen as HOST:PORT: an IPv4 address, [IPv6], localhost, or 0.0.0.0 / [::] / * for every interface.
/// The port is 1-65535. The HTTP listener's prefix: a wildcard address answers any Host header; a named address only
/// requests made to it (scrape 127.0.0.1:9464, not localhost:9464, when listening on 127.0.0.1).
/// </summary>
public sealed record ListenAddress(string Host, int Port)
{
    public bool IsWildcard => Host is "*" or "0.0.0.0" or "::";

    /// <summary>The HttpListener prefix.</summary>
    public string Prefix => IsWildcard ? $"http://+:{Port}/"
        : Host.Contains(':', StringComparison.Ordinal) ? $"http://[{Host}]:{Port}/"
        : $"http://{Host}:{Port}/";

    /// <summary>How to reach it from this host (for messages and tests).</summary>
    public string Url => IsWildcard ? $"http://127.0.0.1:{Port}/" : Prefix;

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>Parses HOST:PORT; null with <paramref name="problem"/> saying what is wrong.</summary>
    public static ListenAddress? Parse(string text, out string? problem)
    {
        problem = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"'{text}' is not HOST:PORT (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 for every interface)";
            return null;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                problem = $"'{text}': '{host}' is not an IPv6 address";
                return null;
            }

            host = v6.ToString();
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            problem = $"'{text}': write an IPv6 address in brackets, e.g. [::1]:9464";
            return null;
        }
        else if (host is not ("*" or "localhost") && !(IPAddress.TryParse(host, out var v4) && v4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && host.Count(c => c == '.') == 3))
        {
            problem = $"'{text}': '{host}' is not an IP address, localhost or * (a host name is not accepted: name the address to listen on)";
            return null;
        }

        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problem = $"'{text}': the port '{text[(colon + 1)..]}' is not between 1 and 65535";
            return null;
        }

        return new ListenAddress(host, port);
    }
}
