"""kpanic.parse / diagnose / symbolicate / signature give what the CLI prints with --json, for
every panic log of the repository."""

from pathlib import Path

import pytest

import kpanic
from conftest import EXAMPLE, EXAMPLE_KDK, REPO, panic_logs

LOGS = panic_logs()


@pytest.fixture(scope="module")
def cli_parse(kp):
    """`kpanic parse --json` of every log, by file (one run of the CLI for all)."""
    docs = kp.json("parse", "--json", *LOGS)
    return {d["file"]: d for d in docs}


@pytest.fixture(scope="module")
def cli_diagnose(kp):
    docs = kp.json("diagnose", "--json", *LOGS)
    return {d["file"]: d for d in docs}


def test_every_log_is_compared(cli_parse, cli_diagnose):
    # The CLI parsed every log: none is missing from the comparisons below.
    assert len(LOGS) >= 69
    assert sorted(cli_parse) == sorted(LOGS)
    assert sorted(cli_diagnose) == sorted(LOGS)


@pytest.mark.parametrize("log", LOGS)
def test_parse_equals_cli(log, cli_parse):
    assert kpanic.parse(Path(log)) == cli_parse[log]


@pytest.mark.parametrize("log", LOGS)
def test_diagnose_equals_cli(log, cli_diagnose):
    assert kpanic.diagnose(Path(log)) == cli_diagnose[log]


def test_bytes_and_text_give_the_files_document(cli_parse):
    log = "testdata/corpus/x86-text-pagefault-ventura-01.txt"
    data = (REPO / log).read_bytes()
    assert kpanic.parse(data, name=log) == cli_parse[log]
    assert kpanic.parse(data.decode(), name=log) == cli_parse[log]
    assert kpanic.parse(data)["file"] == "<data>"


def test_symbolicate_with_the_bundled_kdk_equals_cli(kp):
    ex, kdk = str(EXAMPLE.relative_to(REPO)), str(EXAMPLE_KDK.relative_to(REPO))
    want = kp.json("symbolicate", "--json", ex, "--kdk", kdk)
    got = kpanic.symbolicate(Path(ex), kdk=kdk)
    assert got == want
    # The example really is symbolicated: the kernel's panic() and a function of the kext.
    functions = [s["function"] for f in got["symbolication"]["backtrace"] for s in f["symbols"]]
    assert "panic" in functions
    assert any(f["image"] == "com.example.driver.FxDriver" and f["symbols"] for f in got["symbolication"]["backtrace"])
    # A list of KDKs, as a repeated flag.
    assert kpanic.symbolicate(Path(ex), kdk=[Path(kdk)]) == want
    assert kpanic.diagnose(Path(ex), kdk=kdk) == kp.json("diagnose", "--json", ex, "--kdk", kdk)


def test_signature_is_the_triage_buckets(kp):
    ex = str(EXAMPLE.relative_to(REPO))
    doc = kp.json("triage", "--format", "json", ex)
    assert [b["signature"] for b in doc["buckets"]] == [kpanic.signature(Path(ex))]
    assert kpanic.signature(Path(ex))["text"].startswith("kernel_assertion | fxdriver")


def test_not_a_panic_raises_the_cli_message(kp):
    f = "testdata/corpus/README.md"
    with pytest.raises(kpanic.NotAPanic) as e:
        kpanic.parse(Path(f))
    assert str(e.value) == kp.error("parse", "--json", f)
    assert isinstance(e.value, kpanic.Error)
    with pytest.raises(kpanic.NotAPanic):
        kpanic.diagnose(b"")


def test_missing_file_raises_the_cli_message(kp):
    f = "testdata/corpus/no-such-panic.txt"
    with pytest.raises(kpanic.Error) as e:
        kpanic.parse(Path(f))
    assert not isinstance(e.value, kpanic.NotAPanic)
    assert str(e.value) == kp.error("parse", "--json", f)


def test_missing_kdk_raises_the_cli_message(kp):
    ex = str(EXAMPLE.relative_to(REPO))
    with pytest.raises(kpanic.SymbolSourceError) as e:
        kpanic.symbolicate(Path(ex), kdk="no/such/KDK.kdk")
    assert str(e.value) == kp.error("symbolicate", "--json", ex, "--kdk", "no/such/KDK.kdk")
    with pytest.raises(kpanic.SymbolSourceError):
        kpanic.diagnose(Path(ex), kdk="no/such/KDK.kdk")


def test_bad_symbol_store_url_raises_the_cli_message(kp):
    ex = str(EXAMPLE.relative_to(REPO))
    with pytest.raises(kpanic.SymbolSourceError) as e:
        kpanic.symbolicate(Path(ex), symbol_store="ftp://example.invalid/x")
    assert str(e.value) == kp.error("symbolicate", "--json", ex, "--symbol-store", "ftp://example.invalid/x")


def test_wrong_argument_types_are_type_errors():
    with pytest.raises(TypeError):
        kpanic.parse(12)
