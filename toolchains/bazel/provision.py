"""Provisions Bazel from Debian sid's packages on a machine without internet.

No registry reachable here ships a modern Bazel, but Debian sid packages
`bazel-bootstrap` 7.7.1 and the Bazel modules as source trees. Their binaries
need a newer glibc than the host has, so this script:

1. downloads exactly the packages of the committed closure
   (closure_<arch>.txt, written by pin_closure.py) from the Debian pool and
   checks every `.deb` against the SHA256 committed there: no package index is
   read, so an old or replayed one cannot matter,
2. takes a lock in the cache so that two first runs do not race,
3. unpacks them into a per-user cache, clears every set-uid/set-gid bit, and
   relocates the tree: ELF interpreters and rpaths point into the prefix,
   symlinks out of the prefix become copies, and the server classpath lists
   the prefix's jars,
4. writes the bazelrc with the offline flags that the workspace's `.bazelrc`
   imports.

Usage (the `./bazel` launcher calls it): provision.py WORKSPACE CACHE_DIR RC_PATH
Prints progress on stderr; fails with one sentence and exit status 1.
"""

from __future__ import annotations

import fcntl
import os
import pathlib
import platform
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from toolchains.debian import debs as debian

HERE = pathlib.Path(__file__).resolve().parent

# The version is pinned once, in the workspace's .bazelversion (which the
# ./bazel launcher and bazelisk read too); the closure must provide it.
BAZEL_VERSION = (HERE.parents[1] / ".bazelversion").read_text().strip()

# The packages (and their whole dependency closure) that make Bazel here:
# "package version sha256 pool-path" per line, in unpacking order, written by
# pin_closure.py. Every .deb is checked against it; apt's index is not used.
CLOSURE_FILES = {"amd64": "closure_amd64.txt"}

# Debian sid's packages come from the "debian" archive of
# toolchains/debian/mirrors.json; BAZEL_PROVISION_DEBIAN_MIRROR replaces it.
DEBIAN_MIRROR = debian.mirrors()["debian"]

# Bazel module name -> directory under usr/share/bazel in the Debian packages.
DEBIAN_MODULES = {
    "rules_python": "rules/python",
    "rules_cc": "rules/cc",
    "rules_java": "rules/java",
    "rules_license": "rules/license",
    "rules_proto": "rules/proto",
    "platforms": "tools/platforms",
    "bazel_skylib": "tools/skylib",
    "bazel_features": "tools/features",
}

# Modules that Bazel's own bazel_tools asks for but this build never uses.
STUB_MODULES = ("protobuf", "zlib", "apple_support", "buildozer")

REQUIRED_FREE_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class Arch:
    debian: str
    triplet: str
    loader: str


ARCHES = {
    "x86_64": Arch("amd64", "x86_64-linux-gnu", "ld-linux-x86-64.so.2"),
    "aarch64": Arch("arm64", "aarch64-linux-gnu", "ld-linux-aarch64.so.1"),
}


class ProvisionError(Exception):
    """A failure that is reported to the user as one sentence."""


def progress(message: str) -> None:
    print(f"[bazel-provision] {message}", file=sys.stderr, flush=True)


def host_arch() -> Arch:
    system = platform.system()
    machine = platform.machine()
    if system != "Linux":
        raise ProvisionError(
            f"cannot provision Bazel on {system}: only Linux is supported; "
            f"install Bazel {BAZEL_VERSION} or bazelisk on PATH instead"
        )
    if machine not in ARCHES:
        raise ProvisionError(
            f"cannot provision Bazel on CPU {machine}: supported are "
            f"{', '.join(sorted(ARCHES))}; install Bazel {BAZEL_VERSION} on PATH instead"
        )
    return ARCHES[machine]


def require_tools() -> None:
    missing = [tool for tool in ("dpkg-deb",) if not shutil.which(tool)]
    if missing:
        raise ProvisionError(
            f"cannot provision Bazel: {', '.join(missing)} not found; this needs a "
            f"Debian-based host, or Bazel {BAZEL_VERSION} on PATH"
        )


def require_disk(path: pathlib.Path) -> None:
    free = shutil.disk_usage(path).free
    if free < REQUIRED_FREE_BYTES:
        raise ProvisionError(
            f"cannot provision Bazel: {free / 1024**3:.1f} GiB free under {path}, "
            f"{REQUIRED_FREE_BYTES / 1024**3:.0f} GiB needed"
        )


