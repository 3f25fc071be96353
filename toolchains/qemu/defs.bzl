"""The QEMU toolchain type's provider and rule."""

QemuInfo = provider(
    doc = "QEMU executables for test runners.",
    fields = {
        "system_arm": "File: qemu-system-arm (wrapper).",
        "user_aarch64": "File: qemu-aarch64 (static, user mode).",
        "files": "depset of everything the executables need at run time.",
        "version": "Debian version of the packages.",
    },
)

def _qemu_toolchain_impl(ctx):
    files = depset(
        [ctx.file.system_arm, ctx.file.user_aarch64],
        transitive = [ctx.attr.system_arm_files[DefaultInfo].files],
    )
    info = QemuInfo(
        system_arm = ctx.file.system_arm,
        user_aarch64 = ctx.file.user_aarch64,
        files = files,
        version = ctx.attr.version,
    )
    return [platform_common.ToolchainInfo(qemu = info), info]

qemu_toolchain = rule(
    implementation = _qemu_toolchain_impl,
    attrs = {
        "system_arm": attr.label(allow_single_file = True, mandatory = True),
        "system_arm_files": attr.label(mandatory = True),
        "user_aarch64": attr.label(allow_single_file = True, mandatory = True),
        "version": attr.string(),
    },
)
