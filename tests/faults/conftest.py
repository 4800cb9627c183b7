"""The fault suite: a real server killed mid-job and starved of disk; runs in ``make test``.

Each test starts ``framelens serve`` as a child process (``tests.faults.server``) on a fresh
data dir with one worker and a fast sweep, so the recovery paths run within seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: the fault suite (a real server, killed or starved)")
