"""The ``framelens`` CLI as a user runs it: keys, analyze, version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from framelens import __version__
from framelens.api import create_app
from framelens.config import Settings
from framelens.runtime import build_services

if TYPE_CHECKING:
    from tests.media import Generated

FRAMELENS = str(Path(sys.executable).with_name("framelens"))
pytestmark = pytest.mark.slow


def cli(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FRAMELENS, *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_keys_create_prints_only_the_key_and_list_and_revoke_manage_it(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    # GIVEN a key made the README way (KEY=$(framelens keys create --tenant acme))
    created = cli("keys", "create", "--tenant", "acme", "--data-dir", data)
    key = created.stdout
    assert key.count("\n") == 1
    key = key.strip()
    assert key.startswith("fl_")
    assert " " not in key
    # THEN it authenticates against a server on that data dir
    services = build_services(Settings(data_dir=Path(data)), start_runner=False)
    try:
        client = TestClient(create_app(services))
        assert client.get("/v1/jobs", headers={"X-API-Key": key}).status_code == 200
        # AND `keys list` shows it (by prefix, never the secret)
        listed = cli("keys", "list", "--data-dir", data).stdout.strip().splitlines()
        assert len(listed) == 1
        key_id, tenant, prefix, state = listed[0].split("\t")
        assert (tenant, state) == ("acme", "active")
        assert key.startswith(prefix.rstrip("…"))
        assert key not in listed[0]
        # WHEN it is revoked THEN it is a 401 and listed as revoked
        cli("keys", "revoke", key_id, "--data-dir", data)
        resp = client.get("/v1/jobs", headers={"X-API-Key": key})
        assert resp.status_code == 401
        assert "revoked" in resp.json()["error"]["message"]
        assert cli("keys", "list", "--data-dir", data).stdout.strip().endswith("revoked")
    finally:
        services.close()


def test_keys_create_with_an_unknown_plan_fails_without_printing_a_key(tmp_path: Path) -> None:
    result = cli(
        "keys", "create", "--tenant", "acme", "--plan", "gold", "--data-dir", str(tmp_path),
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert "gold" in result.stderr


def test_analyze_writes_result_json_with_the_probe(tmp_path: Path, cuts_clip: Generated) -> None:
    out = tmp_path / "out"
    result = cli("analyze", str(cuts_clip.path), "--modules", "probe", "--out", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads((out / "result.json").read_text())
    assert doc["job"]["state"] == "finished"
    (item,) = doc["results"]["probe"]["items"]
    assert (item["width"], item["height"], item["frames"]) == (160, 120, cuts_clip.frames)


def test_analyze_writes_scenes_and_the_best_frame_images(
    tmp_path: Path, cuts_clip: Generated
) -> None:
    # GIVEN a clip with hard cuts at frames 25, 50 and 75
    out = tmp_path / "out"
    # WHEN it is analyzed for scenes and best frames
    result = cli(
        "analyze", str(cuts_clip.path), "--modules", "scenes,best_frames", "--out", str(out)
    )  # fmt: skip
    # THEN the scenes start at the cuts and every best frame's image is written beside the JSON
    assert result.returncode == 0, result.stderr
    doc = json.loads((out / "result.json").read_text())
    scenes = doc["results"]["scenes"]["items"]
    assert [s["start_frame"] for s in scenes] == [0, *cuts_clip.truth["cuts"]]
    frames = doc["results"]["best_frames"]["items"]
    assert len(frames) == 3
    for frame in frames:
        image = out / "artifacts" / frame["artifact_key"].split("/", 2)[2]
        assert image.read_bytes()[:3] == b"\xff\xd8\xff"


def test_analyze_with_an_unknown_module_fails_clearly(tmp_path: Path, cuts_clip: Generated) -> None:
    result = cli(
        "analyze", str(cuts_clip.path), "--modules", "telepathy", "--out", str(tmp_path),
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "telepathy" in result.stderr
    assert not (tmp_path / "result.json").exists()


def test_version_prints_the_package_version() -> None:
    assert cli("version").stdout.strip() == __version__


def test_models_register_adds_an_operator_detector_that_models_list_shows(
    tmp_path: Path,
) -> None:
    # GIVEN a YOLOX-format ONNX detector with two classes of the operator's own
    from tests.unit.test_objects_decode import constant_model, yolox_rows

    onnx_path = constant_model(tmp_path / "helmets.onnx", yolox_rows())
    names = tmp_path / "names.txt"
    names.write_text("helmet\nbike\n")
    env = {"FRAMELENS_MODEL_CACHE_DIR": str(tmp_path / "cache")}
    # WHEN it is registered through the CLI
    registered = cli(
        "models", "register", "helmets", "--onnx", str(onnx_path), "--classes", str(names),
        "--format", "yolox", "--input-size", "64", env=env,
    )  # fmt: skip
    # THEN `models list` shows it installed and verified, and a second register is refused
    assert "model=helmets" in registered.stdout
    listing = cli("models", "list", env=env).stdout
    assert any(line.startswith("helmets\t") and "verified" in line for line in listing.splitlines())
    again = cli(
        "models", "register", "helmets", "--onnx", str(onnx_path), "--classes", str(names),
        env=env, check=False,
    )  # fmt: skip
    assert again.returncode == 2
    assert "helmets" in again.stderr
