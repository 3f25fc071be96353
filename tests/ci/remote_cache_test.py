"""The CI's remote cache server (tools/ci/remote_cache.sh) refuses what a local attacker tries.

Starts the real pinned nginx on a free loopback port and talks HTTP to it: a
request without the token, a write outside /ac|cas/<sha256>, a symlink planted
in the cache directory, a stale PID file and a swapped nginx binary.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

from absl import flags
from absl.testing import absltest

_NGINX = flags.DEFINE_string("nginx", None, "The @nginx//:nginx wrapper.", required=True)
_SCRIPT = flags.DEFINE_string("script", None, "tools/ci/remote_cache.sh.", required=True)

_NOBODY = 65534


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _copy_nginx_repo(destination: pathlib.Path) -> pathlib.Path:
    """Copies the repository of @nginx (runfiles links dereferenced); returns its wrapper."""
    wrapper = pathlib.Path(_NGINX.value)
    shutil.copytree(wrapper.parent.parent / "root", destination / "root", symlinks=False)
    (destination / "bin").mkdir()
    shutil.copy2(wrapper, destination / "bin/nginx")
    return destination / "bin/nginx"


class RemoteCacheTest(absltest.TestCase):
    def script(self, *args: str, nginx: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "REMOTE_CACHE_NGINX": str(nginx or self.nginx)}
        return subprocess.run(["bash", _SCRIPT.value, *args], capture_output=True, text=True,
                              env=env, check=False, timeout=60)

    def setUp(self) -> None:
        super().setUp()
        tmp = pathlib.Path(self.create_tempdir().full_path).resolve()
        self.nginx = _copy_nginx_repo(tmp / "nginx")
        self.dir = tmp / "cache"
        if os.geteuid() == 0:
            # The workers run as nobody, who cannot enter root's home (the test's tmp).
            # mkdtemp: a fresh 0700 directory with a random name, then opened up.
            shared = pathlib.Path(tempfile.mkdtemp(dir="/tmp", prefix="remote_cache_test."))  # nosec B108
            self.addCleanup(shutil.rmtree, shared, ignore_errors=True)
            shared.chmod(0o755)
            self.dir = shared / "cache"
        self.port = _free_port()
        started = self.script("start", str(self.dir), str(self.port))
        self.assertEqual(started.returncode, 0, started.stderr)
        self.assertEqual(started.stdout.strip(), f"http://127.0.0.1:{self.port}")
        self.addCleanup(self.script, "stop", str(self.dir))
        self.token = (self.dir / "token").read_text().strip()
        self.assertRegex(self.token, r"^[0-9a-f]{64}$")
        self.assertEqual((self.dir / "token").stat().st_mode & 0o777, 0o600)
        self.assertEqual((self.dir / "nginx.conf").stat().st_mode & 0o777, 0o600)

    def request(self, method: str, path: str, body: bytes | None = None,
                authorization: str | None = None) -> tuple[int, bytes]:
        """Sends the server's token unless authorization gives another header value ("": none)."""
        headers = {}
        if authorization is None:
            headers["Authorization"] = f"Bearer {self.token}"
        elif authorization:
            headers["Authorization"] = authorization
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def test_put_then_get_with_the_token(self) -> None:
        blob = b"an action output"
        path = f"/cas/{hashlib.sha256(blob).hexdigest()}"
        self.assertIn(self.request("PUT", path, blob)[0], (201, 204))
        self.assertEqual(self.request("GET", path), (200, blob))
        action = f"/ac/{'a' * 64}"
        self.assertIn(self.request("PUT", action, b"result")[0], (201, 204))
        self.assertEqual(self.request("GET", action), (200, b"result"))

    def test_requests_without_the_right_token_are_refused(self) -> None:
        path = f"/ac/{'b' * 64}"
        for authorization in ("", f"Bearer {'0' * 64}", "Bearer ", self.token):
            status, _ = self.request("PUT", path, b"faked action result", authorization=authorization)
            self.assertEqual(status, 401, authorization)
        self.assertFalse((self.dir / "cas/ac" / ("b" * 64)).exists())
        self.assertIn(self.request("PUT", path, b"real")[0], (201, 204))
        self.assertEqual(self.request("GET", path, authorization="")[0], 401)

    def test_writes_go_only_to_ac_and_cas_by_sha256(self) -> None:
        digest = "c" * 64
        for path in ("/index.html", "/x/" + digest, f"/ac/{'c' * 63}", f"/ac/{'g' * 64}",
                     f"/cas/{digest.upper()}", f"/cas/{digest}/x", f"/ac/{digest}.html",
                     "/tmp/body/1",  # nosec B108: a URL path on the server
                     "/../../etc/x", "/token", "/nginx.conf"):
            status, _ = self.request("PUT", path, b"planted")
            self.assertIn(status, (400, 403, 404), path)
        for method in ("DELETE", "MKCOL", "POST"):
            self.assertIn(self.request(method, f"/cas/{digest}")[0], (403, 405), method)
        written = sorted(str(p.relative_to(self.dir)) for p in self.dir.rglob("*") if p.is_file())
        self.assertEqual([p for p in written if p.startswith(("cas/", "tmp/"))], [])

    def test_symlinks_in_the_cache_are_not_followed(self) -> None:
        secret = self.dir.parent / "secret"
        secret.write_text("not for the cache's clients")
        secret.chmod(0o644)
        (self.dir / "cas/cas" / ("d" * 64)).symlink_to(secret)
        status, body = self.request("GET", f"/cas/{'d' * 64}")
        self.assertNotEqual(status, 200)
        self.assertNotIn(b"not for", body)

    def test_workers_do_not_run_as_root(self) -> None:
        if os.geteuid() != 0:
            self.skipTest("only a root master can run workers as another user")
        master = int((self.dir / "nginx.pid").read_text())

        def worker_uids() -> list[int]:
            uids = []
            for status in pathlib.Path("/proc").glob("[0-9]*/status"):
                try:
                    fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
                except OSError:
                    continue
                if int(fields["PPid"]) == master:
                    uids.append(int(fields["Uid"].split()[0]))
            return uids

        # A worker is root from fork until it drops privileges: on a loaded
        # machine the first look may fall in between. A worker that stays
        # root fails once the (generous) deadline passes.
        deadline = time.monotonic() + 30
        workers = worker_uids()
        while (not workers or set(workers) != {_NOBODY}) and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = worker_uids()
        self.assertNotEqual(workers, [])
        self.assertEqual(set(workers), {_NOBODY})

    def test_stop_leaves_a_foreign_pid_alone(self) -> None:
        master = int((self.dir / "nginx.pid").read_text())
        self.assertEqual(self.script("stop", str(self.dir)).returncode, 0)
        self.assertFalse(pathlib.Path(f"/proc/{master}").exists())
        bystander = subprocess.Popen(["sleep", "60"])
        self.addCleanup(bystander.wait)
        self.addCleanup(bystander.kill)
        (self.dir / "nginx.pid").write_text(f"{bystander.pid}\n")
        self.assertEqual(self.script("stop", str(self.dir)).returncode, 0)
        time.sleep(0.2)
        self.assertIsNone(bystander.poll())

    def test_a_swapped_or_added_nginx_file_is_refused(self) -> None:
        self.assertEqual(self.script("stop", str(self.dir)).returncode, 0)
        marker = self.nginx.parent.parent / "swapped-nginx-ran"
        binary = self.nginx.parent.parent / "root/usr/sbin/nginx"
        original = binary.read_bytes()
        binary.write_text(f"#!/bin/sh\ntouch {marker}\n")
        result = self.script("start", str(self.dir), str(self.port))
        self.assertEqual(result.returncode, 1)
        self.assertIn("differs from what was unpacked", result.stderr)
        self.assertFalse(marker.exists())

        binary.write_bytes(original)
        (binary.parent.parent / "lib/x86_64-linux-gnu/libextra.so").write_bytes(b"\x7fELF")
        result = self.script("start", str(self.dir), str(self.port))
        self.assertEqual(result.returncode, 1)
        self.assertIn("files that were not unpacked", result.stderr)


if __name__ == "__main__":
    absltest.main()
