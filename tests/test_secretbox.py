"""The secret box: secrets at rest are encrypted with a key that only the data dir holds."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sdmd.secretbox import KEY_FILE, SecretBox, mask, write_private_file


def test_round_trip_across_instances_and_key_is_private(tmp_path: Path) -> None:
    token = SecretBox(tmp_path).encrypt("s3cret")
    assert "s3cret" not in token
    assert SecretBox(tmp_path).decrypt(token) == "s3cret"
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_another_data_dir_cannot_decrypt(tmp_path: Path) -> None:
    token = SecretBox(tmp_path / "a").encrypt("s3cret")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox(tmp_path / "b").decrypt(token)


def test_exclusive_write_keeps_the_first_file(tmp_path: Path) -> None:
    path = tmp_path / "k"
    assert write_private_file(path, b"first", exclusive=True)
    assert not write_private_file(path, b"second", exclusive=True)
    assert path.read_bytes() == b"first"
    assert write_private_file(path, b"third")
    assert path.read_bytes() == b"third"
    assert [p.name for p in tmp_path.iterdir()] == ["k"]  # no temporary file left behind


def test_mask_hides_everything_but_the_kept_prefix() -> None:
    assert mask("") == ""
    assert "abc" not in mask("abcdef")
    assert mask("https://hook", keep=8).startswith("https://")
