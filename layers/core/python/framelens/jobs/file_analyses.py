"""A stored file's analyses, as seed 002 draws and answers from them.

Owns: finding "the file's latest finished analysis" of given modules (through the job service's
jobs-by-file index), reading its typed results for that file's source, the boxes drawn from them
(``Drawn``: detections for ``/video/bbox`` and ``mode=debug``, faces for trace videos), a face
trace's sightings, and the 404s that say which module to run. Does not own rendering
(``jobs.media_service``) or HTTP (``api.seeds.streaming``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from framelens.errors import NotFoundError
from framelens.jobs.overlay_boxes import MergedBoxes, faces_boxes, objects_boxes, tracking_boxes
from framelens.jobs.results import module_result
from framelens.media.faces import FaceSighting
from framelens.schemas.results_faces import FacesResult
from framelens.schemas.results_objects import ObjectsResult, TrackingResult

if TYPE_CHECKING:
    from framelens.jobs.overlay_boxes import HeldBoxes
    from framelens.jobs.service import JobService
    from framelens.media.overlay import FrameBoxes
    from framelens.schemas import FileRecord, JobRecord
    from framelens.schemas.results_faces import FaceTrace
    from framelens.stores import BlobStore

__all__ = ["DETECTION_MODULES", "Drawn", "FacesAnalysis", "FileAnalyses"]

ResultT = TypeVar("ResultT", bound=BaseModel)

# What /video/bbox draws, in order of preference for objects: tracking carries the same
# detections with track ids, so a job with both draws tracking's boxes only.
DETECTION_MODULES = ("tracking", "objects", "faces")


@dataclass(frozen=True, slots=True)
class Drawn:
    """Boxes of one analysis and the id that names them in render cache keys."""

    analysis: str
    boxes: FrameBoxes


@dataclass(frozen=True, slots=True)
class FacesAnalysis:
    """The file's latest finished faces result and the job that made it."""

    job: JobRecord
    result: FacesResult

    def trace(self, trace_id: int) -> FaceTrace:
        """The trace. Raises ``NotFoundError`` naming the traces there are."""
        for trace in self.result.traces:
            if trace.trace_id == trace_id:
                return trace
        raise NotFoundError(
            f"Trace {trace_id} is not in this file's faces analysis (job {self.job.id}); it has "
            f"{len(self.result.traces)} traces, numbered "
            f"{', '.join(str(t.trace_id) for t in self.result.traces[:20]) or 'none'}.",
            details={"trace_id": trace_id, "job_id": self.job.id},
        )

    def sightings(self, trace_id: int) -> list[FaceSighting]:
        """Every face of the trace, as the media service's input."""
        return [
            FaceSighting(
                face.frame_number,
                (face.bbox.x, face.bbox.y, face.bbox.width, face.bbox.height),
                face.confidence,
            )
            for face in self.trace(trace_id).faces
        ]

    @property
    def analysis(self) -> str:
        """The analysis id in render cache keys (a finished job's results never change)."""
        return f"{self.job.id}:faces"


def _source_index(job: JobRecord, file_id: str) -> int:
    return job.sources.index(f"storage://{file_id}")


class FileAnalyses:
    """Finished analyses of stored files.

    Args:
        jobs: the job service (its jobs-by-file index).
        blobs: where result documents live.
    """

    def __init__(self, jobs: JobService, blobs: BlobStore, *, remembered: int = 8) -> None:
        self._jobs = jobs
        self._blobs = blobs
        # A finished job's results never change: keep the last few parsed (a long video's faces
        # result is megabytes of JSON, and every trace request reads it).
        self._remembered = remembered
        self._parsed: OrderedDict[tuple[str, str, int], BaseModel | None] = OrderedDict()
        self._lock = threading.Lock()

    def _result(
        self, job: JobRecord, record: FileRecord, module: str, model: type[ResultT]
    ) -> ResultT | None:
        index = _source_index(job, record.file_id)
        memo = (job.id, module, index)
        with self._lock:
            if memo in self._parsed:
                self._parsed.move_to_end(memo)
                known = self._parsed[memo]
                return known if isinstance(known, model) else None
        found = module_result(self._blobs, job, module, model, source_index=index)
        with self._lock:
            self._parsed[memo] = found
            if len(self._parsed) > self._remembered:
                self._parsed.popitem(last=False)
        return found

    def faces(self, record: FileRecord) -> FacesAnalysis:
        """The latest finished faces analysis of the file.

        Raises:
            NotFoundError: none has finished (the message says to run ``faces``).
        """
        job = self._jobs.latest_finished(record.tenant_id, record.file_id, ("faces",))
        result = None if job is None else self._result(job, record, "faces", FacesResult)
        if job is None or result is None:
            raise NotFoundError(
                f"File {record.file_id} has no finished faces analysis yet: traces and "
                f"identities come from one. Run a job with the faces module on {record.url} "
                "(POST /v1/jobs) and retry when it has finished.",
                details={"file_id": record.file_id, "module": "faces"},
            )
        return FacesAnalysis(job, result)

    def detections(self, record: FileRecord, media_fps: float | None) -> Drawn:
        """Every object and face of the file's latest finished analysis that has any.

        Raises:
            NotFoundError: no finished job on the file has detections or faces (the message
                names the modules to run).
        """
        job = self._jobs.latest_finished(record.tenant_id, record.file_id, DETECTION_MODULES)
        parts: list[HeldBoxes] = []
        drawn: list[str] = []
        if job is not None:
            tracking = self._result(job, record, "tracking", TrackingResult)
            objects = None if tracking else self._result(job, record, "objects", ObjectsResult)
            faces = self._result(job, record, "faces", FacesResult)
            if tracking is not None:
                parts.append(tracking_boxes(tracking, media_fps))
                drawn.append("tracking")
            if objects is not None:
                parts.append(objects_boxes(objects, media_fps))
                drawn.append("objects")
            if faces is not None:
                parts.append(faces_boxes(faces, media_fps))
                drawn.append("faces")
        if job is None or not parts:
            raise NotFoundError(
                f"File {record.file_id} has no finished analysis with detections or faces to "
                f"draw. Run a job with the objects (or tracking) and/or faces modules on "
                f"{record.url} (POST /v1/jobs) and retry when it has finished.",
                details={"file_id": record.file_id, "modules": list(DETECTION_MODULES)},
            )
        return Drawn(f"{job.id}:{'+'.join(drawn)}", MergedBoxes(parts))

    def drawn_for(self, record: FileRecord, analysis: str, media_fps: float | None) -> Drawn:
        """The boxes an earlier answer named by ``analysis`` (a render worker's input).

        Raises:
            NotFoundError: the job or its results are gone (expired).
        """
        job_id, _, modules = analysis.partition(":")
        job = self._jobs.get(record.tenant_id, job_id)
        parts: list[HeldBoxes] = []
        for module in modules.split("+"):
            if module == "tracking" and (r := self._result(job, record, module, TrackingResult)):
                parts.append(tracking_boxes(r, media_fps))
            elif module == "objects" and (o := self._result(job, record, module, ObjectsResult)):
                parts.append(objects_boxes(o, media_fps))
            elif module == "faces" and (f := self._result(job, record, module, FacesResult)):
                parts.append(faces_boxes(f, media_fps))
            else:
                raise NotFoundError(f"Job {job_id} has no {module} result for the file any more.")
        return Drawn(analysis, MergedBoxes(parts))
