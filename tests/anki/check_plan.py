"""Real-Anki proof of `ankideck build --plan` (issue 13): the plan equals Anki's import log.

scenarios.py calls `plan` before the build whose packages it then imports into a collection
that imported the previous build, and `compare` after that import. `compare` checks, summed over
the packages imported (the CSVs a scenario also imports are left out: the plan is of packages):

- the plan's new, updated, unchanged and conflicting notes equal Anki's import log (`new`,
  `updated`, `duplicate`, `conflicting`);
- the notes it says are removed from the sources (of decks built and of decks whose file is
  gone) are the notes of the collection that no package of the import touched;
- the cards it says stay in another deck are the cards that Anki has in another deck than the
  package puts them in.

`plan` also checks that the plan wrote nothing: every file and folder of the project (path,
bytes, modification time) is the same before and after.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path

from anki.collection import Collection


def _tree(root: Path) -> dict[str, tuple]:
    """Every file and folder under `root`: its kind, bytes and modification time."""
    found: dict[str, tuple] = {}
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        rel = str(path.relative_to(root))
        found[rel] = ("dir",) if path.is_dir() else ("file", path.read_bytes(), stat.st_mtime_ns)
    return found


def plan(report, binary: Path, root: Path, epoch: int, build_args: tuple[str, ...], tag: str) -> dict:
    """`ankideck build --plan --format json` in `root` at build time `epoch`, as the build that
    follows runs; check that it exits 0 and leaves the project as it was; return the plan."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANKIDECK_") and k != "SOURCE_DATE_EPOCH"}
    env["SOURCE_DATE_EPOCH"] = str(epoch)
    before = _tree(root)
    proc = subprocess.run([str(binary), "build", "--out", "out", *build_args, "--plan", "--format", "json"],
                          cwd=root, env=env, capture_output=True, text=True)
    after = _tree(root)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    report.check(f"{tag}: build --plan writes nothing", not changed, f"changed: {changed}")
    if proc.returncode != 0:
        raise RuntimeError(f"{tag}: ankideck build --plan exited {proc.returncode}:\n{proc.stderr}")
    planned = json.loads(proc.stdout)
    totals = planned["totals"]
    print(f"    plan: { {k: v for k, v in totals.items() if v and not k.startswith('decks')} }")
    return planned


def _package_cards(package: Path) -> list[tuple[str, int, str]]:
    """Each card of a package: its note's guid, its template ordinal, its deck's name."""
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(package) as archive:
        db = sqlite3.connect(archive.extract("collection.anki2", tmp))
        decks = {int(did): d["name"] for did, d in json.loads(db.execute("select decks from col").fetchone()[0]).items()}
        rows = db.execute("select n.guid, c.ord, c.did from cards c join notes n on n.id = c.nid").fetchall()
        db.close()
    return [(guid, ord_, decks[did]) for guid, ord_, did in rows]


def _normal(name: str) -> list[str]:
    """A deck name as Anki matches it: without case, white space around `::` trimmed."""
    return [part.strip().lower() for part in name.split("::")]


def moved_in_anki(col: Collection, packages: list[Path]) -> int:
    """Cards of the packages that the collection has in another deck than the package's."""
    # By guid and template ordinal (guids hold characters a search would read as syntax).
    in_anki = {(guid, ord_): col.decks.name(did)
               for guid, ord_, did in col.db.all("select n.guid, c.ord, c.did from cards c join notes n on n.id = c.nid")}
    moved = 0
    for package in packages:
        for guid, ord_, deck in _package_cards(package):
            there = in_anki.get((guid, ord_))
            if there is not None and _normal(there) != _normal(deck):
                moved += 1
    return moved


def compare(report, tag: str, planned: dict, col: Collection, before: set[int], logs: list,
            packages: list[Path]) -> None:
    """The plan made before the build against what importing its packages did (`logs`, one per
    package in `packages`) to the collection that held the notes `before`."""
    totals = planned["totals"]
    got = {key: sum(len(getattr(log, key)) for log in logs) for key in ("new", "updated", "duplicate", "conflicting")}
    want = {"new": totals["new"], "updated": totals["updated"], "duplicate": totals["unchanged"],
            "conflicting": totals["conflicting"]}
    report.equal(f"{tag}: the plan's new, updated, unchanged, conflicting = Anki's import log", got, want)
    touched = {note.id.nid for log in logs for key in ("new", "updated", "duplicate", "conflicting")
               for note in getattr(log, key)}
    report.equal(f"{tag}: the plan's removed notes = the notes no package touched", totals["removed"],
                 len(before - touched))
    report.equal(f"{tag}: the plan's moved cards = the cards Anki keeps in another deck", totals["moved_cards"],
                 moved_in_anki(col, packages))
