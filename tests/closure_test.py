"""No host leakage: the pinned-package repositories' executables load only their own libraries and glibc.

Each repository writes closure.json (toolchains/debian/debian.bzl): the
executables its users run and the LD_LIBRARY_PATH its wrappers set. A library
that resolves nowhere inside the repository comes from the host, where it may
be missing (a fresh machine) or another version; a host that happens to have it
hides the fault, which is why this test decides from the repository alone.
"""

from __future__ import annotations

import pathlib

from absl import flags
from absl.testing import absltest

from toolchains.debian import elf_closure

_MANIFESTS = flags.DEFINE_multi_string("manifest", [], "closure.json of a repository (repeatable).")


class ClosureTest(absltest.TestCase):
    def _repositories(self) -> dict[str, tuple[pathlib.Path, dict[str, object]]]:
        self.assertTrue(_MANIFESTS.value, "no --manifest given")
        return {
            pathlib.Path(m).parent.name: elf_closure.load_manifest(pathlib.Path(m)) for m in _MANIFESTS.value
        }

    def test_every_executable_resolves_inside_its_repository(self) -> None:
        leaks: list[str] = []
        for name, (repository, description) in self._repositories().items():
            executables, found = elf_closure.check_repository(repository, description)
            self.assertTrue(executables, f"{name}: closure.json names no executable")
            print(f"{name}: {len(executables)} executable(s), {len(found)} leak(s)")
            leaks += [f"{name}: {leak}" for leak in found]
        self.assertEqual(leaks, [], "libraries from outside the repositories:\n" + "\n".join(leaks))

    def test_qemu_with_only_usr_lib_on_its_library_path_leaks_libfuse3(self) -> None:
        # The wrapper before this test existed: libfuse3-3 unpacks into
        # root/lib, which neither the wrapper's runfiles nor its path covered.
        repository, description = next(r for name, r in self._repositories().items() if name.endswith("qemu"))
        narrowed = dict(description, library_path=["root/usr/lib/x86_64-linux-gnu"])
        _, leaks = elf_closure.check_repository(repository, narrowed)
        self.assertIn("libfuse3.so.3", {leak.library for leak in leaks})

    def test_a_library_outside_the_repository_is_a_leak_unless_glibc(self) -> None:
        repository, _ = next(r for name, r in self._repositories().items() if name.endswith("flatbuffers"))
        flatc = repository / "root/usr/bin/flatc"
        host_dir = pathlib.Path(self.create_tempdir().full_path)
        library = repository / "root/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
        (host_dir / library.name).write_bytes(library.read_bytes())
        leaks = elf_closure.check_executable(flatc, repository, [host_dir])
        self.assertIn("libstdc++.so.6", {leak.library for leak in leaks})
        self.assertNotIn("libc.so.6", {leak.library for leak in leaks})


if __name__ == "__main__":
    absltest.main()
