namespace BackupAgent.Tests.Faults;

/// <summary>
/// The fault suite's account: each fault test records how many faults it injected, whether the next run recovered,
/// and how many bytes of backed-up data could not be restored afterwards (must be 0). Lines go to the file named by
/// BACKUP_AGENT_FAULT_REPORT (install/test sets it and prints the totals before its last line).
/// </summary>
public static class FaultLedger
{
    public const string ReportVariable = "BACKUP_AGENT_FAULT_REPORT";

    private static readonly Lock Gate = new();

    /// <summary>Records one scenario: "name, faults injected, recovered (1/0), bytes lost", tab-separated.</summary>
    public static void Record(string scenario, int faultsInjected, bool recovered, long bytesLost)
    {
        if (Environment.GetEnvironmentVariable(ReportVariable) is not { Length: > 0 } report)
        {
            return;
        }

        lock (Gate)
        {
            File.AppendAllText(report, $"{scenario}\t{faultsInjected}\t{(recovered ? 1 : 0)}\t{bytesLost}\n");
        }
    }

    /// <summary>Records the scenario, then asserts what users are promised: the next run recovered and no byte was lost.</summary>
    public static void Settle(string scenario, int faultsInjected, bool recovered, long bytesLost)
    {
        Record(scenario, faultsInjected, recovered, bytesLost);
        Assert.True(faultsInjected > 0, $"{scenario}: no fault was injected");
        Assert.True(recovered, $"{scenario}: the run after the fault did not succeed");
        Assert.Equal(0, bytesLost);
    }
}
