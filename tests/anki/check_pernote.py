"""Note types per note in real Anki (issue 12): a cloze card in a deck of another note type.

- A `.md` and a `.txt` deck of the default (basic) note type, each with plain cards and cloze
  cards (a deletion in the question): imported into a new collection, each note has the right
  note type (`ankideck Flashcard` or `ankideck Cloze`) and its cards (a card per deletion, each
  question hiding exactly its deletion, the answer showing the Back Extra); Check Database
  changes nothing. A no-op rebuild is byte-identical and imports with 0 new and 0 updated. With
  every card reviewed, an edit of a cloze card (its Back Extra and its text) imports as an update
  of that note only, and every card keeps its review history.
- An Anki "Notes in Plain Text" export of one deck holding Basic and Cloze notes, in one file
  with its note type column, brought under ankideck as a deck of the default note type: built
  and imported into the collection it came from, it adds no note, every reviewed card keeps its
  review history, and Check Database changes nothing.

check.py calls `run`; the helpers come from it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from anki.collection import Collection, NoteIdsLimit

from check import BUILD_SPACING_S, Report, build_args, check_integrity, counts, counts_zero, import_apkg, run_bin

GEO_MD = """# Geography

## Capitals

Q: What is the capital of France?
A: Paris

Q: The capital of Italy is {{c1::Rome}}, of Spain {{c2::Madrid}}.
A: Both since long ago.

Q: {{c1::Oslo}} is in Norway
"""

HIST_TXT = """HISTORY

WAR
When did the war end?
1945

TREATY
The treaty of {{c1::Versailles}}
was signed in 1919
"""

# (note type, first field, cards' ordinals) of each note of each deck, as Anki must have them.
EXPECTED = {
    "geo": [
        ("ankideck Flashcard", "What is the capital of France?", [0]),
        ("ankideck Cloze", "The capital of Italy is {{c1::Rome}}, of Spain {{c2::Madrid}}.", [0, 1]),
        ("ankideck Cloze", "{{c1::Oslo}} is in Norway", [0]),
    ],
    "hist": [
        ("ankideck Flashcard", "When did the war end?", [0]),
        # The text format's split: the line with the deletion is the Text, the next the Back Extra.
        ("ankideck Cloze", "The treaty of {{c1::Versailles}}", [0]),
    ],
}


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, each in its own directory under `work`."""
    report.guard("pernote: cloze cards in a basic .md and .txt deck", check_mixed_decks, binary, work)
    report.guard("pernote: an Anki export of Basic and Cloze notes comes back with 0 new notes",
                 check_mixed_export, binary, work)


