#!/usr/bin/env python3
"""Real-Anki check for ankideck.

Builds decks with the release binary and imports them into the real Anki
backend (the `anki` wheel pinned in requirements.txt): .apkg import, the
collection file inside the package, CSV import, and the rebuild scenario
(stable note identity across source edits, byte-stable rebuilds, CSS change),
and the identity scenarios of scenarios.py (a replaced answer, cards moved
between files, a split, a rename with a new title, a swap, a cut lock, a stale
CSV, merged branches, template cards replaced, parallel language decks, a card
moved into a file with an error, a git revert, ...: each with its decks in
.txt, .md, .csv and .tsv files; no duplicate, stolen history or lost update in
Anki), and the card generation cases of cardgen.py (every note
type: the cards Anki creates are the ones ankideck expects). After every build,
no `.ankideck-*.tmp` file is left in out/ or the project root.
Expected field values are computed here from `ankideck check --format json`,
independently of the binary's own HTML code.

Usage: check.py --bin target/release/ankideck [--scenario N ...]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

from anki.collection import (
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTETYPE = "ankideck Flashcard"
FIELDS = ["Front", "Back", "Section"]
SEED_DECK = "STALIN OPPOSITION 1924-41"
SEED_SECTIONS = {
    "OPPOSITION TO STALIN AND THE PURGES": 4,
    "THE CRISIS OF 1932": 5,
    "THE KIROV AFFAIR, 1934": 5,
    "THE GREAT PURGES, 1936-38": 1,
}
EXTRA_CSS = ".card .ankideck-check-extra { border: 3px solid #123456; }"
# mod times are in seconds: builds meant to be "later" are spaced by this much.
BUILD_SPACING_S = 1.1
# Extra arguments of every `build` the checks run: the rebuild scenario runs once more with
# `--stream-above 0`, every deck built from disk instead of in memory.
EXTRA_BUILD_ARGS: list[str] = []
LOG_KEYS = ("new", "updated", "duplicate", "conflicting", "first_field_match",
            "missing_notetype", "missing_deck", "empty_first_field")

_A, _B = "ALPHA SECTION", "BETA SECTION, 1930-35"
_SEINE = ["The river that flows through the centre of Paris and into the English Channel is called the"]
_LESS = (['In the expression a < b & c > d, the symbol "<" is read aloud as'], ["less than, and '&' as and."])
_PLAN = "The first Five-Year Plan of the {} was officially declared complete in"
# Fixture cards: label -> (section, front lines, back lines). "Cafe\u0301" is
# deliberately not NFC; '<', '&' and quotes exercise the escaping.
_CARDS = {
    "A1": (_A, _SEINE, ["Seine, which rises on the Langres plateua."]),
    "A1fix": (_A, _SEINE, ["Seine, which rises on the Langres plateau."]),
    "A2": (_A, *_LESS),
    "A2moved": (_B, *_LESS),
    "A3": (_A, ["The Cafe\u0301 de Flore on the Left Bank of Paris was frequented by"],
           ["Sartre and de Beauvoir during the war."]),
    "B1": (_B, [_PLAN.format("Soviet Union")], ["December 1932, a year ahead of schedule."]),
    "B1new": (_B, [_PLAN.format("USSR")], ["December 1932, a year ahead of schedule."]),
    "B2": (_B, ["The head of the NKVD who was replaced by Nikolai Yezhov in 1936 was"],
           ["Genrikh Yagoda, later tried and shot."]),
    "B3": (_B, ["The city renamed in honour of the murdered Leningrad Party Secretary was"],
           ["Kirov, formerly known as Vyatka."]),
    "N": (_A, ["The cathedral on the Ile de la Cite that burned in April 2019 is"], ["Notre-Dame de Paris."]),
}
FIXTURE_V1 = ["A1", "A2", "A3", "B1", "B2", "B3"]
# v2: typo fixed in A1's back, N inserted, B2 deleted, B3 moved within its
# section, B1's front reworded, A2 moved to the end and into section B.
FIXTURE_V2 = ["A1fix", "N", "A3", "B3", "B1new", "A2moved"]
V2_SAME_NOTE = {"A1fix": "A1", "A3": "A3", "B3": "B3", "B1new": "B1", "A2moved": "A2"}
V2_UPDATED = {"A1fix", "B1new", "A2moved"}


class Report:
    """Collects PASS/FAIL lines; one instance per run."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []
        # Put before every check's name (which run of a scenario it belongs to).
        self.prefix = ""

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        """Record one check; `detail` says what Anki disagreed on."""
        name = self.prefix + name
        if ok:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed.append(name)
            print(f"FAIL {name}: {detail}")
        return ok

    def equal(self, name: str, actual: object, expected: object) -> bool:
        """Check `actual == expected`, showing both on failure."""
        return self.check(name, actual == expected, f"expected {expected!r}, got {actual!r}")

    def guard(self, name: str, func, *args) -> None:
        """Run a group of checks; an exception fails the group but not the run."""
        print(f"\n--- {name}")
        try:
            func(self, *args)
        except Exception as err:  # noqa: BLE001 - any crash is a failed check
            traceback.print_exc()
            self.check(f"{name} (completed)", False, f"{type(err).__name__}: {err}")


# ---------------------------------------------------------------- helpers

def build_args() -> list[str]:
    return ["build", "--csv", "--out", "out", *EXTRA_BUILD_ARGS]