@dataclass(frozen=True)
class Deb:
    package: str
    version: str
    sha256: str
    pool_path: str

    @property
    def filename(self) -> str:
        return pathlib.PurePosixPath(self.pool_path).name


def read_closure(arch: Arch) -> list[Deb]:
    name = CLOSURE_FILES.get(arch.debian)
    if name is None:
        raise ProvisionError(
            f"no pinned package closure for {arch.debian}; install Bazel {BAZEL_VERSION} on PATH"
        )
    pinned = []
    for number, line in enumerate((HERE / name).read_text().splitlines(), 1):
        fields = line.split()
        if len(fields) != 4 or not re.fullmatch(r"[0-9a-f]{64}", fields[2]) or \
                not re.fullmatch(r"pool/[A-Za-z0-9+.~_/-]+\.deb", fields[3]) or ".." in fields[3]:
            raise ProvisionError(f"{name}:{number}: expected 'package version sha256 pool-path'")
        pinned.append(Deb(*fields))
    bazel = [d.version for d in pinned if d.package == "bazel-bootstrap"]
    if not bazel or not bazel[0].startswith(BAZEL_VERSION + "+"):
        raise ProvisionError(
            f"{name} pins bazel-bootstrap {bazel[0] if bazel else '(none)'}, but .bazelversion says "
            f"{BAZEL_VERSION}; run toolchains/bazel/pin_closure.py"
        )
    return pinned


def manifest_text(debs: list[Deb]) -> str:
    """What the prefix's MANIFEST holds once provisioned from exactly these packages."""
    return "".join(f"{d.package} {d.version} {d.sha256}\n" for d in debs)


def download(packages: list[Deb], archives: pathlib.Path, mirror: str) -> None:
    """Fetches each .deb from the mirror's pool and checks it against the pinned SHA256."""
    try:
        debian.check_http_url(mirror)
        for index, deb in enumerate(packages, 1):
            debian.fetch(f"{mirror.rstrip('/')}/{deb.pool_path}", archives / deb.filename, deb.sha256)
            if index % 50 == 0:
                progress(f"  downloaded {index}/{len(packages)}")
    except debian.FetchError as error:
        raise ProvisionError(str(error)) from error


def verify(packages: list[Deb], archives: pathlib.Path) -> None:
    try:
        for deb in packages:
            debian.check_sha256(archives / deb.filename, deb.sha256)
    except debian.FetchError as error:
        raise ProvisionError(str(error)) from error


def elf_kind(path: pathlib.Path) -> str | None:
    """Returns 'exec' for a dynamically linked executable, 'lib' for another ELF, else None."""
    try:
        with path.open("rb") as stream:
            header = stream.read(64)
            if len(header) < 64 or header[:4] != b"\x7fELF" or header[4] != 2:
                return None
            phoff = struct.unpack_from("<Q", header, 32)[0]
            phentsize, phnum = struct.unpack_from("<HH", header, 54)
            stream.seek(phoff)
            table = stream.read(phentsize * phnum)
    except OSError:
        return None
    for index in range(phnum):
        (p_type,) = struct.unpack_from("<I", table, index * phentsize)
        if p_type == 3:  # PT_INTERP
            return "exec"
    return "lib"


def resolve_in_prefix(path: pathlib.Path, prefix: pathlib.Path) -> pathlib.Path | None:
    """Resolves path's symlinks as if prefix were the root directory (a chroot):
    an absolute target starts again at prefix and '..' stops at it, so the result
    never leaves the prefix. None for a symlink loop."""
    pending = list(path.relative_to(prefix).parts)
    resolved: list[str] = []
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = prefix.joinpath(*resolved, part)
        if not candidate.is_symlink():
            resolved.append(part)
            continue
        hops += 1
        if hops > 40:
            return None
        target = pathlib.PurePosixPath(os.readlink(candidate))
        if target.is_absolute():
            resolved = []
            pending = list(target.parts[1:]) + pending
        else:
            pending = list(target.parts) + pending
    return prefix.joinpath(*resolved)


