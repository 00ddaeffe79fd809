namespace BackupAgent.Tests.Support;

/// <summary>
/// Tests that must not run beside any other: every agent start sweeps the helpers of dead agents engine-wide, so a
/// test that watches one particular start do the sweep would race with the agents of the tests running in parallel.
/// xunit runs this collection after the parallel ones, alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