def run_bin(binary: Path, args: list[str], cwd: Path, extra_env: dict | None = None) -> str:
    """Run ankideck in `cwd` at the real clock; raise with its stderr unless it exits 0."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ANKIDECK_") and k != "SOURCE_DATE_EPOCH"}
    env.update(extra_env or {})
    proc = subprocess.run([str(binary), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ankideck {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc.stdout


def parse_source(binary: Path, cwd: Path) -> dict[str, dict]:
    """Parsed decks from `ankideck check --format json`, keyed by file stem."""
    data = json.loads(run_bin(binary, ["check", "--format", "json"], cwd))
    if data.get("diagnostics"):
        print(f"note: check diagnostics: {data['diagnostics']}")
    return {deck["stem"]: deck for deck in data["decks"]}


def field_html(lines: list[str]) -> str:
    """Expected field HTML: NFC, html.escape(quote=False) (only & < >, as Anki's editor stores
    text), joined with <br>."""
    return "<br>".join(html.escape(unicodedata.normalize("NFC", line), quote=False) for line in lines)


def expected_note(card: dict) -> dict:
    """Expected Front/Back/Section values and tags of a parsed card."""
    section = unicodedata.normalize("NFC", card["section"])
    return {
        "fields": [field_html(card["front"]), field_html(card["back"]), html.escape(section, quote=False)],
        "tags": [re.sub(r"\s+", "_", section.strip())],
    }


def import_apkg(col: Collection, path: Path):
    """Import a package with the GUI defaults; return the import log."""
    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def import_csv(col: Collection, path: Path):
    """Import a CSV file using the metadata Anki reads from its headers."""
    meta = col.get_csv_metadata(str(path), None)
    return col.import_csv(ImportCsvRequest(path=str(path), metadata=meta)).log


def counts(log) -> dict[str, int]:
    """The note outcome counts of an import log."""
    return {key: len(getattr(log, key)) for key in LOG_KEYS}


def counts_zero(**nonzero: int) -> dict[str, int]:
    """An import log's counts: zero except `nonzero`."""
    return {**dict.fromkeys(LOG_KEYS, 0), **nonzero}


def check_integrity(report: Report, col: Collection, name: str) -> None:
    """Anki's Check Database must find nothing to fix."""
    message, ok = col.fix_integrity()
    print(f"    fix_integrity: ok={ok} message={message!r}")
    report.check(name, ok, f"Check Database reported problems: {message!r}")


def check_no_temp_files(report: Report, project: Path, name: str, out: str = "out") -> None:
    """After a build, neither `out` nor the project root (where git would see it) holds a
    `.ankideck-*.tmp` file."""
    left = sorted(str(p.relative_to(project)) for p in (project / out).rglob(".ankideck-*.tmp"))
    left += sorted(p.name for p in project.iterdir() if p.name.startswith(".ankideck-") and p.name.endswith(".tmp"))
    report.check(f"{name}: no .ankideck-*.tmp file left in {out}/ or the project root", not left, f"left: {left}")


def notes_by_front(col: Collection) -> dict[str, list]:
    """All notes of the collection grouped by their first field."""
    grouped: dict[str, list] = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        grouped.setdefault(note.fields[0], []).append(note)
    return grouped


# ---------------------------------------------------------- deck checks

def verify_imported_deck(report: Report, col: Collection, deck: dict, tag: str) -> None:
    """A fresh collection holds exactly the deck's notes, as the contract says."""
    cards = deck["cards"]
    report.equal(f"{tag}: note count", col.note_count(), len(cards))
    report.equal(f"{tag}: card count", col.card_count(), len(cards))
    anki_cards = sorted((col.get_card(cid) for cid in col.find_cards("")), key=lambda c: c.due)
    dues = [c.due for c in anki_cards]
    by_due = report.equal(f"{tag}: due == 1-based position", dues, list(range(1, len(cards) + 1)))
    report.check(f"{tag}: all cards new (type 0, queue 0)",
                 all(c.type == 0 and c.queue == 0 for c in anki_cards),
                 str([(c.due, c.type, c.queue) for c in anki_cards if c.type or c.queue]))
    decks = {col.decks.name(c.did) for c in anki_cards}
    report.equal(f"{tag}: deck name", decks, {deck["name"]})
    problems = []
    fronts = notes_by_front(col)
    for pos, card in enumerate(cards, start=1):
        exp = expected_note(card)
        if by_due:
            note = anki_cards[pos - 1].note()
        elif len(fronts.get(exp["fields"][0], [])) == 1:
            note = fronts[exp["fields"][0]][0]
        else:
            problems.append(f"card {pos} (line {card['line']}): no unique note with front {exp['fields'][0]!r}")
            continue
        notetype = note.note_type()
        names = [f["name"] for f in notetype["flds"]]
        if notetype["name"] != NOTETYPE or names != FIELDS:
            problems.append(f"card {pos}: notetype {notetype['name']!r} fields {names}")
        if note.fields != exp["fields"]:
            problems.append(f"card {pos} (line {card['line']}): fields {note.fields!r} != {exp['fields']!r}")
        if note.tags != exp["tags"]:
            problems.append(f"card {pos}: tags {note.tags} != {exp['tags']}")
        if len(note.card_ids()) != 1:
            problems.append(f"card {pos}: note has {len(note.card_ids())} cards")
    report.check(f"{tag}: notetype, fields, tags of every note", not problems, "\n      ".join(problems))


