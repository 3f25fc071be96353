"""Provisions Bazel from Debian sid's packages on a machine without internet.

No registry reachable here ships a modern Bazel, but Debian sid packages
`bazel-bootstrap` 7.7.1 and the Bazel modules as source trees. Their binaries
need a newer glibc than the host has, so this script:

1. resolves the pinned packages and their closure with a private apt
   configuration (the host's apt state is never touched),
2. downloads them with apt's own client and checks every `.deb` against the
   SHA256 recorded in apt's index,
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

import hashlib
import os
import pathlib
import platform
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import unquote

BAZEL_VERSION = "7.7.1"

# Versions present in the frozen sid snapshot this project is pinned to. apt
# resolves their dependency closure; each file is then checked against the index.
PINNED_PACKAGES = {
    "bazel-bootstrap": "7.7.1+ds-8+b1",
    "bazel-rules-python": "0.22.1-3",
    "bazel-rules-cc": "0.0.11-3",
    "bazel-platforms": "0.0.10-4",
    "bazel-skylib": "1.9.1-2",
    "patchelf": "0.18.0-1.4",
}

SID_SOURCE = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

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
    missing = [tool for tool in ("apt-get", "apt-cache", "dpkg-deb") if not shutil.which(tool)]
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


class PrivateApt:
    """apt-get/apt-cache with their own lists, cache and an empty dpkg status."""

    def __init__(self, root: pathlib.Path, arch: Arch) -> None:
        self.root = root
        for sub in ("sources", "preferences", "lists/partial", "cache/archives/partial"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "sources" / "sid.sources").write_text(SID_SOURCE)
        (root / "status").write_text("")
        self.options = [
            "-o", "Dir::Etc::SourceList=/dev/null",
            "-o", f"Dir::Etc::SourceParts={root / 'sources'}",
            "-o", "Dir::Etc::Preferences=/dev/null",
            "-o", f"Dir::Etc::PreferencesParts={root / 'preferences'}",
            "-o", f"Dir::State::Lists={root / 'lists'}",
            "-o", f"Dir::Cache={root / 'cache'}",
            "-o", f"Dir::State::status={root / 'status'}",
            "-o", f"APT::Architecture={arch.debian}",
            "-o", f"APT::Architectures::={arch.debian}",
            # The sid snapshot reachable here is frozen; its Release file has expired.
            "-o", "Acquire::Check-Valid-Until=false",
            "-o", "APT::Install-Recommends=false",
            "-o", "Debug::NoLocking=1",
            "-qq",
        ]

    def run(self, tool: str, *args: str) -> str:
        result = subprocess.run(
            [tool, *self.options, *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise ProvisionError(f"{tool} {args[0]} failed: {detail}")
        return result.stdout

    @property
    def archives(self) -> pathlib.Path:
        return self.root / "cache" / "archives"


@dataclass(frozen=True)
class Deb:
    package: str
    version: str
    filename: str
    sha256: str


def resolve_closure(apt: PrivateApt) -> list[Deb]:
    """Returns every .deb that installing the pinned packages needs, with index SHA256."""
    specs = [f"{name}={version}" for name, version in PINNED_PACKAGES.items()]
    uris = apt.run("apt-get", "install", "--print-uris", *specs)
    # Each line: 'URI' LOCAL_FILENAME SIZE HASH; the local name escapes the epoch.
    local_by_pool_name: dict[str, str] = {}
    pins = []
    for line in uris.splitlines():
        if not line.startswith("'"):
            continue
        uri, local = line.split()[:2]
        local_by_pool_name[unquote(pathlib.PurePosixPath(uri.strip("'")).name)] = local
        package, version = local.split("_")[:2]
        pins.append(f"{package}={version.replace('%3a', ':')}")
    records = apt.run("apt-cache", "show", "--no-all-versions", *pins)
    debs: list[Deb] = []
    for record in records.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in record.splitlines() if ": " in line and line[0] != " "
        )
        pool_name = pathlib.PurePosixPath(fields.get("Filename", "")).name
        if pool_name in local_by_pool_name:
            local = local_by_pool_name.pop(pool_name)
            debs.append(Deb(fields["Package"], fields["Version"], local, fields["SHA256"]))
    if local_by_pool_name:
        raise ProvisionError(
            f"apt's index has no SHA256 for {', '.join(sorted(local_by_pool_name.values()))}"
        )
    return debs


def sha256_of(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(debs: list[Deb], archives: pathlib.Path) -> None:
    for deb in debs:
        path = archives / deb.filename
        if not path.is_file():
            raise ProvisionError(f"apt did not download {deb.filename}")
        actual = sha256_of(path)
        if actual != deb.sha256:
            path.unlink()
            raise ProvisionError(
                f"checksum mismatch for {deb.filename}: apt's index says {deb.sha256}, "
                f"the download has {actual}; the corrupt file was removed, run again"
            )


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


def materialize_symlinks(root: pathlib.Path, prefix: pathlib.Path) -> None:
    """Replaces each symlink under root by a copy of its target, read inside prefix."""
    for link in sorted(p for p in root.rglob("*") if p.is_symlink()):
        target = os.readlink(link)
        resolved = (
            prefix / target.lstrip("/") if target.startswith("/") else link.parent / target
        )
        resolved = pathlib.Path(os.path.normpath(resolved))
        if resolved.is_symlink() or not resolved.exists():
            resolved = resolved.resolve()
        if not resolved.exists():
            link.unlink()
            continue
        link.unlink()
        if resolved.is_dir():
            shutil.copytree(resolved, link, symlinks=False)
        else:
            shutil.copy2(resolved, link)


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


def provision(target: pathlib.Path, arch: Arch) -> None:
    """Unpacks and relocates into target; MANIFEST, written last, marks it complete.

    The tree is built at its final path because the patched ELF interpreters
    and rpaths are absolute.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    require_disk(target.parent)
    started = time.monotonic()
    if target.exists():
        shutil.rmtree(target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".apt-") as scratch:
        apt = PrivateApt(pathlib.Path(scratch), arch)
        progress("reading Debian sid's package index (private apt configuration)")
        apt.run("apt-get", "update")
        debs = resolve_closure(apt)
        progress(f"downloading {len(debs)} packages with apt")
        apt.run("apt-get", "install", "--download-only", "-y",
                *(f"{n}={v}" for n, v in PINNED_PACKAGES.items()))
        progress("verifying every .deb against the SHA256 in apt's index")
        verify(debs, apt.archives)
        progress(f"unpacking {len(debs)} packages into {target}")
        for index, deb in enumerate(debs, 1):
            subprocess.run(["dpkg-deb", "-x", str(apt.archives / deb.filename), str(target)],
                           check=True)
            if index % 50 == 0:
                progress(f"  unpacked {index}/{len(debs)}")
    clear_setid_bits_of_prefix(target)
    progress("relocating binaries, symlinks and classpath into the prefix")
    relocate(target, arch)
    manifest = "".join(f"{d.package} {d.version} {d.sha256}\n" for d in debs)
    (target / "MANIFEST").write_text(manifest)
    progress(f"Bazel {BAZEL_VERSION} ready in {target} ({time.monotonic() - started:.0f} s)")


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: provision.py WORKSPACE CACHE_DIR RC_PATH", file=sys.stderr)
        return 2
    workspace, cache, rc_path = (pathlib.Path(a).resolve() for a in argv[1:])
    try:
        arch = host_arch()
        prefix = cache / f"bazel-{BAZEL_VERSION}-{arch.debian}"
        if not (prefix / "MANIFEST").is_file():
            require_tools()
            provision(prefix, arch)
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
