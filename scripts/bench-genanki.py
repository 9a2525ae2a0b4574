#!/usr/bin/env python3
"""Builds the benchmark's generated deck with genanki, for comparison with `cargo bench`.

Not part of the test command. Usage (after `cargo bench --bench build -- full-100k` generated
target/bench-data/full-100k/source-cards/):

    python3 -m venv target/genanki-venv && target/genanki-venv/bin/pip install genanki==0.13.1
    target/genanki-venv/bin/python scripts/bench-genanki.py target/bench-data/full-100k [runs]

The cards are read with `ankideck check --format json` before the timer starts, so only
genanki's own work (notes, collection, package) is timed. Prints the median wall time, the peak
memory of the process (ru_maxrss) and the package size.
"""

import html
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import genanki


def load_cards(bench_dir):
    """The parsed decks, as ankideck reads them."""
    out = subprocess.run(
        ["target/release/ankideck", "check", "--format", "json", "--source",
         os.path.join(bench_dir, "source-cards")],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)["decks"]


def build(decks, path):
    """One genanki build of every deck into one package."""
    model = genanki.Model(
        1607392319, "Bench",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Section"}],
        templates=[{"name": "Card 1", "qfmt": "{{Section}}<br>{{Front}}",
                    "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}],
    )
    packages = []
    for i, deck in enumerate(decks):
        g = genanki.Deck(2059400110 + i, deck["name"])
        for card in deck["cards"]:
            fields = ["<br>".join(html.escape(line) for line in card[side])
                      for side in ("front", "back")]
            fields.append(html.escape(card["section"]))
            g.add_note(genanki.Note(model=model, fields=fields,
                                    tags=[card["section"].replace(" ", "_")]))
        packages.append(g)
    genanki.Package(packages).write_to_file(path)


def main():
    bench_dir = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    decks = load_cards(bench_dir)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.apkg")
        for _ in range(runs):
            start = time.perf_counter()
            build(decks, path)
            times.append(time.perf_counter() - start)
        size = os.path.getsize(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cards = sum(len(d["cards"]) for d in decks)
    print(f"genanki {genanki.__version__}: {cards} cards, median {statistics.median(times):.3f} s, "
          f"peak {peak:.1f} MiB (includes the loaded input), package {size / 1e6:.1f} MB, runs {runs}")


if __name__ == "__main__":
    main()
