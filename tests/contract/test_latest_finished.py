"""The file's latest finished analysis (seed 002 draws and answers from it), on both adapters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from framelens.auth import Quotas
from framelens.jobs.service import JobService
from framelens.schemas import JobState
from tests.contract.helpers import make_job

if TYPE_CHECKING:
    from framelens.stores import Stores


def _job(stores: Stores, n: int, state: JobState, modules: tuple[str, ...], file_id: str = "f_1"):
    job, _ = stores.jobs.create(make_job(n=n, sources=[f"storage://{file_id}"]))
    keys = {m: f"results/{job.id}/{m}.json" for m in modules}
    return stores.jobs.update(job.model_copy(update={"state": state, "result_keys": keys}))


def test_the_newest_finished_job_with_the_module_wins(stores: Stores) -> None:
    # GIVEN on f_1: an old finished faces job, a newer finished faces job, a newest faces job
    # still running, a newer finished objects-only job, and a finished faces job on f_2
    jobs = JobService(stores, Quotas(stores.counters))
    _job(stores, 0, JobState.finished, ("faces",))
    wanted = _job(stores, 1, JobState.finished, ("faces", "scenes"))
    _job(stores, 2, JobState.finished, ("objects",))
    _job(stores, 3, JobState.running, ())
    _job(stores, 4, JobState.finished, ("faces",), file_id="f_2")
    # THEN faces come from the newer finished faces job; objects from the objects job
    assert jobs.latest_finished("acme", "f_1", ("faces",)).id == wanted.id
    found = jobs.latest_finished("acme", "f_1", ("tracking", "objects", "faces"))
    assert found is not None and "objects" in found.result_keys
    assert jobs.latest_finished("acme", "f_1", ("ocr",)) is None
    assert jobs.latest_finished("globex", "f_1", ("faces",)) is None


def test_the_search_is_bounded(stores: Stores) -> None:
    # GIVEN a finished faces job behind five newer running ones
    jobs = JobService(stores, Quotas(stores.counters))
    old = _job(stores, 0, JobState.finished, ("faces",))
    for n in range(1, 6):
        _job(stores, n, JobState.running, ())
    # THEN a scan of six finds it and a scan of five stops before it
    assert jobs.latest_finished("acme", "f_1", ("faces",), scan=6).id == old.id
    assert jobs.latest_finished("acme", "f_1", ("faces",), scan=5) is None
