"""toolchains/debian/debs.py (mirrors, pinned paths, the checked fetch) and
deb_headers.py (modes and symlink targets from a data.tar's headers)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import pathlib
import stat
import tarfile
import threading

from absl.testing import absltest

from toolchains.debian import deb_headers, debs

_BASES = {"debian": "http://mirror.example/debian", "debian-security": "http://mirror.example/debian-security"}


class MirrorsTest(absltest.TestCase):
    def test_the_committed_mirrors_are_debians(self) -> None:
        self.assertEqual(debs.mirrors(), {
            "debian": "http://deb.debian.org/debian",
            "debian-security": "http://deb.debian.org/debian-security",
        })

    def test_a_pinned_path_names_its_archive(self) -> None:
        path = "debian-security/pool/updates/main/z/zlib/zlib1g_1_amd64.deb"
        url = debs.url_of(path, _BASES)
        self.assertEqual(url, "http://mirror.example/debian-security/pool/updates/main/z/zlib/zlib1g_1_amd64.deb")
        self.assertEqual(debs.pinned_path(url, _BASES), path)

    def test_unknown_archives_and_escapes_are_refused(self) -> None:
        for path in ("ubuntu/pool/main/x.deb", "debian/dists/x.deb", "debian/pool/../../x.deb"):
            with self.assertRaisesRegex(debs.FetchError, "expected <archive>/pool/"):
                debs.url_of(path, _BASES)
        with self.assertRaisesRegex(debs.FetchError, "under none of the mirrors"):
            debs.pinned_path("http://elsewhere/pool/main/x.deb", _BASES)

    def test_sources_list_every_archive(self) -> None:
        text = debs.sources({"debian": ["bookworm"], "debian-security": ["bookworm-security"]}, _BASES)
        self.assertIn("URIs: http://mirror.example/debian\nSuites: bookworm\n", text)
        self.assertIn("URIs: http://mirror.example/debian-security\nSuites: bookworm-security\n", text)


class FetchTest(absltest.TestCase):
    def setUp(self) -> None:
        super().setUp()
        served = pathlib.Path(self.create_tempdir().full_path)
        (served / "pkg_1_amd64.deb").write_bytes(b"package")
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.shutdown)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pkg_1_amd64.deb"
        self.out = pathlib.Path(self.create_tempdir().full_path) / "pkg_1_amd64.deb"

    def test_a_matching_file_is_kept(self) -> None:
        debs.fetch(self.url, self.out, hashlib.sha256(b"package").hexdigest())
        self.assertEqual(self.out.read_bytes(), b"package")

    def test_a_mismatch_names_the_file_and_removes_it(self) -> None:
        with self.assertRaisesRegex(debs.FetchError, "checksum mismatch for pkg_1_amd64.deb: pinned 0+, downloaded"):
            debs.fetch(self.url, self.out, "0" * 64)
        self.assertFalse(self.out.exists())

    def test_only_http_urls_are_fetched(self) -> None:
        with self.assertRaisesRegex(debs.FetchError, "not an http"):
            debs.fetch("file:///etc/passwd", self.out, "0" * 64)


class HeadersTest(absltest.TestCase):
    def test_modes_and_symlink_targets_follow_the_headers(self) -> None:
        scratch = pathlib.Path(self.create_tempdir().full_path)
        members = [("./usr/", tarfile.DIRTYPE, 0o700), ("./usr/tool", tarfile.REGTYPE, 0o4755),
                   ("./usr/link", tarfile.SYMTYPE, 0o777)]
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
            for name, kind, mode in members:
                info = tarfile.TarInfo(name)
                info.type, info.mode = kind, mode
                if kind == tarfile.SYMTYPE:
                    info.linkname = "/usr/tool"
                archive.addfile(info)
        data = scratch / "data.tar.xz"
        data.write_bytes(buffer.getvalue())
        # What Bazel's extractor leaves: default modes, the link made absolute into the tree.
        root = scratch / "root"
        (root / "usr").mkdir(parents=True)
        (root / "usr/tool").write_text("")
        (root / "usr/tool").chmod(0o744)
        (root / "usr/link").symlink_to(root / "usr/tool")

        self.assertEqual(deb_headers.apply_headers(data, root), 3)
        self.assertEqual(stat.S_IMODE((root / "usr").stat().st_mode), 0o700)
        self.assertEqual(stat.S_IMODE((root / "usr/tool").stat().st_mode), 0o755)  # never set-uid
        self.assertEqual(os.readlink(root / "usr/link"), "/usr/tool")
        self.assertEqual(deb_headers.apply_headers(data, root), 0)

    def test_a_member_that_was_not_unpacked_is_an_error(self) -> None:
        scratch = pathlib.Path(self.create_tempdir().full_path)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
            archive.addfile(tarfile.TarInfo("./missing"))
        (scratch / "data.tar.xz").write_bytes(buffer.getvalue())
        with self.assertRaises(FileNotFoundError):
            deb_headers.apply_headers(scratch / "data.tar.xz", scratch)

    def test_members_outside_the_tree_are_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "leaves the unpacked tree"):
            deb_headers.member_path(pathlib.Path("/r"), "./../etc/passwd")


if __name__ == "__main__":
    absltest.main()
