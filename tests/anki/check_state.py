"""Real-Anki check of moved cards under `subdecks` (issue 11): Anki's importer keeps an existing
card in the deck it is in, so when `subdecks` is turned on or off, a card changes section, or the
deck is renamed through `name`, the build report says how many cards are where, and the search
that selects them for Cards > Change Deck. After each reimport the cards are exactly where the
report says (its "from" decks), and following its searches puts every card in the deck the
package gives it, with its review history.

Run from check.py (`run_every_check`): check_state(report, binary, work).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from check import BUILD_SPACING_S, build_args, check_integrity, counts, counts_zero, import_apkg
from anki.collection import Collection

TITLE = "Alpha Flashcards\n"


def deck_text(sections: list[tuple[str, list[str]]]) -> str:
    """A deck file: each (heading, fronts) section's cards, each answered by its own front."""
    text = TITLE
    for heading, fronts in sections:
        for front in fronts:
            text += f"\n{heading}\n{front}\nThe answer to {front.lower()}\n"
    return text


FARMS = ["Which crop grew best on the plain?", "Which farm kept the most cattle?"]
ARMIES = ["Which army crossed the river first?", "Which general led the reserve?"]


def build(binary: Path, project: Path) -> str:
    """Builds at the real clock; returns stderr (the report)."""
    import subprocess  # noqa: PLC0415
    import os  # noqa: PLC0415

    env = {k: v for k, v in os.environ.items() if not k.startswith("ANKIDECK_") and k != "SOURCE_DATE_EPOCH"}
    proc = subprocess.run([str(binary), *build_args()], cwd=project, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ankideck build exited {proc.returncode}:\n{proc.stderr}")
    return proc.stderr


def moves_of(report_text: str) -> tuple[list[tuple[int, str, str]], dict[str, str]]:
    """What the report says of moved cards: (cards, from, to) groups and each target deck's search."""
    lines = report_text.splitlines()
    groups: list[tuple[int, str, str]] = []
    searches: dict[str, str] = {}
    single = None
    for i, line in enumerate(lines):
        if m := re.fullmatch(r' {4}to move them to "(.*)": in Anki, open Browse, .*Change Deck', line):
            single = m.group(1)
            searches[single] = lines[i + 1].strip()
        elif m := re.fullmatch(r' {6}"(.*)":', line):
            searches[m.group(1)] = lines[i + 1].strip()
    for line in lines:
        if m := re.fullmatch(r' {6}([\d,]+) from "(.*)" to "(.*)"', line):
            groups.append((int(m.group(1).replace(",", "")), m.group(2), m.group(3)))
        elif m := re.fullmatch(r' {6}([\d,]+) from "(.*)"', line):
            groups.append((int(m.group(1).replace(",", "")), m.group(2), single))
    return groups, searches


def decks_of_cards(col: Collection) -> Counter:
    """How many cards each deck of the collection holds."""
    return Counter(col.decks.name(col.get_card(cid).did) for cid in col.find_cards(""))


def follow(report, col: Collection, name: str, report_text: str, before: Counter, after: Counter) -> None:
    """After the reimport, the cards are where the report says (`before`); following its searches
    (Browse, search, select all, Change Deck) puts them where the package does (`after`)."""
    groups, searches = moves_of(report_text)
    report.check(f"{name}: the report names the moved cards", bool(groups), report_text)
    report.equal(f"{name}: after reimport the cards are where they were", decks_of_cards(col), before)
    for cards, old, new in groups:
        found = col.find_cards(searches.get(new, "nid:0"))
        in_old = [cid for cid in found if col.decks.name(col.get_card(cid).did) == old]
        report.equal(f"{name}: {cards} card(s) in {old!r}, as the report says", len(in_old), cards)
    reviewed = {cid: col.get_card(cid).reps for cid in col.find_cards("")}
    for target, search in searches.items():
        col.set_deck(col.find_cards(search), col.decks.id(target))
    report.equal(f"{name}: following the searches puts each card in its deck", decks_of_cards(col), after)
    report.equal(f"{name}: every card keeps its id and review history",
                 {cid: col.get_card(cid).reps for cid in col.find_cards("")}, reviewed)


def check_state(report, binary: Path, work: Path) -> None:
    """Subdecks turned on, a card moved to another section, the deck renamed, subdecks off."""
    project = work / "state-project"
    source = project / "source-cards"
    source.mkdir(parents=True)
    (source / "a.txt").write_text(deck_text([("FARMS", FARMS), ("ARMIES", ARMIES)]), encoding="utf-8")
    build(binary, project)
    (work / "state-col").mkdir()
    col = Collection(str(work / "state-col" / "x.anki2"))
    try:
        report.equal("state: first import", counts(import_apkg(col, project / "out" / "a.apkg")), counts_zero(new=4))
        # Some review history, to see that it stays with the cards.
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            card.reps = 3
            col.update_card(card)

        time.sleep(BUILD_SPACING_S)
        (project / "ankideck.toml").write_text("[defaults]\nsubdecks = true\n", encoding="utf-8")
        said = build(binary, project)
        import_apkg(col, project / "out" / "a.apkg")
        follow(report, col, "state: subdecks on", said, Counter({"Alpha": 4}),
               Counter({"Alpha::FARMS": 2, "Alpha::ARMIES": 2}))

        time.sleep(BUILD_SPACING_S)
        (source / "a.txt").write_text(deck_text([("FARMS", FARMS[:1]), ("ARMIES", FARMS[1:] + ARMIES)]), encoding="utf-8")
        said = build(binary, project)
        log = counts(import_apkg(col, project / "out" / "a.apkg"))
        report.equal("state: a card moved to another section imports as an update", log, counts_zero(updated=1, duplicate=3))
        follow(report, col, "state: a card moved to another section", said,
               Counter({"Alpha::FARMS": 2, "Alpha::ARMIES": 2}), Counter({"Alpha::FARMS": 1, "Alpha::ARMIES": 3}))

        time.sleep(BUILD_SPACING_S)
        (project / "ankideck.toml").write_text('[defaults]\nsubdecks = true\n[decks.a]\nname = "History::Alpha"\n',
                                              encoding="utf-8")
        said = build(binary, project)
        import_apkg(col, project / "out" / "a.apkg")
        follow(report, col, "state: deck renamed through name", said,
               Counter({"Alpha::FARMS": 1, "Alpha::ARMIES": 3}),
               Counter({"History::Alpha::FARMS": 1, "History::Alpha::ARMIES": 3}))

        time.sleep(BUILD_SPACING_S)
        (project / "ankideck.toml").write_text('[decks.a]\nname = "History::Alpha"\n', encoding="utf-8")
        said = build(binary, project)
        import_apkg(col, project / "out" / "a.apkg")
        follow(report, col, "state: subdecks off", said,
               Counter({"History::Alpha::FARMS": 1, "History::Alpha::ARMIES": 3}), Counter({"History::Alpha": 4}))
        check_integrity(report, col, "state: fix_integrity after the moves")
    finally:
        col.close()
