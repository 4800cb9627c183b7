"""``framelens analyze FILE``: the whole pipeline in-process, on a throw-away embedded backend.

Owns: showing progress and writing ``result.json`` plus every artifact the results name into the
output folder. The pipeline is the same one the server and the cloud run.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from framelens.schemas import JobCreate, JobState
from framelens.stores import layout

if TYPE_CHECKING:
    from framelens.config import Settings

__all__ = ["artifact_keys", "run_analysis"]


def artifact_keys(doc: Any, prefix: str) -> set[str]:
    """Every string in ``doc`` (nested) that is a blob key under ``prefix``."""
    found: set[str] = set()
    if isinstance(doc, str) and doc.startswith(prefix):
        found.add(doc)
    elif isinstance(doc, dict):
        for value in doc.values():
            found |= artifact_keys(value, prefix)
    elif isinstance(doc, list):
        for value in doc:
            found |= artifact_keys(value, prefix)
    return found


def run_analysis(file: Path, modules: list[str], out: Path, settings: Settings) -> int:
    """Analyze ``file`` with ``modules``; write results to ``out``. Returns the exit code."""
    from rich.progress import Progress

    from framelens.jobs.files import FileService
    from framelens.runtime import build_services

    with tempfile.TemporaryDirectory(prefix="framelens-analyze-") as tmp:
        local = settings.model_copy(update={"backend": "embedded", "data_dir": Path(tmp)})
        services = build_services(local, start_runner=False)
        secret, _ = services.keys.create("cli", "pro")
        principal = services.keys.authenticate(secret)
        record = FileService(services.stores, local).ingest(
            principal.tenant_id, file, name=file.name
        )
        job, _ = services.jobs.create(
            principal,
            JobCreate(sources=[record.url], modules={m: {} for m in modules}),
            dispatch=False,
        )
        worker = threading.Thread(target=services.jobs.run_inline, args=(job.id,), daemon=True)
        worker.start()
        with Progress(transient=True) as progress:
            task = progress.add_task(f"analyzing {file.name}", total=1.0)
            while worker.is_alive():
                worker.join(timeout=0.2)
                progress.update(task, completed=services.stores.jobs.get(job.id).progress)
        job = services.stores.jobs.get(job.id)
        out.mkdir(parents=True, exist_ok=True)
        results: dict[str, Any] = {}
        for module, key in job.result_keys.items():
            results[module] = json.loads(services.stores.blobs.get(key))
        prefix = layout.artifact_prefix(job.id)
        for key in sorted(artifact_keys(results, prefix)):
            target = out / "artifacts" / key.removeprefix(prefix)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(services.stores.blobs.get(key))
        document = {
            "job": job.model_dump(
                mode="json", include={"id", "state", "error", "summary", "sources", "modules"}
            ),
            "results": results,
        }
        (out / "result.json").write_text(json.dumps(document, indent=2))
        services.close()
    if job.state != JobState.finished:
        message = job.error.message if job.error else job.state.value
        typer.echo(f"analysis {job.state.value}: {message}", err=True)
        return 1
    typer.echo(f"wrote {out / 'result.json'}")
    return 0
