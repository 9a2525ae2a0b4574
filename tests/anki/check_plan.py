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


# ---------------------------------------------------------------- note type changes, blank cards

E1, E2 = 1_700_000_000, 1_700_086_400


class _Project:
    """A project of one deck, `words`, built at fixed times."""

    def __init__(self, report, binary: Path, root: Path, tag: str) -> None:
        self.report, self.binary, self.root, self.tag = report, binary, root, tag
        (root / "source-cards").mkdir(parents=True)

    def write(self, deck: str, toml: str = "", files: dict[str, str] | None = None) -> None:
        (self.root / "source-cards" / "words.txt").write_text(deck, encoding="utf-8")
        (self.root / "ankideck.toml").write_text(toml, encoding="utf-8")
        for name, text in (files or {}).items():
            (self.root / "t").mkdir(exist_ok=True)
            (self.root / "t" / name).write_text(text, encoding="utf-8")

    def build(self, epoch: int) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANKIDECK_") and k != "SOURCE_DATE_EPOCH"}
        env["SOURCE_DATE_EPOCH"] = str(epoch)
        proc = subprocess.run([str(self.binary), "build", "--out", "out"], cwd=self.root, env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{self.tag}: ankideck build exited {proc.returncode}:\n{proc.stderr}")
        return proc.stderr

    def package(self) -> Path:
        return self.root / "out" / "words.apkg"


def _rebuild(report, binary: Path, work: Path, tag: str, v1: tuple, v2: tuple, merge: bool = False):
    """Build `v1` (deck, toml, files), import it into a fresh collection, write `v2`, plan, build
    and import it (with "Merge note types" if `merge`); compare the plan with the import. Returns
    the plan and the open collection (the caller closes it)."""
    from check import ImportAnkiPackageOptions, ImportAnkiPackageRequest, import_apkg  # noqa: PLC0415

    project = _Project(report, binary, work / tag.replace(" ", "-").replace(":", ""), tag)
    project.write(*v1)
    project.build(E1)
    col = Collection(str(project.root.parent / f"{project.root.name}.anki2"))
    import_apkg(col, project.package())
    project.write(*v2)
    planned = plan(report, binary, project.root, E2, (), tag)
    printed = project.build(E2)
    print("    build:\n" + "".join(f"      {line[:160]}\n" for line in printed.splitlines()[1:]), end="")
    before = set(col.find_notes(""))
    options = ImportAnkiPackageOptions(merge_notetypes=merge)
    log = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(project.package()), options=options)).log
    if merge:
        # With the option, Anki does what the plan says it would.
        deck = planned["decks"][0]
        got = {key: len(getattr(log, key)) for key in ("new", "updated", "duplicate", "conflicting")}
        want = deck["merge_note_types"] or {}
        report.equal(f"{tag}: with Merge note types, Anki's import log = the plan's", got,
                     {"new": want.get("new"), "updated": want.get("updated"), "duplicate": want.get("unchanged"),
                      "conflicting": want.get("conflicting")})
    else:
        compare(report, tag, planned, col, before, [log], [project.package()])
    return planned, col


def check_schema_change(report, binary: Path, work: Path) -> None:
    """A custom note type's schema changed (W011), one note edited: Anki adds the note type as a
    copy and skips both notes as conflicting, as planned; with Merge note types it does what the
    plan says it would: a field added rewrites both notes in Anki (no update arrives), a template
    added updates the edited one."""
    from check import CUSTOM_FILES, CUSTOM_TOML, NOTETYPES_DECK  # noqa: PLC0415

    changes = {
        "a field added": (CUSTOM_TOML.replace('"Example", "Section"', '"Example", "Source", "Section"'), True),
        "a template added": (CUSTOM_TOML.replace('back = "t/b2.html" }]', 'back = "t/b2.html" },\n'
                                                 '             { name = "Both", front = "t/f3.html", back = "t/b2.html" }]'),
                             False),
    }
    edited = NOTETYPES_DECK.replace("hello", "hello (informal)")
    for name, (toml, fields_changed) in changes.items():
        assert toml != CUSTOM_TOML
        for merge in (False, True):
            tag = f"plan: {name} to a note type{', merged' if merge else ''}"
            files = {**CUSTOM_FILES, "f3.html": "{{Front}} ({{Section}})"}
            planned, col = _rebuild(report, binary, work, tag, (NOTETYPES_DECK, CUSTOM_TOML, CUSTOM_FILES),
                                    (edited, toml, files), merge)
            col.close()
            report.equal(f"{tag}: the plan says the note type changed", planned["decks"][0]["notetype_change"],
                         {"change": "schema", "notetype": "vocab", "cloze_normal": False,
                          "fields_changed": fields_changed})
            report.equal(f"{tag}: the plan has 2 conflicting notes", planned["totals"]["conflicting"], 2)


