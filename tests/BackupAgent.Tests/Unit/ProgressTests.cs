using System.Formats.Tar;
using System.Text.Json;
using BackupAgent.Core.Engine;
using BackupAgent.Core.Formats;
using BackupAgent.Core.Helpers;
using BackupAgent.Core.Progress;
using BackupAgent.Tests.Support;

namespace BackupAgent.Tests.Unit;

/// <summary>What each progress renderer shows of a run, on a clock the test moves; and that the tar streams count every byte once.</summary>
public sealed class ProgressTests
{
    private const long MiB = 1 << 20;

    private readonly ManualClock _clock = new();

    [Fact]
    public void Plain_progress_logs_a_line_at_every_five_percent_and_a_last_one_at_100_percent()
    {
        var log = new CollectingLog();
        Run(new PlainProgress(log.Logger, _clock), total: 200 * MiB, chunks: 200, step: TimeSpan.FromMilliseconds(10));

        var lines = log.Messages;
        Assert.Equal(Enumerable.Range(1, 19).Select(i => $"{i * 5}%"), lines.SkipLast(1).Select(l => l.Split(' ')[1]));
        Assert.All(lines.SkipLast(1), l => Assert.Matches(@"^backup \d+% done: [\d.]+ MiB of 200\.0 MiB, [\d.]+ MiB/s, ETA \d+:\d\d, volume db-data$", l));
        Assert.Equal("backup 10% done: 20.0 MiB of 200.0 MiB, 100.0 MiB/s, ETA 0:01, volume db-data", lines[1]);
        Assert.Equal("backup 100% done: 200.0 MiB in 0:02, 100.0 MiB/s", lines[^1]);
    }

    [Fact]
    public void Plain_progress_logs_every_ten_seconds_between_steps_and_when_the_total_is_unknown()
    {
        var log = new CollectingLog();
        Run(new PlainProgress(log.Logger, _clock), total: null, chunks: 6, step: TimeSpan.FromSeconds(5));

        Assert.Equal(
            [
                "backup: 2.0 MiB done (total unknown), 204.8 KiB/s, volume db-data",
                "backup: 4.0 MiB done (total unknown), 204.8 KiB/s, volume db-data",
                "backup: 6.0 MiB done (total unknown), 204.8 KiB/s, volume db-data",
                "backup 100% done: 6.0 MiB in 0:30, 204.8 KiB/s",
            ],
            log.Messages);
    }

    [Fact]
    public void Quiet_plain_progress_says_nothing_of_a_short_run_and_starts_once_a_run_is_long()
    {
        var log = new CollectingLog();
        var renderer = new PlainProgress(log.Logger, _clock, PlainProgress.LongRun);
        Run(renderer, total: 100 * MiB, chunks: 100, step: TimeSpan.FromMilliseconds(50));
        Assert.Empty(log.Messages);

        Run(renderer, total: 100 * MiB, chunks: 100, step: TimeSpan.FromMilliseconds(200));
        var lines = log.Messages;
        Assert.StartsWith("backup 50% done: 50.0 MiB of 100.0 MiB", lines[0]);
        Assert.Equal("backup 100% done: 100.0 MiB in 0:20, 5.0 MiB/s", lines[^1]);
        Assert.Equal(Enumerable.Range(10, 11).Select(i => $"{i * 5}%"), lines.Select(l => l.Split(' ')[1]));
    }

    [Fact]
    public void A_run_that_fails_gets_no_100_percent_line()
    {
        var log = new CollectingLog();
        using (var meter = ProgressMeter.Start(new PlainProgress(log.Logger, _clock), "restore", 10 * MiB)!)
        {
            meter.Volume("db-data");
            _clock.Advance(TimeSpan.FromSeconds(1));
            meter.Add((int)(6 * MiB));
        }

        Assert.Equal(["restore 60% done: 6.0 MiB of 10.0 MiB, 6.0 MiB/s, ETA 0:00, volume db-data"], log.Messages);
    }

    [Fact]
    public void Sizes_rates_etas_and_percentages_read_as_restic_shows_them()
    {
        Assert.Equal("512 B", ProgressText.Size(512));
        Assert.Equal("1.5 KiB", ProgressText.Size(1536));
        Assert.Equal("29.9 MiB", ProgressText.Size(31_352_422));
        Assert.Equal("2.0 GiB", ProgressText.Size(2L << 30));
        Assert.Equal("29.9 MiB/s", ProgressText.Rate(31_352_422.7));
        Assert.Equal("0:07", ProgressText.Duration(TimeSpan.FromSeconds(7.9)));
        Assert.Equal("2:31", ProgressText.Duration(TimeSpan.FromSeconds(151)));
        Assert.Equal("1:02:31", ProgressText.Duration(TimeSpan.FromSeconds(3751)));
        Assert.Equal("55.65%", ProgressText.Percent(0.5565, 2));
        Assert.Equal("29%", ProgressText.Percent(0.29, 0));

        var view = new ProgressView(new ProgressReport(ProgressPhase.Bytes, "backup", "db", 250 * MiB, 1000 * MiB), TimeSpan.FromSeconds(10));
        Assert.Equal(0.25, view.Fraction);
        Assert.Equal(25.0 * MiB, view.Rate);
        Assert.Equal(TimeSpan.FromSeconds(30), view.Remaining);
    }

