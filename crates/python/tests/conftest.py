"""Shared fixtures: the repository, its panic logs, and the kpanic CLI the package is compared
with (KPANIC_BIN, which .ci/run sets; otherwise built here with cargo)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "testdata" / "corpus"
SCENARIOS = REPO / "testdata" / "scenarios"
EXAMPLE = REPO / "examples" / "fxdriver-panic.txt"
EXAMPLE_KDK = REPO / "examples" / "KDK_15.4_24E248.kdk"


def panic_logs():
    """Every corpus log and scenario, relative to the repository (as the CLI is given them)."""
    logs = [p for p in sorted(CORPUS.iterdir()) if p.suffix not in (".md", ".tsv")]
    logs += sorted(SCENARIOS.glob("*.ips"))
    return [str(p.relative_to(REPO)) for p in logs]


@pytest.fixture(scope="session")
def cli():
    """The path of the kpanic binary."""
    path = os.environ.get("KPANIC_BIN")
    if path:
        return path
    subprocess.run(["cargo", "build", "-q", "-p", "kpanic"], cwd=REPO, check=True)
    meta = subprocess.run(
        ["cargo", "metadata", "-q", "--format-version", "1", "--no-deps"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return str(Path(json.loads(meta.stdout)["target_directory"]) / "debug" / "kpanic")


class Cli:
    """Runs the CLI in the repository, as a user would."""

    def __init__(self, path):
        self.path = path

    def run(self, *args):
        return subprocess.run(
            [self.path, *args], cwd=REPO, capture_output=True, text=True, env=self.env()
        )

    def json(self, *args):
        """The JSON the CLI prints; the run must succeed."""
        r = self.run(*args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def error(self, *args):
        """The message after `kpanic: error: ` of a run that fails (first line)."""
        r = self.run(*args)
        assert r.returncode != 0, r.stdout[:200]
        lines = [l for l in r.stderr.splitlines() if l.startswith("kpanic: error: ")]
        assert lines, r.stderr
        return lines[0][len("kpanic: error: ") :]

    @staticmethod
    def env():
        # Symbol stores from the environment or a config file would make the CLI differ from
        # the package, which reads neither.
        env = dict(os.environ)
        env.pop("KPANIC_SYMBOL_STORES", None)
        env["XDG_CONFIG_HOME"] = str(REPO / "testdata" / "no-config")
        return env


@pytest.fixture(scope="session")
def kp(cli):
    return Cli(cli)


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    """Relative paths are the repository's, as for the CLI."""
    monkeypatch.chdir(REPO)
