"""The option models checked at job creation (``schemas.module_options``) agree with the
analyzers that read the options: every analyzer has a model, and each numeric bound a model
accepts, its analyzer accepts too, so an option that passes creation never fails the job later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from annotated_types import Ge, Gt, Le

from framelens.analyzers.registry import PIPELINE_MODULES, analyzer_class, known_modules
from framelens.schemas.module_options import (
    OPTION_MODELS,
    InvalidOptionError,
    validate_module_options,
)

if TYPE_CHECKING:
    from pydantic import BaseModel


def _bounds(model: type[BaseModel]) -> list[tuple[str, float, float]]:
    """``(option, lowest, highest)`` of each numeric option with both bounds."""
    found = []
    for name, field in model.model_fields.items():
        lo = hi = None
        for meta in field.metadata:
            if isinstance(meta, Ge):
                lo = float(meta.ge)  # type: ignore[arg-type]
            if isinstance(meta, Gt):
                lo = float(meta.gt) + 0.01  # type: ignore[arg-type]
            if isinstance(meta, Le):
                hi = float(meta.le)  # type: ignore[arg-type]
        if lo is not None and hi is not None:
            found.append((name, lo, hi))
    return found


def test_every_module_has_an_options_model() -> None:
    assert set(OPTION_MODELS) == set(known_modules())


CASES = [
    (module, option, value)
    for module, model in sorted(OPTION_MODELS.items())
    if module not in PIPELINE_MODULES
    for option, lo, hi in _bounds(model)
    for value in (lo, hi)
]


@pytest.mark.parametrize(("module", "option", "value"), CASES)
def test_the_analyzer_accepts_what_its_model_accepts(
    module: str, option: str, value: float
) -> None:
    integral = OPTION_MODELS[module].model_fields[option].annotation
    options: dict[str, Any] = {option: int(value) if "int" in str(integral) else value}
    validate_module_options({module: options})  # the model accepts it...
    analyzer_class(module)(options)  # ...and so does the analyzer


@pytest.mark.parametrize(
    "modules",
    [
        {"objects": {"fps": 0}},
        {"tracking": {"confidence": 0.01}},
        {"faces": {"min_score": 0.1}},
        {"ocr": {"max_side": 8}},
        {"activity": {"top_k": 50}},
        {"tags": {"min_probability": 2}},
    ],
)
def test_what_an_analyzer_refuses_is_refused_at_creation(modules: dict[str, Any]) -> None:
    ((module, options),) = modules.items()
    with pytest.raises(Exception):  # noqa: B017 - the analyzer's own ValidationError
        analyzer_class(module)(options)
    with pytest.raises(InvalidOptionError) as caught:
        validate_module_options(modules)
    assert caught.value.details["module"] == module
    assert caught.value.http_status == 422
