"""Triage on a Dask cluster: the workers run kpanic on runs of files, kpanic's own merge
reduces, and the result equals ``kpanic triage`` on the same files (docs/distributed.md).

    from dask.distributed import Client, LocalCluster
    from kpanic.dask import triage_on_dask

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    # on a cluster: client = Client("tcp://scheduler:8786")
    doc = triage_on_dask(client, ["/shared/panics"])

Every worker, and the client, must read the files at the same paths (a shared folder), and
have the same kpanic installed: a partial made by another kpanic is refused.
"""

from typing import Any, Dict, List, Optional, Sequence, Union

import kpanic

#: Files per task: big enough that a task's overhead (a few ms on the scheduler) is small
#: beside its work (a few ms per panic, more for full panics), small enough to spread a
#: folder of a few hundred files over the workers.
CHUNK = 64


def triage_on_dask(
    client: Any,
    paths: Union[str, Sequence[str]],
    chunk: int = CHUNK,
    since: Optional[str] = None,
    kext: Optional[str] = None,
    format: str = "json",
    **symbols: Any,
) -> Union[Dict[str, Any], str]:
    """What ``kpanic.triage(paths, since, kext, format=format, **symbols)`` returns, computed on
    the cluster of ``client``.

    The client lists the files (in the order a local run reads them) and cuts them into runs
    of ``chunk``; each run is one task, ``kpanic.triage_partial``, on a worker; the client
    folds the partials in file order with a ``kpanic.TriageMerger`` as they come back, keeping
    only the merger's state (bounded, as a local run's). ``symbols`` are the symbol
    arguments (``kdk``, ``symbols``, ``kernelcache``, ``symbol_store``), paths as the workers
    see them.
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    candidates = kpanic.triage_candidates(paths)
    runs: List[List[str]] = [candidates[i : i + chunk] for i in range(0, len(candidates), chunk)]
    futures = client.map(kpanic.triage_partial, runs, **symbols)
    merger = kpanic.TriageMerger(since=since, kext=kext, format=format)
    try:
        # In file order; a partial that comes back early waits in the cluster for its turn.
        for future in futures:
            merger.add(future.result())
            # Folded: the cluster can forget it.
            future.release()
    except BaseException:
        client.cancel(futures)
        raise
    return merger.finish()
