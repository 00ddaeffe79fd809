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

# The S3 server the tests and benchmarks use: npm's s3rver, installed into artifacts/s3rver (git-ignored).
S3RVER_VERSION=3.7.1

# Installs s3rver (and node/npm when missing) and prints the path of its command.
s3rver_install() {
  local root dir
  root=$(repo_root); dir="$root/artifacts/s3rver"
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -x "$dir/node_modules/.bin/s3rver" ] || ! grep -q "\"version\": \"$S3RVER_VERSION\"" "$dir/node_modules/s3rver/package.json" 2>/dev/null; then
    say "installing s3rver@$S3RVER_VERSION into artifacts/s3rver"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION" >&2
  fi
  echo "$dir/node_modules/.bin/s3rver"
}

# Prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Starts s3rver in the background on 127.0.0.1 with its data in directory $2 (created).
# Sets S3RVER_PID and S3RVER_ENDPOINT; the caller kills it by that pid.
s3rver_start() {
  local bin=$1 data=$2 port i
  mkdir -p "$data"
  port=$(free_port)
  NODE_OPTIONS=--openssl-legacy-provider nohup node "$bin" --directory "$data" --address 127.0.0.1 --port "$port" --silent \
    >"$data.log" 2>&1 </dev/null &
  S3RVER_PID=$!
  S3RVER_ENDPOINT="http://127.0.0.1:$port"
  for ((i = 0; i < 120; i++)); do
    if node -e 'require("http").get(process.argv[1],r=>process.exit(r.statusCode<500?0:1)).on("error",()=>process.exit(1))' "$S3RVER_ENDPOINT/" 2>/dev/null; then
      return 0
    fi
    kill -0 "$S3RVER_PID" 2>/dev/null || break
    sleep 0.25
  done
  tail -20 "$data.log" >&2
  die "s3rver did not answer at $S3RVER_ENDPOINT within 30 s (log: $data.log)"
}
