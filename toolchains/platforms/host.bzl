"""The host a repository rule runs on, as one key for the pinned-archive tables."""

def host_key(rctx):
    """The host as "<os>-<cpu>": linux-x86_64, linux-aarch64, macos-aarch64, ...

    Args:
      rctx: the repository_ctx.

    Returns:
      The key.
    """
    os = "macos" if rctx.os.name.startswith("mac") else rctx.os.name.split(" ")[0]
    cpu = {"amd64": "x86_64", "arm64": "aarch64"}.get(rctx.os.arch, rctx.os.arch)
    return "%s-%s" % (os, cpu)

def require_host(rctx, what, hosts = ["linux-x86_64"]):
    """Fails unless the host is one of hosts.

    Args:
      rctx: the repository_ctx.
      what: what is pinned, for the message.
      hosts: the host keys it is pinned for.

    Returns:
      The host key.
    """
    host = host_key(rctx)
    if host not in hosts:
        fail("%s is pinned for %s, not %s" % (what, " and ".join(hosts), host))
    return host
