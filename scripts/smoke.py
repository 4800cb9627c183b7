"""``make smoke URL=... KEY=... [BUCKET=...]``: exercise a real deployment after ``cdk deploy``.

Owns: a short, readable walk through what only a real deployment can prove: a direct upload,
a large upload through a presigned S3 PUT, a job with a GPU module and a signed webhook, and an
S3 drop (when ``--bucket`` is given and AWS credentials are set). Each step prints ``ok`` or
why it failed; the exit status is the number of failed steps. Needs network access to the API;
uses only httpx and boto3 (both in the project's dependencies).

The webhook goes to ``--webhook-url`` (a receiver you run, e.g. a request bin); without it the
step checks only that the job records a delivery attempt.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "media"
DEFAULT_CLIP = CLIP / "car_traffic_bridge_640x360.mp4"


def _say(step: str, ok: bool, detail: str = "") -> bool:
    sys.stdout.write(f"{'ok  ' if ok else 'FAIL'} {step}{': ' + detail if detail else ''}\n")
    return ok


def _wait(client: httpx.Client, job_id: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job.get("state") in ("finished", "failed", "cancelled"):
            return dict(job)
        if time.monotonic() > deadline:
            return dict(job)
        time.sleep(5)


def run(args: argparse.Namespace) -> int:
    """Every step against the deployment; returns the number of failures."""
    headers = {"X-API-Key": args.key}
    client = httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=60)
    clip = Path(args.clip).read_bytes()
    failures = 0

    health = client.get("/health")
    failures += not _say("GET /health (no key)", health.status_code == 200, health.text[:120])

    upload = client.post("/v1/media", files={"file": ("clip.mp4", clip, "video/mp4")})
    ok = upload.status_code == 201
    failures += not _say("POST /v1/media (direct upload)", ok, upload.text[:200])
    source = upload.json().get("url") if ok else None

    target = client.post(
        "/v1/uploads", json={"name": "big.mp4", "content_type": "video/mp4", "size": len(clip)}
    )
    if target.status_code == 201:
        spec = target.json()
        put = httpx.put(spec["upload_url"], content=clip, headers=spec.get("headers") or {})
        done = client.post(spec["complete_url"].replace(args.url.rstrip("/"), ""))
        ok = put.status_code in (200, 204) and done.status_code == 200
        failures += not _say("presigned upload + complete", ok, done.text[:200])
    else:
        failures += not _say("POST /v1/uploads", False, target.text[:200])

    if source:
        webhook = {"url": args.webhook_url, "secret": "smoke"} if args.webhook_url else None
        body: dict[str, Any] = {"sources": [source], "modules": {"objects": {}, "tracking": {}}}
        if webhook:
            body["webhook"] = webhook
        created = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        job_id = created.json().get("id")
        failures += not _say("POST /v1/jobs (GPU modules)", created.status_code == 202)
        if job_id:
            job = _wait(client, job_id, args.timeout)
            failures += not _say(
                "GPU job finished", job.get("state") == "finished", json.dumps(job)[:300]
            )
            if webhook:
                delivery = (job.get("webhook_delivery") or {}).get("status")
                failures += not _say("webhook delivered", delivery == "delivered", str(delivery))

    if args.bucket:
        import boto3

        key = f"uploads/smoke/{uuid.uuid4().hex}.mp4"
        boto3.client("s3").put_object(
            Bucket=args.bucket, Key=key, Body=clip,
            Metadata={"tenant": args.tenant, "modules": "scenes"},
        )  # fmt: skip
        deadline = time.monotonic() + 120
        found = None
        while found is None and time.monotonic() < deadline:
            jobs = client.get("/v1/jobs", params={"limit": 20}).json().get("data", [])
            found = next((j for j in jobs if key.split("/")[-1] in json.dumps(j)), None)
            time.sleep(5)
        failures += not _say("S3 drop became a job", found is not None, key)
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
    args = parser.parse_args()
    if not args.url or not args.key:
        parser.error("URL and KEY are required: make smoke URL=... KEY=...")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
