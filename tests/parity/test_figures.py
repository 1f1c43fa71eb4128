"""The parity figures README.md and docs/pytorch.md quote are the live counts; known.py names real idioms."""
from pathlib import Path

from .compare import VERDICTS, all_idioms, counts, figures
from .known import KNOWN

ROOT = Path(__file__).resolve().parents[2]


def test_docs_quote_the_live_figures():
    live = counts()  # idioms already run in this session are not run again
    assert live["MISMATCH"] == 0 and live["INTERNAL"] == 0, live
    sentence = figures(live)
    for doc in ("README.md", "docs/pytorch.md"):
        text = " ".join((ROOT / doc).read_text().split())
        assert sentence in text, (f"{doc} does not quote the live parity figures; write: {sentence} "
                                  "(python -m tests.parity --summary prints them)")


def test_every_known_difference_names_an_idiom_and_a_verdict_it_may_have():
    names = {idiom.name for idiom in all_idioms()}
    assert set(KNOWN) <= names, sorted(set(KNOWN) - names)
    for name, (verdict, reason) in KNOWN.items():
        assert verdict in VERDICTS and verdict not in ("same", "MISMATCH", "INTERNAL"), (name, verdict)
        assert reason, name
