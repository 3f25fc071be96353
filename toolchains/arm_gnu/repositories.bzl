"""Repository rule: the Arm GNU bare-metal toolchain (arm-none-eabi).

Two pinned sources:
- "debian": Debian 12's gcc-arm-none-eabi 12.2.rel1 with newlib and libstdc++,
  fetched by Bazel from the Debian mirror and checked against pinned SHA256s
  (works with only Debian's package registry reachable).
- "arm": Arm's official Arm GNU Toolchain archive for the host, checked against
  its pinned SHA256.
"auto" picks "debian" on a Debian x86_64 host (apt-get and dpkg-deb present:
the packages' binaries need Debian 12's glibc or newer), "arm" elsewhere;
`--repo_env=ARM_GNU_TOOLCHAIN_SOURCE=debian|arm` forces one.
"""

load("//toolchains/debian:debian.bzl", "HOST_LIBRARY_DIRS", "fetch_debian_packages", "library_path", "write_closure_manifest")
load("//toolchains/debian:gcc_host_libraries.bzl", "GCC_HOST_LIBRARIES")
load("//toolchains/gcc:tool_map.bzl", "GCC_TOOL_MAP_BZL")
load("//toolchains/platforms:host.bzl", "host_key", "require_host")
load(":cores.bzl", "CORTEX_M_CORES")

# Debian 12 (bookworm) packages; regenerate with toolchains/debian/pin.py.
DEBIAN_PACKAGES = {
    "binutils-arm-none-eabi": ("2.40-2+18+b1", "debian/pool/main/b/binutils-arm-none-eabi/binutils-arm-none-eabi_2.40-2+18+b1_amd64.deb", "c8f9da2a434366bfe5a66a8267cb3b1df028f1d95278715050c222b43e1c221c"),
    "gcc-arm-none-eabi": ("15:12.2.rel1-1", "debian/pool/main/g/gcc-arm-none-eabi/gcc-arm-none-eabi_12.2.rel1-1_amd64.deb", "2bbd4f4145e9a3669f58ddab6a3190b768949f07cc444d23e98743d905f83e16"),
    "libnewlib-arm-none-eabi": ("3.3.0-1.3+deb12u1", "debian/pool/main/n/newlib/libnewlib-arm-none-eabi_3.3.0-1.3+deb12u1_all.deb", "c80278e8332940eaf9738910258bb85b21c30aacf246a5e363fee230d3605e84"),
    "libnewlib-dev": ("3.3.0-1.3+deb12u1", "debian/pool/main/n/newlib/libnewlib-dev_3.3.0-1.3+deb12u1_all.deb", "ab5e6e80d66a6f2f8b9b22b9297154a676a5434ac82e48b88e8164548bc72115"),
    "libstdc++-arm-none-eabi-dev": ("15:12.2.rel1-1+23", "debian/pool/main/libs/libstdc++-arm-none-eabi/libstdc++-arm-none-eabi-dev_12.2.rel1-1+23_all.deb", "5f643e7507bd84150e820602cc086393c441e28f158b745370b2105333d9e2ec"),
    "libstdc++-arm-none-eabi-newlib": ("15:12.2.rel1-1+23", "debian/pool/main/libs/libstdc++-arm-none-eabi/libstdc++-arm-none-eabi-newlib_12.2.rel1-1+23_all.deb", "9d5b31c174f71733b933e3b6b152f172ae2b0dbc2cabc5ea949212568ce4dbce"),
} | GCC_HOST_LIBRARIES

# The Arm release used where the Debian packages are not (the repository's
# arm_version attribute picks another from ARM_RELEASES).
ARM_GNU_DEFAULT_VERSION = "14.2.rel1"

# Arm GNU Toolchain release archives: version -> host -> sha256. The URL and
# the archive's top directory follow from the version and Arm's host name.
ARM_RELEASES = {
    "14.2.rel1": {
        "linux-aarch64": "87330bab085dd8749d4ed0ad633674b9dc48b237b61069e3b481abd364d0a684",
        "linux-x86_64": "62a63b981fe391a9cbad7ef51b17e49aeaa3e7b0d029b36ca1e9c3b2a9b78823",
        "macos-aarch64": "c7c78ffab9bebfce91d99d3c24da6bf4b81c01e16cf551eb2ff9f25b9e0a3818",
    },
}

_ARM_BASE_URL = "https://developer.arm.com/-/media/Files/downloads/gnu"

