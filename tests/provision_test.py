"""Tests of the Bazel provisioning script's checks and relocation helpers."""

from __future__ import annotations

import hashlib
import os
import pathlib
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


if __name__ == "__main__":
    absltest.main()
