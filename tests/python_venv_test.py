"""toolchains/python/install_venv.py: no unhashed build tool ever runs, and a changed venv is seen.

pip builds an sdist in an isolated environment with build tools it downloads
without hash checks, even under --require-hashes. The test builds a local index
(no network): a plain wheel, an sdist whose build backend is `evil_backend`, and
that backend as a wheel which, when run, leaves a marker file. With pip's
defaults the backend would be installed unchecked and run.
"""

from __future__ import annotations

import hashlib
import io
import pathlib
import subprocess
import sys
import tarfile
import zipfile

from absl.testing import absltest

from toolchains.python import install_venv

_INSTALLER = pathlib.Path("toolchains/python/install_venv.py")


def _wheel(directory: pathlib.Path, name: str, files: dict[str, str]) -> pathlib.Path:
    info = f"{name}-1.0.dist-info"
    files = {
        **files,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    path = directory / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
        archive.writestr(f"{info}/RECORD", "".join(f"{m},,\n" for m in [*files, f"{info}/RECORD"]))
    return path


def _sdist(directory: pathlib.Path, name: str, files: dict[str, str]) -> pathlib.Path:
    path = directory / f"{name}-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            entry = tarfile.TarInfo(f"{name}-1.0/{member}")
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return path


def _locked(path: pathlib.Path) -> str:
    name = path.name.split("-")[0]
    return f"{name}==1.0 \\\n    --hash=sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}\n"


class InstallVenvTest(absltest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = pathlib.Path(self.create_tempdir().full_path)
        self.index = self.tmp / "index"
        self.index.mkdir()
        self.marker = self.tmp / "unhashed-build-tool-ran"
        self.plain = _wheel(self.index, "plainpkg", {"plainpkg/__init__.py": "VALUE = 1\n"})
        _wheel(self.index, "evil_backend", {"evil_backend.py": (
            "import pathlib\n"
            "def _ran(*args, **kwargs):\n"
            f"    pathlib.Path({str(self.marker)!r}).write_text('ran')\n"
            "    raise RuntimeError('evil')\n"
            "get_requires_for_build_wheel = prepare_metadata_for_build_wheel = build_wheel = _ran\n"
        )})
        self.victim = _sdist(self.index, "victim", {
            "pyproject.toml": ('[build-system]\nrequires = ["evil_backend"]\n'
                               'build-backend = "evil_backend"\n'),
            "PKG-INFO": "Metadata-Version: 2.1\nName: victim\nVersion: 1.0\n",
        })

    def install(self, lock: str, *from_source: str) -> tuple[subprocess.CompletedProcess[str], pathlib.Path]:
        (self.tmp / "lock.txt").write_text("# a lock\n" + lock)
        venv = self.tmp / "venv"
        result = subprocess.run(
            [sys.executable, str(_INSTALLER), "--python", sys.executable,
             "--lock", str(self.tmp / "lock.txt"), "--venv", str(venv),
             *(f"--build_from_source={name}" for name in from_source),
             "--pip_arg=--no-index", f"--pip_arg=--find-links={self.index}"],
            capture_output=True, text=True, check=False, timeout=300,
        )
        return result, venv

    def test_an_sdist_not_named_is_refused_and_its_build_tools_never_run(self) -> None:
        result, _ = self.install(_locked(self.plain) + _locked(self.victim))
        self.assertFalse(self.marker.exists(), "pip fetched and ran an unhashed build backend")
        self.assertEqual(result.returncode, 1)
        self.assertIn("pip install --only-binary=:all: failed", result.stderr)

    def test_a_named_sdist_is_built_without_fetching_build_tools(self) -> None:
        result, venv = self.install(_locked(self.plain) + _locked(self.victim), "victim")
        # Its backend is not in the venv, and is not fetched: the build fails.
        self.assertFalse(self.marker.exists(), "pip fetched and ran an unhashed build backend")
        self.assertEqual(result.returncode, 1)
        self.assertIn("--no-build-isolation", result.stderr)
        self.assertNotEqual(list(venv.glob("lib/python3*/site-packages/plainpkg")), [])

    def test_unknown_source_package_is_an_error(self) -> None:
        result, _ = self.install(_locked(self.plain), "not-locked")
        self.assertEqual(result.returncode, 1)
        self.assertIn("--build_from_source names not-locked, which", result.stderr)



class FingerprintTest(absltest.TestCase):
    """install_venv.py --verify on a small tree (a venv is a directory like any other)."""

    def setUp(self) -> None:
        super().setUp()
        self.venv = pathlib.Path(self.create_tempdir().full_path)
        self.package = self.venv / "lib/python3.11/site-packages/plainpkg"
        self.package.mkdir(parents=True)
        (self.package / "__init__.py").write_text("VALUE = 1\n")
        self.assertEqual(install_venv.verify(self.venv), 0)  # recorded on first check
        self.assertTrue((self.venv / install_venv.FINGERPRINT).is_file())

    def test_unchanged_and_new_byte_code_pass(self) -> None:
        self.assertEqual(install_venv.verify(self.venv), 0)
        # Python's byte code cache grows as modules are imported; that is not a change.
        (self.package / "__pycache__").mkdir()
        (self.package / "__pycache__/__init__.cpython-311.pyc").write_bytes(b"")
        self.assertEqual(install_venv.verify(self.venv), 0)

    def test_a_rewritten_file_is_a_change_even_with_the_same_bytes(self) -> None:
        module = self.package / "__init__.py"
        module.write_text(module.read_text())
        self.assertEqual(install_venv.verify(self.venv), install_venv.CHANGED)

    def test_a_swapped_file_is_a_change(self) -> None:
        swapped = self.package / "swapped.py"
        swapped.write_text("VALUE = 2\n")
        self.assertEqual(install_venv.verify(self.venv), install_venv.CHANGED)
        (self.venv / install_venv.FINGERPRINT).unlink()
        self.assertEqual(install_venv.verify(self.venv), 0)
        swapped.replace(self.package / "__init__.py")
        self.assertEqual(install_venv.verify(self.venv), install_venv.CHANGED)

    def test_an_added_startup_file_is_a_change(self) -> None:
        (self.package.parent / "evil.pth").write_text("import os\n")
        self.assertEqual(install_venv.verify(self.venv), install_venv.CHANGED)


class SplitLockTest(absltest.TestCase):
    def test_entries_keep_their_hash_lines(self) -> None:
        lock = ("# header\nFoo_Bar==1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
                "baz==2 \\\n    --hash=sha256:cc\n")
        self.assertEqual(install_venv.split_lock(lock), {
            "foo-bar": "Foo_Bar==1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n",
            "baz": "baz==2 \\\n    --hash=sha256:cc\n",
        })

    def test_an_unpinned_line_is_an_error(self) -> None:
        with self.assertRaisesRegex(install_venv.InstallError, "unexpected line"):
            install_venv.split_lock("foo>=1\n")


if __name__ == "__main__":
    absltest.main()
