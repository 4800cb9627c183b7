"""``make smoke URL=... KEY=... [BUCKET=...]``: exercise a real deployment after ``cdk deploy``.

Owns: a short, readable walk through what only a real deployment can prove: a direct upload,
a large upload through a presigned S3 PUT, a job with a GPU module and a signed webhook, and an
S3 drop (when ``--bucket`` is given and AWS credentials are set). Each step prints ``ok`` or
why it failed; the exit status is the number of failed steps. Needs network access to the API;
uses only httpx and boto3 (both in the project's dependencies).

The webhook goes to ``--webhook-url`` (a receiver you run, e.g. a request bin); the step polls
the job's ``webhook_delivery`` until it is ``delivered`` or ``failed``. The S3 drop's job is found
by what the job view shows: its source ``storage://<file id>``, which the ingest function derives
from the key and the ETag (``framelens.jobs.ingest.drop_file_id``). ``tests/e2e/test_smoke.py``
runs this script against the local server (all but the drop) so it cannot rot unnoticed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from collections.abc import Callable

CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "media"
DEFAULT_CLIP = CLIP / "car_traffic_bridge_640x360.mp4"
POLL_S = float(os.environ.get("FRAMELENS_SMOKE_POLL_S", "5"))


def _say(step: str, ok: bool, detail: str = "") -> bool:
    sys.stdout.write(f"{'ok  ' if ok else 'FAIL'} {step}{': ' + detail if detail else ''}\n")
    return ok


def _wait(client: httpx.Client, job_id: str, timeout_s: float, done: Callable[[Any], bool]) -> Any:
    """Poll the job until ``done(job)`` or the timeout; the last view of it."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if done(job) or time.monotonic() > deadline:
            return job
        time.sleep(POLL_S)


def _ended(job: Any) -> bool:
    return job.get("state") in ("finished", "failed", "cancelled")


def _webhook_settled(job: Any) -> bool:
    # Delivery runs after the job ends (with retries): "pending" until delivered or given up.
    return (job.get("webhook_delivery") or {}).get("status") in ("delivered", "failed")


def _uploads(client: httpx.Client, clip: bytes) -> tuple[int, str | None]:
    """A direct upload and a presigned one; (failures, the direct upload's source)."""
    failures = 0
    upload = client.post("/v1/media", files={"file": ("clip.mp4", clip, "video/mp4")})
    ok = upload.status_code == 201
    failures += not _say("POST /v1/media (direct upload)", ok, upload.text[:200])
    source = upload.json().get("url") if ok else None
    target = client.post(
        "/v1/uploads", json={"name": "big.mp4", "content_type": "video/mp4", "size": len(clip)}
    )
    if target.status_code != 201:
        return failures + (not _say("POST /v1/uploads", False, target.text[:200])), source
    spec = target.json()
    put = httpx.put(spec["upload_url"], content=clip, headers=spec.get("headers") or {})
    # complete_url is absolute and keeps the API's stage: used exactly as given.
    done = client.post(spec["complete_url"])
    ok = put.status_code in (200, 204) and done.status_code == 200
    failures += not _say(
        "presigned upload + complete", ok, f"PUT {put.status_code}, {done.text[:200]}"
    )
    return failures, source


def _gpu_job(client: httpx.Client, args: argparse.Namespace, source: str) -> int:
    """A job with the GPU modules, and its webhook when ``--webhook-url`` is given."""
    failures = 0
    body: dict[str, Any] = {"sources": [source], "modules": {"objects": {}, "tracking": {}}}
    if args.webhook_url:
        body["webhook"] = {"url": args.webhook_url, "secret": "smoke"}
    created = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    job_id = created.json().get("id")
    failures += not _say(
        "POST /v1/jobs (GPU modules)", created.status_code == 202, created.text[:200]
    )
    if not job_id:
        return failures
    job = _wait(client, job_id, args.timeout, _ended)
    failures += not _say("GPU job finished", job.get("state") == "finished", json.dumps(job)[:300])
    if args.webhook_url:
        job = _wait(client, job_id, args.webhook_timeout, _webhook_settled)
        delivery = job.get("webhook_delivery") or {}
        failures += not _say(
            "webhook delivered", delivery.get("status") == "delivered", json.dumps(delivery)
        )
    return failures


def _s3_drop(client: httpx.Client, args: argparse.Namespace, clip: bytes) -> int:
    """Drop the clip in the bucket; its job is the one whose source is the drop's file id."""
    import boto3

    from framelens.jobs.ingest import drop_file_id

    key = f"uploads/smoke/{uuid.uuid4().hex}.mp4"
    put = boto3.client("s3").put_object(
        Bucket=args.bucket, Key=key, Body=clip,
        Metadata={"tenant": args.tenant, "modules": "scenes"},
    )  # fmt: skip
    # S3's event carries the ETag unquoted; the ingest function names the file after key + ETag.
    source = f"storage://{drop_file_id(key, str(put['ETag']).strip(chr(34)))}"
    found = find_job_with_source(client, source, args.drop_timeout)
    return not _say("S3 drop became a job", found is not None, f"{key} → {source}")


def find_job_with_source(client: httpx.Client, source: str, timeout_s: float) -> Any:
    """The newest job (of the first page) that reads ``source``, waiting up to ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        jobs = client.get("/v1/jobs", params={"limit": 50}).json().get("data", [])
        found = next((j for j in jobs if source in j.get("sources", [])), None)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(POLL_S)


def run(args: argparse.Namespace) -> int:
    """Every step against the deployment; returns the number of failures."""
    client = httpx.Client(
        base_url=args.url.rstrip("/"), headers={"X-API-Key": args.key}, timeout=60
    )
    clip = Path(args.clip).read_bytes()
    health = client.get("/health")
    failures = int(not _say("GET /health (no key)", health.status_code == 200, health.text[:120]))
    failed, source = _uploads(client, clip)
    failures += failed
    if source:
        failures += _gpu_job(client, args, source)
    if args.bucket:
        failures += _s3_drop(client, args, clip)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the stack output ApiUrl (…/v1/)")
    parser.add_argument("--key", required=True, help="a key from `framelens keys create`")
    parser.add_argument("--bucket", help="the media bucket, to test an S3 drop")
    parser.add_argument("--tenant", default="acme", help="the key's tenant (S3 drop metadata)")
    parser.add_argument("--webhook-url", help="a public receiver for the job's webhook")
    parser.add_argument("--clip", default=str(DEFAULT_CLIP), help="a video under 4 MB")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the GPU job")
    parser.add_argument(
        "--webhook-timeout", type=float, default=300, help="seconds for the webhook's delivery"
    )
    parser.add_argument("--drop-timeout", type=float, default=120, help="seconds for the drop")
    args = parser.parse_args()
    if not args.url or not args.key:
        parser.error("URL and KEY are required: make smoke URL=... KEY=...")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
