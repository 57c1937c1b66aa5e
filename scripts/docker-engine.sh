#!/usr/bin/env bash
# Run one command against a private Docker engine on this machine, then stop the engine:
#
#   bash scripts/docker-engine.sh COMMAND [ARG...]      e.g. scripts/docker-engine.sh docker info
#
# For machines that reach Debian's mirror and PyPI but no container registry (CI here). It
# - fetches Debian trixie's docker.io, docker-cli, docker-compose (v2), docker-buildx, containerd
#   and tini .debs with `apt-get download` under a private apt configuration and unpacks them
#   with `dpkg-deb -x` (nothing of trixie is installed system-wide); bookworm's runc, iptables
#   and debootstrap come from the machine's own apt (trixie's runc needs a newer glibc);
# - starts dockerd on a private socket, exec root and pidfile (data root in the cache), with
#   COMMAND seeing DOCKER_HOST, DOCKER_CONFIG (compose and buildx plugins) and PATH for it;
# - builds the base image $DOCBOX_PYTHON_IMAGE (local/python:3.11-bookworm) with debootstrap,
#   the stand-in of python:3.11-slim-bookworm, and exports DOCBOX_PYTHON_IMAGE to COMMAND;
# - stops dockerd by its pid when COMMAND ends, also on failure or Ctrl-C.
#
# Everything fetched or built is cached under $DOCBOX_DOCKER_CACHE (default
# ~/.cache/docbox-docker, about 3 GB with the images): the first run takes about 3 minutes
# before COMMAND starts, a second one seconds. One run at a time uses a cache (a lock).
# Exit status: COMMAND's; 77 with a line "docker-engine: SKIPPED: <why>" when this machine
# cannot run the engine this way (not root, no apt-get or dpkg-deb, not Debian).
set -euo pipefail

SKIP=77
log() { echo "docker-engine: $*" >&2; }
skip() { echo "docker-engine: SKIPPED: $*" >&2; exit "$SKIP"; }

[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || skip "not root (dockerd, iptables and debootstrap need root)"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
  || skip "no apt-get/dpkg-deb (the engine comes from Debian's packages)"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || skip "no $KEYRING (not a Debian machine)"
[ "$(dpkg --print-architecture)" = amd64 ] || skip "not amd64"

CACHE=${DOCBOX_DOCKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docbox-docker}
SUITE=${DOCBOX_DOCKER_SUITE:-trixie}
BASE_IMAGE=${DOCBOX_PYTHON_IMAGE:-local/python:3.11-bookworm}
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock -w 3600 9 || { log "another run holds $CACHE/lock"; exit 1; }

# The Debian mirror this machine's apt uses (deb.debian.org when none is named).
mirror=${DOCBOX_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; exit } }' || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && !/security/ { print $2; exit }' || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

# --- 1. the engine: trixie's .debs, unpacked into the cache -------------------------------------
ENGINE=$CACHE/engine
if [ ! -x "$ENGINE/usr/sbin/dockerd" ]; then
  log "fetching Docker Engine, Compose and Buildx from Debian $SUITE ($mirror)"
  apt_dir=$CACHE/apt
  rm -rf "$apt_dir" "$ENGINE.new" && mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  echo "deb [signed-by=$KEYRING] $mirror $SUITE main" > "$apt_dir/sources.list"
  : > "$apt_dir/status"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
            -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root -q)
  apt-get "${apt_opts[@]}" update >/dev/null
  (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download \
      docker.io docker-cli docker-compose docker-buildx containerd tini >/dev/null)
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$ENGINE.new"; done
  mv "$ENGINE.new" "$ENGINE"
  rm -rf "$apt_dir"
fi
missing=()
for tool in runc iptables debootstrap; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} from the machine's apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fi
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true

# --- 2. dockerd on a private socket; stopped by its pid whatever happens ------------------------
RUN=$(mktemp -d /tmp/docbox-docker.XXXXXX)
DOCKERD_PID=
stop_engine() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    log "stopping dockerd (pid $DOCKERD_PID)"
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then
      log "dockerd did not stop in 60 s; killing it"
      kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    fi
    wait "$DOCKERD_PID" 2>/dev/null || true
  fi
  # Mounts dockerd may leave behind when killed (network namespaces), then the run folder.
  grep -o " $RUN/[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$RUN"
  exit "$status"
}
trap stop_engine EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$RUN/client/cli-plugins" "$CACHE/data"
ln -s "$ENGINE"/usr/libexec/docker/cli-plugins/* "$RUN/client/cli-plugins/"
echo '{}' > "$RUN/daemon.json"
export PATH="$ENGINE/usr/bin:$ENGINE/usr/sbin:$PATH"
export DOCKER_HOST="unix://$RUN/docker.sock" DOCKER_CONFIG="$RUN/client"
log "starting dockerd (socket $RUN/docker.sock, data $CACHE/data, log $RUN/dockerd.log)"
dockerd --host "$DOCKER_HOST" --config-file "$RUN/daemon.json" --data-root "$CACHE/data" \
        --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.pid" --storage-driver overlay2 \
        >"$RUN/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 120); do
  docker version >/dev/null 2>&1 && break
  kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -n 30 "$RUN/dockerd.log" >&2; log "dockerd exited"; exit 1; }
  sleep 0.5
done
docker version >/dev/null 2>&1 || { tail -n 30 "$RUN/dockerd.log" >&2; log "dockerd did not answer in 60 s"; exit 1; }
export DOCBOX_DOCKERD_LOG="$RUN/dockerd.log"

# --- 3. the base image: Debian bookworm's Python 3.11, as python:3.11-slim-bookworm would be ----
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  tarball=$CACHE/python-3.11-bookworm.tar
  if [ ! -s "$tarball" ]; then
    log "building $BASE_IMAGE with debootstrap (about 2 minutes)"
    root=$CACHE/rootfs
    rm -rf "$root"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
      bookworm "$root" "$mirror" >"$RUN/debootstrap.log" 2>&1 \
      || { tail -n 30 "$RUN/debootstrap.log" >&2; exit 1; }
    # This machine's extra CA certificates (an egress proxy's), so pip and apt work in builds.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
      cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    fi
    chroot "$root" update-ca-certificates >/dev/null 2>&1
    rm -f "$root"/usr/lib/python3.*/EXTERNALLY-MANAGED
    ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
    ln -sf /usr/bin/pip3 "$root/usr/local/bin/pip"
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -cf "$tarball.new" . && mv "$tarball.new" "$tarball"
    rm -rf "$root"
  fi
  docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["python3"]' "$tarball" "$BASE_IMAGE" >/dev/null
fi
export DOCBOX_PYTHON_IMAGE="$BASE_IMAGE"

# --- 4. the command -------------------------------------------------------------------------------
log "engine ready ($(docker version --format '{{.Server.Version}}'), compose $(docker compose version --short)); running: $*"
set +e
"$@"
status=$?
set -e
# Keep the cache bounded: drop images no tag names any more and old build cache.
docker image prune --force >/dev/null 2>&1 || true
docker builder prune --force --keep-storage "${DOCBOX_DOCKER_KEEP_CACHE:-3GB}" >/dev/null 2>&1 || true
exit "$status"