def materialize_symlinks(root: pathlib.Path, prefix: pathlib.Path) -> None:
    """Replaces each symlink under root by a copy of its target, resolved inside
    prefix (resolve_in_prefix): nothing of the host is copied in. A link whose
    target the prefix lacks is removed."""
    for _ in range(10):
        links = sorted(p for p in root.rglob("*") if p.is_symlink())
        if not links:
            return
        for link in links:
            if not link.is_symlink():  # inside a directory copied in this round
                continue
            resolved = resolve_in_prefix(link, prefix)
            link.unlink()
            if resolved is None or not resolved.exists():
                continue
            if resolved.is_dir():
                # Links inside the copy stay links; the next round copies them.
                shutil.copytree(resolved, link, symlinks=True)
            else:
                shutil.copy2(resolved, link)
    raise ProvisionError(f"symlinks under {root} do not resolve to files (a cycle?)")


# Written into the prefix once its set-uid/set-gid bits are cleared (a cache
# provisioned before this step existed is fixed up on the next ./bazel call).
SETID_MARKER = "SETID_CLEARED"


def clear_setid_bits(root: pathlib.Path) -> list[pathlib.Path]:
    """Clears the set-uid and set-gid bits of every file and directory under
    root (symlinks are not followed); returns the paths changed.

    Unpacked as root, dpkg-deb keeps the packages' modes: the cache would hold
    a set-uid-root usr/bin/su and a set-gid-shadow unix_chkpwd, which nothing
    here runs but anyone who can reach the cache could.
    """
    changed: list[pathlib.Path] = []
    for directory, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = pathlib.Path(directory) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode) or not mode & (stat.S_ISUID | stat.S_ISGID):
                continue
            path.chmod(stat.S_IMODE(mode) & ~(stat.S_ISUID | stat.S_ISGID))
            changed.append(path)
    return changed


def clear_setid_bits_of_prefix(prefix: pathlib.Path) -> None:
    cleared = clear_setid_bits(prefix)
    if cleared:
        progress(f"cleared set-uid/set-gid bits of {len(cleared)} file(s), e.g. "
                 f"{cleared[0].relative_to(prefix)}")
    (prefix / SETID_MARKER).write_text("")


def install_truststore(jdk: pathlib.Path) -> None:
    """Gives the JDK the host's CA certificates, so Bazel can fetch pinned https URLs.

    The JDK's cacerts is a link to a file that Debian's ca-certificates-java
    generates in a maintainer script, which unpacking does not run. Prefer the
    host's Java truststore; otherwise import the host's PEM bundle with keytool.
    """
    cacerts = jdk / "lib/security/cacerts"
    if cacerts.exists():
        return
    host_store = pathlib.Path("/etc/ssl/certs/java/cacerts")
    if host_store.is_file():
        shutil.copyfile(host_store, cacerts)
        return
    bundle = pathlib.Path("/etc/ssl/certs/ca-certificates.crt")
    if not bundle.is_file():
        progress("warning: no CA certificates on this host; Bazel cannot fetch https URLs")
        return
    pems = bundle.read_text().split("-----END CERTIFICATE-----")
    with tempfile.TemporaryDirectory() as scratch:
        for index, pem in enumerate(p for p in pems if "BEGIN CERTIFICATE" in p):
            cert = pathlib.Path(scratch) / f"{index}.pem"
            cert.write_text(pem.strip() + "\n-----END CERTIFICATE-----\n")
            subprocess.run(
                [str(jdk / "bin/keytool"), "-importcert", "-noprompt", "-storetype", "pkcs12",
                 "-keystore", str(cacerts), "-storepass", "changeit", "-alias", f"host-{index}",
                 "-file", str(cert)],
                check=True, capture_output=True,
            )


def relocate(prefix: pathlib.Path, arch: Arch) -> pathlib.Path:
    """Makes the unpacked tree run from prefix; returns the JDK directory."""
    install_base = prefix / "usr/share/bazel"
    jdk_dirs = sorted((prefix / "usr/lib/jvm").glob(f"java-25-openjdk-{arch.debian}"))
    if not jdk_dirs:
        raise ProvisionError("the unpacked packages contain no OpenJDK 25")
    jdk = jdk_dirs[0]
    materialize_symlinks(install_base, prefix)
    materialize_symlinks(jdk, prefix)

    libdir = prefix / "usr/lib" / arch.triplet
    loader = libdir / arch.loader
    rpath = ":".join(
        str(p) for p in (libdir, jdk / "lib", jdk / "lib/server") if p.is_dir()
    )
    executables: list[str] = []
    libraries: list[str] = []
    candidates = [prefix / "usr/bin/bazel", *install_base.rglob("*"), *jdk.rglob("*")]
    for path in candidates:
        if path.is_symlink() or not path.is_file():
            continue
        kind = elf_kind(path)
        if kind == "exec":
            executables.append(str(path))
        elif kind == "lib" and path.is_relative_to(jdk):
            libraries.append(str(path))
    patchelf = [str(loader), "--library-path", str(libdir), str(prefix / "usr/bin/patchelf")]
    for batch, extra in ((executables, ["--set-interpreter", str(loader)]), (libraries, [])):
        for start in range(0, len(batch), 200):
            subprocess.run(
                [*patchelf, *extra, "--force-rpath", "--set-rpath", rpath,
                 *batch[start : start + 200]],
                check=True,
            )

    install_truststore(jdk)

    # The launcher reads its server classpath from this file; Debian lists
    # /usr/share/java jars whose manifests name further jars, so list them all.
    jars = sorted(str(p) for p in (prefix / "usr/share/java").glob("*.jar"))
    (install_base / "bazel_classpath_debian_depends.txt").write_text("\n".join(jars) + "\n")
    return jdk


