"""Picture sources, one module per kind, chosen by URL scheme (see base.py)."""

from media.sources.base import (
    Source,
    SourceConfigLite,
    SourceHealth,
    SourceSpec,
    SourceState,
    open_source,
    register,
    source_class,
)

__all__ = [
    "Source",
    "SourceConfigLite",
    "SourceHealth",
    "SourceSpec",
    "SourceState",
    "open_source",
    "register",
    "source_class",
]
