"""Fetches pinned Debian packages with Bazel's own downloader, for repository rules.

Each table entry is `name: (version, "<archive>/pool/.../file.deb", sha256)`
(toolchains/debian/pin.py prints them). The URL is the archive's mirror from
mirrors.json followed by the pool path; rctx.download_and_extract fetches the
.deb (so it goes through Bazel's repository cache, --distdir and
--experimental_downloader_config, and a wrong SHA256 is Bazel's own error) and
unpacks its ar members, then the data.tar.* member is unpacked into the
repository; deb_headers.py then gives every file, directory and symlink the
mode and target its header records (Bazel's extractor may not), so the tree is
what `dpkg-deb -x` gives. No unpacked file keeps a set-uid or set-gid bit.
"""

_MIRRORS = Label("//toolchains/debian:mirrors.json")
_DEB_HEADERS = Label("//toolchains/debian:deb_headers.py")

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

def write_tool_wrappers(rctx, tools):
    """Writes bin/<tool>: runs root/usr/bin/<binary> with the repository's libraries.

    Relative paths keep actions independent of the output base; binutils and
    cc1 find their shared libraries in the repository, not the host.

    Args:
      rctx: the repository_ctx.
      tools: dict wrapper name -> executable name in root/usr/bin.
    """
    for tool, binary in tools.items():
        rctx.file("bin/" + tool, """#!/bin/sh
here="${{0%/*}}"
LD_LIBRARY_PATH="{library_path}" \\
  exec "$here/../root/usr/bin/{binary}" "$@"
""".format(binary = binary, library_path = library_path("$here/..")), executable = True)

def sysroot_relative_ld_scripts(rctx, libdir, prefix):
    """Makes glibc's linker scripts (libc.so, ...) name their files inside --sysroot.

    They name e.g. /usr/aarch64-linux-gnu/lib/... absolutely; ld prefixes the
    sysroot only when it can tell the script lies inside it, which fails for a
    relative sysroot. A leading '=' always means "inside the sysroot".

    Args:
      rctx: the repository_ctx.
      libdir: repository-relative directory of the scripts.
      prefix: the absolute path prefix the scripts' files start with.
    """
    for entry in rctx.path(libdir).readdir():
        if not entry.basename.endswith(".so") or entry.is_dir:
            continue
        content = rctx.read(entry)
        if content.startswith("/* GNU ld script"):
            rctx.file(entry, content.replace(" " + prefix, " =" + prefix), legacy_utf8 = False)

def _last_line(result):
    lines = (result.stderr + result.stdout).strip().splitlines()
    return lines[-1] if lines else "no output"

def _require(rctx, tools):
    missing = [tool for tool in tools if not rctx.which(tool)]
    if missing:
        fail("%s: %s not found" % (rctx.name, ", ".join(missing)))

def debian_mirrors(rctx):
    """Archive name -> base URL, from toolchains/debian/mirrors.json.

    Args:
      rctx: the repository_ctx.

    Returns:
      The dict.
    """
    return {archive: url.rstrip("/") for archive, url in json.decode(rctx.read(_MIRRORS)).items()}

def debian_url(mirrors, path):
    """The URL of a pinned "<archive>/pool/..." path.

    Args:
      mirrors: debian_mirrors().
      path: the path from a package table.

    Returns:
      The URL.
    """
    archive, _, pool = path.partition("/")
    if archive not in mirrors or not pool.startswith("pool/") or ".." in pool.split("/"):
        fail("%s: expected <archive>/pool/... with an archive from mirrors.json (%s)" % (
            path,
            ", ".join(sorted(mirrors)),
        ))
    return mirrors[archive] + "/" + pool

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

def fetch_debian_packages(rctx, packages, destination = "root", mirrors = None):
    """Downloads, verifies and unpacks pinned packages into destination.

    In sorted package order, each .deb's data.tar.* is unpacked over the
    previous ones (as `dpkg-deb -x` of each would).

    Args:
      rctx: the repository_ctx.
      packages: dict package name -> (version, "<archive>/pool/..." path, sha256).
      destination: directory in the repository to unpack into.
      mirrors: archive name -> base URL; mirrors.json's by default.
    """
    _require(rctx, ["find", "chmod", "python3"])
    python = rctx.which("python3")
    deb_headers = str(rctx.path(_DEB_HEADERS))
    mirrors = mirrors or debian_mirrors(rctx)
    for index, name in enumerate(sorted(packages)):
        _, path, sha256 = packages[name]
        scratch = "_debs/%s" % name
        rctx.report_progress("package %d/%d: %s" % (index + 1, len(packages), path.split("/")[-1]))
        rctx.download_and_extract(
            url = debian_url(mirrors, path),
            sha256 = sha256,
            type = "deb",
            output = scratch,
        )
        data = [entry for entry in rctx.path(scratch).readdir() if entry.basename.startswith("data.tar")]
        if len(data) != 1:
            fail("%s: %s has no single data.tar member" % (rctx.name, path))
        rctx.extract(data[0], output = destination)
        result = rctx.execute([python, deb_headers, str(data[0]), str(rctx.path(destination))])
        if result.return_code != 0:
            fail("%s: cannot set the modes of %s: %s" % (rctx.name, path, _last_line(result)))
        rctx.delete(scratch)
    clear_setid_bits(rctx, destination)
    rctx.delete("_debs")
