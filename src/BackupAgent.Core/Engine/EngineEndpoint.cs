using BackupAgent.Core.Errors;

namespace BackupAgent.Core.Engine;

/// <summary>How to reach an engine: its address (unix:///PATH or tcp://HOST:PORT), and the directory of its TLS files (ca.pem, cert.pem, key.pem) when it wants them.</summary>
public sealed record EngineEndpoint(string Address, string? TlsCertPath = null)
{
    /// <summary>The setting the address came from, to name it when it is bad.</summary>
    public Setting Setting { get; init; } = Setting.Engine;

    public override string ToString() => Address;
}
