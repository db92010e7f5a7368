"""Triage on a real Dask cluster (two worker processes) equals `kpanic triage` (the CLI) on
the same files: the corpus, and a generated fleet of a few hundred panics."""

import json
import subprocess
from pathlib import Path

import pytest

import kpanic
from conftest import CORPUS, REPO, SCENARIOS

distributed = pytest.importorskip("dask.distributed")
from kpanic.dask import triage_on_dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, cli):
    """300 panics made from the corpus, each another boot of another machine, as the triage
    benchmark makes them (crates/triage/examples/gen_fleet.rs)."""
    out = tmp_path_factory.mktemp("fleet")
    subprocess.run(
        ["cargo", "run", "-q", "-p", "kpanic-triage", "--example", "gen_fleet", "--", "300", str(out)],
        cwd=REPO,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    assert len(list(out.iterdir())) == 300
    return out


def test_corpus_on_two_workers_equals_the_cli(kp, client):
    # Absolute: the workers run in folders of their own.
    paths = [str(CORPUS), str(SCENARIOS)]
    want = kp.json("triage", "--format", "json", *paths)
    got = triage_on_dask(client, paths, chunk=7)
    assert got == want
    # Both workers did some of it.
    assert len(client.scheduler_info()["workers"]) == 2
    assert want["summary"]["panics"] > 50


def test_fleet_on_two_workers_equals_the_cli(kp, client, fleet):
    want = kp.json("triage", "--format", "json", str(fleet))
    got = triage_on_dask(client, [str(fleet)], chunk=32)
    assert got == want
    assert want["summary"]["files"] == 300
    # The variants fall into the corpus's buckets: fewer buckets than files.
    assert want["summary"]["buckets"] < 100


def test_filters_and_csv_equal_the_cli(kp, client, fleet):
    args = ["--since", "2022-01-01", "--format", "csv"]
    want = kp.run("triage", str(fleet), *args)
    assert want.returncode == 0, want.stderr
    got = triage_on_dask(client, [str(fleet)], chunk=50, since="2022-01-01", format="csv")
    assert got == want.stdout
    assert got.count("\n") > 10


def test_local_split_and_merge_equals_triage():
    # The same pieces without a cluster: any split, merged in order.
    files = kpanic.triage_candidates(str(CORPUS.relative_to(REPO)))
    partials = [kpanic.triage_partial(files[i : i + 10]) for i in range(0, len(files), 10)]
    assert kpanic.triage_merge(partials) == kpanic.triage(str(CORPUS.relative_to(REPO)))


def test_merger_refuses_garbage_and_is_used_once():
    m = kpanic.TriageMerger()
    with pytest.raises(kpanic.Error, match="not a kpanic triage partial"):
        m.add(b"{}")
    assert m.finish()["summary"]["files"] == 0
    with pytest.raises(ValueError):
        m.finish()
