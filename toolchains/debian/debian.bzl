"""Fetches pinned Debian packages with apt's own client, for repository rules.

apt runs with a private configuration (sources, lists, cache and an empty dpkg
status inside the repository directory), so the host's apt state is neither
used nor changed. Every downloaded .deb is checked against the SHA256 pinned
in the caller's table before it is unpacked, and no unpacked file keeps a
set-uid or set-gid bit.
"""

_SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

# Where Debian 12 packages put x86_64 shared libraries: their .debs are not
# merged-/usr, so both directories hold some. Every wrapper that runs an
# unpacked executable puts exactly these on LD_LIBRARY_PATH.
HOST_LIBRARY_DIRS = ["root/usr/lib/x86_64-linux-gnu", "root/lib/x86_64-linux-gnu"]

def library_path(prefix, dirs = HOST_LIBRARY_DIRS):
    """The LD_LIBRARY_PATH value for dirs below prefix (a shell expression).

    Args:
      prefix: what the repository's root is in the wrapper, e.g. "$here/..".
      dirs: repository-relative library directories.

    Returns:
      The colon-separated list.
    """
    return ":".join(["%s/%s" % (prefix, d) for d in dirs])

def write_closure_manifest(rctx, packages, roots, library_dirs = HOST_LIBRARY_DIRS):
    """Writes closure.json: what //tests:closure_test checks for host leaks.

    Args:
      rctx: the repository_ctx.
      packages: the pinned package table; its digests make the manifest (a
        test input) change whenever the unpacked files can.
      roots: repository-relative executables (or directories of them) and
        libraries loaded with dlopen that the repository's users run.
      library_dirs: the directories its wrappers put on LD_LIBRARY_PATH.
    """
    rctx.file("closure.json", json.encode_indent({
        "library_path": library_dirs,
        "packages": {name: packages[name][2] for name in sorted(packages)},
        "roots": roots,
    }) + "\n")

def _last_line(result):
    lines = (result.stderr + result.stdout).strip().splitlines()
    return lines[-1] if lines else "no output"

def _require(rctx, tools):
    missing = [tool for tool in tools if not rctx.which(tool)]
    if missing:
        fail("%s: %s not found; fetching Debian packages needs a Debian-based host" % (
            rctx.name,
            ", ".join(missing),
        ))

def clear_setid_bits(rctx, directory):
    """Clears every set-uid/set-gid bit under directory; fails if any remain.

    Unpacked as root, dpkg-deb keeps the packages' modes (e.g. a set-uid-root
    binary): nothing in a repository needs them.

    Args:
      rctx: the repository_ctx.
      directory: directory in the repository.
    """
    path = str(rctx.path(directory))
    find = ["find", path, "-perm", "/6000", "!", "-type", "l"]
    result = rctx.execute(find + ["-exec", "chmod", "ug-s", "{}", "+"])
    if result.return_code != 0:
        fail("%s: cannot clear set-uid/set-gid bits: %s" % (rctx.name, _last_line(result)))
    result = rctx.execute(find)
    if result.return_code != 0 or result.stdout.strip():
        fail("%s: set-uid/set-gid bits remain: %s" % (rctx.name, _last_line(result)))

def fetch_debian_packages(rctx, packages, destination = "root"):
    """Downloads, verifies and unpacks pinned packages into destination.

    Args:
      rctx: the repository_ctx.
      packages: dict package name -> (version, pool file name, sha256).
      destination: directory in the repository to unpack into.
    """
    _require(rctx, ["apt-get", "dpkg-deb", "sha256sum", "find", "chmod"])
    for sub in ["sources/debian.sources", "status", "lists/partial/.keep", "cache/archives/partial/.keep"]:
        rctx.file("_apt/" + sub, _SOURCES if sub.startswith("sources") else "")
    apt = str(rctx.path("_apt"))
    options = [
        "-o",
        "Dir::Etc::SourceList=/dev/null",
        "-o",
        "Dir::Etc::SourceParts=%s/sources" % apt,
        "-o",
        "Dir::Etc::Preferences=/dev/null",
        "-o",
        "Dir::State::Lists=%s/lists" % apt,
        "-o",
        "Dir::Cache=%s/cache" % apt,
        "-o",
        "Dir::State::status=%s/status" % apt,
        "-o",
        "Debug::NoLocking=1",
        "-qq",
    ]
    rctx.report_progress("apt-get update (private configuration)")
    result = rctx.execute(["apt-get"] + options + ["update"], timeout = 600)
    if result.return_code != 0:
        fail("%s: apt-get update failed: %s" % (rctx.name, _last_line(result)))

    rctx.file("_debs/.keep", "")
    specs = ["%s=%s" % (name, packages[name][0]) for name in sorted(packages)]
    rctx.report_progress("apt-get download %d packages" % len(specs))
    result = rctx.execute(["apt-get"] + options + ["download"] + specs, working_directory = "_debs", timeout = 1800)
    if result.return_code != 0:
        fail("%s: apt-get download failed: %s" % (rctx.name, _last_line(result)))

    downloaded = {p.basename: p for p in rctx.path("_debs").readdir()}
    for name in sorted(packages):
        version, pool_name, sha256 = packages[name]

        # apt names the local file after the version with its epoch escaped.
        local = pool_name.replace("_%s_" % version.split(":")[-1], "_%s_" % version.replace(":", "%3a"))
        path = downloaded.get(local) or downloaded.get(pool_name)
        if not path:
            fail("%s: apt-get did not produce %s" % (rctx.name, local))
        result = rctx.execute(["sha256sum", str(path)])
        actual = result.stdout.split(" ")[0]
        if actual != sha256:
            fail("%s: checksum mismatch for %s: pinned %s, downloaded %s" % (rctx.name, pool_name, sha256, actual))
        result = rctx.execute(["dpkg-deb", "-x", str(path), str(rctx.path(destination))])
        if result.return_code != 0:
            fail("%s: cannot unpack %s: %s" % (rctx.name, pool_name, _last_line(result)))
    clear_setid_bits(rctx, destination)
    rctx.delete("_apt")
    rctx.delete("_debs")
