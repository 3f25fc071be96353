"""Tests of the Bazel provisioning script's checks and relocation helpers."""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import hashlib
import http.server
import os
import pathlib
import stat
import tempfile
import threading
import time
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
            with self.assertRaisesRegex(provision.ProvisionError, "dpkg-deb not found"):
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
        return provision.Deb("pkg", "1.0", sha256, "pool/main/p/pkg/pkg_1.0_amd64.deb")

    def test_accepts_matching_checksum(self) -> None:
        provision.verify([self.deb(hashlib.sha256(self.payload).hexdigest())], self.archives)

    def test_mismatch_is_an_error_and_removes_the_file(self) -> None:
        with self.assertRaisesRegex(provision.ProvisionError, "checksum mismatch for pkg_1.0_amd64.deb"):
            provision.verify([self.deb("0" * 64)], self.archives)
        self.assertFalse((self.archives / "pkg_1.0_amd64.deb").exists())

    def test_missing_download_is_an_error(self) -> None:
        with self.assertRaisesRegex(provision.ProvisionError, "other_1_amd64.deb was not downloaded"):
            provision.verify([provision.Deb("other", "1", "0" * 64, "pool/main/o/other/other_1_amd64.deb")],
                             self.archives)


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



class ClosureTest(absltest.TestCase):
    """Every package comes from the committed closure and must match its SHA256."""

    def test_the_committed_closure_pins_every_package(self) -> None:
        debs = provision.read_closure(provision.ARCHES["x86_64"])
        self.assertGreater(len(debs), 200)
        packages = {deb.package for deb in debs}
        self.assertLessEqual({"bazel-bootstrap", "patchelf", "libc6"}, packages)
        self.assertEqual(len(packages), len(debs))
        for deb in debs:
            self.assertRegex(deb.sha256, r"^[0-9a-f]{64}$")
            self.assertTrue(deb.pool_path.startswith("pool/main/"), deb.pool_path)

    def test_an_arch_without_a_closure_is_refused(self) -> None:
        with self.assertRaisesRegex(provision.ProvisionError, "no pinned package closure for arm64"):
            provision.read_closure(provision.ARCHES["aarch64"])

    def test_a_malformed_closure_line_is_refused(self) -> None:
        here = pathlib.Path(self.create_tempdir().full_path)
        for line in ("pkg 1.0 abc pool/main/p/pkg.deb", f"pkg 1.0 {'a' * 64} ../../etc/x.deb",
                     f"pkg 1.0 {'a' * 64} pool/../../x.deb", "pkg 1.0"):
            (here / "closure_amd64.txt").write_text(line + "\n")
            with mock.patch.object(provision, "HERE", here):
                with self.assertRaisesRegex(provision.ProvisionError, "closure_amd64.txt:1: expected"):
                    provision.read_closure(provision.ARCHES["x86_64"])

    def test_download_checks_each_deb_against_the_pinned_sha256(self) -> None:
        # A mirror (or a replayed index pointing at it) serving another file
        # under a pinned name: refused before anything is unpacked.
        served = pathlib.Path(self.create_tempdir().full_path)
        (served / "pool/main/p").mkdir(parents=True)
        (served / "pool/main/p/good_1_amd64.deb").write_bytes(b"good")
        (served / "pool/main/p/swapped_1_amd64.deb").write_bytes(b"not what was pinned")
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        mirror = f"http://127.0.0.1:{server.server_address[1]}"
        good = provision.Deb("good", "1", hashlib.sha256(b"good").hexdigest(),
                             "pool/main/p/good_1_amd64.deb")
        swapped = provision.Deb("swapped", "1", hashlib.sha256(b"pinned").hexdigest(),
                                "pool/main/p/swapped_1_amd64.deb")
        archives = pathlib.Path(self.create_tempdir().full_path)
        provision.download([good], archives, mirror)
        self.assertEqual((archives / "good_1_amd64.deb").read_bytes(), b"good")
        with self.assertRaisesRegex(provision.ProvisionError, "checksum mismatch for swapped_1_amd64.deb"):
            provision.download([good, swapped], archives, mirror)
        with self.assertRaisesRegex(provision.ProvisionError, "cannot download"):
            provision.download([dataclasses.replace(good, pool_path="pool/main/p/absent.deb")],
                               archives, mirror)

    def cache_with_manifest(self, manifest: str) -> tuple[pathlib.Path, pathlib.Path, mock.MagicMock]:
        workspace = pathlib.Path(self.create_tempdir().full_path)
        cache = pathlib.Path(self.create_tempdir().full_path)
        arch = provision.ARCHES["x86_64"]
        prefix = cache / f"bazel-{provision.BAZEL_VERSION}-{arch.debian}"
        (prefix / "usr/lib/jvm/java-25-openjdk-amd64").mkdir(parents=True)
        (prefix / "MANIFEST").write_text(manifest)
        (prefix / provision.SETID_MARKER).write_text("")
        with mock.patch.object(provision, "host_arch", return_value=arch), mock.patch.object(
            provision, "provision"
        ) as reprovision, mock.patch.object(provision, "require_tools"):
            rc = workspace / ".bazelrc.provisioned"
            self.assertEqual(provision.main(["provision.py", str(workspace), str(cache), str(rc)]), 0)
        return prefix, rc, reprovision

    def test_a_manifest_that_differs_from_the_closure_is_provisioned_again(self) -> None:
        debs = provision.read_closure(provision.ARCHES["x86_64"])
        _, _, reprovision = self.cache_with_manifest(provision.manifest_text(debs))
        reprovision.assert_not_called()
        tampered = provision.manifest_text(debs).replace(debs[0].sha256, "0" * 64)
        prefix, _, reprovision = self.cache_with_manifest(tampered)
        reprovision.assert_called_once_with(prefix, provision.ARCHES["x86_64"], debs, provision.DEBIAN_MIRROR)

    def test_a_second_first_run_waits_for_the_lock(self) -> None:
        cache = pathlib.Path(self.create_tempdir().full_path)
        workspace = pathlib.Path(self.create_tempdir().full_path)
        arch = provision.ARCHES["x86_64"]
        prefix = cache / f"bazel-{provision.BAZEL_VERSION}-{arch.debian}"
        lock = (cache / f".{prefix.name}.lock").open("w")
        self.addCleanup(lock.close)
        fcntl.flock(lock, fcntl.LOCK_EX)
        calls: list[str] = []

        def provision_fake(target: pathlib.Path, *_: object) -> None:
            calls.append("provision")
            (target / "usr/lib/jvm/java-25-openjdk-amd64").mkdir(parents=True)
            (target / "MANIFEST").write_text(provision.manifest_text(provision.read_closure(arch)))
            (target / provision.SETID_MARKER).write_text("")

        def first_run() -> None:
            rc = workspace / ".bazelrc.provisioned"
            provision.main(["provision.py", str(workspace), str(cache), str(rc)])

        # Patched once, here: mock.patch is not thread-safe.
        with mock.patch.object(provision, "host_arch", return_value=arch), mock.patch.object(
            provision, "provision", side_effect=provision_fake
        ), mock.patch.object(provision, "require_tools"):
            runs = [threading.Thread(target=first_run) for _ in range(2)]
            for run in runs:
                run.start()
            time.sleep(0.3)
            self.assertEqual(calls, [], "provisioned while another run held the lock")
            fcntl.flock(lock, fcntl.LOCK_UN)
            for run in runs:
                run.join(timeout=30)
        self.assertEqual(calls, ["provision"])


