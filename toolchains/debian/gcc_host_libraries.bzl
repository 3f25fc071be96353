"""The libraries GCC's own programs (cc1, cc1plus, lto1) run with, whatever they target: data only.

Every pinned GCC repository (//toolchains/arm_gnu, aarch64_linux_gnu,
x86_64_linux_gnu) ships them beside its compiler, so that a host without GCC
runs it. Debian 12 packages; regenerate with
`python3 -m toolchains.debian.pin libisl23 libmpc3 libmpfr6 libgmp10 libzstd1 zlib1g`.
"""

GCC_HOST_LIBRARIES = {
    "libgmp10": ("2:6.2.1+dfsg1-1.1", "debian/pool/main/g/gmp/libgmp10_6.2.1+dfsg1-1.1_amd64.deb", "187aedef2ed763f425c1e523753b9719677633c7eede660401739e9c893482bd"),
    "libisl23": ("0.25-1.1", "debian/pool/main/i/isl/libisl23_0.25-1.1_amd64.deb", "ebff0b2f8b220c74224197523019366e97ee4770d464bebc48e4865114e4da0e"),
    "libmpc3": ("1.3.1-1", "debian/pool/main/m/mpclib3/libmpc3_1.3.1-1_amd64.deb", "d7f79544790e44f9b0c8cb9034a18c58d37f8702a15f32539050718679e52f80"),
    "libmpfr6": ("4.2.0-1", "debian/pool/main/m/mpfr4/libmpfr6_4.2.0-1_amd64.deb", "37b7a2b4e78890b6a074777f27b96c84f58e81558ba08410c2b6c0ca4a4ad77b"),
    "libzstd1": ("1.5.4+dfsg2-5+deb12u1", "debian-security/pool/updates/main/libz/libzstd/libzstd1_1.5.4+dfsg2-5+deb12u1_amd64.deb", "67dc1ee693e5c22b1a2be2bb70d8244b040836ce3f5dd79e006f7806bc3d9f1c"),
    "zlib1g": ("1:1.2.13.dfsg-1+deb12u1", "debian-security/pool/updates/main/z/zlib/zlib1g_1.2.13.dfsg-1+deb12u1_amd64.deb", "ad9f1ea0537a32c9eaecc619563a9db596a5dee33afce8393b1083f22d301e1d"),
}