def verify_seed(report: Report, col: Collection, deck: dict) -> None:
    """Facts about source-cards/stalin-opposition-1924-41.txt, read back from Anki."""
    report.equal("seed: 15 notes", col.note_count(), 15)
    report.equal("seed: deck name in json", deck["name"], SEED_DECK)
    report.check("seed: deck exists in Anki", col.decks.by_name(SEED_DECK) is not None,
                 f"decks: {[d.name for d in col.decks.all_names_and_ids()]}")
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    report.equal("seed: section counts", Counter(n["Section"] for n in notes), Counter(SEED_SECTIONS))
    first = [col.get_card(cid) for cid in col.find_cards("") if col.get_card(cid).due == 1]
    if report.check("seed: a card with due 1 exists", len(first) == 1, f"{len(first)} cards"):
        note = first[0].note()
        report.check("seed: first front ends with 'He accomplished this by'",
                     note["Front"].endswith("He accomplished this by"), repr(note["Front"][-60:]))
        report.check("seed: first back starts with 'sending bourgeois managers'",
                     note["Back"].startswith("sending bourgeois managers"), repr(note["Back"][:60]))
    missing = []
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        if card.note()["Section"] not in card.question():
            missing.append(f"due {card.due}: {card.question()[:200]!r}")
    report.check("seed: question HTML shows the section", not missing, "; ".join(missing[:3]))


def check_packages(report: Report, binary: Path, work: Path) -> None:
    """(a)+(b)+(c): build source-cards/ and import every .apkg and .csv."""
    project = work / "seed"
    shutil.copytree(REPO_ROOT / "source-cards", project / "source-cards")
    # A larger deck beside the seed: its collection has multi-level tables and indexes, overflow
    # pages and numeric sort fields, which the 15-card seed does not exercise. 1,596 = 7 x 228
    # fills the leaves of ix_cards_nid exactly, the size at which an index once got an empty leaf.
    (project / "source-cards" / "generated-large.txt").write_text(large_deck_text(1596), encoding="utf-8")
    run_bin(binary, build_args(), project)
    check_no_temp_files(report, project, "seed")
    decks = parse_source(binary, project)
    report.check("seed: source-cards parsed", "stalin-opposition-1924-41" in decks, f"stems {list(decks)}")
    for stem, deck in decks.items():
        apkg, csv = project / "out" / f"{stem}.apkg", project / "out" / f"{stem}.csv"
        report.guard(f"(a) import {apkg.name}", check_apkg_import, apkg, deck, work / f"a-{stem}")
        report.guard(f"(b) collection inside {apkg.name}", check_package_db, apkg, deck, work / f"b-{stem}")
        report.guard(f"(c) import {csv.name}", check_csv_import, csv, apkg, deck, work / f"c-{stem}")
    # The same decks built from disk (as decks above --stream-above are) and again in memory, at
    # one fixed build time: the same bytes, and Anki imports them.
    epoch = {"SOURCE_DATE_EPOCH": str(int(time.time()))}
    for side, extra in (("memory", []), ("disk", ["--stream-above", "0"])):
        run_bin(binary, ["build", "--csv", "--out", f"out-{side}", "--lock", f"{side}.lock", *extra], project, epoch)
        check_no_temp_files(report, project, f"seed built in {side}", f"out-{side}")
    # Dot files in out/ are the build's own bookkeeping (state, the build guard), not outputs.
    outputs = [f for f in sorted((project / "out-memory").iterdir()) if f.is_file() and not f.name.startswith(".")]
    differ = [f.name for f in outputs if (project / "out-disk" / f.name).read_bytes() != f.read_bytes()]
    differ += ["lock"] if (project / "disk.lock").read_bytes() != (project / "memory.lock").read_bytes() else []
    report.check("from disk: every output and the lock byte-identical to the in-memory build",
                 len(outputs) == 4 and not differ, f"outputs {[f.name for f in outputs]}, differ: {differ}")
    apkg = project / "out-disk" / "generated-large.apkg"
    report.guard(f"(a) import {apkg.name} built from disk", check_apkg_import, apkg, decks["generated-large"],
                 work / "a-disk")


def check_init(report: Report, binary: Path, work: Path) -> None:
    """`ankideck init` then `build`: Anki imports the sample deck as the source says."""
    run_bin(binary, ["init", "init-project"], work)
    project = work / "init-project"
    run_bin(binary, build_args(), project)
    check_no_temp_files(report, project, "init")
    decks = parse_source(binary, project)
    report.equal("init: the sample deck is the only deck", list(decks), ["solar-system"])
    for stem, deck in decks.items():
        report.check(f"init: {stem} has cards", len(deck["cards"]) > 0)
        apkg = project / "out" / f"{stem}.apkg"
        report.guard(f"(a) import {apkg.name} made by init", check_apkg_import, apkg, deck, work / f"init-{stem}")


SETTINGS_HISTORY = ("History Flashcards\n\nWAR TIME\nWhen did it <b>start</b>?\n1939 &amp; later\n\n"
                    "PEACE\nWhen did it end?\n1945\n\nWAR TIME\nWho invaded Poland?\nGermany\n")
SETTINGS_TOML = ('[defaults]\ntags = ["zz", "Aa"]\n\n[decks.hist]\nname = "History::Modern"\n'
                 'description = "Printed set"\nhtml = true\nsubdecks = true\n')


