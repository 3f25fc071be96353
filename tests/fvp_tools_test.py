"""Tests of the FVP download/EULA/checksum logic.

The installer runs against a local HTTP server that serves FVP-like archives
this test builds (an installer script that installs a stand-in binary), so the
real download code is exercised without Arm's site. The verdict of FVP runs is
tested in run_simulator_test.py.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import pathlib
import subprocess
import sys
import tarfile
import threading

from absl.testing import absltest

_INSTALLER = pathlib.Path("toolchains/fvp/fvp_install.py")
_EULA = "ARM_FVP_INSTALL_I_AGREE_TO_THE_CONTAINED_EULA"

# Mimics Arm's installer: takes --destination and installs models/<host>/BINARY.
_FAKE_INSTALLER = """#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in --destination) dest="$2"; shift 2 ;; *) shift ;; esac
done
mkdir -p "$dest/models/Linux64_GCC-9.3"
printf '#!/bin/sh\\necho fake FVP\\n' > "$dest/models/Linux64_GCC-9.3/FVP_Corstone_SSE-320"
chmod +x "$dest/models/Linux64_GCC-9.3/FVP_Corstone_SSE-320"
"""


def _make_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = _FAKE_INSTALLER.encode()
        info = tarfile.TarInfo("FVP_Corstone_SSE-320.sh")
        info.size = len(data)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _RedirectingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, and answers /redirect/NAME with a redirect to plain http elsewhere."""

    def do_GET(self) -> None:
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            port = self.headers["Host"].rsplit(":", 1)[1]
            self.send_header("Location", f"http://127.0.0.2:{port}/x")
            self.end_headers()
            return
        super().do_GET()


class FvpInstallTest(absltest.TestCase):
    served: pathlib.Path
    archive: bytes
    server: http.server.ThreadingHTTPServer
    base: str

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.served = pathlib.Path(absltest.get_default_test_tmpdir()) / "served"
        (cls.served / "Corstone-320").mkdir(parents=True, exist_ok=True)
        cls.archive = _make_archive()
        (cls.served / "Corstone-320/fvp.tgz").write_bytes(cls.archive)
        handler = functools.partial(_RedirectingHandler, directory=str(cls.served))
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.shutdown()
        cls.server.server_close()
        super().tearDownClass()

    def install(self, *, eula: bool, checksum: str, path: str = "Corstone-320/fvp.tgz",
                install_dir: str = "", url: str = "",
                max_bytes: int = 1 << 20) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != _EULA}
        if eula:
            env[_EULA] = "True"
        destination = self.create_tempdir().full_path
        return subprocess.run(
            [sys.executable, str(_INSTALLER), "--model", "corstone320",
             "--binary", "FVP_Corstone_SSE-320", "--installer", "FVP_Corstone_SSE-320.sh",
             "--url", url or f"{self.base}/{path}", "--checksum", checksum,
             "--checksum_algorithm", "md5", "--max_bytes", str(max_bytes),
             "--destination", destination, "--install_dir", install_dir],
            capture_output=True, text=True, env=env, check=False,
        )

    def good_md5(self) -> str:
        return hashlib.md5(self.archive, usedforsecurity=False).hexdigest()  # Arm publishes md5

    def test_without_eula_opt_in_refuses_and_downloads_nothing(self) -> None:
        result = self.install(eula=False, checksum=self.good_md5())
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn(f"set {_EULA}=True", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_wrong_checksum_is_a_clear_error(self) -> None:
        result = self.install(eula=True, checksum="0" * 32)
        self.assertEqual(result.returncode, 1)
        self.assertIn("checksum mismatch for fvp.tgz", result.stderr)
        self.assertIn("refusing to install", result.stderr)

    def test_success_installs_and_finds_the_binary(self) -> None:
        result = self.install(eula=True, checksum=self.good_md5())
        self.assertEqual(result.returncode, 0, result.stderr)
        name, path = result.stdout.split()
        self.assertEqual(name, "FVP_Corstone_SSE-320")
        self.assertTrue(os.access(path, os.X_OK))
        self.assertEqual(subprocess.run([path], capture_output=True, text=True, check=True).stdout,
                         "fake FVP\n")

    def test_plain_http_to_another_host_is_refused(self) -> None:
        # A mirror on the network over plain http could swap the MD5-pinned archive.
        for url in ("http://mirror.invalid/Corstone-320/fvp.tgz", "ftp://127.0.0.1/fvp.tgz",
                    "file:///etc/passwd"):
            result = self.install(eula=True, checksum=self.good_md5(), url=url)
            self.assertEqual(result.returncode, 1, url)
            self.assertIn(f"refusing to download {url}: only https URLs", result.stderr)

    def test_redirect_to_plain_http_elsewhere_is_refused(self) -> None:
        # The server answers /redirect/... with a 302 to plain http on 127.0.0.2.
        result = self.install(eula=True, checksum=self.good_md5(), path="redirect/fvp.tgz")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("refusing to download http://127.0.0.2:", result.stderr)

    def test_archive_larger_than_its_bound_is_refused(self) -> None:
        result = self.install(eula=True, checksum=self.good_md5(), max_bytes=len(self.archive) - 1)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(f"larger than the {len(self.archive) - 1} bytes pinned for it", result.stderr)
        exact = self.install(eula=True, checksum=self.good_md5(), max_bytes=len(self.archive))
        self.assertEqual(exact.returncode, 0, exact.stderr)

    def test_missing_archive_on_the_server_is_a_clear_error(self) -> None:
        result = self.install(eula=True, checksum=self.good_md5(), path="Corstone-320/absent.tgz")
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot download", result.stderr)

    def test_existing_install_dir_is_used_without_download_or_eula(self) -> None:
        installed = pathlib.Path(self.create_tempdir().full_path)
        binary = installed / "models/Linux64_GCC-9.3/FVP_Corstone_SSE-320"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
        result = self.install(eula=False, checksum="unused", path="none", install_dir=str(installed))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split()[1], str(binary))

    def test_install_dir_without_the_binary_is_an_error(self) -> None:
        empty = self.create_tempdir().full_path
        result = self.install(eula=False, checksum="unused", install_dir=empty)
        self.assertEqual(result.returncode, 1)
        self.assertIn("FVP_Corstone_SSE-320 not found under the install dir", result.stderr)


if __name__ == "__main__":
    absltest.main()
