"""Module extension: Arm Corstone FVPs, downloaded only after an explicit EULA opt-in.

Each FVP is a repository that always exists and records whether the simulator
is available: from an existing install (ARM_FVP_<MODEL>_DIR), or downloaded from
Arm (pinned URL and checksum, as Arm and upstream ExecuTorch publish them) when
ARM_FVP_INSTALL_I_AGREE_TO_THE_CONTAINED_EULA=True. Where it is not available the
board's FVP toolchain (BUILD.bazel) is incompatible, and so are the tests that
resolve it: SKIPPED.
ARM_FVP_BASE_URL replaces Arm's download location (a mirror, or a test server):
https, or plain http only on loopback.
"""

load("//toolchains/platforms:host.bzl", "host_key")

ARM_BASE_URL = "https://developer.arm.com/-/cdn-downloads/permalink/FVPs-Corstone-IoT"

# Arm publishes MD5 only for the Corstone-300/320 archives (upstream ExecuTorch
# pins the same), so those are checked by MD5, over https, and against a size
# bound: the exact sizes could not be read without Arm's site; an archive that
# is larger is refused while downloading.
_MAX_BYTES = 1024 * 1024 * 1024

# model -> host -> (path under the base URL, checksum algorithm, checksum, max bytes)
FVP_ARCHIVES = {
    "corstone300": {
        "linux-x86_64": ("Corstone-300/FVP_Corstone_SSE-300_11.27_42_Linux64.tgz", "md5", "0dc9538041296b8d479249e6fa5aab74", _MAX_BYTES),
        "linux-aarch64": ("Corstone-300/FVP_Corstone_SSE-300_11.27_42_Linux64_armv8l.tgz", "md5", "74e7952817b338c8479bcf66874b23e0", _MAX_BYTES),
    },
    "corstone320": {
        "linux-x86_64": ("Corstone-320/FVP_Corstone_SSE-320_11.27_25_Linux64.tgz", "md5", "3deb3c68f9b2d145833f15374203514d", _MAX_BYTES),
        "linux-aarch64": ("Corstone-320/FVP_Corstone_SSE-320_11.27_25_Linux64_armv8l.tgz", "md5", "3889f1d80a6d9861ea4aa6f1c88dd0ae", _MAX_BYTES),
    },
    "corstone1000": {
        "linux-x86_64": ("Corstone-1000-with-Cortex-A320/FVP_Corstone_1000-A320_11.30_27_Linux64.tgz", "sha256", "d57b248a1c1bc5a6040605d50af94a5151adc4da26ec9acc456ec86b819ffb76", _MAX_BYTES),
        "linux-aarch64": ("Corstone-1000-with-Cortex-A320/FVP_Corstone_1000-A320_11.30_27_Linux64_armv8l.tgz", "sha256", "a45898fead5549779153263c3544fa1032c285d532275eb678f58cae3317b01f", _MAX_BYTES),
    },
}

# model -> (installer script in the archive, binaries it installs)
FVP_MODELS = {
    "corstone300": ("FVP_Corstone_SSE-300.sh", ["FVP_Corstone_SSE-300_Ethos-U55", "FVP_Corstone_SSE-300_Ethos-U65"]),
    "corstone320": ("FVP_Corstone_SSE-320.sh", ["FVP_Corstone_SSE-320"]),
    "corstone1000": ("FVP_Corstone_1000-A320.sh", ["FVP_Corstone-1000-A320"]),
}

_EULA = "ARM_FVP_INSTALL_I_AGREE_TO_THE_CONTAINED_EULA"

def _fvp_repo_impl(rctx):
    model = rctx.attr.model
    installer, binaries = FVP_MODELS[model]
    dir_variable = "ARM_FVP_%s_DIR" % model.upper()
    install_dir = rctx.os.environ.get(dir_variable, "")
    archives = FVP_ARCHIVES[model]
    host = host_key(rctx)
    reason = ""
    found = {}
    if not install_dir and host not in archives:
        reason = "Arm publishes no %s FVP for %s" % (model, host)
    else:
        path, algorithm, checksum, max_bytes = archives.get(host, ("", "sha256", "0", 0))
        base = rctx.os.environ.get("ARM_FVP_BASE_URL", ARM_BASE_URL).rstrip("/")
        python = rctx.which("python3")
        if not python:
            fail("fvp_%s: python3 is needed to install FVPs" % model)
        command = [
            python,
            str(rctx.path(rctx.attr._installer)),
            "--model",
            model,
            "--installer",
            installer,
            "--url",
            "%s/%s" % (base, path),
            "--checksum",
            checksum,
            "--checksum_algorithm",
            algorithm,
            "--max_bytes",
            str(max_bytes),
            "--destination",
            str(rctx.path("install")),
            "--install_dir",
            install_dir,
        ]
        for binary in binaries:
            command += ["--binary", binary]
        rctx.report_progress("looking for or installing the %s FVP" % model)
        result = rctx.execute(command, timeout = 3600)
        if result.return_code == 3:
            reason = result.stderr.strip()
        elif result.return_code != 0:
            fail(result.stderr.strip())
        else:
            for line in result.stdout.strip().splitlines():
                binary, _, location = line.partition(" ")
                rctx.symlink(location, "bin/" + binary)
                found[binary] = "bin/" + binary
    rctx.file("STATUS", ("available\n" if found else "missing: %s\n" % reason))
    rctx.file("BUILD.bazel", """\
load("{defs_bzl}", "fvp_availability")

package(default_visibility = ["//visibility:public"])

# {status}
fvp_availability(
    name = "available",
    available = {available},
)

exports_files(["STATUS"])

filegroup(
    name = "binaries",
    srcs = {binaries},
)
""".format(
        defs_bzl = str(Label("//toolchains/fvp:defs.bzl")),
        status = "available" if found else "missing: " + reason.replace("\n", " "),
        available = repr(bool(found)),
        binaries = repr(sorted(found.values())),
    ))

fvp_repo = repository_rule(
    implementation = _fvp_repo_impl,
    attrs = {
        "model": attr.string(mandatory = True, values = sorted(FVP_MODELS)),
        "_installer": attr.label(default = "//toolchains/fvp:fvp_install.py"),
    },
    environ = [
        _EULA,
        "ARM_FVP_BASE_URL",
        "ARM_FVP_CORSTONE300_DIR",
        "ARM_FVP_CORSTONE320_DIR",
        "ARM_FVP_CORSTONE1000_DIR",
    ],
    doc = "An Arm Corstone FVP if installed or downloadable with EULA consent; records availability.",
)

def _fvp_impl(module_ctx):
    for model in sorted(FVP_MODELS):
        fvp_repo(name = "fvp_" + model, model = model)

    # Not reproducible: what the repositories hold depends on the environment
    # (the EULA opt-in, an installed FVP's directory).
    return module_ctx.extension_metadata(reproducible = False)

fvp = module_extension(implementation = _fvp_impl)
