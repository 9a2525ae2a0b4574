#!/usr/bin/env python3
"""Real-Anki check of ankideck's card generation (issue 11, note types).

For tests/anki/cardgen_cases.json: adds each note type (the schema-11 JSON ankideck writes,
generated from the Rust definitions) to a fresh collection with Anki's own validation, checks
Anki kept every field and template name, then adds each case's note and checks Anki created
cards for exactly the expected ordinals, each rendering as expected; and checks Anki refuses
each of the invalid custom note types ankideck refuses. src/notetype/fixture_tests.rs checks
the same cases against ankideck's Rust function, so the two agree through Anki.

Usage: cardgen.py  (exit 1 if any check failed; check.py runs it too)
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tempfile
from pathlib import Path

from anki.collection import Collection

FIXTURE = Path(__file__).resolve().parent / "cardgen_cases.json"
# The links Anki puts in a rendered card instead of a question (language-independent).
TEMPLATE_ERROR = "#template-syntax-error"
BLANK = ("#front-of-card-is-blank", "#no-cloze-filter-on-cloze-note-type")
ACTIVE_CLOZE = re.compile(r'<span class="cloze" data-cloze="[^"]*" data-ordinal="([\d,]+)">')


def add_notetypes(col: Collection, notetypes: dict, failures: list[str]) -> dict:
    """Add every note type as Anki would read it from a package; return key -> Anki's dict."""
    added = {}
    for key, schema11 in notetypes.items():
        nt = copy.deepcopy(schema11)
        nt["id"] = 0  # a fresh id: the collection must not depend on ours being free
        try:
            ntid = col.models.add_dict(nt).id
        except Exception as err:  # noqa: BLE001 - Anki's refusal is the finding
            failures.append(f"{key}: Anki refused the note type: {err}")
            continue
        got = col.models.get(ntid)
        for what, attr in (("fields", "flds"), ("templates", "tmpls")):
            ours = [x["name"] for x in schema11[attr]]
            anki = [x["name"] for x in got[attr]]
            if ours != anki:
                failures.append(f"{key}: Anki changed the {what}: {ours} -> {anki}")
        # Anki recomputes the legacy `req` list when it adds a note type: ours must be the same.
        if got["req"] != schema11["req"]:
            failures.append(f"{key}: Anki computes req {got['req']}, ankideck wrote {schema11['req']}")
        if got["type"] != schema11["type"]:
            failures.append(f"{key}: Anki changed the type {schema11['type']} -> {got['type']}")
        added[key] = got
    return added


def check_case(col: Collection, notetype: dict, case: dict) -> str | None:
    """Add the case's note; None if Anki created exactly the expected cards, else why not."""
    note = col.new_note(notetype)
    names = [f["name"] for f in notetype["flds"]]
    for name, value in case["fields"].items():
        if name not in names:
            return f"the fixture names a field {name!r} the note type lacks"
        note[name] = value
    note.tags = list(case.get("tags", []))
    col.add_note(note, 1)
    ords = sorted(card.ord for card in note.cards())
    distinct = sorted(set(ords))
    if distinct != case["expect"]:
        return f"expected ordinals {case['expect']}, Anki created {ords}"
    if len(ords) != len(distinct) and not case.get("anki_adds_duplicates"):
        return f"Anki created a duplicate ordinal: {ords}"
    if len(ords) == len(distinct) and case.get("anki_adds_duplicates"):
        return f"the fixture says Anki duplicates an ordinal, it did not: {ords}"
    for card in note.cards():
        hides = notetype["type"] == 1 and card.ord not in case.get("hides_nothing", [])
        problem = check_rendered(card, hides, case.get("blank", False))
        if problem:
            return f"card {card.ord + 1}: {problem}"
    return None


def check_rendered(card, hides: bool, blank: bool) -> str | None:
    """The card renders without a template error, is blank exactly when the case says so, and a
    cloze card's question hides exactly its own deletions (`hides`) or nothing."""
    question, answer = card.question(), card.answer()
    if TEMPLATE_ERROR in question or TEMPLATE_ERROR in answer:
        return "Anki reports a template error"
    if any(link in question for link in BLANK) != blank:
        return f"Anki shows it {'not ' if blank else ''}blank"
    active = ACTIVE_CLOZE.findall(question)
    number = str(card.ord + 1)
    if hides and not blank:
        if not active or any(number not in ords.split(",") for ords in active):
            return f"the question hides {active}, not deletion {number}"
    elif active:
        return f"the question hides {active}, expected nothing hidden"
    return None


def check_refusals(col: Collection, notetypes: dict, refusals: list[dict], failures: list[str]) -> int:
    """Each refusal: a custom note type with one template side replaced; Anki must refuse it, as
    ankideck does (src/notetype/fixture_tests.rs). Return how many Anki refused."""
    refused = 0
    for refusal in refusals:
        nt = copy.deepcopy(notetypes[refusal["notetype"]])
        nt["id"] = 0
        nt["name"] += " (refused)"
        nt["tmpls"][refusal["template"]][refusal["side"]] = refusal["text"]
        try:
            col.models.add_dict(nt)
        except Exception:  # noqa: BLE001 - any refusal will do; its wording is Anki's
            refused += 1
        else:
            failures.append(f"refusal {refusal['why']}: Anki accepted the note type")
    return refused


def run() -> tuple[int, list[str]]:
    """Run every case in a fresh collection; return (cases passed, failures)."""
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    failures: list[str] = []
    passed = 0
    with tempfile.TemporaryDirectory(prefix="ankideck-cardgen-") as tmp:
        col = Collection(str(Path(tmp) / "collection.anki2"))
        try:
            notetypes = add_notetypes(col, fixture["notetypes"], failures)
            for case in fixture["cases"]:
                notetype = notetypes.get(case["notetype"])
                if notetype is None:
                    failures.append(f"{case['why']}: note type {case['notetype']!r} missing")
                    continue
                problem = check_case(col, notetype, case)
                if problem:
                    failures.append(f"{case['why']}: {problem}")
                else:
                    passed += 1
            passed += check_refusals(col, fixture["notetypes"], fixture["refusals"], failures)
        finally:
            col.close()
    return passed, failures


def main() -> int:
    passed, failures = run()
    print(f"cardgen: {passed} cases and refusals as Anki has them, {len(failures)} failed")
    for failure in failures:
        print(f"  FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