def text_of(html: str) -> str:
    """A card side's text: its style and tags dropped."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


def notes_of(col: Collection, deck: str) -> list[tuple[str, str, list[int]]]:
    found = []
    for nid in col.find_notes(f'"deck:{deck}"'):
        note = col.get_note(nid)
        found.append((note.note_type()["name"], note.fields[0], sorted(c.ord for c in note.cards())))
    return sorted(found, key=lambda n: EXPECTED_ORDER.get(n[1], 99))


EXPECTED_ORDER = {field: i for notes in EXPECTED.values() for i, (_, field, _) in enumerate(notes)}


def outputs(project: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in (project / "out").iterdir() if p.is_file()}
    files["ankideck.lock"] = (project / "ankideck.lock").read_bytes()
    return files


def check_mixed_decks(report: Report, binary: Path, work: Path) -> None:
    tag = "mixed decks"
    project = work / "pernote"
    source = project / "source-cards"
    source.mkdir(parents=True)
    (source / "geo.md").write_text(GEO_MD, encoding="utf-8")
    (source / "hist.txt").write_text(HIST_TXT, encoding="utf-8")
    run_bin(binary, build_args(), project)
    names = {"geo": "Geography", "hist": "HISTORY"}
    (work / "pernote-col").mkdir()
    col = Collection(str(work / "pernote-col" / "x.anki2"))
    try:
        for stem, expected in EXPECTED.items():
            log = counts(import_apkg(col, project / "out" / f"{stem}.apkg"))
            report.equal(f"{tag}: {stem} import log", log, counts_zero(new=len(expected)))
            report.equal(f"{tag}: {stem}: each note's note type and cards", notes_of(col, names[stem]), expected)
        check_integrity(report, col, f"{tag}: Check Database changes nothing")
        # Each cloze question hides exactly its deletion; the answer shows the Back Extra.
        for nid in col.find_notes('"note:ankideck Cloze"'):
            note = col.get_note(nid)
            for card in note.cards():
                number = card.ord + 1
                hidden = re.findall(r"\{\{c" + str(number) + r"::(.*?)\}\}", note.fields[0])
                question = text_of(card.question())
                report.check(f"{tag}: card {number} of {note.fields[0]!r} hides its deletion",
                             "[...]" in question and not any(h in question for h in hidden), repr(question))
            if note.fields[1]:
                answer = text_of(note.cards()[0].answer())
                report.check(f"{tag}: the answer of {note.fields[0]!r} shows its Back Extra",
                             note.fields[1] in answer, repr(answer))
        # A no-op rebuild: the same bytes, and Anki updates nothing.
        before = outputs(project)
        time.sleep(BUILD_SPACING_S)
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: a no-op rebuild is byte-identical", outputs(project) == before, True)
        for stem, expected in EXPECTED.items():
            log = counts(import_apkg(col, project / "out" / f"{stem}.apkg"))
            report.equal(f"{tag}: {stem} no-op reimport: 0 new, 0 updated", log,
                         counts_zero(duplicate=len(expected)))
        # Every card reviewed, then the cloze card edited: an update of its note only.
        cards = [c for nid in col.find_notes("") for c in col.get_note(nid).cards()]
        col.sched.set_due_date([c.id for c in cards], "7")
        time.sleep(BUILD_SPACING_S)
        edited = GEO_MD.replace("Both since long ago.", "Both capitals since long ago.").replace(
            "of Spain {{c2::Madrid}}.", "and of Spain {{c2::Madrid}}.")
        (source / "geo.md").write_text(edited, encoding="utf-8")
        run_bin(binary, build_args(), project)
        log = counts(import_apkg(col, project / "out" / "geo.apkg"))
        report.equal(f"{tag}: the edited cloze card imports as an update", log, counts_zero(updated=1, duplicate=2))
        report.equal(f"{tag}: still 5 notes", len(col.find_notes("")), 5)
        italy = [col.get_note(n) for n in col.find_notes('"note:ankideck Cloze" Spain')]
        report.check(f"{tag}: the edit is in the note", len(italy) == 1 and "and of Spain" in italy[0].fields[0]
                     and italy[0].fields[1] == "Both capitals since long ago.", repr([n.fields for n in italy]))
        not_review = [c.id for c in cards if col.get_card(c.id).type != 2]
        report.check(f"{tag}: every card keeps its review history", not not_review, f"not review: {not_review}")
        check_integrity(report, col, f"{tag}: Check Database changes nothing after the update")
    finally:
        col.close()


def check_mixed_export(report: Report, binary: Path, work: Path) -> None:
    tag = "mixed export"
    (work / "pernote-export-col").mkdir()
    col = Collection(str(work / "pernote-export-col" / "x.anki2"))
    try:
        deck = col.decks.id("Mixed")
        ids = []
        for notetype, first, second, tags in [
            ("Basic", "la <b>pomme</b>", "the apple", "fr"),
            ("Basic", "le chou", "the cabbage", ""),
            ("Cloze", "{{c1::Paris}} is the capital of {{c2::France}}.", "Europe", "geo"),
            ("Cloze", "Water boils at {{c1::100}} °C.", "", ""),
        ]:
            note = col.new_note(col.models.by_name(notetype))
            note.fields[0], note.fields[1] = first, second
            note.tags = tags.split()
            col.add_note(note, deck)
            ids.append(note.id)
        reviewed = [c.id for nid in ids for c in col.get_note(nid).cards()]
        col.sched.set_due_date(reviewed, "7")
        count = len(col.find_notes(""))
        project = work / "pernote-export"
        source = project / "source-cards"
        source.mkdir(parents=True)
        col.export_note_csv(out_path=str(source / "mixed.txt"), limit=NoteIdsLimit(note_ids=ids),
                            with_html=True, with_tags=True, with_deck=True, with_notetype=True, with_guid=True)
        header = (source / "mixed.txt").read_text(encoding="utf-8").splitlines()[:6]
        print(f"    the export's header: {header}")
        run_bin(binary, build_args(), project)
        log = counts(import_apkg(col, project / "out" / "mixed.apkg"))
        print(f"    import log into the source collection: {log}")
        report.equal(f"{tag}: no new note in the collection it came from", log["new"], 0)
        report.equal(f"{tag}: the same number of notes", len(col.find_notes("")), count)
        not_review = [cid for cid in reviewed if col.get_card(cid).type != 2]
        report.check(f"{tag}: every reviewed card keeps its review history", not not_review, f"not review: {not_review}")
        check_integrity(report, col, f"{tag}: Check Database changes nothing")
        # A new collection: the package's notes of each kind under ankideck's note types.
        (work / "pernote-export-fresh").mkdir()
        fresh = Collection(str(work / "pernote-export-fresh" / "x.anki2"))
        try:
            import_apkg(fresh, project / "out" / "mixed.apkg")
            kinds = sorted((fresh.get_note(n).note_type()["name"], len(fresh.get_note(n).cards()))
                           for n in fresh.find_notes(""))
            report.equal(f"{tag}: each note of its note type, a card per deletion", kinds,
                         [("ankideck Cloze", 1), ("ankideck Cloze", 2), ("ankideck Flashcard", 1),
                          ("ankideck Flashcard", 1)])
            check_integrity(report, fresh, f"{tag}: Check Database changes nothing in a new collection")
        finally:
            fresh.close()
    finally:
        col.close()