class SymlinkResolutionTest(absltest.TestCase):
    """Relocation copies symlink targets from the prefix, never from the host."""

    def setUp(self) -> None:
        super().setUp()
        self.prefix = pathlib.Path(self.create_tempdir().full_path)
        self.outside = pathlib.Path(self.create_tempdir().full_path)
        (self.outside / "secret").write_text("host file")
        self.conf = self.prefix / "usr/lib/jvm/conf"
        self.conf.mkdir(parents=True)

    def test_links_that_leave_the_prefix_are_not_followed_out(self) -> None:
        # A chain through the prefix to an absolute host path, and a relative
        # link with more '..' than the prefix is deep.
        (self.prefix / "etc").mkdir()
        (self.prefix / "etc/chained").symlink_to(self.outside / "secret")
        (self.conf / "chain").symlink_to("/etc/chained")
        (self.conf / "climb").symlink_to("../" * 20 + str(self.outside / "secret").lstrip("/"))
        (self.conf / "dir").symlink_to(self.outside)
        provision.materialize_symlinks(self.prefix / "usr", self.prefix)
        for name in ("chain", "climb", "dir"):
            self.assertFalse(os.path.lexists(self.conf / name), name)

    def test_chains_inside_the_prefix_are_copied(self) -> None:
        (self.prefix / "etc/java").mkdir(parents=True)
        (self.prefix / "etc/java/real").write_text("from the prefix")
        (self.prefix / "etc/alternatives").mkdir()
        (self.prefix / "etc/alternatives/java").symlink_to("/etc/java")
        (self.conf / "via_dir").symlink_to("/etc/alternatives/java/real")
        (self.conf / "tree").symlink_to("../../../../etc/alternatives/java")
        (self.prefix / "etc/java/inner").symlink_to("real")
        provision.materialize_symlinks(self.prefix / "usr", self.prefix)
        self.assertEqual((self.conf / "via_dir").read_text(), "from the prefix")
        self.assertFalse((self.conf / "tree").is_symlink())
        self.assertFalse((self.conf / "tree/inner").is_symlink())
        self.assertEqual((self.conf / "tree/inner").read_text(), "from the prefix")

    def test_a_loop_is_removed(self) -> None:
        (self.conf / "a").symlink_to("b")
        (self.conf / "b").symlink_to("a")
        provision.materialize_symlinks(self.prefix / "usr", self.prefix)
        self.assertEqual(list(self.conf.iterdir()), [])


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
        (prefix / "MANIFEST").write_text(provision.manifest_text(provision.read_closure(arch)))
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
