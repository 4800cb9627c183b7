"""Merging per-segment parts into one result document per module, and the job summary.

Owns: the layout of result documents (``{"module", "sources": [...], "items": [...]}``) and of the
seed 003 summary (``[{"source", "media_type", "info", "items"}]``). Does not own: how an analyzer
merges its own segments (``Analyzer.merge``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framelens.analyzers.registry import analyzer_class

if TYPE_CHECKING:
    from framelens.engine.base import Analyzer, AnalyzerResult
    from framelens.schemas import JobRecord
    from framelens.stores import BlobStore

__all__ = ["Merged", "merge_parts"]


@dataclass(slots=True)
class Merged:
    """Everything ``aggregate`` writes for a job."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: list[dict[str, Any]] = field(default_factory=list)
    part_keys: list[str] = field(default_factory=list)
    media_seconds: float = 0.0
    media_units: int = 0


def _dump(item: Any) -> Any:
    return item.model_dump(mode="json") if hasattr(item, "model_dump") else item


def merge_parts(
    blobs: BlobStore,
    job: JobRecord,
    sources: list[dict[str, Any]],
    manifests: list[dict[str, Any]],
) -> Merged:
    """Merge the analyze stage's part manifests of ``job`` (any order) per source and module."""
    out = Merged()
    parts: dict[tuple[int, str], list[tuple[float, str]]] = defaultdict(list)
    skipped: dict[tuple[int, str], str] = {}
    for manifest in manifests:
        idx = manifest["source_index"]
        start = float(manifest["segment"][0] or 0.0)
        for module, key in manifest["parts"].items():
            parts[(idx, module)].append((start, key))
            out.part_keys.append(key)
        for module, reason in manifest.get("skipped", {}).items():
            skipped[(idx, module)] = reason

    for module in job.modules:
        out.documents[module] = {"module": module, "sources": [], "items": []}
    summaries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for src in sources:
        idx = src["index"]
        probe = src["probe"]
        if src["media_type"] == "video":
            out.media_seconds += float(probe.get("duration_s") or 0.0)
        else:
            out.media_units += 1
        for module in job.modules:
            doc = out.documents[module]
            entry: dict[str, Any] = {
                "index": idx,
                "uri": src["uri"],
                "media_type": src["media_type"],
            }
            if module == "probe":
                entry["result"] = probe
                doc["items"].append({"source": src["uri"], **probe})
            elif (idx, module) in parts:
                cls = analyzer_class(module)
                ordered = sorted(parts[(idx, module)])
                results = [cls.load_result(json.loads(blobs.get(k))) for _, k in ordered]
                merged = results[0] if len(results) == 1 else cls.merge(results)
                merged = _materialize(cls, merged, blobs, job, src)
                entry["result"] = merged.model_dump(mode="json")
                doc["items"].extend(
                    {"source": src["uri"], **_as_dict(_dump(i))} for i in merged.items()
                )
                summaries[idx].extend(merged.summary())
            else:
                entry["skipped"] = skipped.get((idx, module), "no frames were analyzed")
            doc["sources"].append(entry)
        out.summary.append(
            {
                "source": src["uri"],
                "media_type": src["media_type"],
                "info": probe,
                "items": summaries[idx],
            }
        )
    return out


def _materialize(
    cls: type[Analyzer],
    merged: AnalyzerResult,
    blobs: BlobStore,
    job: JobRecord,
    src: dict[str, Any],
) -> AnalyzerResult:
    """Let an analyzer store artifacts that only the merged result needs.

    A merged winner may come from no segment's own winners (``best_frames`` re-selects from the
    union of candidates), so its image was never stored. Analyzers that can fill such gaps define
    a ``materialize(result, ctx)`` classmethod; it gets the source as a local file and a sink under
    ``artifacts/<job>/<source>/merged`` so its keys never collide with a segment's.
    """
    materialize = getattr(cls, "materialize", None)
    if materialize is None:
        return merged
    from framelens.engine.base import RunContext
    from framelens.orchestration.sources import BlobArtifactSink

    sink = BlobArtifactSink(blobs, f"artifacts/{job.id}/{src['index']}/merged")
    with blobs.local_path(src["blob_key"]) as path:
        ctx = RunContext(
            job_id=job.id, tenant_id=job.tenant_id, artifacts=sink, source_path=str(path)
        )
        result: AnalyzerResult = materialize(merged, ctx)
    return result


def _as_dict(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else {"value": item}
