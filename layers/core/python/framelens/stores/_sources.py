"""Which stored files a job reads: the ``storage://<file_id>`` sources of a job.

Owns: parsing a job's sources into file ids, shared by both adapters' jobs-by-file index. Does
not own checking that the files exist (``framelens.jobs.service``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["STORAGE_SCHEME", "storage_file_ids"]

STORAGE_SCHEME = "storage://"


def storage_file_ids(sources: Iterable[str]) -> list[str]:
    """The distinct file ids of the ``storage://`` sources, in order of first appearance.

    Examples:
        >>> storage_file_ids(["storage://f_1", "https://x/y.mp4", "storage://f_1", "storage://f_2"])
        ['f_1', 'f_2']
    """
    ids: dict[str, None] = {}
    for source in sources:
        if source.startswith(STORAGE_SCHEME) and len(source) > len(STORAGE_SCHEME):
            ids[source.removeprefix(STORAGE_SCHEME)] = None
    return list(ids)
