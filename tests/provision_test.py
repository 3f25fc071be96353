"""Tests of the Bazel provisioning script's checks and relocation helpers."""

from __future__ import annotations

import hashlib
import os
import pathlib
import stat
import tempfile
from unittest import mock

from absl.testing import absltest

from toolchains.bazel import provision


class HostChecksTest(absltest.TestCase):
    def test_rejects_other_operating_systems(self) -> None:
        with mock.patch("platform.system", return_value="Darwin"):
            with self.assertRaisesRegex(provision.ProvisionError, "only Linux is supported"):
                provision.host_arch()

    def test_rejects_unknown_cpus(self) -> None:
        with mock.patch("platform.system", return_value="Linux"), mock.patch(
            "platform.machine", return_value="riscv64"
        ):
            with self.assertRaisesRegex(provision.ProvisionError, "CPU riscv64"):
                provision.host_arch()

    def test_accepts_x86_64_and_aarch64(self) -> None:
        with mock.patch("platform.system", return_value="Linux"):
            for machine, debian in (("x86_64", "amd64"), ("aarch64", "arm64")):
                with mock.patch("platform.machine", return_value=machine):
                    self.assertEqual(provision.host_arch().debian, debian)

    def test_names_missing_apt_tools(self) -> None:
        with mock.patch.dict(os.environ, {"PATH": self.create_tempdir().full_path}):
            with self.assertRaisesRegex(provision.ProvisionError, "apt-get, apt-cache, dpkg-deb not found"):
                provision.require_tools()

    def test_reports_too_little_disk(self) -> None:
        usage = mock.Mock(free=1024**3)
        with mock.patch("shutil.disk_usage", return_value=usage):
            with self.assertRaisesRegex(provision.ProvisionError, r"1\.0 GiB free .* 4 GiB needed"):
                provision.require_disk(pathlib.Path("/"))


class VerifyTest(absltest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.archives = pathlib.Path(self.create_tempdir().full_path)
        self.payload = b"a debian package"
        (self.archives / "pkg_1.0_amd64.deb").write_bytes(self.payload)

    def deb(self, sha256: str) -> provision.Deb:
        return provision.Deb("pkg", "1.0", "pkg_1.0_amd64.deb", sha256)

    def test_accepts_matching_checksum(self) -> None:
        provision.verify([self.deb(hashlib.sha256(self.payload).hexdigest())], self.archives)

    def test_mismatch_is_an_error_and_removes_the_file(self) -> None:
        with self.assertRaisesRegex(provision.ProvisionError, "checksum mismatch for pkg_1.0_amd64.deb"):
            provision.verify([self.deb("0" * 64)], self.archives)
        self.assertFalse((self.archives / "pkg_1.0_amd64.deb").exists())

    def test_missing_download_is_an_error(self) -> None:
        with self.assertRaisesRegex(provision.ProvisionError, "did not download other"):
            provision.verify([provision.Deb("other", "1", "other", "0" * 64)], self.archives)


class RelocationHelpersTest(absltest.TestCase):
    def test_symlinks_out_of_the_tree_become_copies_from_the_prefix(self) -> None:
        prefix = pathlib.Path(self.create_tempdir().full_path)
        (prefix / "etc/java").mkdir(parents=True)
        (prefix / "etc/java/net.properties").write_text("from the prefix")
        conf = prefix / "usr/lib/jvm/conf"
        conf.mkdir(parents=True)
        (conf / "net.properties").symlink_to("/etc/java/net.properties")
        (conf / "dangling").symlink_to("/nonexistent/file")
        provision.materialize_symlinks(prefix / "usr", prefix)
        copied = conf / "net.properties"
        self.assertFalse(copied.is_symlink())
        self.assertEqual(copied.read_text(), "from the prefix")
        self.assertFalse(os.path.lexists(conf / "dangling"))

    def test_elf_kind_tells_executables_from_libraries(self) -> None:
        with tempfile.NamedTemporaryFile() as text:
            text.write(b"#!/bin/sh\n")
            text.flush()
            self.assertIsNone(provision.elf_kind(pathlib.Path(text.name)))
        # /bin/sh is dynamically linked on every supported host.
        self.assertEqual(provision.elf_kind(pathlib.Path(os.path.realpath("/bin/sh"))), "exec")



class SetidBitsTest(absltest.TestCase):
    """Provisioning as root keeps the packages' set-uid/set-gid bits; they
    are cleared after unpacking, and in caches provisioned before that."""

    def plant(self, path: pathlib.Path, mode: int, directory: bool = False) -> pathlib.Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        if directory:
            path.mkdir()
        else:
            path.write_bytes(b"\x7fELF")
        path.chmod(mode)
        self.assertEqual(stat.S_IMODE(path.stat().st_mode), mode)
        return path

    def test_clears_setuid_and_setgid_bits_only(self) -> None:
        root = pathlib.Path(self.create_tempdir().full_path)
        outside = self.plant(pathlib.Path(self.create_tempdir().full_path) / "su", 0o4755)
        su = self.plant(root / "usr/bin/su", 0o4755)
        chkpwd = self.plant(root / "usr/sbin/unix_chkpwd", 0o2755)
        both = self.plant(root / "usr/lib/helper", 0o6711)
        mail = self.plant(root / "var/mail", 0o2775, directory=True)
        env = self.plant(root / "usr/bin/env", 0o755)
        (root / "usr/bin/link").symlink_to(outside)

        changed = provision.clear_setid_bits(root)

        self.assertCountEqual(changed, [su, chkpwd, both, mail])
        for path, mode in ((su, 0o755), (chkpwd, 0o755), (both, 0o711), (mail, 0o775), (env, 0o755)):
            self.assertEqual(stat.S_IMODE(path.stat().st_mode), mode, msg=str(path))
        # A symlink's target outside the tree is not followed.
        self.assertEqual(stat.S_IMODE(outside.stat().st_mode), 0o4755)
        self.assertEqual(provision.clear_setid_bits(root), [])

    def test_existing_cache_is_cleared_without_reprovisioning(self) -> None:
        workspace = pathlib.Path(self.create_tempdir().full_path)
        cache = pathlib.Path(self.create_tempdir().full_path)
        arch = provision.ARCHES["x86_64"]
        prefix = cache / f"bazel-{provision.BAZEL_VERSION}-{arch.debian}"
        (prefix / "usr/lib/jvm/java-25-openjdk-amd64").mkdir(parents=True)
        (prefix / "MANIFEST").write_text("bazel-bootstrap 7.7.1+ds-8+b1 0\n")
        su = self.plant(prefix / "usr/bin/su", 0o4755)
        rc = workspace / ".bazelrc.provisioned"
        with mock.patch.object(provision, "host_arch", return_value=arch), mock.patch.object(
            provision, "provision"
        ) as reprovision:
            self.assertEqual(provision.main(["provision.py", str(workspace), str(cache), str(rc)]), 0)
        reprovision.assert_not_called()
        self.assertEqual(stat.S_IMODE(su.stat().st_mode), 0o755)
        self.assertTrue((prefix / provision.SETID_MARKER).is_file())
        self.assertIn(f"# prefix: {prefix}", rc.read_text())


if __name__ == "__main__":
    absltest.main()