def check_switches(report, binary: Path, work: Path) -> None:
    """A deck switched from basic to reversed (W012: the notes Anki has are conflicting) and from
    cloze to basic (new identities: every note new, the old ones left in Anki, removed)."""
    from check import NOTETYPES_DECK  # noqa: PLC0415

    tag = "plan: basic switched to reversed"
    planned, col = _rebuild(report, binary, work, tag, (NOTETYPES_DECK,),
                            (NOTETYPES_DECK, '[defaults]\nnotetype = "reversed"\n'))
    col.close()
    report.equal(f"{tag}: 2 conflicting", planned["totals"]["conflicting"], 2)
    cloze = "Capitals\n\nEUROPE\n{{c1::Paris}} is the capital of France.\n---\nOn the Seine.\n\n" \
            "EUROPE\n{{c1::Rome}} is the capital of Italy.\n---\nOn the Tiber.\n"
    tag = "plan: cloze switched to basic"
    planned, col = _rebuild(report, binary, work, tag, (cloze, '[defaults]\nnotetype = "cloze"\n'), (cloze,))
    col.close()
    report.equal(f"{tag}: 2 new, 2 removed", (planned["totals"]["new"], planned["totals"]["removed"]), (2, 2))


def check_blank_cards(report, binary: Path, work: Path) -> None:
    """A cloze deletion removed: the note is updated and its card 2 stays, blank: the plan's blank
    cards are the cards Anki's Empty Cards finds."""
    toml = '[defaults]\nnotetype = "cloze"\n'
    v1 = "Capitals\n\nEUROPE\n{{c1::Paris}} is the capital of {{c2::France}}.\n---\nOn the Seine.\n"
    v2 = v1.replace("{{c2::France}}", "France")
    tag = "plan: a cloze deletion removed"
    planned, col = _rebuild(report, binary, work, tag, (v1, toml), (v2, toml))
    try:
        empty = sum(len(note.card_ids) for note in col.get_empty_cards().notes)
        report.equal(f"{tag}: the plan's blank cards = Anki's Empty Cards", planned["totals"]["blank_cards"], empty)
        report.equal(f"{tag}: 1 blank card", empty, 1)
    finally:
        col.close()


def run(report, binary: Path, work: Path) -> None:
    """The plan against Anki for note type changes and blank cards (the rebuild scenarios call
    `plan` and `compare` themselves)."""
    report.guard("plan: a note type's fields changed (W011)", check_schema_change, binary, work)
    report.guard("plan: decks switched to another note type (W012)", check_switches, binary, work)
    report.guard("plan: a cloze deletion removed (W010)", check_blank_cards, binary, work)
    report.guard("plan: cards moved across note types (W012)", check_moved_across_types, binary, work)


def check_moved_across_types(report, binary: Path, work: Path) -> None:
    """A card moved from a deck of one note type to a deck of another (W012 at the deck it moved
    to): Anki has its note under the old type and skips it as conflicting, as planned; the other
    way round too."""
    from check import import_apkg  # noqa: PLC0415

    one = "ONE\n\nWORDS\nhola\n---\nhello\n\nWORDS\nadios\n---\nbye\n"
    two = "TWO\n\nWORDS\ngato\n---\ncat\n"
    moved_one = "ONE\n\nWORDS\nhola\n---\nhello\n"
    moved_two = two + "\nWORDS\nadios\n---\nbye\n"
    for first, second in (("basic", "reversed"), ("reversed", "basic")):
        tag = f"plan: a card moved from a {first} deck to a {second} deck"
        root = work / tag.replace(" ", "-").replace(":", "")
        project = _Project(report, binary, root, tag)
        toml = f'[decks.one]\nnotetype = "{first}"\n\n[decks.two]\nnotetype = "{second}"\n'
        (root / "ankideck.toml").write_text(toml, encoding="utf-8")
        (root / "source-cards" / "one.txt").write_text(one, encoding="utf-8")
        (root / "source-cards" / "two.txt").write_text(two, encoding="utf-8")
        project.build(E1)
        col = Collection(str(root.parent / f"{root.name}.anki2"))
        try:
            for stem in ("one", "two"):
                import_apkg(col, root / "out" / f"{stem}.apkg")
            (root / "source-cards" / "one.txt").write_text(moved_one, encoding="utf-8")
            (root / "source-cards" / "two.txt").write_text(moved_two, encoding="utf-8")
            planned = plan(report, binary, root, E2, (), tag)
            project.build(E2)
            before = set(col.find_notes(""))
            packages = [root / "out" / "one.apkg", root / "out" / "two.apkg"]
            logs = [import_apkg(col, package) for package in packages]
            compare(report, tag, planned, col, before, logs, packages)
            report.equal(f"{tag}: 1 conflicting", planned["totals"]["conflicting"], 1)
        finally:
            col.close()
