namespace BackupAgent.Core.Engine;

/// <summary>How to reach an engine: its address (unix:///PATH or tcp://HOST:PORT), and the directory of its TLS files (ca.pem, cert.pem, key.pem) when it wants them.</summary>
public sealed record EngineEndpoint(string Address, string? TlsCertPath = null)
{
    public override string ToString() => Address;
}
