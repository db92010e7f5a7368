#!/usr/bin/env python3
"""Throughput of triage on Dask: a generated fleet of N panics (as scripts/bench-triage.sh
makes it) triaged by kpanic.dask.triage_on_dask on a LocalCluster of 1 and 2 worker processes
(one thread each, RAYON_NUM_THREADS=1), beside kpanic.triage in one process on 1 thread.

    python scripts/bench-triage-dask.py [N=2000]

Needs a Python with the package and dask[distributed] installed (`pip install '.[dask]'`)
and cargo (for the fleet generator)."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Each worker process is one core: kpanic's own threads would otherwise use every core.
os.environ["RAYON_NUM_THREADS"] = "1"

import kpanic  # noqa: E402
from dask.distributed import Client, LocalCluster  # noqa: E402
from kpanic.dask import triage_on_dask  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as work:
        fleet = Path(work) / "fleet"
        subprocess.run(
            ["cargo", "run", "--release", "--locked", "-q", "-p", "kpanic-triage",
             "--example", "gen_fleet", "--", str(n), str(fleet)],
            cwd=REPO, check=True, stderr=subprocess.DEVNULL,
        )
        for f in fleet.iterdir():  # warm the page cache
            f.read_bytes()
        size = sum(f.stat().st_size for f in fleet.iterdir()) / 2**20
        print(f"fleet: {n} files, {size:.0f} MiB; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        start = time.perf_counter()
        want = kpanic.triage(str(fleet))
        wall = time.perf_counter() - start
        print(f"kpanic.triage, 1 process, 1 thread     wall {wall:6.2f} s {n / wall:6.0f} files/s")
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                              dashboard_address=":0") as cluster, Client(cluster) as client:
                client.run(lambda: None)  # workers up
                start = time.perf_counter()
                got = triage_on_dask(client, [str(fleet)])
                wall = time.perf_counter() - start
            assert got == want, "the distributed triage differs from the local one"
            print(f"triage_on_dask, {workers} worker(s), chunk 64  wall {wall:6.2f} s {n / wall:6.0f} files/s"
                  f"  ({got['summary']['panics']} panics in {got['summary']['buckets']} buckets)")


if __name__ == "__main__":
    main()
