"""Types of the kpanic package (the native module kpanic._kpanic)."""

import os
from typing import Any, Dict, Iterable, List, Literal, Optional, Sequence, Union

__version__: str

#: A panic: its bytes, its text, or the path of its file.
Panic = Union[bytes, str, "os.PathLike[str]"]
#: One path, or several (as the CLI's repeatable flags).
Paths = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]]
#: One symbol store URL, or several.
Urls = Union[str, Sequence[str]]
#: A JSON document as plain Python data.
Document = Dict[str, Any]
#: The output formats of triage: ``json`` gives a dict, the others text.
TriageFormat = Literal["json", "jsonl", "csv", "markdown", "text"]

class Error(Exception):
    """Any kpanic error; the message is what the CLI prints after ``kpanic: error:``."""

class NotAPanic(Error):
    """The input holds no kernel panic (empty, binary, another kind of report or text)."""

class SymbolSourceError(Error):
    """A KDK, symbols path, kernelcache or symbol store that cannot be used."""

class InternalError(Error):
    """A kpanic bug on one input; please report it with the file."""

def parse(data: Panic, name: Optional[str] = None) -> Document:
    """``kpanic parse --json``. ``name`` is the ``file`` of the document (default: the path,
    or ``<data>`` for bytes and text)."""

def symbolicate(
    data: Panic,
    kdk: Optional[Paths] = None,
    symbols: Optional[Paths] = None,
    kernelcache: Optional[Union[str, "os.PathLike[str]"]] = None,
    symbol_store: Optional[Urls] = None,
    name: Optional[str] = None,
) -> Document:
    """``kpanic symbolicate --json``."""

def diagnose(
    data: Panic,
    kdk: Optional[Paths] = None,
    symbols: Optional[Paths] = None,
    kernelcache: Optional[Union[str, "os.PathLike[str]"]] = None,
    symbol_store: Optional[Urls] = None,
    name: Optional[str] = None,
) -> Document:
    """``kpanic diagnose --json`` (symbolicated when symbols are given)."""

def signature(
    data: Panic,
    kdk: Optional[Paths] = None,
    symbols: Optional[Paths] = None,
    kernelcache: Optional[Union[str, "os.PathLike[str]"]] = None,
    symbol_store: Optional[Urls] = None,
    name: Optional[str] = None,
) -> Document:
    """The triage signature of the panic: its bucket's ``signature`` in ``triage``."""

def triage(
    paths: Paths,
    since: Optional[str] = None,
    kext: Optional[str] = None,
    kdk: Optional[Paths] = None,
    symbols: Optional[Paths] = None,
    kernelcache: Optional[Union[str, "os.PathLike[str]"]] = None,
    symbol_store: Optional[Urls] = None,
    format: TriageFormat = "json",
) -> Union[Document, str]:
    """``kpanic triage --format FORMAT PATH...``; ``since`` is ``YYYY-MM-DD``."""

def triage_candidates(paths: Paths) -> List[str]:
    """The files and zip archives under ``paths``, in the order triage reads them."""

def triage_partial(
    paths: Sequence[Union[str, "os.PathLike[str]"]],
    kdk: Optional[Paths] = None,
    symbols: Optional[Paths] = None,
    kernelcache: Optional[Union[str, "os.PathLike[str]"]] = None,
    symbol_store: Optional[Urls] = None,
) -> bytes:
    """The triage work on a run of candidates, as bytes for :class:`TriageMerger`."""

def triage_merge(
    partials: Iterable[bytes],
    since: Optional[str] = None,
    kext: Optional[str] = None,
    format: TriageFormat = "json",
) -> Union[Document, str]:
    """Partials, in candidate order, into what :func:`triage` returns."""

class TriageMerger:
    """Folds partials one by one, in candidate order (memory stays bounded)."""

    def __init__(
        self,
        since: Optional[str] = None,
        kext: Optional[str] = None,
        format: TriageFormat = "json",
    ) -> None: ...
    def add(self, partial: bytes) -> None:
        """Folds the next partial."""
    def finish(self) -> Union[Document, str]:
        """What :func:`triage` returns; the merger cannot be used after."""
