"""The text format for every note type, in real Anki (issue 11).

- optional-reversed: a card whose front ends with `<->` asks for its reverse card. After import
  the notes that ask have two cards, the others one, at Anki's own ordinals; Check Database
  changes nothing; the reverse card's question is the back. Moving the marker from one card to
  another imports as an update of the same notes: the card that now asks gets a new card 2, its
  card 1 keeps its review history; the one that no longer asks keeps its card 2 in Anki, blank,
  and Anki's Empty Cards lists exactly that card. Asking again makes that card 2 whole again,
  with no second card 2.
- cloze cards of one line: a card whose only line holds a deletion has an empty Back Extra; after
  import each note has the cards Anki makes, each question hides exactly its deletion, Check
  Database changes nothing.

check.py calls `run`; the helpers come from it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from anki.collection import Collection

from check import (BUILD_SPACING_S, Report, anki_ords, build_args, check_integrity, counts, counts_zero,
                   import_apkg, run_bin)

OPTIONAL_REVERSED_DECK = ("German nouns\n\nHOUSE\nthe house\n<->\ndas Haus\n\n"
                          "TREE\nthe tree\n---\nder Baum\n\n"
                          "DOG\nThe dog is called\nder Hund.\n")


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, each in its own directory under `work`."""
    report.guard("text format: optional-reversed decks with <->", check_optional_reversed, binary, work)
    report.guard("text format: cloze cards of one line", check_one_line_cloze, binary, work)


def cards_by_front(col: Collection) -> dict[str, list[tuple[int, int]]]:
    """Each note's front and its cards' (ord, id), in ord order."""
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    return {n["Front"]: sorted((c.ord, c.id) for c in n.cards()) for n in notes}


def check_optional_reversed(report: Report, binary: Path, work: Path) -> None:
    tag = "optional-reversed"
    project = work / "txt-optional-reversed"
    deck = project / "source-cards" / "nouns.txt"
    deck.parent.mkdir(parents=True)
    deck.write_text(OPTIONAL_REVERSED_DECK, encoding="utf-8")
    (project / "ankideck.toml").write_text('[defaults]\nnotetype = "optional-reversed"\n', encoding="utf-8")
    run_bin(binary, build_args(), project)
    apkg = project / "out" / "nouns.apkg"
    (work / "txt-optional-reversed-col").mkdir()
    col = Collection(str(work / "txt-optional-reversed-col" / "x.anki2"))
    try:
        report.equal(f"{tag}: import log", counts(import_apkg(col, apkg)), counts_zero(new=3))
        notes = {col.get_note(nid)["Front"]: col.get_note(nid) for nid in col.find_notes("")}
        report.equal(f"{tag}: note type", sorted({n.note_type()["name"] for n in notes.values()}),
                     ["ankideck Optional Reversed"])
        report.equal(f"{tag}: Add Reverse", {k: n["Add Reverse"] for k, n in notes.items()},
                     {"the house": "y", "the tree": "", "The dog is called": ""})
        ours = {k: sorted(c.ord for c in n.cards()) for k, n in notes.items()}
        report.equal(f"{tag}: two cards for the card with <->, one for the others", ours,
                     {"the house": [0, 1], "the tree": [0], "The dog is called": [0]})
        theirs = {k: anki_ords(col, n) for k, n in notes.items()}
        report.equal(f"{tag}: the cards Anki itself makes for the same notes", theirs, ours)
        reverse = [c for c in notes["the house"].cards() if c.ord == 1][0]
        question = re.sub(r"<[^>]+>", " ", reverse.question())
        report.check(f"{tag}: the reverse card asks the back", "das Haus" in question and "the house" not in question,
                     f"question: {question!r}")
        before = cards_by_front(col)
        check_integrity(report, col, f"{tag}: fix_integrity after import")
        report.equal(f"{tag}: Check Database adds or removes no card", cards_by_front(col), before)
        # Every card reviewed; then the marker moves from the house to the tree.
        all_cards = [cid for cards in before.values() for _, cid in cards]
        col.sched.set_due_date(all_cards, "7")
        time.sleep(BUILD_SPACING_S)
        moved = OPTIONAL_REVERSED_DECK.replace("<->", "===").replace("---", "<->").replace("===", "---")
        deck.write_text(moved, encoding="utf-8")
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: moving the marker imports as an update of both notes",
                     counts(import_apkg(col, apkg)), counts_zero(updated=2, duplicate=1))
        after = cards_by_front(col)
        report.equal(f"{tag}: the same notes", sorted(after), sorted(before))
        report.equal(f"{tag}: the tree keeps its card 1 and gets a card 2", [o for o, _ in after["the tree"]], [0, 1])
        report.equal(f"{tag}: the tree's card 1 is the old one", after["the tree"][0], before["the tree"][0])
        new = [col.get_card(cid) for o, cid in after["the tree"] if o == 1]
        report.equal(f"{tag}: the tree's card 2 is new", [c.type for c in new], [0])
        report.equal(f"{tag}: Anki keeps the house's card 2", after["the house"], before["the house"])
        house = col.get_note(col.get_card(after["the house"][0][1]).nid)
        report.equal(f"{tag}: Anki itself would make only card 1 of the house now", anki_ords(col, house), [0])
        empty = [cid for note in col.get_empty_cards().notes for cid in note.card_ids]
        report.equal(f"{tag}: Empty Cards lists exactly the house's card 2", empty, [before["the house"][1][1]])
        not_review = [cid for cid in all_cards if col.get_card(cid).type != 2]
        report.check(f"{tag}: every old card keeps its review history", not not_review, f"not review: {not_review}")
        check_integrity(report, col, f"{tag}: fix_integrity after the update")
        report.equal(f"{tag}: Check Database adds or removes no card after the update", cards_by_front(col), after)
        # The house asks again (its blank card 2 still in Anki): the same card 2, whole again.
        time.sleep(BUILD_SPACING_S)
        deck.write_text(moved.replace("the house\n---", "the house\n<->"), encoding="utf-8")
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: asking again imports as an update", counts(import_apkg(col, apkg)),
                     counts_zero(updated=1, duplicate=2))
        again = cards_by_front(col)
        report.equal(f"{tag}: asking again: no second card 2, the kept one", again["the house"], before["the house"])
        report.equal(f"{tag}: asking again: Empty Cards lists nothing",
                     [cid for note in col.get_empty_cards().notes for cid in note.card_ids], [])
        check_integrity(report, col, f"{tag}: fix_integrity after asking again")
        report.equal(f"{tag}: Check Database adds or removes no card after asking again", cards_by_front(col), again)
    finally:
        col.close()


