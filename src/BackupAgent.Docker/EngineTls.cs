using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BackupAgent.Core.Errors;
using Docker.DotNet.Handler.Abstractions;
using Docker.DotNet.X509;

namespace BackupAgent.Docker;

/// <summary>
/// TLS to a tcp:// engine the way Docker clients take it: a directory holding ca.pem (the CA that signed the
/// engine's certificate), cert.pem and key.pem (the client's). The engine's certificate must chain to ca.pem and
/// name the host it is reached at.
/// </summary>
internal static class EngineTls
{
    public static IAuthProvider Credentials(string certPath)
    {
        string File(string name) =>
            System.IO.File.Exists(Path.Combine(certPath, name))
                ? Path.Combine(certPath, name)
                : throw new BadInputException($"the TLS directory '{certPath}' has no {name} (it needs ca.pem, cert.pem and key.pem)");

        X509Certificate2 client, ca;
        try
        {
            // Exported and loaded again: the TLS stack on Linux wants a client key it can persist.
            using var pem = X509Certificate2.CreateFromPemFile(File("cert.pem"), File("key.pem"));
            client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            ca = X509CertificateLoader.LoadCertificateFromFile(File("ca.pem"));
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new BadInputException($"the TLS files in '{certPath}' cannot be read: {e.Message}");
        }

        return new CertificateCredentials(client)
        {
            ServerCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, ca),
        };
    }

    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
