"""The render cache: rendered media kept in the blob store, keyed by file, parameters, analysis.

Owns: ``RenderRequest`` (what to render, fully resolved, serialisable for a worker),
``RenderKey`` and ``default_render_key`` (the key-builder a deployment may replace; the layout
module owns real key names), and ``RenderCache`` (look up, store, and tee a stream into the
cache as it is sent). Does not own rendering (``framelens.media``) or choosing inline vs worker
(``jobs.media_service``).

A streamed render is stored only when it completes: a client that disconnects leaves no partial
object behind. ``RENDER_VERSION`` is part of every key, so changing how a render looks never
serves stale output.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import IO, TYPE_CHECKING, Any, Literal

from framelens.errors import StoreError
from framelens.media.selection import FrameSpan
from framelens.stores import layout

if TYPE_CHECKING:
    from collections.abc import Iterator

    from framelens.schemas import FileRecord
    from framelens.stores.ports import BlobStore

__all__ = [
    "RENDER_VERSION",
    "KeyBuilder",
    "RenderCache",
    "RenderKey",
    "RenderRequest",
    "default_render_key",
]

RENDER_VERSION = 1
log = logging.getLogger(__name__)
RenderKind = Literal["span", "clip", "overlay", "trace", "index"]
_FORMATS: dict[str, tuple[str, str]] = {
    "index": ("application/octet-stream", "bin"),
    "span": ("video/mp4", "mp4"),
    "clip": ("video/mp2t", "ts"),
    "overlay": ("video/mp4", "mp4"),
    "trace": ("video/mp4", "mp4"),
}


@dataclass(frozen=True, slots=True)
class RenderRequest:
    """A render with every parameter resolved (frames, not times), so it can be queued.

    Attributes:
        kind: ``span`` (stream copy), ``clip`` (MPEG-TS), ``overlay`` (boxes drawn),
            ``trace`` (one face trace highlighted) or ``index`` (the file's frame index, which a
            worker builds when the file is too large to demux within a request).
        start: first frame (``None`` with ``end``: the whole video).
        end: last frame, inclusive.
        audio: keep the audio.
        debug: the clip's "CLIP" label.
        highlight: the track drawn highlighted (``trace``).
        hold: frames boxes stay drawn after their frame (``overlay``, ``trace``).
        analysis: the analysis the boxes come from (its id and version); part of the cache key.
    """

    kind: RenderKind
    start: int | None = None
    end: int | None = None
    audio: bool = True
    debug: bool = False
    highlight: int | None = None
    hold: int = 0
    analysis: str | None = None

    @property
    def span(self) -> FrameSpan | None:
        """The frames, or ``None`` for the whole video."""
        if self.start is None or self.end is None:
            return None
        return FrameSpan(self.start, self.end)

    @property
    def content_type(self) -> str:
        """MIME type of the rendered file."""
        return _FORMATS[self.kind][0]

    @property
    def extension(self) -> str:
        """File extension of the rendered file."""
        return _FORMATS[self.kind][1]

    def params(self) -> str:
        """Canonical parameter string (sorted ``name=value``), the cache key's input."""
        values = {k: v for k, v in sorted(self.to_dict().items()) if k != "kind"}
        return ";".join(f"{k}={v}" for k, v in values.items()) + f";v={RENDER_VERSION}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (a worker's payload)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderRequest:
        """Inverse of ``to_dict``."""
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RenderKey:
    """What a cache key is built from."""

    tenant_id: str
    file_id: str
    kind: str
    params: str
    extension: str


# turns a ``RenderKey`` into a blob key
KeyBuilder = Callable[[RenderKey], str]


def default_render_key(key: RenderKey) -> str:
    """``renders/<tenant>/<file>/<kind>-<sha256(params)[:24]>.<ext>``.

    Examples:
        >>> default_render_key(RenderKey("acme", "f_1", "clip", "start=0", "ts"))[:24]
        'renders/acme/f_1/clip-e0'
    """
    return layout.render_key(key.tenant_id, key.file_id, key.kind, key.params, key.extension)


class RenderCache:
    """Renders stored in the blob store.

    Args:
        blobs: the blob store port.
        key_builder: turns a ``RenderKey`` into a blob key (``runtime`` passes the layout's).
    """

    def __init__(self, blobs: BlobStore, key_builder: KeyBuilder = default_render_key) -> None:
        self.blobs = blobs
        self._key_builder = key_builder

    def key(self, record: FileRecord, kind: str, params: str, extension: str) -> str:
        """The blob key of one render of ``record``."""
        return self._key_builder(
            RenderKey(record.tenant_id, record.file_id, kind, params, extension)
        )

    def render_key(self, record: FileRecord, request: RenderRequest) -> str:
        """The blob key of ``request`` rendered from ``record``."""
        return self.key(record, request.kind, request.params(), request.extension)

    def get(self, key: str) -> bytes | None:
        """The cached bytes, or ``None``."""
        from framelens.errors import NotFoundError

        try:
            return self.blobs.get(key)
        except NotFoundError:
            return None

    def keep(self, key: str, data: bytes, content_type: str) -> bool:
        """Store a made render under ``key`` if storage allows; ``False`` (logged) when it does
        not (a full disk): the caller still answers with ``data``, and the next request
        renders again."""
        try:
            self.blobs.put(key, data, content_type)
        except StoreError as exc:
            log.warning("render not cached (%s)", exc.message)
            return False
        return True

    def tee(
        self, chunks: Iterator[bytes], key: str, content_type: str, *, best_effort: bool = True
    ) -> Iterator[bytes]:
        """Yield ``chunks`` and store them under ``key`` once the last one has passed.

        Closing the returned generator early closes ``chunks`` and stores nothing. With
        ``best_effort`` a cache that cannot be written (a full disk) only logs: the client
        still gets every byte, and the next request renders again.
        """
        with tempfile.TemporaryFile(prefix="framelens-render-") as spool:
            spooled = True
            try:
                for chunk in chunks:
                    spooled = spooled and _spool(spool, chunk, strict=not best_effort)
                    yield chunk
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            if not spooled:
                return
            spool.seek(0)
            try:
                self.blobs.put(key, spool, content_type)
            except StoreError as exc:
                if not best_effort:
                    raise
                log.warning("render not cached (%s)", exc.message)

    def store(self, chunks: Iterator[bytes], key: str, content_type: str) -> int:
        """Consume ``chunks`` into the cache (a worker's render); returns the size."""
        size = 0
        for chunk in self.tee(chunks, key, content_type, best_effort=False):
            size += len(chunk)
        return size


def _spool(spool: IO[bytes], chunk: bytes, *, strict: bool) -> bool:
    """Keep ``chunk`` for the cache; ``False`` when the disk refused it (and not ``strict``)."""
    try:
        spool.write(chunk)
    except OSError:
        if strict:
            raise
        return False
    return True
