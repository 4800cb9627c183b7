"""Run analyzers over one document: its text blocks and embedded images, in document order.

Owns: the document counterpart of the decode pass. The document is read once
(``media.document.read_document``, which refuses unsafe archives); each analyzer that accepts
documents (``"document"`` in its ``media_types`` and a ``process_text`` method, the
``TextBlockReader`` protocol) gets ``start`` → for every block in order, ``process_text(block)``
for text or ``process(frame)`` for a decodable embedded image (``frame.index`` = the block's
position, ``pts`` 0, sized to its ``needs()``) → ``finish``. Embedded images the decoder cannot
read (EMF, WMF, SVG) are skipped. Isolation is as in ``engine.run``: an analyzer that raises gets
nothing more and ``AnalyzerFailedError`` names it once the others have finished. Does not own:
reading the DOCX (``media.document``) or what analyzers compute.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from framelens.engine.base import Frame
from framelens.engine.decode import DecodedFrame
from framelens.engine.exceptions import AnalyzerFailedError, client_reason
from framelens.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from framelens.engine.base import Analyzer, AnalyzerResult, MediaInfo, RunContext
    from framelens.media.document import DocumentImage, DocumentText

__all__ = ["TextBlockReader", "accepts_documents", "run_document"]

_log = logging.getLogger(__name__)


@runtime_checkable
class TextBlockReader(Protocol):
    """What an analyzer adds to read documents: it receives their text blocks."""

    def process_text(self, block: DocumentText) -> None:
        """Consume one text block (document order, interleaved with image frames)."""


def accepts_documents(analyzer: Analyzer) -> bool:
    """Whether ``analyzer`` declares documents and can receive text blocks."""
    return "document" in analyzer.media_types and isinstance(analyzer, TextBlockReader)


def _decode(block: DocumentImage) -> DecodedFrame | None:
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(block.data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        _log.warning("skipped embedded image %s (%s): undecodable", block.part, block.content_type)
        return None
    return DecodedFrame(block.index, Fraction(0), True, image)


class _Run:
    """The live analyzers of one document run and the names of those that failed."""

    def __init__(self, analyzers: Sequence[Analyzer]) -> None:
        self.live = list(analyzers)
        self.failed: list[str] = []
        self.reasons: dict[str, str] = {}

    def fail(self, analyzer: Analyzer, stage: str, exc: Exception) -> None:
        """Log why ``analyzer`` failed and keep what a client may read of it."""
        _log.exception("analyzer %s failed in %s", analyzer.name, stage)
        self.failed.append(analyzer.name)
        reason = client_reason(exc)
        if reason is not None:
            self.reasons[analyzer.name] = reason

    def call(self, analyzer: Analyzer, stage: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
            self.live.remove(analyzer)
            self.fail(analyzer, stage, exc)


def run_document(
    path: Path, analyzers: Sequence[Analyzer], ctx: RunContext, media: MediaInfo
) -> dict[str, AnalyzerResult]:
    """Read the document at ``path`` once and feed its blocks to every analyzer, in order.

    Returns:
        ``{analyzer.name: result}`` in the order given.

    Raises:
        ValidationError: an analyzer does not accept documents.
        AnalyzerFailedError: an analyzer raised (after all others finished).
        UnsafeDocumentError, UnprocessableMediaError, UnsupportedMediaError: the document was
            refused or cannot be read (not isolated: no analyzer can run on it).
    """
    from framelens.media.document import DocumentText, read_document

    refused = [a.name for a in analyzers if not accepts_documents(a)]
    if refused:
        raise ValidationError(
            f"{', '.join(refused)} cannot analyze documents.", details={"modules": refused}
        )
    content = read_document(path)
    run = _Run(analyzers)
    for analyzer in list(run.live):
        run.call(analyzer, "start", partial(analyzer.start, media, ctx))
    for done, block in enumerate(content.blocks, start=1):
        if isinstance(block, DocumentText):
            for analyzer in list(run.live):
                reader = cast("TextBlockReader", analyzer)  # accepts_documents checked it
                run.call(analyzer, "process_text", partial(reader.process_text, block))
        else:
            _feed_image(run, block)
        if ctx.on_progress is not None:
            ctx.on_progress(done / len(content.blocks))
    results = _finish(run)
    if ctx.on_progress is not None:
        ctx.on_progress(1.0)
    if run.failed:
        raise AnalyzerFailedError(run.failed, results, run.reasons)
    return results


def _feed_image(run: _Run, block: DocumentImage) -> None:
    decoded = _decode(block)
    if decoded is None:
        return
    for analyzer in list(run.live):
        needs = analyzer.needs()
        image, scale = decoded.image(needs.max_side, needs.colour)
        frame = Frame(block.index, Fraction(0), image, scale, is_keyframe=True)
        run.call(analyzer, "process", partial(analyzer.process, frame))


def _finish(run: _Run) -> dict[str, AnalyzerResult]:
    results: dict[str, AnalyzerResult] = {}
    for analyzer in list(run.live):
        try:
            results[analyzer.name] = analyzer.finish()
        except Exception as exc:  # noqa: BLE001 - the engine's per-analyzer isolation boundary (STYLE 2.5)
            run.fail(analyzer, "finish", exc)
    return results
