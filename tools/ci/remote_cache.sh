#!/usr/bin/env bash
# A Bazel HTTP remote cache on loopback: Debian's nginx (WebDAV PUT) from the
# pinned @nginx repository, serving a private directory. Bazel fetches @nginx's
# packages itself, like every toolchain's (toolchains/debian/debian.bzl: its
# downloader and repository cache, each .deb checked against its pinned
# SHA256); nothing here downloads anything or touches the host's apt.
#
#   remote_cache.sh start DIR PORT   # prints the cache URL; DIR/token holds the token
#   remote_cache.sh stop DIR
#
# Every request must carry `Authorization: Bearer $(cat DIR/token)` (Bazel:
# --remote_header); only GET, HEAD and PUT of /ac/<sha256> and /cas/<sha256> are
# served, and symlinks in DIR are never followed. Started as root, the workers
# run as nobody. REMOTE_CACHE_NGINX names an @nginx//:nginx wrapper to use
# instead of building one; either way its files must match nginx_files.sha256.
set -euo pipefail

readonly workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The files of @nginx as unpacked from the pinned packages (with its wrapper):
# regenerate after re-pinning nginx.bzl, in the repository directory, with
#   find root bin \( -type f -o -type l \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
readonly expected_files="${workspace}/tools/ci/nginx_files.sha256"

die() { echo "remote_cache: $*" >&2; exit 1; }

# The wrapper of @nginx (tools/ci/nginx.bzl): Bazel fetches and checks the
# pinned packages like every toolchain's.
nginx_binary() {
  if [[ -n "${REMOTE_CACHE_NGINX:-}" ]]; then
    echo "${REMOTE_CACHE_NGINX}"
    return 0
  fi
  local bazel="${workspace}/bazel" path
  (cd "${workspace}" && "${bazel}" build --noshow_progress @nginx//:nginx </dev/null >&2) ||
    die "cannot build @nginx//:nginx"
  path="$(cd "${workspace}" && "${bazel}" cquery --output=files @nginx//:nginx 2>/dev/null </dev/null)" ||
    die "cannot locate @nginx//:nginx"
  echo "$(cd "${workspace}" && "${bazel}" info output_base 2>/dev/null </dev/null)/${path}"
}

# Bazel unpacks @nginx once and re-uses it: re-check, on every start, that its
# files are still exactly those unpacked from the pinned packages.
verify_nginx() {
  local repo
  repo="$(cd "$(dirname "$1")/.." && pwd)"
  (cd "${repo}" && sha256sum --quiet --strict -c "${expected_files}" >/dev/null 2>&1) ||
    die "nginx in ${repo} differs from what was unpacked (tools/ci/nginx_files.sha256); refusing to run it (re-fetch it: ./bazel fetch --force @nginx//:nginx)"
  # Also no file added beside them (e.g. a library the loader would pick up).
  [[ "$(cd "${repo}" && find root bin \( -type f -o -type l \) | LC_ALL=C sort)" == \
    "$(awk '{print $2}' "${expected_files}")" ]] ||
    die "nginx in ${repo} has files that were not unpacked from its packages; refusing to run it"
}

# The master process of the nginx serving dir, if the pid file names one.
running_master() {
  local dir="$1" pid
  [[ -f "${dir}/nginx.pid" ]] || return 1
  pid="$(cat "${dir}/nginx.pid")"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  # nginx retitles its master "nginx: master process ARGV..."; ours names this config.
  [[ -r "/proc/${pid}/cmdline" ]] &&
    [[ "$(tr '\0' ' ' <"/proc/${pid}/cmdline")" == "nginx: master process "*" -c ${dir}/nginx.conf"* ]] ||
    return 1
  echo "${pid}"
}

start() {
  local dir="$1" port="$2"
  [[ "${port}" =~ ^[0-9]+$ ]] || die "PORT must be a number, not '${port}'"
  mkdir -p "${dir}"
  dir="$(cd "${dir}" && pwd -P)"
  running_master "${dir}" >/dev/null && die "a cache is already running for ${dir}; stop it first"
  local nginx
  nginx="$(nginx_binary)"
  [[ -x "${nginx}" ]] || die "${nginx} is not an executable"
  verify_nginx "${nginx}"

  # Root's workers drop to nobody, so nobody owns what they write.
  local owner="" user_line="# Not root: the workers run as $(id -un)."
  if [[ ${EUID} -eq 0 ]]; then
    owner="nobody:$(id -gn nobody)"
    user_line="user nobody $(id -gn nobody);"
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups test -x "${dir}" ||
      die "${dir} is not reachable for user nobody, whom the workers run as; choose a DIR outside a private home (e.g. under /var/cache)"
  fi
  mkdir -p "${dir}/cas/ac" "${dir}/cas/cas" "${dir}/tmp/body" "${dir}/logs"
  if [[ -n "${owner}" ]]; then
    chown -R "${owner}" "${dir}/cas" "${dir}/tmp"
  fi
  local token
  token="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
  (umask 077 && printf '%s\n' "${token}" >"${dir}/token.new" && mv -f "${dir}/token.new" "${dir}/token")
  (umask 077 && cat >"${dir}/nginx.conf" <<CONF
daemon on;
${user_line}
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/logs/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  disable_symlinks on;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/cas;
    if (\$http_authorization != "Bearer ${token}") {
      return 401;
    }
    # Bazel's HTTP cache protocol: action results and blobs by SHA256.
    location ~ "^/(ac|cas)/[0-9a-f]{64}\$" {
      limit_except GET PUT {
        deny all;
      }
      dav_methods PUT;
      dav_access user:rw;
      # Outputs can be hundreds of MB.
      client_max_body_size 2g;
    }
    location / {
      return 403;
    }
  }
}
CONF
  )
  "${nginx}" -e "${dir}/logs/error.log" -p "${dir}" -c "${dir}/nginx.conf" ||
    die "nginx did not start; see ${dir}/logs/error.log"
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "http://127.0.0.1:${port}"
      return 0
    fi
    sleep 0.1
  done
  die "nginx is not answering on 127.0.0.1:${port}; see ${dir}/logs/error.log"
}

stop() {
  local dir pid
  [[ -d "$1" ]] || return 0
  dir="$(cd "$1" && pwd -P)"
  if ! pid="$(running_master "${dir}")"; then
    # A stale or foreign PID: whatever process now holds it is left alone.
    rm -f "${dir}/nginx.pid"
    return 0
  fi
  kill -TERM "${pid}" 2>/dev/null || true
  for _ in $(seq 50); do
    [[ -d "/proc/${pid}" ]] || break
    sleep 0.1
  done
  rm -f "${dir}/nginx.pid" "${dir}/token"
}

case "${1:-}" in
  start) [[ $# -eq 3 ]] || die "usage: $0 start DIR PORT"; start "$2" "$3" ;;
  stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR PORT | stop DIR" ;;
esac
