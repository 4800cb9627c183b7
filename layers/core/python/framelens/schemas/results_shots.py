"""``ShotSpan``: a shot as an analyzer that resets at cuts saw it (activity, tags).

Owns: the time and frame fields every per-shot result shares, and the part state merging needs
(``continues_previous``, ``open_end``). Does not own: finding cuts (``analyzers._shots``), the
exact scene split (``scenes``), which such analyzers do not see, or joining shots across segments
(``analyzers._shot_spans``).

Times are the sampled frames' times: a shot starts at its first sample and ends where the next
shot's first sample is (or where the media, or the segment, ends), so spans are late by at most
one sampling interval compared with the exact ``scenes`` boundaries.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["ShotSpan"]


class ShotSpan(BaseModel):
    """A shot's span of media time and sampled frames."""

    start_seconds: float
    end_seconds: float
    start_frame: int = Field(description="Index of the shot's first sampled frame.")
    last_frame: int = Field(description="Index of the shot's last sampled frame.")
    samples: int = Field(description="How many sampled frames the shot's result is built from.")
    continues_previous: bool = Field(
        default=False,
        description=(
            "Merge state: this segment began inside the shot (no cut at its first sample), "
            "so merging joins it to the previous segment's last shot. Always false in a whole "
            "video's result."
        ),
    )
    open_end: bool = Field(
        default=False,
        description=(
            "Merge state: the segment ended inside this shot, which may go on in the next "
            "segment. Always false in a whole video's result."
        ),
    )

    @property
    def has_open_edge(self) -> bool:
        """Whether the shot may be joined with a neighbouring segment's shot."""
        return self.continues_previous or self.open_end