def check_settings(report: Report, binary: Path, work: Path) -> None:
    """issue 11 settings: a deck's name, description, extra tags, HTML and subdecks from
    ankideck.toml are what Anki has after import; a change of tags updates every note."""
    project = work / "settings-project"
    (project / "source-cards").mkdir(parents=True)
    (project / "source-cards" / "hist.txt").write_text(SETTINGS_HISTORY, encoding="utf-8")
    (project / "ankideck.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    run_bin(binary, build_args(), project)
    (work / "settings-col").mkdir()
    col = Collection(str(work / "settings-col" / "x.anki2"))
    try:
        log = counts(import_apkg(col, project / "out" / "hist.apkg"))
        report.equal("settings: import log", log, counts_zero(new=3))
        deck = col.decks.by_name("History::Modern")
        report.check("settings: the deck has the name of the settings", deck is not None)
        report.equal("settings: the deck's description", deck and deck["desc"], "Printed set")
        by_deck = Counter(col.decks.name(col.get_card(cid).did) for cid in col.find_cards(""))
        report.equal("settings: each section's cards in its subdeck", dict(by_deck),
                     {"History::Modern::WAR TIME": 2, "History::Modern::PEACE": 1})
        notes = {col.get_note(nid)["Front"]: col.get_note(nid) for nid in col.find_notes("")}
        start = notes.get("When did it <b>start</b>?")
        report.check("settings: html = true keeps the markup", start is not None, f"fronts: {list(notes)}")
        report.equal("settings: the back's HTML as written", start and start["Back"], "1939 &amp; later")
        report.equal("settings: tags as Anki stores them (sorted, the section's among the extra)",
                     start and start.tags, ["Aa", "WAR_TIME", "zz"])
        check_integrity(report, col, "settings: fix_integrity after import")
        # The package's tags are already in Anki's order: re-importing the same package is a
        # duplicate, not an update.
        log = counts(import_apkg(col, project / "out" / "hist.apkg"))
        report.equal("settings: re-import of the same package", log, counts_zero(duplicate=3))
        time.sleep(BUILD_SPACING_S)
        (project / "ankideck.toml").write_text(SETTINGS_TOML.replace('"Aa"', '"bb"').replace("Printed set", "Second edition"), encoding="utf-8")
        run_bin(binary, build_args(), project)
        log = counts(import_apkg(col, project / "out" / "hist.apkg"))
        report.equal("settings: a tag changed updates every note", log, counts_zero(updated=3))
        tags = sorted(" ".join(col.get_note(nid).tags) for nid in col.find_notes(""))
        report.equal("settings: the new tags in Anki", tags, ["bb PEACE zz", "bb WAR_TIME zz", "bb WAR_TIME zz"])
        report.equal("settings: a changed description replaces the old one",
                     col.decks.by_name("History::Modern")["desc"], "Second edition")
        check_integrity(report, col, "settings: fix_integrity after the update")
    finally:
        col.close()


NOTETYPES_DECK = "Words\n\nGREETINGS\nhola\n---\nhello\n\nGREETINGS\nadios\n---\nbye, <b>goodbye</b>\n"


def anki_ords(col: Collection, note) -> list[int]:
    """The card ordinals Anki itself creates for a note of this note type with these fields:
    a copy added to the collection, read, and removed again."""
    copy = col.new_note(note.note_type())
    for i, value in enumerate(note.fields):
        copy.fields[i] = value
    copy.tags = list(note.tags)
    col.add_note(copy, col.decks.id("ankideck-check scratch"))
    ords = sorted(card.ord for card in copy.cards())
    col.remove_notes([copy.id])
    return ords


CUSTOM_TOML = """[defaults]
notetype = "vocab"

[notetypes.vocab]
fields = ["Front", "Back", "Example", "Section"]
css = "t/v.css"
templates = [{ name = "Recognise", front = "t/f.html", back = "t/b.html" },
             { name = "Recall", front = "t/f2.html", back = "t/b2.html" }]
"""
CUSTOM_FILES = {
    "v.css": ".card { color: #123456; }\n",
    "f.html": "{{Section}}: {{Front}}",
    "b.html": "{{FrontSide}}<hr id=answer>{{Back}}",
    "f2.html": "{{Back}}",
    "b2.html": "{{FrontSide}}<hr id=answer>{{Front}}",
}


def check_notetype(report: Report, binary: Path, work: Path, name: str, anki_name: str, ords: list[int]) -> None:
    """issue 11 note types: a deck of the built-in type `name` imports as `anki_name` with exactly
    the cards Anki makes for each note (`ords`), Check Database has nothing to fix, and a rebuild
    after an edit of a note updates it, every card keeping its id and review history."""
    tag = f"notetype {name}"
    project = work / f"notetype-{name}"
    (project / "source-cards").mkdir(parents=True)
    (project / "source-cards" / "words.txt").write_text(NOTETYPES_DECK, encoding="utf-8")
    if name == "vocab":
        (project / "ankideck.toml").write_text(CUSTOM_TOML, encoding="utf-8")
        (project / "t").mkdir()
        for file, text in CUSTOM_FILES.items():
            (project / "t" / file).write_text(text, encoding="utf-8")
    else:
        (project / "ankideck.toml").write_text(f'[defaults]\nnotetype = "{name}"\n', encoding="utf-8")
    run_bin(binary, build_args(), project)
    (work / f"notetype-{name}-col").mkdir()
    col = Collection(str(work / f"notetype-{name}-col" / "x.anki2"))
    try:
        apkg = project / "out" / "words.apkg"
        report.equal(f"{tag}: import log", counts(import_apkg(col, apkg)), counts_zero(new=2))
        notes = [col.get_note(nid) for nid in col.find_notes("")]
        report.equal(f"{tag}: note type", sorted({n.note_type()["name"] for n in notes}), [anki_name])
        ours = {n["Front"]: sorted(c.ord for c in n.cards()) for n in notes}
        report.equal(f"{tag}: card ords of each note", ours, {"hola": ords, "adios": ords})
        theirs = {n["Front"]: anki_ords(col, n) for n in notes}
        report.equal(f"{tag}: the cards Anki itself makes for the same notes", theirs, ours)
        cards_before = sorted(col.find_cards(""))
        check_integrity(report, col, f"{tag}: fix_integrity after import")
        report.equal(f"{tag}: Check Database adds or removes no card", sorted(col.find_cards("")), cards_before)
        # Every card of every note reviewed, then the answer of one note edited and rebuilt.
        col.sched.set_due_date(cards_before, "7")
        time.sleep(BUILD_SPACING_S)
        edited = NOTETYPES_DECK.replace("hello", "hello, hi")
        (project / "source-cards" / "words.txt").write_text(edited, encoding="utf-8")
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: an edit imports as an update", counts(import_apkg(col, apkg)),
                     counts_zero(updated=1, duplicate=1))
        report.equal(f"{tag}: the same cards after the update", sorted(col.find_cards("")), cards_before)
        hola = [col.get_note(nid) for nid in col.find_notes("") if col.get_note(nid)["Front"] == "hola"]
        report.equal(f"{tag}: the edit reached the note", [n["Back"] for n in hola], ["hello, hi"])
        not_review = [c for c in cards_before if col.get_card(c).type != 2]
        report.check(f"{tag}: every card keeps its review history", not not_review, f"not review cards: {not_review}")
        check_integrity(report, col, f"{tag}: fix_integrity after the update")
    finally:
        col.close()


