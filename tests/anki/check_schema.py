"""Real-Anki checks of note type changes (issue 11, "Schema changes"):

- a custom note type's CSS and template edited: the import updates the note type in place,
  updates no note, and every card keeps its review history;
- a deck switched from `basic` to `reversed`: the build's W012 names the steps; followed through
  the anki package's API (import, Change Note Type on the notes its search selects, import
  again), they leave no duplicate note, card 1 keeps its id and review history, and card 2 exists.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from anki.collection import Collection

import check as c


def run_build(binary: Path, project: Path) -> str:
    """A build at the real clock (as check.run_bin); returns its stderr."""
    proc = subprocess.run([str(binary), *c.build_args()], cwd=project, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items()
                               if not k.startswith("ANKIDECK_") and k != "SOURCE_DATE_EPOCH"})
    if proc.returncode != 0:
        raise RuntimeError(f"ankideck build exited {proc.returncode}:\n{proc.stderr}")
    return proc.stderr


def check_template_and_css_edit(report: c.Report, binary: Path, work: Path) -> None:
    tag = "schema: CSS and template edit"
    project = work / "schema-css"
    (project / "source-cards").mkdir(parents=True)
    (project / "source-cards" / "words.txt").write_text(c.NOTETYPES_DECK, encoding="utf-8")
    (project / "ankideck.toml").write_text(c.CUSTOM_TOML, encoding="utf-8")
    (project / "t").mkdir()
    for file, text in c.CUSTOM_FILES.items():
        (project / "t" / file).write_text(text, encoding="utf-8")
    run_build(binary, project)
    (work / "schema-css-col").mkdir()
    col = Collection(str(work / "schema-css-col" / "x.anki2"))
    try:
        apkg = project / "out" / "words.apkg"
        report.equal(f"{tag}: first import", c.counts(c.import_apkg(col, apkg)), c.counts_zero(new=2))
        cards = sorted(col.find_cards(""))
        col.sched.set_due_date(cards, "7")
        note_mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
        time.sleep(c.BUILD_SPACING_S)
        (project / "t" / "v.css").write_text(".card { color: #654321; }\n", encoding="utf-8")
        (project / "t" / "b.html").write_text("{{FrontSide}}<hr id=answer><b>{{Back}}</b>", encoding="utf-8")
        stderr = run_build(binary, project)
        report.check(f"{tag}: no schema warning", "W011" not in stderr and "W012" not in stderr, stderr)
        report.equal(f"{tag}: the import updates no note", c.counts(c.import_apkg(col, apkg)),
                     c.counts_zero(duplicate=2))
        col.models._clear_cache()  # the Python-side cache does not see the backend's import
        notetype = col.models.by_name("vocab")
        report.check(f"{tag}: one note type, updated in place",
                     [n.name for n in col.models.all_names_and_ids()].count("vocab") == 1
                     and "#654321" in notetype["css"]
                     and notetype["tmpls"][0]["afmt"] == "{{FrontSide}}<hr id=answer><b>{{Back}}</b>",
                     f"{[n.name for n in col.models.all_names_and_ids()]} {notetype['css']!r}")
        report.equal(f"{tag}: no note's mod changed",
                     {nid: col.get_note(nid).mod for nid in col.find_notes("")}, note_mods)
        report.equal(f"{tag}: the same cards", sorted(col.find_cards("")), cards)
        not_review = [cid for cid in cards if col.get_card(cid).type != 2]
        report.check(f"{tag}: every card keeps its review history", not not_review, f"not review: {not_review}")
        c.check_integrity(report, col, f"{tag}: fix_integrity")
    finally:
        col.close()


def check_switch(report: c.Report, binary: Path, work: Path) -> None:
    tag = "schema: basic switched to reversed"
    project = work / "schema-switch"
    (project / "source-cards").mkdir(parents=True)
    (project / "source-cards" / "words.txt").write_text(c.NOTETYPES_DECK, encoding="utf-8")
    run_build(binary, project)
    (work / "schema-switch-col").mkdir()
    col = Collection(str(work / "schema-switch-col" / "x.anki2"))
    try:
        apkg = project / "out" / "words.apkg"
        report.equal(f"{tag}: first import", c.counts(c.import_apkg(col, apkg)), c.counts_zero(new=2))
        first_cards = sorted(col.find_cards(""))
        col.sched.set_due_date(first_cards, "7")
        guids = sorted(col.get_note(nid).guid for nid in col.find_notes(""))
        time.sleep(c.BUILD_SPACING_S)
        (project / "ankideck.toml").write_text('[decks.words]\nnotetype = "reversed"\n', encoding="utf-8")
        stderr = run_build(binary, project)
        flat = " ".join(stderr.split())
        report.check(f"{tag}: the build warns (W012) with the steps", "W012" in flat and "Change Note Type" in flat, stderr)
        found = re.search(r"search (\"deck:.*?\" \"note:.*?\"), select all", flat)
        report.check(f"{tag}: the warning names the search", found is not None, stderr)
        search = found.group(1) if found else '"deck:Words" "note:ankideck Flashcard"'
        # (1) import: Anki adds the new note type and skips the notes it has.
        report.equal(f"{tag}: (1) the first import skips the notes as conflicting",
                     c.counts(c.import_apkg(col, apkg)), c.counts_zero(conflicting=2))
        reversed_type = col.models.by_name("ankideck Reversed")
        report.check(f"{tag}: (1) the new note type is in Anki", reversed_type is not None)
        # (2) Browse: the search, Notes > Change Note Type with the default mapping.
        nids = list(col.find_notes(search))
        report.equal(f"{tag}: (2) the search selects the deck's notes", len(nids), 2)
        old_type = col.models.by_name(c.NOTETYPE)
        info = col.models.change_notetype_info(old_notetype_id=old_type["id"], new_notetype_id=reversed_type["id"])
        request = info.input
        report.equal(f"{tag}: (2) the default mapping: fields by name, Card 1 to Card 1",
                     (list(request.new_fields), list(request.new_templates)[:1]), ([0, 1, 2], [0]))
        request.note_ids.extend(nids)
        col.models.change_notetype_of_notes(request)
        # (3) import again.
        log = c.counts(c.import_apkg(col, apkg))
        print(f"    (3) import log: {log}")
        report.check(f"{tag}: (3) the second import finds every note, adds none",
                     log["new"] == 0 and log["conflicting"] == 0 and log["updated"] + log["duplicate"] == 2, str(log))
        notes = [col.get_note(nid) for nid in col.find_notes("")]
        report.equal(f"{tag}: no duplicate note, the guids kept", sorted(n.guid for n in notes), guids)
        report.equal(f"{tag}: the notes are of the new type", sorted({n.note_type()["name"] for n in notes}),
                     ["ankideck Reversed"])
        ords = {n["Front"]: sorted(card.ord for card in n.cards()) for n in notes}
        report.equal(f"{tag}: each note has its card 2", ords, {"hola": [0, 1], "adios": [0, 1]})
        card1 = sorted(card.id for n in notes for card in n.cards() if card.ord == 0)
        report.equal(f"{tag}: card 1 keeps its id", card1, first_cards)
        not_review = [cid for cid in first_cards if col.get_card(cid).type != 2]
        report.check(f"{tag}: card 1 keeps its review history", not not_review, f"not review: {not_review}")
        c.check_integrity(report, col, f"{tag}: fix_integrity")
        # A rebuild and import change nothing more.
        time.sleep(c.BUILD_SPACING_S)
        stderr = run_build(binary, project)
        report.check(f"{tag}: the next build does not warn again", "W012" not in stderr, stderr)
        log = c.counts(c.import_apkg(col, apkg))
        report.equal(f"{tag}: and its import is all duplicates", log, c.counts_zero(duplicate=2))
    finally:
        col.close()


def check_switch_with_merge(report: c.Report, binary: Path, work: Path) -> None:
    """What W012 warns against: the switched package imported with "Merge note types" ticked.
    Anki merges the two note types by field and template id; `basic`'s and `reversed`'s ids
    differ, so the result has every field twice and the history on a third card. If Anki ever
    changes this, the check fails and the warning's text must change with it."""
    tag = "schema: a switch imported with Merge note types"
    project = work / "schema-merge"
    (project / "source-cards").mkdir(parents=True)
    (project / "source-cards" / "words.txt").write_text(c.NOTETYPES_DECK, encoding="utf-8")
    run_build(binary, project)
    (work / "schema-merge-col").mkdir()
    col = Collection(str(work / "schema-merge-col" / "x.anki2"))
    try:
        apkg = project / "out" / "words.apkg"
        c.import_apkg(col, apkg)
        first_cards = sorted(col.find_cards(""))
        col.sched.set_due_date(first_cards, "7")
        time.sleep(c.BUILD_SPACING_S)
        (project / "ankideck.toml").write_text('[defaults]\nnotetype = "reversed"\n', encoding="utf-8")
        run_build(binary, project)
        request = c.ImportAnkiPackageRequest(package_path=str(apkg),
                                             options=c.ImportAnkiPackageOptions(merge_notetypes=True))
        report.equal(f"{tag}: the notes are updated", c.counts(col.import_anki_package(request).log),
                     c.counts_zero(updated=2))
        col.models._clear_cache()
        merged = col.models.by_name("ankideck Reversed")
        report.equal(f"{tag}: the note type gets every field twice (what W012 warns of)",
                     [f["name"] for f in merged["flds"]], ["Front", "Back", "Section", "Front+", "Back+", "Section+"])
        history = sorted(card.ord for cid in first_cards for card in [col.get_card(cid)])
        report.equal(f"{tag}: the reviewed cards are now a third card", history, [2, 2])
    finally:
        col.close()


def check_schema(report: c.Report, binary: Path, work: Path) -> None:
    """The checks above."""
    check_template_and_css_edit(report, binary, work)
    check_switch(report, binary, work)
    check_switch_with_merge(report, binary, work)