def write_rc(rc_path: pathlib.Path, workspace: pathlib.Path, prefix: pathlib.Path,
             jdk: pathlib.Path) -> None:
    install_base = prefix / "usr/share/bazel"
    lines = [
        "# Generated by ./bazel (toolchains/bazel/provision.py) for this machine; do not edit.",
        f"# prefix: {prefix}",
        f"startup --install_base={install_base}",
        "startup --trust_install_base",
        f"startup --server_javabase={jdk}",
    ]
    for module, sub in DEBIAN_MODULES.items():
        lines.append(f"common --override_module={module}={install_base / sub}")
    for module in STUB_MODULES:
        stub = workspace / "toolchains/bazel/stub_modules" / module
        lines.append(f"common --override_module={module}={stub}")
    lines += [
        "common --lockfile_mode=off",
        # linux-sandbox cannot set up its namespaces on these hosts.
        "build --spawn_strategy=processwrapper-sandbox,local",
    ]
    tmp = rc_path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(rc_path)


def provision(target: pathlib.Path, arch: Arch, debs: list[Deb], mirror: str) -> None:
    """Unpacks and relocates into target; MANIFEST, written last, marks it complete.

    The tree is built at its final path because the patched ELF interpreters
    and rpaths are absolute.
    """
    require_disk(target.parent)
    started = time.monotonic()
    if target.exists():
        shutil.rmtree(target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".debs-") as scratch:
        archives = pathlib.Path(scratch)
        progress(f"downloading {len(debs)} pinned packages from {mirror}")
        download(debs, archives, mirror)
        progress(f"unpacking {len(debs)} packages into {target}")
        for index, deb in enumerate(debs, 1):
            subprocess.run(["dpkg-deb", "-x", str(archives / deb.filename), str(target)],
                           check=True)
            if index % 50 == 0:
                progress(f"  unpacked {index}/{len(debs)}")
    clear_setid_bits_of_prefix(target)
    progress("relocating binaries, symlinks and classpath into the prefix")
    relocate(target, arch)
    (target / "MANIFEST").write_text(manifest_text(debs))
    progress(f"Bazel {BAZEL_VERSION} ready in {target} ({time.monotonic() - started:.0f} s)")


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: provision.py WORKSPACE CACHE_DIR RC_PATH", file=sys.stderr)
        return 2
    workspace, cache, rc_path = (pathlib.Path(a).resolve() for a in argv[1:])
    try:
        arch = host_arch()
        debs = read_closure(arch)
        prefix = cache / f"bazel-{BAZEL_VERSION}-{arch.debian}"
        cache.mkdir(parents=True, exist_ok=True)
        # Two first runs at once would delete each other's tree: one provisions,
        # the other waits and then finds it done.
        with (cache / f".{prefix.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            manifest = prefix / "MANIFEST"
            if not manifest.is_file() or manifest.read_text() != manifest_text(debs):
                require_tools()
                mirror = os.environ.get("BAZEL_PROVISION_DEBIAN_MIRROR", DEBIAN_MIRROR)
                provision(prefix, arch, debs, mirror)
            elif not (prefix / SETID_MARKER).is_file():
                clear_setid_bits_of_prefix(prefix)
            jdk = next((prefix / "usr/lib/jvm").glob(f"java-25-openjdk-{arch.debian}"))
            write_rc(rc_path, workspace, prefix, jdk)
    except ProvisionError as error:
        print(f"./bazel: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"./bazel: provisioning step failed: {' '.join(error.cmd[:3])} "
              f"exited {error.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