CLOZE_DECK = ("Capitals\n\nEUROPE\n{{c1::Paris}} is the capital of {{c3::France}}.\nIn Europe.\n\n"
              "EUROPE\n{{c2::Rome}} is in {{c1,2::Italy::a country}}.\n---\nOld.\n")


def check_cloze(report: Report, binary: Path, work: Path) -> None:
    """issue 11 cloze: a card per cloze number at its ordinal (c1 and c3: ordinals 0 and 2), the
    cards Anki itself makes, each question hiding exactly its deletion; an edit that adds a
    deletion updates the note, its old cards keep their review history and the new one is new."""
    tag = "notetype cloze"
    project = work / "notetype-cloze"
    (project / "source-cards").mkdir(parents=True)
    (project / "source-cards" / "capitals.txt").write_text(CLOZE_DECK, encoding="utf-8")
    (project / "ankideck.toml").write_text('[defaults]\nnotetype = "cloze"\n', encoding="utf-8")
    run_bin(binary, build_args(), project)
    (work / "notetype-cloze-col").mkdir()
    col = Collection(str(work / "notetype-cloze-col" / "x.anki2"))
    try:
        apkg = project / "out" / "capitals.apkg"
        report.equal(f"{tag}: import log", counts(import_apkg(col, apkg)), counts_zero(new=2))
        notes = {col.get_note(nid)["Text"].split(" ")[0]: col.get_note(nid) for nid in col.find_notes("")}
        report.equal(f"{tag}: note type", sorted({n.note_type()["name"] for n in notes.values()}), ["ankideck Cloze"])
        ours = {k: sorted(c.ord for c in n.cards()) for k, n in notes.items()}
        report.equal(f"{tag}: card ords of each note", ours, {"{{c1::Paris}}": [0, 2], "{{c2::Rome}}": [0, 1]})
        theirs = {k: anki_ords(col, n) for k, n in notes.items()}
        report.equal(f"{tag}: the cards Anki itself makes for the same notes", theirs, ours)
        hidden = {}
        for key, note in notes.items():
            for card in sorted(note.cards(), key=lambda c: c.ord):
                question = re.sub(r"<[^>]+>", "", card.question())
                hidden[f"{key} c{card.ord + 1}"] = [word for word in ("Paris", "France", "Rome", "Italy")
                                                   if word in note["Text"] and word not in question]
        report.equal(f"{tag}: each card's question hides exactly its deletion", hidden, {
            "{{c1::Paris}} c1": ["Paris"], "{{c1::Paris}} c3": ["France"],
            "{{c2::Rome}} c1": ["Italy"], "{{c2::Rome}} c2": ["Rome", "Italy"]})
        cards_before = sorted(col.find_cards(""))
        check_integrity(report, col, f"{tag}: fix_integrity after import")
        report.equal(f"{tag}: Check Database adds or removes no card", sorted(col.find_cards("")), cards_before)
        col.sched.set_due_date(cards_before, "7")
        time.sleep(BUILD_SPACING_S)
        edited = CLOZE_DECK.replace("capital of", "{{c2::capital}} of")
        (project / "source-cards" / "capitals.txt").write_text(edited, encoding="utf-8")
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: an added deletion imports as an update", counts(import_apkg(col, apkg)),
                     counts_zero(updated=1, duplicate=1))
        paris = col.get_note(notes["{{c1::Paris}}"].id)
        report.equal(f"{tag}: the note has its three cards", sorted(c.ord for c in paris.cards()), [0, 1, 2])
        report.equal(f"{tag}: as Anki itself makes them", anki_ords(col, paris), [0, 1, 2])
        not_review = [c for c in cards_before if col.get_card(c).type != 2]
        report.check(f"{tag}: the old cards keep their review history", not not_review, f"not review: {not_review}")
        new = [col.get_card(c) for c in col.find_cards("") if c not in cards_before]
        report.equal(f"{tag}: the added card is new, card 2", [(c.ord, c.type) for c in new], [(1, 0)])
        check_integrity(report, col, f"{tag}: fix_integrity after the update")
        # The deletion c3 removed: the note is updated, Anki keeps card 3 (what W010 says), and
        # its Empty Cards lists exactly that card.
        card3 = [c.id for c in paris.cards() if c.ord == 2]
        time.sleep(BUILD_SPACING_S)
        (project / "source-cards" / "capitals.txt").write_text(edited.replace("{{c3::France}}", "France"), encoding="utf-8")
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: a removed deletion imports as an update", counts(import_apkg(col, apkg)),
                     counts_zero(updated=1, duplicate=1))
        empty = [cid for note in col.get_empty_cards().notes for cid in note.card_ids]
        report.equal(f"{tag}: the card stays, and Empty Cards lists exactly it", empty, card3)
    finally:
        col.close()


