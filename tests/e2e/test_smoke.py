"""``make smoke`` cannot rot: ``scripts/smoke.py`` runs against the real local server here.

Everything but the S3 drop runs offline against ``framelens serve`` (the upload's ``complete_url``
used as given, a job with the GPU modules, its webhook polled until delivered); the drop's part
(finding its job by the source ``storage://<file id>``) is checked on the moto deployment: the
file id the script derives from the key and the ETag S3 returns is the one the ingest function
gives the job.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import TYPE_CHECKING

import pytest

from framelens.jobs.ingest import drop_file_id
from tests.e2e.cloud import TENANT
from tests.e2e.test_server_restart import FRAMELENS, Server

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.cloud import CloudEnv
    from tests.e2e.conftest import Receiver
    from tests.media import Generated

pytestmark = pytest.mark.slow
SMOKE = [sys.executable, "scripts/smoke.py"]


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # the receiver is on 127.0.0.1, which a deployment refuses (SSRF guard) unless told
    monkeypatch.setenv("FRAMELENS_ALLOW_PRIVATE_NETWORK", "true")
    monkeypatch.setenv("FRAMELENS_WEBHOOK_BACKOFF_S", "0.1")
    server = Server(tmp_path / "data", tmp_path / "server.log")
    key = subprocess.run(
        [FRAMELENS, "keys", "create", "--tenant", TENANT, "--data-dir", str(server.data_dir)],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    server.start()
    yield server, key
    server.stop()


def _smoke(url: str, key: str, clip: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [*SMOKE, "--url", url, "--key", key, "--clip", str(clip), "--timeout", "120"]
    return subprocess.run(
        [*command, *extra], capture_output=True, text=True, timeout=300,
        env={**os.environ, "FRAMELENS_SMOKE_POLL_S": "0.2"},
    )  # fmt: skip


def test_smoke_passes_against_the_local_server(
    local: tuple[Server, str], receiver: Receiver, cuts_clip: Generated
):
    server, key = local
    # WHEN the smoke script runs against it, with a webhook receiver
    done = _smoke(server.url, key, cuts_clip.path, "--webhook-url", receiver.url)
    # THEN every step passed (exit status = failures), the webhook was really delivered
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    for step in (
        "GET /health (no key)",
        "POST /v1/media (direct upload)",
        "presigned upload + complete",
        "POST /v1/jobs (GPU modules)",
        "GPU job finished",
        "webhook delivered",
    ):
        assert any(line.startswith(f"ok   {step}") for line in lines), (step, lines)
    assert len(receiver.calls) == 1
    headers = {k.lower(): v for k, v in receiver.calls[0][0].items()}
    assert "x-webhook-signature" in headers


def test_smoke_reports_each_failed_step_in_its_exit_status(
    local: tuple[Server, str], cuts_clip: Generated
):
    server, _ = local
    done = _smoke(server.url, "fl_not_a_key", cuts_clip.path)
    assert done.returncode == 2, done.stdout  # both uploads refused; health needs no key
    assert "ok   GET /health" in done.stdout
    assert "FAIL POST /v1/media (direct upload)" in done.stdout


def test_the_drops_file_id_the_smoke_derives_is_its_jobs_source(
    cloud: CloudEnv, cuts_clip: Generated
):
    # GIVEN a clip dropped in the bucket the way the smoke script drops it
    key = f"uploads/smoke/{uuid.uuid4().hex}.mp4"
    put = cloud.s3.put_object(
        Bucket=cloud.bucket, Key=key, Body=cuts_clip.path.read_bytes(),
        Metadata={"tenant": TENANT, "modules": "scenes"},
    )  # fmt: skip
    # WHEN the ingest function turns it into a job
    invocation = cloud.wait_ingest(key)
    assert invocation.error is None, invocation.error
    (job_id,) = invocation.result["created"]
    # THEN the job's public source is the one the script looks for
    expected = f"storage://{drop_file_id(key, str(put['ETag']).strip(chr(34)))}"
    assert cloud.job_item(job_id).sources == [expected]
