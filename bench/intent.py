"""How well chat lines that ask for a recommendation are told apart from the rest: precision and recall of the
intent rules on a labelled set of chat messages (bench/data/intent_messages.tsv, written for Fireside)."""

from __future__ import annotations

from pathlib import Path

from bench.report import report
from bot.recommend.intent import find_ask

DATA = Path(__file__).parent / "data" / "intent_messages.tsv"


def labelled(path: Path = DATA) -> list[tuple[bool, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            out.append((label == "1", text))
    return out


def scores(rows: list[tuple[bool, str]]) -> tuple[float, float, list[str]]:
    """(precision, recall, the messages it got wrong)."""
    tp = fp = fn = 0
    wrong = []
    for asks, text in rows:
        found = find_ask(text) is not None
        tp += found and asks
        fp += found and not asks
        fn += asks and not found
        if found != asks:
            wrong.append(f"{'missed' if asks else 'false alarm'}: {text}")
    return tp / max(1, tp + fp), tp / max(1, tp + fn), wrong


def main() -> None:
    rows = labelled()
    precision, recall, wrong = scores(rows)
    for w in wrong:
        print(w)
    report("intent", [("messages", len(rows), f"({sum(a for a, _ in rows)} ask for a recommendation)"),
                      ("precision", precision, "goal >= 0.90"), ("recall", recall, "goal >= 0.90")])


if __name__ == "__main__":
    main()