# host_key() -> the host's name in Arm's archive names.
_ARM_HOSTS = {
    "linux-aarch64": "aarch64",
    "linux-x86_64": "x86_64",
    "macos-aarch64": "darwin-arm64",
}

_TOOLS = ["gcc", "g++", "ar", "ld", "nm", "objcopy", "objdump", "strip", "size", "readelf"]

def _select_source(rctx):
    source = rctx.os.environ.get("ARM_GNU_TOOLCHAIN_SOURCE", "auto")
    if source not in ["auto", "debian", "arm"]:
        fail("ARM_GNU_TOOLCHAIN_SOURCE=%s: use auto, debian or arm" % source)
    if source == "auto":
        on_debian_x86 = rctx.which("apt-get") and rctx.which("dpkg-deb") and host_key(rctx) == "linux-x86_64"
        source = "debian" if on_debian_x86 else "arm"
    return source

def _fetch_arm(rctx, version, releases, base_url):
    archives = releases.get(version)
    if not archives:
        fail("Arm GNU Toolchain %s is not pinned; known: %s" % (version, ", ".join(sorted(releases))))
    host = host_key(rctx)
    if host not in archives:
        fail("Arm GNU Toolchain %s has no archive for host %s; known: %s" % (
            version,
            host,
            ", ".join(sorted(archives)),
        ))
    sha256 = archives[host]
    strip_prefix = "arm-gnu-toolchain-%s-%s-arm-none-eabi" % (version, _ARM_HOSTS[host])
    url = "%s/%s/binrel/%s.tar.xz" % (base_url, version, strip_prefix)
    rctx.download_and_extract(url = url, sha256 = sha256, stripPrefix = strip_prefix, output = "root")

    # Arm's archives are self-contained: no library path.
    write_closure_manifest(rctx, {url: (version, url, sha256)}, ["root/bin", "root/libexec"], library_dirs = [])
    return "root/bin", "", version

def _fetch_debian(rctx):
    require_host(rctx, "the Debian arm-none-eabi packages")
    fetch_debian_packages(rctx, DEBIAN_PACKAGES)
    write_closure_manifest(rctx, DEBIAN_PACKAGES, ["root/usr/bin", "root/usr/lib/gcc/arm-none-eabi"])
    return "root/usr/bin", HOST_LIBRARY_DIRS, "debian-" + DEBIAN_PACKAGES["gcc-arm-none-eabi"][0]

def _debian_sysroot_args(rctx):
    """BUILD text: per core, where Debian's GCC must be told newlib and libstdc++ are.

    Debian's GCC looks for them at absolute /usr paths; these point into the
    repository, at each core's multilib.
    """
    gcc_version = rctx.execute([str(rctx.path("bin/gcc")), "-dumpversion"]).stdout.strip()
    include = "root/usr/include/newlib"
    lines = [
        _subdirectory("newlib_include", include),
        _subdirectory("cxx_include", "%s/c++/%s" % (include, gcc_version)),
        _subdirectory("cxx_backward_include", "%s/c++/%s/backward" % (include, gcc_version)),
        """cc_args(
    name = "c_includes",
    actions = ["@rules_cc//cc/toolchains/actions:compile_actions"],
    args = ["-isystem", "{newlib}"],
    format = {"newlib": ":newlib_include"},
)
""",
    ]
    for core, flags in CORTEX_M_CORES.items():
        result = rctx.execute([str(rctx.path("bin/gcc"))] + flags + ["-print-multi-directory"])
        multilib = result.stdout.strip()
        if result.return_code != 0 or not multilib:
            fail("arm-none-eabi-gcc cannot name its multilib for %s" % flags)
        lines += [
            _subdirectory("cxx_target_include_" + core, "%s/c++/%s/arm-none-eabi/%s" % (include, gcc_version, multilib)),
            _subdirectory("libraries_" + core, "root/usr/lib/arm-none-eabi/newlib/" + multilib),
            """cc_args(
    name = "cxx_includes_{core}",
    actions = ["@rules_cc//cc/toolchains/actions:cpp_compile_actions"],
    args = ["-isystem", "{{cxx}}", "-isystem", "{{cxx_target}}", "-isystem", "{{cxx_backward}}"],
    format = {{
        "cxx": ":cxx_include",
        "cxx_backward": ":cxx_backward_include",
        "cxx_target": ":cxx_target_include_{core}",
    }},
)

cc_args(
    name = "link_libraries_{core}",
    actions = ["@rules_cc//cc/toolchains/actions:link_actions"],
    args = ["-L{{libraries}}", "-B{{libraries}}/"],
    format = {{"libraries": ":libraries_{core}"}},
)

cc_args_list(
    name = "sysroot_{core}",
    args = [
        ":cxx_includes_{core}",
        ":c_includes",
        ":link_libraries_{core}",
    ],
)
""".format(core = core),
        ]
    return "\n".join(lines)