def check_notetypes(report: Report, binary: Path, work: Path) -> None:
    """Each built-in note type the build makes (see check_notetype)."""
    check_notetype(report, binary, work, "reversed", "ankideck Reversed", [0, 1])
    check_notetype(report, binary, work, "type-in", "ankideck Type-in", [0])
    check_cloze(report, binary, work)
    check_notetype(report, binary, work, "vocab", "vocab", [0, 1])


def large_deck_text(cards: int) -> str:
    """A deterministic deck of `cards` cards: some fronts are numbers, some backs are long."""
    lines = ["GENERATED LARGE Flashcards"]
    for i in range(cards):
        lines.append(f"PART {i // 100 + 1}")
        lines.append(str(1900 + i) if i % 97 == 0 else f"Card {i} asks about item {i * 7919 % 10007} and stops at")
        back = f"the answer {i}, with <angle> & ampersand."
        lines.append(back * 300 if i % 211 == 0 else back)
    return "\n".join(lines) + "\n"


def check_apkg_import(report: Report, apkg: Path, deck: dict, tmp: Path) -> None:
    """Import an .apkg into a fresh collection and verify everything."""
    tmp.mkdir()
    col = Collection(str(tmp / "x.anki2"))
    try:
        tag = apkg.name
        log = counts(import_apkg(col, apkg))
        print(f"    import log: {log}")
        report.equal(f"{tag}: import log", log, counts_zero(new=len(deck["cards"])))
        verify_imported_deck(report, col, deck, tag)
        if deck["stem"] == "stalin-opposition-1924-41":
            verify_seed(report, col, deck)
        check_integrity(report, col, f"{tag}: fix_integrity after import")
    finally:
        col.close()


