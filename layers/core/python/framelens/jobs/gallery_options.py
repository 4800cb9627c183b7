"""Refusing, when a job is created, a ``faces`` gallery or allowlist the tenant cannot match.

Owns: ``check_job_galleries``, which ``JobService.create`` calls before it stores a job, so a
job naming a gallery the tenant does not have (another tenant's included: galleries are per
tenant, and the answer is the same as for a name nobody uses) is a 422 ``invalid_option``
naming the gallery and listing the tenant's galleries, like the DeepVA ``face_recognition``
``model`` check, instead of a 202 and a job that fails later. A gallery whose identities were
all enrolled with another embedder than the job's is refused the same way. Does not own:
reading the gallery for a run (``galleries.gallery_view``, which still refuses a gallery
deleted in the meantime).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from framelens.models.manifests import DEFAULT_FACE_EMBEDDER
from framelens.schemas.module_options import InvalidOptionError

if TYPE_CHECKING:
    from framelens.stores.ports import IdentityStore

__all__ = ["check_job_galleries"]

_GALLERY_OPTIONS = ("gallery", "allowlist")


def check_job_galleries(
    store: IdentityStore | None, tenant_id: str, modules: dict[str, dict[str, Any]]
) -> None:
    """Refuse a ``faces`` ``gallery``/``allowlist`` option naming no usable gallery.

    Raises:
        InvalidOptionError: (422) the tenant has no identity in the named gallery (or none
            enrolled with the job's embedder); ``details`` name the module, option, gallery and
            the tenant's galleries.
    """
    options = modules.get("faces") or {}
    named = [(o, options[o]) for o in _GALLERY_OPTIONS if isinstance(options.get(o), str)]
    if not named:
        return
    records = store.list(tenant_id) if store is not None else []
    embedder = options.get("embedder") or DEFAULT_FACE_EMBEDDER
    have = sorted({r.gallery for r in records})
    usable = {r.gallery for r in records if r.embedder == embedder}
    for option, gallery in named:
        if gallery in usable:
            continue
        details = {"module": "faces", "option": option, "gallery": gallery, "galleries": have}
        if gallery in have:
            raise InvalidOptionError(
                f"faces.{option}: gallery {gallery!r} has no identities enrolled with "
                f"{embedder!r}; enrol them again with that embedder, or run with the gallery's",
                details=details,
            )
        listed = ", ".join(have) if have else "none yet: enrol identities in a gallery first"
        raise InvalidOptionError(
            f"faces.{option}: gallery {gallery!r} does not exist; your galleries: {listed}",
            details=details,
        )