    [Fact]
    public void An_estimate_that_was_too_low_shows_no_100_percent_and_no_eta_until_the_run_is_done()
    {
        var view = new ProgressView(new ProgressReport(ProgressPhase.Bytes, "backup", "db", 120 * MiB, 100 * MiB), TimeSpan.FromSeconds(10));
        Assert.Equal(ProgressView.MaxUnfinished, view.Fraction);
        Assert.Null(view.Remaining);
        Assert.Equal("[0:10]  99.99%  120.0 MiB of 100.0 MiB  12.0 MiB/s  ETA unknown  db", TtyProgress.Line(view));

        var done = view with { Report = view.Report with { Phase = ProgressPhase.Finished, Total = 120 * MiB } };
        Assert.Equal("[0:10]  100.00%  120.0 MiB  12.0 MiB/s  backup done", TtyProgress.Line(done));
    }

    [Fact]
    public void The_tty_line_is_rewritten_in_place_at_most_four_times_a_second_with_the_cursor_at_its_start_and_ends_with_a_newline()
    {
        var output = new StringWriter();
        Run(new TtyProgress(output, _clock), total: 100 * MiB, chunks: 100, step: TimeSpan.FromMilliseconds(100));

        var text = output.ToString();
        Assert.EndsWith("\u001b[K\n", text);
        Assert.Single(text.Split('\n'), l => l.Length > 0);
        Assert.DoesNotContain("\r\r", text);
        var lines = text.TrimEnd('\n').Split('\r');
        Assert.All(lines, l => Assert.EndsWith("\u001b[K", l));
        Assert.Equal("[0:00]  1.00%  1.0 MiB of 100.0 MiB  10.0 MiB/s  ETA 0:09  db-data\u001b[K", lines[0]);
        Assert.Equal("[0:00]  4.00%  4.0 MiB of 100.0 MiB  10.0 MiB/s  ETA 0:09  db-data\u001b[K", lines[1]);
        Assert.Equal("[0:10]  100.00%  100.0 MiB  10.0 MiB/s  backup done\u001b[K", lines[^1]);
        Assert.Equal(100 / 3 + 2, lines.Length);
    }

    [Fact]
    public void The_tty_line_is_cleared_when_a_volume_starts_so_that_the_log_line_above_it_is_clean()
    {
        var output = new StringWriter();
        var meter = ProgressMeter.Start(new TtyProgress(output, _clock), "restore", 2 * MiB)!;
        meter.Volume("one");
        meter.Add((int)MiB);
        meter.Volume("two");
        Assert.Equal("[0:00]  50.00%  1.0 MiB of 2.0 MiB  0 B/s  ETA unknown  one\u001b[K\r\u001b[K", output.ToString());

        meter.Dispose();
        Assert.EndsWith("\r\u001b[K", output.ToString());
    }

    [Fact]
    public void Json_progress_writes_status_lines_as_restic_does_and_a_summary_last()
    {
        var output = new StringWriter();
        Run(new JsonProgress(output, _clock), total: 100 * MiB, chunks: 100, step: TimeSpan.FromMilliseconds(10));

        var events = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var status = events.SkipLast(1).ToList();
        Assert.Equal(19, status.Count);
        Assert.All(status, e => Assert.Equal("status", e.GetProperty("message_type").GetString()));
        Assert.Equal(Enumerable.Range(1, 19).Select(i => i * 5 * MiB), status.Select(e => e.GetProperty("bytes_done").GetInt64()));
        Assert.Equal(0.05, status[0].GetProperty("percent_done").GetDouble());
        Assert.Equal(100 * MiB, status[0].GetProperty("total_bytes").GetInt64());
        Assert.Equal("db-data", status[0].GetProperty("current_volume").GetString());
        Assert.Equal("backup", status[0].GetProperty("operation").GetString());
        Assert.Equal((double)(100 * MiB), status[0].GetProperty("bytes_per_second").GetDouble());
        Assert.Equal(0, status[0].GetProperty("seconds_remaining").GetInt64());

        var summary = events[^1];
        Assert.Equal("summary", summary.GetProperty("message_type").GetString());
        Assert.Equal(100 * MiB, summary.GetProperty("bytes_done").GetInt64());
        Assert.Equal(1.0, summary.GetProperty("percent_done").GetDouble());
        Assert.Equal(1, summary.GetProperty("seconds_elapsed").GetInt64());
    }