def _subdirectory(name, path):
    return """subdirectory(
    name = "{name}",
    parent = ":tree",
    path = "{path}",
)
""".format(name = name, path = path)

def _builtin_include_dirs(rctx):
    """Asks the compiler for its system include directories (C and C++), relative to the repository."""
    repo = str(rctx.path(".").realpath) + "/"
    dirs = []
    for language in ["c", "c++"]:
        result = rctx.execute(
            [str(rctx.path("bin/gcc")), "-x" + language, "-E", "-v"] + CORTEX_M_CORES.values()[0] + ["-"],
            working_directory = str(rctx.path(".")),
        )
        if result.return_code != 0:
            fail("arm-none-eabi-gcc does not run: %s" % result.stderr.strip().splitlines()[-1:])
        listing = result.stderr.split("#include <...> search starts here:")[-1].split("End of search list.")[0]
        for line in listing.strip().splitlines():
            path = str(rctx.path(line.strip()).realpath)
            if not path.startswith(repo):
                fail("arm-none-eabi-gcc searches %s, outside its repository" % path)
            path = path.removeprefix(repo)
            if path not in dirs:
                dirs.append(path)
    return dirs

def arm_gnu_toolchain(rctx, source, arm_version, releases = ARM_RELEASES, base_url = _ARM_BASE_URL):
    """Fills the repository: the toolchain, its tool wrappers and BUILD (from `rctx.attr._build_template`).

    Args:
      rctx: the repository_ctx.
      source: "debian" (the pinned Debian packages) or "arm" (Arm's release archive).
      arm_version: the Arm release, a key of `releases`.
      releases: Arm release -> host_key() -> the archive's SHA256.
      base_url: where Arm's releases are (tests serve their own).
    """
    if source == "arm":
        bindir, libdirs, version = _fetch_arm(rctx, arm_version, releases, base_url)
    else:
        bindir, libdirs, version = _fetch_debian(rctx)
    for tool in _TOOLS:
        # Wrappers keep paths relative to the execroot and let cc1 find the
        # GMP/MPFR/MPC/ISL libraries shipped beside it.
        rctx.file("bin/" + tool, """#!/bin/sh
here="${{0%/*}}"
{libpath}exec "$here/../{bindir}/arm-none-eabi-{tool}" "$@"
""".format(
            bindir = bindir,
            tool = tool,
            libpath = ("LD_LIBRARY_PATH=\"%s\" " % library_path("$here/..", libdirs)) if libdirs else "",
        ), executable = True)
    rctx.file("VERSION", "%s %s\n" % (source, version))
    if source == "debian":
        sysroot_args = _debian_sysroot_args(rctx)
    else:
        # Arm's GCC finds its own newlib and libstdc++.
        sysroot_args = "\n".join([
            'cc_args_list(\n    name = "sysroot_%s",\n    args = [],\n)\n' % core
            for core in CORTEX_M_CORES
        ])
    rctx.template("BUILD.bazel", rctx.attr._build_template, substitutions = {
        "{builtin_include_dirs}": repr(_builtin_include_dirs(rctx)),
        "{gcc_tool_map_bzl}": GCC_TOOL_MAP_BZL,
        "{source}": source,
        "{sysroot_args}": sysroot_args,
        "{version}": version,
    })

def _arm_gnu_repo_impl(rctx):
    arm_gnu_toolchain(rctx, _select_source(rctx), rctx.attr.arm_version)

arm_gnu_toolchain_repo = repository_rule(
    implementation = _arm_gnu_repo_impl,
    attrs = {
        "arm_version": attr.string(default = ARM_GNU_DEFAULT_VERSION),
        "_build_template": attr.label(default = "//toolchains/arm_gnu:BUILD.repo.tpl"),
    },
    environ = ["ARM_GNU_TOOLCHAIN_SOURCE"],
    doc = "arm-none-eabi GCC, newlib and libstdc++ from a pinned Debian or Arm source.",
)
