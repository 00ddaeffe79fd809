using System.Runtime.InteropServices;

namespace BackupAgent.Core.Crypto.Age;

/// <summary>
/// scrypt (RFC 7914) from libsodium, the library under Geralt: <c>crypto_pwhash_scryptsalsa208sha256_ll</c>, which
/// takes any salt (age's is 44 bytes; the bindings' password-hashing APIs fix it at 32).
/// </summary>
internal static class Scrypt
{
    public static byte[] DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int logN, int r = 8, int p = 1, int length = 32)
    {
        // Geralt initialises libsodium on first use; any call of it does.
        Span<byte> warm = stackalloc byte[1];
        Geralt.SecureRandom.Fill(warm);
        var output = new byte[length];
        var pw = password.ToArray();
        var s = salt.ToArray();
        if (Native.crypto_pwhash_scryptsalsa208sha256_ll(pw, (nuint)pw.Length, s, (nuint)s.Length, 1UL << logN, (uint)r, (uint)p, output, (nuint)output.Length) != 0)
        {
            throw new InvalidOperationException($"scrypt failed (N = 2^{logN}: out of memory?)");
        }

        Array.Clear(pw);
        return output;
    }

    private static class Native
    {
        [DllImport("libsodium", CallingConvention = CallingConvention.Cdecl)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
        public static extern int crypto_pwhash_scryptsalsa208sha256_ll(
            byte[] passwd, nuint passwdlen, byte[] salt, nuint saltlen, ulong n, uint r, uint p, byte[] buf, nuint buflen);
    }
}