    [Theory]
    [InlineData(TarEntryFormat.Gnu, 1)]
    [InlineData(TarEntryFormat.Pax, 100_000)]
    public async Task Every_byte_of_a_tar_is_counted_once_by_the_stream_it_passes(TarEntryFormat format, int chunk)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, format, leaveOpen: true))
        {
            TarEntry entry = format == TarEntryFormat.Gnu ? new GnuTarEntry(TarEntryType.RegularFile, "./a") : new PaxTarEntry(TarEntryType.RegularFile, "./a");
            entry.DataStream = new MemoryStream(new byte[70_000]);
            writer.WriteEntry(entry);
        }

        var bytes = tar.ToArray();
        var read = ProgressMeter.Start(new ManualSink(), "backup", null)!;
        var stream = new TarStatsStream(new MemoryStream(bytes), progress: read);
        var buffer = new byte[chunk];
        while (await stream.ReadAsync(buffer) > 0)
        {
        }

        var restored = ProgressMeter.Start(new ManualSink(), "restore", null)!;
        await new BoundedTarStream(new MemoryStream(bytes), 1, 70_000, bytes.Length, "test", restored).CopyToAsync(Stream.Null);
        Assert.Equal(bytes.Length, read.Bytes);
        Assert.Equal(bytes.Length, restored.Bytes);
    }

    [Fact]
    public async Task An_estimated_total_is_worked_out_only_once_a_quiet_sink_wants_one_and_is_shown_from_then_on()
    {
        var log = new CollectingLog();
        var asked = 0;
        var meter = (await ProgressMeter.StartAsync(
            new PlainProgress(log.Logger, _clock, PlainProgress.LongRun), "backup", _ => { asked++; return Task.FromResult<long?>(20 * MiB); }, _clock, CancellationToken.None))!;
        meter.Volume("db-data");
        _clock.Advance(TimeSpan.FromSeconds(3));
        meter.Add((int)MiB);
        Assert.Equal(0, asked);
        _clock.Advance(TimeSpan.FromSeconds(8));
        meter.Add((int)MiB);
        meter.Add((int)MiB);
        Assert.Equal(1, asked);
        meter.Finish();
        await meter.DisposeAsync();
        Assert.Equal(1, asked);
        Assert.Contains(log.Messages, m => m.Contains("of 20.0 MiB", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sink_that_shows_progress_from_the_start_gets_the_estimate_before_the_first_byte()
    {
        var log = new CollectingLog();
        var meter = (await ProgressMeter.StartAsync(new PlainProgress(log.Logger, _clock), "backup", _ => Task.FromResult<long?>(10 * MiB), _clock, CancellationToken.None))!;
        meter.Volume("db-data");
        _clock.Advance(TimeSpan.FromSeconds(1));
        meter.Add((int)MiB);
        Assert.Equal(["backup 10% done: 1.0 MiB of 10.0 MiB, 1.0 MiB/s, ETA 0:09, volume db-data"], log.Messages);
        await meter.DisposeAsync();
    }

    [Fact]
    public void The_size_helper_measures_with_the_read_only_mounts_of_the_read_and_reads_dus_number()
    {
        var volume = SizeHelper.Spec(TarReadHelper.OfVolume("db", "backup of volume db", ["*.log"]), "db");
        Assert.Equal([new HelperMount("db", "/source", ReadOnly: true)], volume.Mounts);
        Assert.False(volume.Writes);
        Assert.Equal("/source", Assert.Single(volume.Command.Skip(4)));
        Assert.Contains("du -s -b -x", volume.Command[2]);

        var mount = SizeHelper.Spec(TarReadHelper.OfContainerMount("c0ffee", "/var/lib/db", ["cache"], "backup"), "db");
        Assert.Equal("c0ffee", mount.VolumesFromContainer);
        Assert.Empty(mount.Mounts);
        Assert.Equal("/var/lib/db", Assert.Single(mount.Command.Skip(4)));

        Assert.Equal(209_719_296, SizeHelper.Parse("209719296\t/source\n"));
        Assert.Null(SizeHelper.Parse(""));
    }

    /// <summary>One run of "backup" of db-data: <paramref name="chunks"/> of 1 MiB (of <paramref name="total"/>), the clock moving <paramref name="step"/> before each.</summary>
    private void Run(IProgressSink sink, long? total, int chunks, TimeSpan step)
    {
        using var meter = ProgressMeter.Start(sink, "backup", total)!;
        meter.Volume("db-data");
        for (var i = 0; i < chunks; i++)
        {
            _clock.Advance(step);
            meter.Add((int)MiB);
        }

        meter.Finish();
    }

    private sealed class ManualSink : IProgressSink
    {
        public void Report(ProgressReport report)
        {
        }
    }

    /// <summary>A monotonic clock that moves only when the test says.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