def check_package_db(report: Report, apkg: Path, deck: dict, tmp: Path) -> None:
    """Open the package's collection.anki2 directly; Check Database finds nothing."""
    tmp.mkdir()
    with zipfile.ZipFile(apkg) as archive:
        members = archive.namelist()
        if not report.check(f"{apkg.name}: contains collection.anki2", "collection.anki2" in members,
                            f"members: {members}"):
            return
        (tmp / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    db = sqlite3.connect(tmp / "collection.anki2")
    raw = sorted(row[0] for row in db.execute("select flds from notes"))
    report.equal(f"{apkg.name}: SQLite integrity_check", db.execute("pragma integrity_check").fetchone()[0], "ok")
    # integrity_check does not read every index the way queries do: read each one whole.
    unreadable = []
    for name, table, sql in db.execute("select name, tbl_name, sql from sqlite_master where type = 'index'").fetchall():
        column = sql.split("(")[1].split(",")[0].split(")")[0].strip()
        try:
            through_index = db.execute(
                f"select count(*) from {table} indexed by {name} where {column} > -9223372036854775808").fetchone()[0]
            rows = db.execute(f"select count(*) from {table}").fetchone()[0]
            if through_index != rows:
                unreadable.append(f"{name}: {through_index} of {rows} rows")
        except sqlite3.DatabaseError as err:
            unreadable.append(f"{name}: {err}")
    report.check(f"{apkg.name}: every index reads back whole", not unreadable, "; ".join(unreadable))
    db.close()
    expected = sorted("\x1f".join(expected_note(c)["fields"]) for c in deck["cards"])
    report.equal(f"{apkg.name}: raw notes.flds in the package", raw, expected)
    col = Collection(str(tmp / "collection.anki2"))
    try:
        check_integrity(report, col, f"{apkg.name}: fix_integrity on the package's own collection")
    finally:
        col.close()


def check_csv_import(report: Report, csv: Path, apkg: Path, deck: dict, tmp: Path) -> None:
    """CSV into a fresh collection, then again on top of the .apkg import."""
    tmp.mkdir()
    expected = [expected_note(c) for c in deck["cards"]]
    col = Collection(str(tmp / "fresh.anki2"))
    try:
        log = counts(import_csv(col, csv))
        print(f"    fresh import log: {log}")
        report.equal(f"{csv.name}: fresh import log", log, counts_zero(new=len(expected)))
        notes = [col.get_note(nid) for nid in col.find_notes("")]
        print(f"    (fresh collection has no '{NOTETYPE}'; Anki used {sorted({n.note_type()['name'] for n in notes})})")
        got = sorted((n.fields[0], n.fields[1], tuple(n.tags)) for n in notes)
        want = sorted((e["fields"][0], e["fields"][1], tuple(e["tags"])) for e in expected)
        report.equal(f"{csv.name}: fresh fronts, backs, tags", got, want)
        decks = {col.decks.name(col.get_card(cid).did) for cid in col.find_cards("")}
        report.equal(f"{csv.name}: fresh deck", decks, {deck["name"]})
    finally:
        col.close()
    col = Collection(str(tmp / "after-apkg.anki2"))
    try:
        import_apkg(col, apkg)
        log = counts(import_csv(col, csv))
        print(f"    import log after .apkg: {log}")
        report.equal(f"{csv.name}: after .apkg all duplicate", log, counts_zero(duplicate=len(expected)))
        report.equal(f"{csv.name}: after .apkg note count", col.note_count(), len(expected))
        got = sorted((n.note_type()["name"], n.fields, n.tags) for n in map(col.get_note, col.find_notes("")))
        want = sorted((NOTETYPE, e["fields"], e["tags"]) for e in expected)
        report.equal(f"{csv.name}: after .apkg notes unchanged", got, want)
    finally:
        col.close()


# ------------------------------------------------------ rebuild scenario

def write_fixture(project: Path, labels: list[str]) -> None:
    """Write source-cards/fixture.txt with the given cards, in order."""
    lines = ["TEST FIXTURE 2024 Flashcards"]
    for label in labels:
        section, front, back = _CARDS[label]
        lines += [section, *front, *back]
    (project / "source-cards").mkdir(parents=True, exist_ok=True)
    (project / "source-cards" / "fixture.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def label_fields(label: str) -> list[str]:
    """Expected fields of a fixture card, straight from the fixture table."""
    section, front, back = _CARDS[label]
    return expected_note({"section": section, "front": front, "back": back})["fields"]


def find_label_notes(report: Report, col: Collection, labels: list[str], tag: str) -> dict[str, int]:
    """Note id of each labelled card; each must exist exactly once with its fields."""
    found, problems = {}, []
    grouped = notes_by_front(col)
    for label in labels:
        fields = label_fields(label)
        matches = [n for n in grouped.get(fields[0], []) if n.fields == fields]
        if len(matches) == 1:
            found[label] = matches[0].id
        else:
            problems.append(f"{label}: {len(matches)} notes with fields {fields!r}")
    report.check(f"{tag}: notes carry the expected content", not problems, "; ".join(problems))
    return found


def build_fixture(report: Report, binary: Path, project: Path, labels: list[str], tag: str) -> None:
    """Write the fixture, build it with --csv, and check the binary parsed it as written."""
    write_fixture(project, labels)
    run_bin(binary, build_args(), project)
    check_no_temp_files(report, project, tag)
    deck = parse_source(binary, project)["fixture"]
    report.equal(f"{tag}: fixture parsed as written",
                 [nfc_card(c["section"], c["front"], c["back"]) for c in deck["cards"]],
                 [nfc_card(*_CARDS[label]) for label in labels])


def nfc_card(section: str, front: list[str], back: list[str]) -> tuple:
    """A card's texts, NFC-normalised, for comparing parses."""
    nfc = lambda text: unicodedata.normalize("NFC", text)  # noqa: E731
    return nfc(section), [nfc(x) for x in front], [nfc(x) for x in back]


def describe_log(log, ids: dict[str, int]) -> dict[str, list[str]]:
    """The import log's outcomes as fixture labels (note ids when unknown)."""
    labels = {nid: label for label, nid in ids.items()}
    return {key: [labels.get(n.id.nid, str(n.id.nid)) for n in getattr(log, key)]
            for key in ("new", "updated", "duplicate", "conflicting") if getattr(log, key)}


def check_rebuild(report: Report, binary: Path, work: Path) -> None:
    """(d) v1 -> reviewed -> edited v2 -> unchanged v3 -> CSS change, into one collection."""
    project = work / "rebuild"
    apkg = project / "out" / "fixture.apkg"
    build_fixture(report, binary, project, FIXTURE_V1, "rebuild v1")
    col = Collection(str(work / "rebuild.anki2"))
    try:
        report.equal("rebuild v1: import log", counts(import_apkg(col, apkg)), counts_zero(new=len(FIXTURE_V1)))
        v1_ids = find_label_notes(report, col, FIXTURE_V1, "rebuild v1")
        v1_cards = list(col.find_cards(""))
        col.sched.set_due_date(v1_cards, "7")
        report.check("rebuild v1: cards made review cards", all(col.get_card(c).type == 2 for c in v1_cards),
                     "set_due_date did not turn the cards into review cards")

        time.sleep(BUILD_SPACING_S)
        build_fixture(report, binary, project, FIXTURE_V2, "rebuild v2")
        raw_log = import_apkg(col, apkg)
        log = counts(raw_log)
        v2_ids = find_label_notes(report, col, FIXTURE_V2, "rebuild v2")
        outcome = describe_log(raw_log, v2_ids)
        print(f"    v2 import log: {log}\n    by card: {outcome}")
        report.check("rebuild v2: import log", log == counts_zero(
            new=1, updated=len(V2_UPDATED), duplicate=len(V2_SAME_NOTE) - len(V2_UPDATED)),
            f"got {log}; by card {outcome}; expected new [N], updated {sorted(V2_UPDATED)}, "
            f"duplicate {sorted(set(V2_SAME_NOTE) - V2_UPDATED)}")
        report.equal("rebuild v2: note count (deleted note stays)", col.note_count(), len(FIXTURE_V1) + 1)
        kept = {new: (v2_ids.get(new), v1_ids.get(old)) for new, old in V2_SAME_NOTE.items()}
        report.check("rebuild v2: edited/moved cards kept their note (identity)",
                     all(a is not None and a == b for a, b in kept.values()), f"label: (v2 id, v1 id) {kept}")
        not_review = [(c, col.get_card(c).type) for c in v1_cards if col.get_card(c).type != 2]
        report.check("rebuild v2: surviving cards still review cards", not not_review, f"(card, type) {not_review}")
        new_cards = [col.get_card(c) for c in col.find_cards("") if c not in v1_cards]
        report.equal("rebuild v2: the new card is new, due at its position",
                     [(c.type, c.due) for c in new_cards], [(0, FIXTURE_V2.index("N") + 1)])
        report.guard("(d) rebuild without edits", check_rebuild_unchanged, binary, project, col)
        report.guard("(d) CSS change", check_css_change, binary, project, col)
        check_integrity(report, col, "rebuild: fix_integrity at the end")
    finally:
        col.close()


def check_rebuild_unchanged(report: Report, binary: Path, project: Path, col: Collection) -> None:
    """Rebuilding unchanged sources gives identical bytes and no updates."""
    out = project / "out"
    outputs = ("fixture.apkg", "fixture.csv")
    before = {name: (out / name).read_bytes() for name in outputs}
    time.sleep(BUILD_SPACING_S)
    run_bin(binary, build_args(), project)
    changed = [name for name in outputs if (out / name).read_bytes() != before[name]]
    report.check("rebuild v3 (no edits): .apkg and .csv byte-identical", not changed, f"changed: {changed}")
    log = counts(import_apkg(col, out / "fixture.apkg"))
    report.equal("rebuild v3: import log", log, counts_zero(duplicate=len(FIXTURE_V2)))


def check_css_change(report: Report, binary: Path, project: Path, col: Collection) -> None:
    """A CSS-only change (the project's source-cards/ankideck.css) updates the note type in place
    and touches no note."""
    notetypes = sorted(nt.name for nt in col.models.all_names_and_ids())
    time.sleep(BUILD_SPACING_S)
    (project / "source-cards" / "ankideck.css").write_text(EXTRA_CSS + "\n", encoding="utf-8")
    run_bin(binary, build_args(), project)
    log = counts(import_apkg(col, project / "out" / "fixture.apkg"))
    print(f"    css import log: {log}")
    col.models._clear_cache()  # the Python-side cache does not see the backend's import
    notetype = col.models.by_name(NOTETYPE) or {"css": "", "mod": None}
    package = package_notetype(project / "out" / "fixture.apkg")
    report.check("css: note type css updated in place", EXTRA_CSS in notetype["css"],
                 f"the collection's css lacks {EXTRA_CSS!r} (collection notetype mod {notetype['mod']}); "
                 f"the package's css {'has' if EXTRA_CSS in package['css'] else 'LACKS'} it "
                 f"(package notetype mod {package['mod']}, css ends {package['css'][-80:]!r})")
    report.equal("css: no note type fork", sorted(nt.name for nt in col.models.all_names_and_ids()), notetypes)
    report.equal("css: no note updated or conflicting", log, counts_zero(duplicate=len(FIXTURE_V2)))


def package_notetype(apkg: Path) -> dict:
    """The ankideck note type as written in the package's collection.anki2."""
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(apkg) as archive:
        db_path = Path(archive.extract("collection.anki2", tmp))
        db = sqlite3.connect(db_path)
        models = json.loads(db.execute("select models from col").fetchone()[0])
        db.close()
    return next(m for m in models.values() if m["name"] == NOTETYPE)


def main() -> int:
    """Run every check group; exit 1 if any check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, type=Path, help="path to the ankideck binary")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir for debugging")
    parser.add_argument("--scenario", action="append", metavar="N",
                        help="run only the identity scenario N of scenarios.py (repeatable), no other check")
    args = parser.parse_args()
    binary = args.bin.resolve()
    if not binary.is_file():
        print(f"FAIL: binary {binary} not found (run cargo build --release)")
        return 1
    import scenarios  # noqa: PLC0415 - it imports this module's helpers
    report = Report()
    work = Path(tempfile.mkdtemp(prefix="ankideck-check-"))
    try:
        if args.scenario:
            scenarios.run_all(report, binary, work, args.scenario)
        else:
            run_every_check(report, binary, work, scenarios)
    finally:
        if args.keep:
            print(f"temp dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{report.passed} passed, {len(report.failed)} failed")
    for name in report.failed:
        print(f"  FAILED: {name}")
    return 1 if report.failed else 0


def run_every_check(report: Report, binary: Path, work: Path, scenarios) -> None:
    """Every check group, each in its own directory under `work`."""
    report.guard("(a)(b)(c) seed deck packages", check_packages, binary, work)
    report.guard("(d) rebuild scenario", check_rebuild, binary, work)
    report.guard("init: the sample project", check_init, binary, work)
    report.guard("settings: ankideck.toml in the package", check_settings, binary, work)
    report.guard("note types: reversed, type-in, cloze and custom decks in Anki", check_notetypes, binary, work)
    import check_txt  # noqa: PLC0415 - it imports this module's helpers
    check_txt.run(report, binary, work)
    import check_schema  # noqa: PLC0415 - it imports this module's helpers
    report.guard("schema: a note type edited in place, a deck switched to another", check_schema.check_schema, binary, work)
    import check_media  # noqa: PLC0415 - it imports this module's helpers
    check_media.run(report, binary, work)
    import check_md  # noqa: PLC0415 - it imports this module's helpers
    check_md.run(report, binary, work)
    __import__("check_csv").run(report, binary, work)
    __import__("check_assets").run(report, binary, work)
    __import__("check_preview").run(report, binary, work)
    __import__("check_render").run(report, binary, work)
    __import__("check_mdstream").run(report, binary, work)
    __import__("check_pernote").run(report, binary, work)
    __import__("check_plan").run(report, binary, work)
    __import__("check_rev2").run(report, binary, work)
    global EXTRA_BUILD_ARGS
    EXTRA_BUILD_ARGS = ["--stream-above", "0"]
    (work / "from-disk").mkdir()
    report.prefix = "from disk: "
    report.guard("(d) rebuild scenario, decks built from disk", check_rebuild, binary, work / "from-disk")
    report.prefix = ""
    EXTRA_BUILD_ARGS = []
    # (e) issue 9: identity through replaced answers, moves, splits, renames, swaps, a cut lock.
    scenarios.run_all(report, binary, work)
    report.guard("(f) card generation of every note type", check_cardgen)
    report.guard("state: moved cards under subdecks in Anki", __import__("check_state").check_state, binary, work)


def check_cardgen(report: Report) -> None:
    """(f) issue 11: tests/anki/cardgen.py, the cards Anki creates for each note type's cases."""
    import cardgen  # noqa: PLC0415 - a sibling script, found through sys.path[0]

    passed, failures = cardgen.run()
    print(f"    {passed} cases and refusals as Anki has them")
    report.check("cardgen: every case creates exactly the expected cards", not failures, "; ".join(failures))


if __name__ == "__main__":
    sys.exit(main())
