using BackupAgent.Core.Consistency;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Errors;

namespace BackupAgent.Tests.Consistency;

public sealed class ConsistencyPlanTests
{
    [Fact]
    public void Dependents_are_stopped_before_what_they_depend_on()
    {
        var db = Container("shop-db-1", "db");
        var web = Container("shop-web-1", "web", (StopOrder.ComposeDependsOn, "db:service_started:false,cache:service_started:false"));
        var cache = Container("shop-cache-1", "cache");
        var worker = Container("worker", null, (StopOrder.DependsOn, "shop-web-1"));
        Assert.Equal(["worker", "shop-web-1", "shop-db-1", "shop-cache-1"], StopOrder.Sort([db, web, cache, worker]).Select(c => c.Name));
    }

    [Fact]
    public void A_dependency_cycle_falls_back_to_the_given_order()
    {
        var a = Container("a", null, (StopOrder.DependsOn, "b"));
        var b = Container("b", null, (StopOrder.DependsOn, "a"));
        Assert.Equal(["a", "b"], StopOrder.Sort([a, b]).Select(c => c.Name));
    }

    [Theory]
    [InlineData(false, null, false)]
    [InlineData(true, null, true)]
    [InlineData(false, "true", true)]
    [InlineData(true, "false", false)]
    public void Stop_is_asked_per_run_and_labels_opt_a_container_in_or_out(bool stopRequested, string? label, bool stopped)
    {
        var labels = label is null ? Array.Empty<(string, string)>() : [(ConsistencyPlan.StopLabel, label)];
        var user = Container("app", null, labels);
        var plan = ConsistencyPlan.Create([user, Container("other", null) with { Mounts = [] }], ["data"], stopRequested);
        Assert.Equal(stopped ? ["app"] : [], plan.Stop.Select(c => c.Name));
    }

    [Fact]
    public void Hooks_come_from_labels_with_user_timeout_and_error_policy()
    {
        var c = Container("pg", null,
            (ConsistencyPlan.PreBackupLabel, "pg_dumpall > /data/dump.sql"),
            (ConsistencyPlan.PostBackupLabel, "rm /data/dump.sql"),
            (ConsistencyPlan.HookUserLabel, "postgres"),
            (ConsistencyPlan.HookTimeoutLabel, "30"),
            (ConsistencyPlan.PreBackupOnErrorLabel, "continue"));
        var plan = ConsistencyPlan.Create([c], ["data"], false);
        Assert.Equal(new Hook("pg", "pg_dumpall > /data/dump.sql", "postgres", TimeSpan.FromSeconds(30), false), Assert.Single(plan.PreHooks));
        Assert.Equal("rm /data/dump.sql", Assert.Single(plan.PostHooks).Command);
    }

    [Fact]
    public void Bad_hook_labels_are_all_reported_with_the_container()
    {
        var c = Container("pg", null, (ConsistencyPlan.PreBackupLabel, "x"), (ConsistencyPlan.HookTimeoutLabel, "soon"), (ConsistencyPlan.PreBackupOnErrorLabel, "ignore"));
        var e = Assert.Throws<BadInputException>(() => ConsistencyPlan.Create([c], ["data"], false));
        Assert.Contains("container 'pg': label backup-agent.hook-timeout='soon'", e.Message);
        Assert.Contains("label backup-agent.pre-backup-on-error='ignore'", e.Message);
    }

    private static ContainerInfo Container(string name, string? service, params (string Key, string Value)[] labels)
    {
        var all = labels.ToDictionary(l => l.Key, l => l.Value);
        if (service is not null)
        {
            all[StopOrder.ComposeService] = service;
        }

        return new ContainerInfo(name + "-id", name, [new MountInfo(MountKind.Volume, "data", "/data", "local")]) { Running = true, Labels = all };
    }
}
