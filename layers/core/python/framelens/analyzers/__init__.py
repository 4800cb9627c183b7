"""Analyzers: one module each, all implementing ``framelens.engine.Analyzer``.

Looked up by name through ``registry`` so that importing this package stays cheap: an analyzer's
module (and its numpy/cv2/onnxruntime imports) loads on first use.
"""

from __future__ import annotations

from framelens.analyzers.registry import analyzer_class, known_modules

__all__ = ["analyzer_class", "known_modules"]
