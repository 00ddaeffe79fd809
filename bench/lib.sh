# Shared pieces of the benchmarks. Sourced, not run.
# shellcheck shell=bash

HELPER_IMAGE=${BACKUP_AGENT_HELPER_IMAGE:-backup-agent-helper:latest}

# Seconds since the epoch with nanoseconds.
now() { date +%s.%N; }

# Runs "$@" and prints its wall time in seconds (3 decimals) to stdout; its own output goes to stderr. Each timed
# step starts with nothing of an earlier step left to write back (sync first), so it pays only for its own writes.
timed() {
  local t0 t1
  sync
  t0=$(now)
  "$@" >&2 || { echo "bench: failed: $*" >&2; return 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# agent_timed NAME CMD...: like timed, and records the command's user and system CPU seconds and peak RSS (KiB)
# in $work/usage.NAME, as "wall user system rss".
agent_timed() {
  local name=$1 t
  shift
  t=$(timed /usr/bin/time -f "%e %U %S %M" -o "$work/usage.$name" "$@") || return 1
  echo "$t"
}

# ratio A B: A / B with 2 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# mbps BYTES SECONDS
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s / 1e6 }'; }

helper_run() { docker run --rm --log-driver none --network none "$@"; }

# build_dataset VOLUME SCALE: fills VOLUME with about SCALE GiB of mixed data:
#   30% large binary files (repetitive, compressible), 40% incompressible random data,
#   30% many small text files (about 60,000 of 5 KiB per GiB, in 600 directories).
build_dataset() {
  local volume=$1 scale=${2:-1}
  docker volume create "$volume" >/dev/null
  helper_run -v "$volume:/data" -e SCALE="$scale" "$HELPER_IMAGE" sh -c '
    set -e
    cd /data
    mkdir -p large random small
    head -c 1048576 /dev/urandom > /tmp/chunk
    i=0; while [ $i -lt $((3 * SCALE)) ]; do
      j=0; while [ $j -lt 100 ]; do cat /tmp/chunk; j=$((j + 1)); done > large/blob-$i.bin
      i=$((i + 1))
    done
    i=0; while [ $i -lt $((4 * SCALE)) ]; do head -c 104857600 /dev/urandom > random/noise-$i.bin; i=$((i + 1)); done
    line="The quick brown fox jumps over the lazy dog; backups that were never restored are only hopes."
    text=""; k=0; while [ $k -lt 54 ]; do text="$text$line
"; k=$((k + 1)); done
    d=0; while [ $d -lt $((600 * SCALE)) ]; do
      mkdir small/d$d
      f=0; while [ $f -lt 100 ]; do printf "%s%d\n" "$text" "$f" > small/d$d/f$f.txt; f=$((f + 1)); done
      d=$((d + 1))
    done
    sync -f /data'
}

# volume_bytes VOLUME: the apparent size of the volume contents in bytes.
volume_bytes() {
  helper_run -v "$1:/data:ro" "$HELPER_IMAGE" sh -c 'du -sb /data | cut -f1' 2>/dev/null ||
    helper_run -v "$1:/data:ro" "$HELPER_IMAGE" sh -c 'du -sk /data | awk "{ print \$1 * 1024 }"'
}
