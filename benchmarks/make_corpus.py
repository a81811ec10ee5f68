"""Generate a synthetic corpus of N reports (or about M megabytes) from the bundled corpus.

Each synthetic report keeps a bundled report's title and outline and takes about half of its
paragraphs from other bundled reports, with the school renamed and the year shifted, so the
pipeline sees realistic text in realistic variety; every 50th report is a straight copy of an
earlier one under another school's name (template reuse for the near-duplicate stage).
A `metadata.csv` (path, school, year) is written beside the reports, as a researcher would
keep one, so school × year tables, charts and word clouds see the 997 schools and 8 years.
Deterministic: the same arguments give the same files.

`--swap-share` and `--templates` set how alike the reports are, for the near-duplicate stage's
scaling: with `--swap-share 1` no template paragraph is kept, so (almost) only the straight
copies are near-duplicates, a fixed share at every size; with `--templates 2 --swap-share 0.1`
every report has thousands of near-duplicates, far more than the five closest partners the
stage checks per report.

    python benchmarks/make_corpus.py /tmp/synth --reports 1000
    python benchmarks/make_corpus.py /tmp/synth15 --megabytes 15
    python benchmarks/make_corpus.py /tmp/synth100k_copies --reports 100000 --swap-share 1
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

_SCHOOL = re.compile(r"[\u4e00-\u9fff]{2,12}?(?:中心小学|实验小学|小学|初级中学|高级中学|中学|幼儿园|教师发展中心)")
_YEAR = re.compile(r"20[12]\d")


def source_texts(corpus: Path) -> list[str]:
    """Normalized texts of every bundled report (read with reportmine's own reader)."""
    from reportmine.ingest.corpus import read_corpus

    return [report.text for report in read_corpus(corpus).reports if len(report.text) > 200]


def synthetic_report(template: str, index: int, rng: random.Random, paragraphs: list[str],
                     swap_share: float = 0.5) -> str:
    """One synthetic report: title kept, each paragraph swapped for another with probability
    `swap_share`, names and years changed."""
    lines = template.split("\n")
    head, body = lines[:1], lines[1:]
    body = [line if len(line) < 40 or rng.random() < 1 - swap_share else rng.choice(paragraphs) for line in body]
    school = f"第{index % 997 + 1}实验小学"
    year = str(2016 + index % 8)
    text = "\n".join(head + body)
    text = _SCHOOL.sub(school, text)
    return _YEAR.sub(year, text, count=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--reports", type=int, default=None, help="number of reports to write")
    parser.add_argument("--megabytes", type=float, default=None, help="stop after this many MB (UTF-8)")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--swap-share", type=float, default=0.5,
                        help="probability that a template's paragraph is swapped for another (1: none kept)")
    parser.add_argument("--templates", type=int, default=None,
                        help="build from only the first N bundled reports (default: all)")
    args = parser.parse_args(argv)
    if args.reports is None and args.megabytes is None:
        parser.error("give --reports or --megabytes")
    if not 0 <= args.swap_share <= 1:
        parser.error("--swap-share is a probability, from 0 to 1")
    templates = source_texts(args.corpus)[: args.templates]
    paragraphs = [line for text in templates for line in text.split("\n")[1:] if len(line) >= 40]
    rng = random.Random(args.seed)
    written: list[str] = []
    limit_bytes = int(args.megabytes * 1_000_000) if args.megabytes else None
    written_bytes = 0
    index = 0
    metadata: list[tuple[str, str, str]] = []
    while (args.reports is None or index < args.reports) and (limit_bytes is None or written_bytes < limit_bytes):
        if index % 50 == 49:
            text = _SCHOOL.sub(f"第{index % 997 + 1}实验小学", written[rng.randrange(len(written))])
        else:
            text = synthetic_report(templates[index % len(templates)], index, rng, paragraphs, args.swap_share)
        if len(written) < 2000:  # copies are drawn from the first reports: bounded memory
            written.append(text)
        target = args.out / f"school_{index % 997 + 1:03d}" / f"{index:07d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        target.write_bytes(data)
        metadata.append((target.relative_to(args.out).as_posix(), f"第{index % 997 + 1}实验小学", str(2016 + index % 8)))
        written_bytes += len(data)
        index += 1
    with (args.out / "metadata.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "school", "year"])
        writer.writerows(metadata)
    print(f"wrote {index} reports, {written_bytes / 1e6:.1f} MB to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
