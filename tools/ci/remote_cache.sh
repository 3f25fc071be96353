#!/usr/bin/env bash
# A Bazel HTTP remote cache on loopback: Debian's nginx (WebDAV PUT), pinned by
# version and SHA256, unpacked into a private directory (the host is untouched).
#
#   remote_cache.sh start DIR PORT   # prints the cache URL
#   remote_cache.sh stop DIR
set -euo pipefail

readonly NGINX_DEB="nginx_1.22.1-9+deb12u9_amd64.deb"
readonly NGINX_VERSION="1.22.1-9+deb12u9"
readonly NGINX_SHA256="4e7b52f8b31f26d77ffb5c427c41e36223e81b047242ecfa8dc1d7f939734885"

die() { echo "remote_cache: $*" >&2; exit 1; }

fetch_nginx() {
  local dir="$1"
  [[ -x "${dir}/root/usr/sbin/nginx" ]] && return 0
  [[ "$(uname -m)" == "x86_64" ]] || die "the pinned nginx package is for x86_64, not $(uname -m)"
  mkdir -p "${dir}/deb"
  if [[ ! -f "${dir}/deb/${NGINX_DEB}" ]]; then
    (cd "${dir}/deb" && apt-get download -qq "nginx=${NGINX_VERSION}" 2>/dev/null) ||
      { apt-get update -qq >/dev/null && (cd "${dir}/deb" && apt-get download -qq "nginx=${NGINX_VERSION}" 2>/dev/null); } ||
      die "apt-get could not download nginx=${NGINX_VERSION}"
  fi
  local actual
  actual="$(sha256sum "${dir}/deb/${NGINX_DEB}" | cut -d' ' -f1)"
  if [[ "${actual}" != "${NGINX_SHA256}" ]]; then
    rm -f "${dir}/deb/${NGINX_DEB}"
    die "checksum mismatch for ${NGINX_DEB}: expected ${NGINX_SHA256}, got ${actual}"
  fi
  dpkg-deb -x "${dir}/deb/${NGINX_DEB}" "${dir}/root"
}

start() {
  local dir="$1" port="$2"
  mkdir -p "${dir}"
  dir="$(cd "${dir}" && pwd)"
  fetch_nginx "${dir}"
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
  "${dir}/root/usr/sbin/nginx" -e "${dir}/logs/error.log" -p "${dir}" -c "${dir}/nginx.conf" ||
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