ONE_LINE_CLOZE_DECK = ("Capitals\n\nEUROPE\n{{c1::Paris}} is the capital of {{c2::France}}.\n\n"
                       "EUROPE\n{{c1::Rome}} is the capital of\nItaly.\n")


def check_one_line_cloze(report: Report, binary: Path, work: Path) -> None:
    tag = "one-line cloze"
    project = work / "txt-one-line-cloze"
    (project / "source-cards").mkdir(parents=True)
    (project / "source-cards" / "capitals.txt").write_text(ONE_LINE_CLOZE_DECK, encoding="utf-8")
    (project / "ankideck.toml").write_text('[defaults]\nnotetype = "cloze"\n', encoding="utf-8")
    run_bin(binary, build_args(), project)
    (work / "txt-one-line-cloze-col").mkdir()
    col = Collection(str(work / "txt-one-line-cloze-col" / "x.anki2"))
    try:
        apkg = project / "out" / "capitals.apkg"
        report.equal(f"{tag}: import log", counts(import_apkg(col, apkg)), counts_zero(new=2))
        notes = {col.get_note(nid)["Text"].split("::")[1].split("}")[0]: col.get_note(nid) for nid in col.find_notes("")}
        report.equal(f"{tag}: Back Extra", {k: n["Back Extra"] for k, n in notes.items()},
                     {"Paris": "", "Rome": "Italy."})
        ours = {k: sorted(c.ord for c in n.cards()) for k, n in notes.items()}
        report.equal(f"{tag}: card ords of each note", ours, {"Paris": [0, 1], "Rome": [0]})
        theirs = {k: anki_ords(col, n) for k, n in notes.items()}
        report.equal(f"{tag}: the cards Anki itself makes for the same notes", theirs, ours)
        hidden = {}
        for key, note in notes.items():
            for card in sorted(note.cards(), key=lambda c: c.ord):
                question = re.sub(r"<[^>]+>", "", card.question())
                hidden[f"{key} c{card.ord + 1}"] = [w for w in ("Paris", "France", "Rome")
                                                   if w in note["Text"] and w not in question]
        report.equal(f"{tag}: each card's question hides exactly its deletion", hidden,
                     {"Paris c1": ["Paris"], "Paris c2": ["France"], "Rome c1": ["Rome"]})
        paris_answer = [c.answer() for c in notes["Paris"].cards() if c.ord == 0][0]
        report.check(f"{tag}: the answer shows the deletion and no empty back",
                     "Paris" in paris_answer and "ankideck back" not in paris_answer, f"answer: {paris_answer!r}")
        before = sorted(col.find_cards(""))
        check_integrity(report, col, f"{tag}: fix_integrity after import")
        report.equal(f"{tag}: Check Database adds or removes no card", sorted(col.find_cards("")), before)
    finally:
        col.close()
