"""Review of cloze cards in decks of another note type against `build --plan` (rev2): in each
scenario the plan's new, updated, unchanged and conflicting notes (summed over the packages)
equal Anki's import log when the packages are imported into a collection that imported the
previous build.

- A cloze card moved from a basic deck to an optional-reversed deck: it stays a note of the
  built-in cloze, so Anki matches it as a duplicate (the plan said conflicting, W012 told to
  change its note type).
- A basic deck with a cloze card switched to `reversed` (W012): the plain note is conflicting,
  the cloze note a duplicate (the plan said both conflicting).
- A card with a pinned id that gains a deletion (W016): Anki skips it as conflicting (the plan
  said updated).

check.py calls `run`; it also runs alone: `python check_rev2.py BINARY WORKDIR`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from anki.collection import Collection

from check import Report, counts, import_apkg

T1 = 1_764_000_000
T2 = T1 + 100_000

CLOZE = "WAR\nThe war began in {{c1::1914}} and ended in {{c2::1918}}.\nthe great war\n"
PLAIN = "ONE\n\nWORDS\nhola\n---\nhello\n"
GEO = ("# Geography\n\nQ: What is the capital of France?\nA: Paris\n<!-- id: rev2-pinned -->\n\n"
       "Q: What is the capital of Spain?\nA: Madrid\n")


def _ankideck(binary: Path, root: Path, epoch: int, args: list[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANKIDECK_")}
    env["SOURCE_DATE_EPOCH"] = str(epoch)
    proc = subprocess.run([str(binary), "build", "--out", "out", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ankideck build {args} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _scenario(report: Report, binary: Path, work: Path, tag: str, v1: dict[str, str],
              v2: dict[str, str]) -> None:
    """Build `v1`, import it; write `v2`, plan, build, import: the plan's counts are Anki's."""
    root = work / f"rev2-{tag}"
    root.mkdir(parents=True)
    col = Collection(str(root / "collection.anki2"))
    try:
        _write(root, v1)
        _ankideck(binary, root, T1, [])
        for package in sorted((root / "out").glob("*.apkg")):
            import_apkg(col, package)
        _write(root, v2)
        planned = json.loads(_ankideck(binary, root, T2, ["--plan", "--format", "json"]).stdout)
        _ankideck(binary, root, T2, [])
        anki = dict.fromkeys(("new", "updated", "duplicate", "conflicting"), 0)
        for package in sorted((root / "out").glob("*.apkg")):
            log = counts(import_apkg(col, package))
            for key in anki:
                anki[key] += log[key]
        totals = planned["totals"]
        plan = {"new": totals["new"], "updated": totals["updated"], "duplicate": totals["unchanged"],
                "conflicting": totals["conflicting"]}
        report.equal(f"rev2 {tag}: the plan's counts are Anki's import log", plan, anki)
    finally:
        col.close()


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, each in its own directory under `work`."""
    report.guard("rev2: a cloze card moved to an optional-reversed deck", _scenario, binary, work,
                 "moved-cloze",
                 {"ankideck.toml": '[decks.two]\nnotetype = "optional-reversed"\n',
                  "source-cards/one.txt": f"{PLAIN}\n{CLOZE}",
                  "source-cards/two.txt": "TWO\n\nWORDS\ngato\n<->\ncat\n"},
                 {"source-cards/one.txt": PLAIN,
                  "source-cards/two.txt": f"TWO\n\nWORDS\ngato\n<->\ncat\n\n{CLOZE}"})
    report.guard("rev2: a basic deck with a cloze card switched to reversed", _scenario, binary, work,
                 "switched", {"source-cards/one.txt": f"{PLAIN}\n{CLOZE}"},
                 {"ankideck.toml": '[decks.one]\nnotetype = "reversed"\n'})
    report.guard("rev2: a pinned card that gains a deletion", _scenario, binary, work, "pinned",
                 {"source-cards/geo.md": GEO},
                 {"source-cards/geo.md": GEO.replace("of France?", "of {{c1::France}}?")})


if __name__ == "__main__":
    alone = Report()
    run(alone, Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
    print(f"{alone.passed} passed, {len(alone.failed)} failed")
    sys.exit(1 if alone.failed else 0)
