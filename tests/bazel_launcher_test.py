"""The ./bazel launcher's checks of a provisioned Bazel, on a fake provisioned tree.

The launcher runs in a copy of the workspace's launcher files with a stand-in
Bazel (a script) in a provisioned-looking prefix and a stand-in python3 that
records whether provisioning was started.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess

from absl.testing import absltest

_CLOSURE = pathlib.Path("toolchains/bazel/closure_amd64.txt")


class LauncherTest(absltest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if os.uname().machine != "x86_64":
            self.skipTest("the committed closure is for amd64")
        tmp = pathlib.Path(self.create_tempdir().full_path).resolve()
        self.workspace = tmp / "workspace"
        (self.workspace / "toolchains/bazel").mkdir(parents=True)
        shutil.copy("bazel", self.workspace / "bazel")
        shutil.copy(".bazelversion", self.workspace / ".bazelversion")
        shutil.copy(_CLOSURE, self.workspace / _CLOSURE)
        version = (self.workspace / ".bazelversion").read_text().strip()

        self.cache = tmp / "real-cache"
        self.prefix = self.cache / f"bazel-{version}-amd64"
        launcher = self.prefix / "usr/bin/bazel"
        launcher.parent.mkdir(parents=True)
        launcher.write_text("#!/bin/sh\necho \"stand-in bazel $*\"\n")
        launcher.chmod(0o755)
        manifest = "".join(" ".join(line.split()[:3]) + "\n" for line in _CLOSURE.read_text().splitlines())
        (self.prefix / "MANIFEST").write_text(manifest)
        (self.prefix / "SETID_CLEARED").write_text("")
        (self.workspace / ".bazelrc.provisioned").write_text(f"# prefix: {self.prefix}\n")
        (tmp / "linked-cache").symlink_to(self.cache)

        # python3 is only run to provision: record that it was.
        self.bin = tmp / "bin"
        self.bin.mkdir()
        self.provisioned = tmp / "provision-started"
        (self.bin / "python3").write_text(f"#!/bin/sh\ntouch {self.provisioned}\nexit 1\n")
        (self.bin / "python3").chmod(0o755)
        self.tmp = tmp

    def launch(self, **env: str) -> subprocess.CompletedProcess[str]:
        tools = ("bash", "find", "sort", "sha256sum", "cut", "cmp", "grep", "tr", "uname", "mkdir",
                 "cat", "mv", "rm", "awk", "timeout", "dirname", "env", "sh", "printf", "touch", "sed",
                 "md5sum", "id")
        for tool in tools:
            found = shutil.which(tool)
            if found and not (self.bin / tool).exists():
                (self.bin / tool).symlink_to(found)
        base = {"PATH": str(self.bin), "HOME": str(self.tmp), "BAZEL_PROVISION": "force"}
        return subprocess.run([str(self.workspace / "bazel"), "version"], capture_output=True,
                              text=True, env={**base, **env}, check=False, timeout=60)

    def test_a_provisioned_tree_runs_without_provisioning_again(self) -> None:
        for _ in range(2):
            result = self.launch(BAZEL_PROVISION_CACHE=str(self.cache))
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("stand-in bazel --nosystem_rc version", result.stdout)
        self.assertFalse(self.provisioned.exists())
        self.assertTrue((self.prefix / "FINGERPRINT").is_file())

    def test_a_symlinked_cache_is_not_provisioned_on_every_call(self) -> None:
        result = self.launch(BAZEL_PROVISION_CACHE=str(self.tmp / "linked-cache"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(self.provisioned.exists())

    def test_a_swapped_binary_is_detected(self) -> None:
        self.assertEqual(self.launch(BAZEL_PROVISION_CACHE=str(self.cache)).returncode, 0)
        swapped = self.prefix / "usr/bin/bazel.new"
        swapped.write_text("#!/bin/sh\necho swapped\n")
        swapped.chmod(0o755)
        swapped.replace(self.prefix / "usr/bin/bazel")
        result = self.launch(BAZEL_PROVISION_CACHE=str(self.cache))
        self.assertNotIn("swapped", result.stdout)
        self.assertIn("changed since it was provisioned", result.stderr)
        self.assertTrue(self.provisioned.exists())

    def test_an_added_library_is_detected(self) -> None:
        self.assertEqual(self.launch(BAZEL_PROVISION_CACHE=str(self.cache)).returncode, 0)
        (self.prefix / "usr/lib").mkdir(parents=True)
        (self.prefix / "usr/lib/libextra.so").write_bytes(b"\x7fELF")
        result = self.launch(BAZEL_PROVISION_CACHE=str(self.cache))
        self.assertIn("changed since it was provisioned", result.stderr)
        self.assertTrue(self.provisioned.exists())

    def test_a_manifest_other_than_the_closure_is_provisioned_again(self) -> None:
        with (self.prefix / "MANIFEST").open("a") as manifest:
            manifest.write("extra 1 " + "0" * 64 + "\n")
        self.launch(BAZEL_PROVISION_CACHE=str(self.cache))
        self.assertTrue(self.provisioned.exists())

    def test_a_repository_that_watched_a_deleted_directory_is_fetched_again(self) -> None:
        # bazelbuild/bazel#30883: Bazel 7 fails on such a fetch marker instead of refetching.
        (self.workspace / "kept").mkdir()
        # Bazel names the output base by the MD5 of the workspace's path.
        digest = hashlib.md5(str(self.workspace).encode(), usedforsecurity=False).hexdigest()
        external = self.tmp / ".cache/bazel/_bazel_tester" / digest / "external"
        external.mkdir(parents=True)
        current = external / "@current.marker"
        current.write_text("key\nDIRENTS:@@// 00\nDIRENTS:@@//kept 11\n")
        stale = external / "@stale.marker"
        stale.write_text("key\nDIRENTS:@@// 00\nDIRENTS:@@//kept 11\nDIRENTS:@@//deleted 22\n")
        result = self.launch(BAZEL_PROVISION_CACHE=str(self.cache), USER="tester")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(current.is_file())
        self.assertFalse(stale.exists())

    def test_an_empty_home_is_refused(self) -> None:
        result = self.launch(HOME="")
        self.assertEqual(result.returncode, 1)
        self.assertIn("HOME is not an absolute path", result.stderr)


if __name__ == "__main__":
    absltest.main()
