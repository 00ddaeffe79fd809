# Shared shell helpers for the scripts in install/. Sourced, not run.
# shellcheck shell=bash

say() { printf '[backup-agent] %s\n' "$*" >&2; }
die() { printf '[backup-agent] error: %s\n' "$*" >&2; exit 1; }

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# Installs Debian packages that are missing (root only). apt-get update runs once per call.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})"
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Waits until `docker` answers on the given host (DOCKER_HOST semantics), up to $2 seconds.
wait_for_engine() {
  local host=$1 seconds=${2:-60} i
  for ((i = 0; i < seconds * 4; i++)); do
    DOCKER_HOST=$host docker info >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  return 1
}
