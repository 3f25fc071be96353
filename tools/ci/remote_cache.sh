#!/usr/bin/env bash
# A Bazel HTTP remote cache on loopback: Debian's nginx (WebDAV PUT) from the
# pinned @nginx repository, serving a private directory (the host is untouched).
#
#   remote_cache.sh start DIR PORT   # prints the cache URL
#   remote_cache.sh stop DIR
set -euo pipefail

readonly workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

die() { echo "remote_cache: $*" >&2; exit 1; }

# The wrapper of @nginx (tools/ci/nginx.bzl): Bazel fetches and checks the
# pinned packages like every toolchain's.
nginx_binary() {
  local bazel="${workspace}/bazel" path
  (cd "${workspace}" && "${bazel}" build --noshow_progress @nginx//:nginx </dev/null >&2) ||
    die "cannot build @nginx//:nginx"
  path="$(cd "${workspace}" && "${bazel}" cquery --output=files @nginx//:nginx 2>/dev/null </dev/null)" ||
    die "cannot locate @nginx//:nginx"
  echo "$(cd "${workspace}" && "${bazel}" info output_base 2>/dev/null </dev/null)/${path}"
}

start() {
  local dir="$1" port="$2"
  mkdir -p "${dir}"
  dir="$(cd "${dir}" && pwd)"
  local nginx
  nginx="$(nginx_binary)"
  mkdir -p "${dir}/cas" "${dir}/tmp" "${dir}/logs"
  cat > "${dir}/nginx.conf" <<CONF
daemon on;
# Workers write the cache as the invoking user (as root nginx would drop to nobody).
user $(id -un) $(id -gn);
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
  server {
    listen 127.0.0.1:${port};
    root ${dir}/cas;
    # Bazel PUTs action results and blobs; outputs can be hundreds of MB.
    client_max_body_size 2g;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
    }
  }
}
CONF
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
  local dir="$1"
  [[ -f "${dir}/nginx.pid" ]] || return 0
  kill "$(cat "${dir}/nginx.pid")" 2>/dev/null || true
  rm -f "${dir}/nginx.pid"
}

case "${1:-}" in
  start) [[ $# -eq 3 ]] || die "usage: $0 start DIR PORT"; start "$2" "$3" ;;
  stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR PORT | stop DIR" ;;
esac
