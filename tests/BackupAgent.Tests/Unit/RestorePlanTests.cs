using BackupAgent.Core.Errors;
using BackupAgent.Core.Sets;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Unit;

public sealed class RestorePlanTests
{
    private static readonly BackupSet Set = TestSets.Set(
        "20260101T000000Z-abcdef",
        TestSets.Archive("db", mountPath: "/var/lib/db"), TestSets.Archive("web", mountPath: "/srv"), TestSets.Archive("/host/conf", mountPath: "/etc/app", kind: SourceKind.Bind));

    [Fact]
    public void Without_volumes_every_archive_goes_back_where_it_came_from()
    {
        var plan = RestorePlan.Create(Set, []);
        Assert.Equal(["db", "web", "/host/conf"], plan.Steps.Select(s => s.Target));
        Assert.True(plan.Steps[2].TargetIsHostPath);
    }

    [Theory]
    [InlineData("db=db2", "db", "db2")]
    [InlineData("db", "db", "db")]
    [InlineData("/var/lib/db=restored", "db", "restored")]
    [InlineData("web=/mnt/web", "web", "/mnt/web")]
    public void A_volume_is_chosen_by_name_or_mount_path_and_mapped(string mapping, string archive, string target)
    {
        var step = Assert.Single(RestorePlan.Create(Set, [VolumeMapping.Parse(mapping)]).Steps);
        Assert.Equal(archive, step.Archive.Volume);
        Assert.Equal(target, step.Target);
    }

    [Theory]
    [InlineData(new[] { "nope" }, "has no volume 'nope' (it has 'db', 'web', '/host/conf')")]
    [InlineData(new[] { "db=x", "web=x" }, "'db' and 'web' would both be restored into 'x'")]
    [InlineData(new[] { "db=a", "db=b" }, "names 'db' more than once")]
    [InlineData(new[] { "db=bad name" }, "'bad name' is not a valid volume name")]
    public void Mistakes_are_all_reported_before_anything_is_touched(string[] mappings, string message)
    {
        var e = Assert.Throws<BadInputException>(() => RestorePlan.Create(Set, mappings.Select(VolumeMapping.Parse).ToList()));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("=x")]
    [InlineData("x=")]
    [InlineData("")]
    public void A_mapping_needs_both_sides(string value)
    {
        Assert.Throws<BadInputException>(() => VolumeMapping.Parse(value));
    }
}
