"""Merging per-segment parts into one result document per module, and the job summary.

Owns: the layout of result documents (``{"module", "sources": [...], "items": [...]}``) and of the
seed 003 summary (``[{"source", "media_type", "info", "items", "labels"}]``: ``items`` are the
analyzers' own summaries, ``labels`` their ``{"type", "label"}`` items), and making a source's
merged parts final: composed with each other (``Analyzer.compose``: sections from activity and
tags), their frame exports stored and their merge state dropped (``engine.exports.finalize``).
Does not own: how an analyzer merges its own segments (``Analyzer.merge``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framelens.analyzers.compose import compose_results
from framelens.analyzers.registry import analyzer_class
from framelens.schemas.parts_pages import Paged
from framelens.schemas.results_base import Label, unique_labels
from framelens.stores import layout

if TYPE_CHECKING:
    from framelens.engine.base import Analyzer, AnalyzerResult
    from framelens.orchestration.contract import PartManifest, SourceInfo
    from framelens.schemas import JobRecord
    from framelens.stores import BlobStore

__all__ = ["Merged", "merge_parts"]


@dataclass(slots=True)
class Merged:
    """Everything ``aggregate`` writes for a job: documents as JSON bytes, by module."""

    documents: dict[str, bytes] = field(default_factory=dict)
    summary: list[dict[str, Any]] = field(default_factory=list)
    part_keys: list[str] = field(default_factory=list)
    media_seconds: float = 0.0
    media_units: int = 0


def _dump(item: Any) -> dict[str, Any]:
    data = item.model_dump(mode="json") if hasattr(item, "model_dump") else item
    return data if isinstance(data, dict) else {"value": data}


def merge_parts(
    blobs: BlobStore,
    job: JobRecord,
    sources: list[SourceInfo],
    manifests: list[PartManifest],
) -> Merged:
    """Merge the analyze stage's part manifests of ``job`` (any order) per source and module."""
    out = Merged()
    parts: dict[tuple[int, str], list[tuple[float, str]]] = defaultdict(list)
    skipped: dict[tuple[int, str], str] = {}
    for manifest in manifests:
        for module, key in manifest.parts.items():
            parts[(manifest.source_index, module)].append((manifest.segment[0], key))
            out.part_keys.append(key)
        for module, reason in manifest.skipped.items():
            skipped[(manifest.source_index, module)] = reason

    documents: dict[str, dict[str, Any]] = {
        m: {"module": m, "sources": [], "items": []} for m in job.modules
    }
    for src in sources:
        probe = src.probe.model_dump(mode="json")
        if src.media_type == "video":
            out.media_seconds += float(src.probe.duration_s or 0.0)
        else:
            out.media_units += 1
        summary: list[dict[str, Any]] = []
        labels: list[Label] = []
        composed = compose_results(
            {
                module: _merged(blobs, module, sorted(keys), out.part_keys)
                for (index, module), keys in parts.items()
                if index == src.index
            }
        )
        for module, doc in documents.items():
            entry: dict[str, Any] = {
                "index": src.index,
                "uri": src.uri,
                "media_type": src.media_type,
            }
            if module == "probe":
                entry["result"] = probe
                doc["items"].append({"source": src.uri, **probe})
            elif module in composed:
                final = _final(blobs, job, src, module, composed[module])
                entry["result"] = final.model_dump(mode="json")
                doc["items"].extend({"source": src.uri, **_dump(i)} for i in final.items())
                summary.extend(final.summary())
                labels.extend(final.labels())
            else:
                entry["skipped"] = skipped.get((src.index, module), "no frames were analyzed")
            doc["sources"].append(entry)
        out.summary.append(
            {
                "source": src.uri,
                "media_type": src.media_type,
                "info": probe,
                "items": summary,
                "labels": [item.model_dump() for item in unique_labels(labels)],
            }
        )
    out.documents = {m: json.dumps(doc).encode() for m, doc in documents.items()}
    return out


def _merged(
    blobs: BlobStore, module: str, ordered: list[tuple[float, str]], part_keys: list[str]
) -> AnalyzerResult:
    """One module's parts over one source, merged in time order.

    Paged parts (``schemas.parts_pages``) get their frames back first (the page keys join
    ``part_keys``, deleted once the documents are written), and are merged even when alone:
    what ``finish`` derives from all frames (OCR's text segments) is rebuilt by ``merge``.
    """
    cls: type[Analyzer] = analyzer_class(module)
    results = [cls.load_result(json.loads(blobs.get(key))) for _, key in ordered]
    paged = [r for r in results if isinstance(r, Paged) and r.pages]
    for result in paged:
        part_keys.extend(result.pages)
    results = [r.unpage(blobs.get) if isinstance(r, Paged) else r for r in results]
    return results[0] if len(results) == 1 and not paged else cls.merge(results)


def _final(
    blobs: BlobStore,
    job: JobRecord,
    src: SourceInfo,
    module: str,
    merged: AnalyzerResult,
) -> AnalyzerResult:
    """The public result of one module over one source (exports stored, merge state dropped)."""
    cls: type[Analyzer] = analyzer_class(module)
    if not cls.exports(merged):
        return merged.public()
    from framelens.engine.exports import finalize
    from framelens.orchestration.sources import BlobArtifactSink

    sink = BlobArtifactSink(blobs, layout.artifact_prefix(job.id, src.index))
    with blobs.local_path(src.blob_key) as path:
        return finalize(cls, merged, path, src.media_type, sink)
