using BackupAgent.Docker;

namespace BackupAgent.Tests.Unit;

public sealed class HelperOutputChoiceTests
{
    [Theory]
    [InlineData("unix:///var/run/docker.sock", null, true, HelperOutput.Fifo)]
    [InlineData("unix:///var/run/docker.sock", "auto", true, HelperOutput.Fifo)]
    [InlineData("unix:///var/run/docker.sock", "attach", true, HelperOutput.AttachStream)]
    [InlineData("unix:///elsewhere/docker.sock", null, false, HelperOutput.AttachStream)]
    [InlineData("tcp://10.0.0.5:2375", null, true, HelperOutput.AttachStream)]
    [InlineData("ssh://user@host", null, true, HelperOutput.AttachStream)]
    public void A_local_engine_gets_the_fifo_and_a_remote_one_the_attach_stream(string endpoint, string? setting, bool socketExists, HelperOutput expected)
    {
        Assert.Equal(expected, HelperOutputChoice.Choose(new Uri(endpoint), setting, _ => socketExists));
    }
}
