"""kpanic: parse, symbolicate, diagnose and triage macOS/iOS kernel panics.

Each call returns what the ``kpanic`` command prints with ``--json`` (the same document, as
dicts, lists, strings, numbers and None) and raises :class:`Error` with the message the
command prints after ``kpanic: error:``. kpanic works with the GIL released.
"""

from ._kpanic import (
    Error,
    InternalError,
    NotAPanic,
    SymbolSourceError,
    TriageMerger,
    __version__,
    diagnose,
    parse,
    signature,
    symbolicate,
    triage,
    triage_candidates,
    triage_merge,
    triage_partial,
)

__all__ = [
    "Error",
    "InternalError",
    "NotAPanic",
    "SymbolSourceError",
    "TriageMerger",
    "__version__",
    "diagnose",
    "parse",
    "signature",
    "symbolicate",
    "triage",
    "triage_candidates",
    "triage_merge",
    "triage_partial",
]
