"""Provenance: file and code fingerprints."""

from __future__ import annotations

import hashlib

from analysis import provenance


def test_file_digests_are_content_hashes_in_path_order(tmp_path):
    files = []
    for i in range(40):  # more files than threads: the parallel map keeps each file's digest
        path = tmp_path / f"f{i:02d}"
        path.write_bytes(bytes([i]) * (i * 300_000))  # several 1 MiB blocks for the larger ones
        files.append(path)
    (tmp_path / "same").write_bytes(b"x")
    (tmp_path / "twin").write_bytes(b"x")
    files += [tmp_path / "twin", tmp_path / "same"]
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}
    for threads in (None, 1, 3):
        digests = provenance.file_digests(list(reversed(files)), tmp_path, threads)
        assert list(digests) == list(expected)  # sorted, relative to the root
        assert digests == expected
    assert (
        expected["same"]
        == expected["twin"]
        == ("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")
    )
    assert set(provenance.file_digests(files[:2])) == {p.as_posix() for p in files[:2]}
