"""Identity scenarios of issue 9, measured in real Anki.

Each scenario builds version 1 of a small project with the release binary, imports it into a
fresh collection, reviews cards with Anki's scheduler, changes the sources to version 2 the way a
user does (edit, move, split, rename, swap, a damaged lock, a build without --csv after one with
it, template cards replaced by others, a parallel deck, a move into a file with an error, a git
revert, an older lock checked out), builds again with a later SOURCE_DATE_EPOCH, imports into the
same collection, runs Check Database and counts:

- duplicates: notes the v2 import added for a card that already existed in v1;
- stolen: reviewed v1 notes that now show a different card's text;
- lost updates: edited cards whose v1 note did not get the new text.

The truth is in the scenario itself: every card has a key, and a card of v2 is the same card as
the card of v1 with the same key (edited when its text differs). Keys never reach the sources:
the binary sees only text. Cards are found in Anki by their exact fields, so every card text in
a scenario is unique.

Every scenario runs four times, its decks written as `.txt`, as Markdown (`.md`: `# title`,
`## section`, `Q:` / `A:`), as CSV (a header row `Front,Back,Section`, the deck's name in
ankideck.toml) and as TSV (Anki's `#deck:` and `#columns:` header lines), a row per card;
only the card that breaks scenario 12's build differs in its syntax and error. Scenario 15
saves the same cards in another syntax of each format; scenario 16 pins ids, which only
Markdown and tables can write, and 21 takes them out again: their `.txt` runs are skipped,
with the reason printed; scenario 17 sorts a deck's cards the other way round and renames a
section; scenario 18 edits a cloze deck (`notetype = "cloze"`, a table's columns `Text`,
`Back Extra`); scenario 22 edits a deck of plain and cloze cards; scenario 19 edits answers of several lines; scenario 20 converts a deck to
another format. Each format runs twice: as a small deck is built (in memory) and with
`--stream-above 0` (every deck built from disk).

Before each scenario's last build, `build --plan --format json` says what importing its
packages will do; after the import, check_plan.py compares it with Anki's import log (new,
updated, duplicate, conflicting), the notes no package touched (removed) and the cards Anki keeps
in another deck (moved), and checks the plan wrote nothing.

check.py calls `run_all`; the helpers below come from it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from anki.collection import Collection

import check_plan
from check import Report, check_no_temp_files, counts, expected_note, import_apkg, import_csv, parse_source

# Build times: v1 and v2 a day apart, both fixed so that every run writes the same bytes.
EPOCH_V0 = 1_700_000_000
EPOCH_V1 = EPOCH_V0 + 86_400
EPOCH_V2 = EPOCH_V1 + 86_400


@dataclass(frozen=True)
class Card:
    """One card of a scenario: `key` is its identity, the rest is what the source says."""

    key: str
    section: str
    front: str
    back: str
    # The id the source pins the card's note with (Markdown `<!-- id: … -->`, a CSV `Guid`
    # cell), if any: how the card is written, not what Anki shows.
    pin: str = field(default="", compare=False)

    def fields(self) -> tuple[str, ...]:
        """The note fields Anki must show for this card."""
        # A side of several lines is written so in every format; Anki shows them joined by <br>.
        card = {"section": self.section, "front": self.front.split("\n"), "back": self.back.split("\n")}
        return tuple(expected_note(card)["fields"])


# A deck file: (title, cards). Sources: file stem -> deck file.
Deck = tuple[str, list[Card]]
Sources = dict[str, Deck]

_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "vo", "ze", "pa", "du", "fe", "go", "hi", "ju", "bo"]


def pseudo_word(n: int) -> str:
    """A distinct made-up word for every n >= 0 (three or more syllables)."""
    out = []
    for _ in range(3):
        out.append(_SYLLABLES[n % 16])
        n //= 16
    while n:
        out.append(_SYLLABLES[n % 16])
        n //= 16
    return "".join(out)


def vocab(key: str, language: str, n: int) -> Card:
    """A template vocabulary card: every card of a language has the same front but one word,
    and its own one-word answer, like `What is the German word for dog` / `Hund.`."""
    section = f"{language.upper()} WORDS"
    return Card(key, section, f"What is the {language} word for {pseudo_word(n)}",
                f"{pseudo_word(n + 50_000).capitalize()}.")


def vocab_deck(prefix: str, language: str, start: int, count: int) -> list[Card]:
    """`count` vocabulary cards with keys prefix0, prefix1, ... and words from `start` on."""
    return [vocab(f"{prefix}{i}", language, start + i) for i in range(count)]


# ---------------------------------------------------------------- deck files by format

# The format every Project writes its decks in: run_all runs every scenario once per format.
FORMATS = ("txt", "md", "csv", "tsv")
FORMAT = "txt"
# Added to every build: run_all runs every format once more with `--stream-above 0`, every deck
# built from disk (the path of large decks).
BUILD_ARGS: tuple[str, ...] = ()
DECK_SUFFIXES = {f".{f}" for f in FORMATS}


def deck_text(title: str, cards: list[Card], restyled: bool = False, notetype: str = "basic",
              fmt: str = "txt") -> str:
    """A deck file of `cards` named `title`, in the syntax of `fmt` (docs/format.md);
    `restyled`: the same cards written otherwise, as an editor or a spreadsheet may save them
    (CRLF, other blank lines and quoting, a byte-order mark, columns in another order)."""
    if fmt == "md":
        text = _markdown_deck(title, cards, restyled)
    elif fmt in ("csv", "tsv"):
        # A table's columns are named after the note type's fields.
        first, second = ("Text", "Back Extra") if notetype == "cloze" else ("Front", "Back")
        columns = ["Section", second, first] if restyled else [first, second, "Section"]
        columns += ["Guid"] if any(c.pin for c in cards) else []
        separator = "," if fmt == "csv" else "\t"
        # A .csv deck starts with a header row as a user writes it; a .tsv deck with Anki's
        # `#` header lines, as an export from Anki or `ankideck build --csv` does.
        header = _csv_row_of(columns, False, separator) if fmt == "csv" else _csv_header(title, columns, separator)
        text = header + "".join(_csv_row(c, columns, restyled, separator) for c in cards)
    else:
        text = _text_deck(title, cards, restyled)
    return ("\ufeff" + text.replace("\n", "\r\n")) if restyled else text


def _text_deck(title: str, cards: list[Card], restyled: bool) -> str:
    """The text format: a title line, then per card its section line, front and back
    (restyled: two blank lines between cards)."""
    lines = [f"{title} Flashcards"]
    for card in cards:
        # The front stops mid-sentence, which ends it; `---` only where it does not.
        separator = ["---"] if card.front.rstrip("\"')]»’”").endswith((".", "!", "?", "…")) else []
        lines += ["", *([""] if restyled else []), card.section, card.front, *separator, card.back]
    return "\n".join(lines) + "\n"


def _markdown_deck(title: str, cards: list[Card], restyled: bool) -> str:
    """Markdown: `# title`, a `## section` heading where the section changes, `Q:` / `A:`
    (restyled: a heading above every card, each side on the line below its `Q:` / `A:`).
    Scenario texts hold no Markdown syntax, so each side renders to its own text."""
    lines = [f"# {title}"]
    section = None
    for card in cards:
        if card.section != section or restyled:
            lines += ["", f"## {card.section}"]
            section = card.section
        if restyled:
            lines += ["", "Q:", card.front, "", "A:", card.back]
        else:
            lines += ["", f"Q: {card.front}", f"A: {card.back}"]
        if card.pin:
            lines.append(f"<!-- id: {card.pin} -->")
    return "\n".join(lines) + "\n"


def _csv_header(title: str, columns: list[str], separator: str) -> str:
    """A table's header as Anki's `#` lines: the separator, the deck's name (a table is
    otherwise named after its file or the settings, and scenarios rename decks), the columns."""
    name = "comma" if separator == "," else "tab"
    return f"#separator:{name}\n#deck:{title}\n#columns:{separator.join(columns)}\n"


def _csv_row(card: Card, columns: list[str], restyled: bool, separator: str) -> str:
    """One RFC 4180 row, quoted where a cell needs it (restyled: every cell quoted)."""
    cells = {"Front": card.front, "Text": card.front, "Back": card.back, "Back Extra": card.back,
             "Section": card.section, "Guid": card.pin}
    return _csv_row_of([cells[c] for c in columns], restyled, separator)


def _csv_row_of(cells: list[str], quote_all: bool, separator: str) -> str:
    """RFC 4180: cells quoted where they need it, or all of them."""
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(out, delimiter=separator, lineterminator="\n", quoting=quoting).writerow(cells)
    return out.getvalue()


# ---------------------------------------------------------------- the project

class Project:
    """A temp project driven through the release binary; every build is checked for leftovers."""

    def __init__(self, report: Report, binary: Path, root: Path, tag: str, notetype: str = "basic") -> None:
        self.report, self.binary, self.root, self.tag = report, binary, root, tag
        (root / "source-cards").mkdir(parents=True)
        # The note type of every deck (ankideck.toml's defaults): `basic` or `cloze`.
        self.notetype = notetype
        self.builds = 0
        # Write the decks in the other, equivalent syntax of the format (scenario 15).
        self.restyled = False
        # Write the decks in this format instead of the run's (scenario 20).
        self.format: str | None = None

    def write(self, sources: Sources) -> None:
        """Make source-cards/ hold exactly these deck files, in the format of this run, and
        ankideck.toml the settings they need: the note type, and the names of `.csv` decks
        (written with a plain header row, so named by the settings; `.tsv` decks name
        themselves in Anki's `#deck:` header line)."""
        fmt = self.format or FORMAT
        settings = [f'[defaults]\nnotetype = "{self.notetype}"\n'] if self.notetype != "basic" else []
        if fmt == "csv":
            settings += [f"[decks.{stem}]\nname = {json.dumps(title)}\n" for stem, (title, _) in sources.items()]
        toml = self.root / "ankideck.toml"
        if settings:
            toml.write_text("\n".join(settings), encoding="utf-8")
        elif toml.exists():
            toml.unlink()
        for old in (self.root / "source-cards").glob("*.*"):
            if old.suffix in DECK_SUFFIXES:
                old.unlink()
        for stem, (title, cards) in sources.items():
            text = deck_text(title, cards, self.restyled, self.notetype, self.format or FORMAT)
            self.deck_path(stem).write_bytes(text.encode("utf-8"))

    def deck_path(self, stem: str) -> Path:
        """The deck file `stem` in the format of this run."""
        return self.root / "source-cards" / f"{stem}.{self.format or FORMAT}"

    def build(self, sources: Sources, epoch: int, args: tuple[str, ...] = ()) -> str:
        """Build at a fixed time; check the binary read the cards as written and left no
        temporary file behind; return what the build printed (on stderr)."""
        self.builds += 1
        name = f"{self.tag}: build {self.builds}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANKIDECK_") and k != "SOURCE_DATE_EPOCH"}
        env["SOURCE_DATE_EPOCH"] = str(epoch)
        proc = subprocess.run([str(self.binary), "build", "--out", "out", *BUILD_ARGS, *args], cwd=self.root, env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{name}: ankideck build exited {proc.returncode}:\n{proc.stderr}")
        parsed = parse_source(self.binary, self.root)
        # A text deck's side is its lines; a Markdown or CSV side is one HTML string whose line
        # breaks are <br> (scenario texts hold nothing else HTML would change).
        got = {stem: (deck["name"], [(c["section"], "<br>".join(c["front"]), "<br>".join(c["back"]))
                                    for c in deck["cards"]])
               for stem, deck in parsed.items()}
        want = {stem: (title, [(c.section, c.front.replace("\n", "<br>"), c.back.replace("\n", "<br>"))
                                  for c in cards])
                for stem, (title, cards) in sources.items()}
        self.report.equal(f"{name}: sources parsed as written", got, want)
        check_no_temp_files(self.report, self.root, name)
        return proc.stderr

    def package(self, stem: str) -> Path:
        """The package of the deck file `stem`."""
        return self.root / "out" / f"{stem}.apkg"

    def plan(self, epoch: int) -> dict:
        """`build --plan --format json` as the next build at `epoch` runs (check_plan.py)."""
        return check_plan.plan(self.report, self.binary, self.root, epoch, BUILD_ARGS, f"{self.tag}: plan")


def import_planned(report: Report, col: Collection, project: Project, sources: Sources, planned: dict,
                   tag: str) -> dict[str, int]:
    """`import_all`, and the plan made before the build compared with what the packages' import did
    (check_plan.py)."""
    before = set(col.find_notes(""))
    logs: list = []
    total = import_all(col, project, sources, logs)
    check_plan.compare(report, tag, planned, col, before, logs, [project.package(stem) for stem in sorted(sources)])
    return total


# ---------------------------------------------------------------- Anki side

def import_all(col: Collection, project: Project, sources: Sources, apkg_logs: list | None = None) -> dict[str, int]:
    """Import the package of every deck of `sources` (not stale ones of deleted decks), then its
    CSV where out/ has one, as a user who imports what out/ holds; return the summed import log
    counts (and add the packages' own logs to `apkg_logs`)."""
    total: dict[str, int] = {}
    logs = [import_apkg(col, project.package(stem)) for stem in sorted(sources)]
    if apkg_logs is not None:
        apkg_logs.extend(logs)
    csvs = [project.root / "out" / f"{stem}.csv" for stem in sorted(sources)]
    logs += [import_csv(col, csv) for csv in csvs if csv.exists()]
    for log in logs:
        for key, value in counts(log).items():
            total[key] = total.get(key, 0) + value
    return total


def all_cards(sources: Sources) -> dict[str, Card]:
    """Every card of the sources by key; keys and texts must be unique within a version."""
    cards = {c.key: c for _, deck in sources.values() for c in deck}
    texts = {c.fields() for c in cards.values()}
    assert len(cards) == len(texts) == sum(len(deck) for _, deck in sources.values()), "scenario cards not unique"
    return cards


def notes_by_fields(col: Collection) -> dict[tuple[str, ...], list[int]]:
    """Note ids of the collection by their fields."""
    found: dict[tuple[str, ...], list[int]] = {}
    for nid in col.find_notes(""):
        found.setdefault(tuple(col.get_note(nid).fields), []).append(nid)
    return found


def review(report: Report, col: Collection, nids: list[int], tag: str) -> set[int]:
    """Answer each note's card Easy with the scheduler (a revlog row; the card becomes a review
    card) and confirm that Anki counts it as reviewed; return the card ids."""
    cids = [cid for nid in nids for cid in col.get_note(nid).card_ids()]
    for cid in cids:
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 4)
    # Answers faster than a person's share a millisecond, so Anki moves their revlog ids on, at
    # times into the next second, past the card's own last review time; Check Database would then
    # "fix" that. Settle it now, so that the check after the v2 import judges the import alone.
    col.fix_integrity()
    # rated:2 (today or yesterday): a run that crosses Anki's day cutoff still finds them.
    rated = set(col.find_cards("rated:2"))
    reviews = set(col.find_cards("is:review"))
    report.check(f"{tag}: reviewed cards count as reviewed in Anki (rated:2, is:review)", set(cids) <= rated & reviews,
                 f"{len(set(cids) - rated)} not rated, {len(set(cids) - reviews)} not review cards")
    return set(cids)


@dataclass
class Outcome:
    """What the v2 import did, by card key."""

    cards: int
    new_notes: int
    expected_new: int
    updated: int
    duplicates: list[str]
    stolen: list[str]
    lost_updates: list[str]
    history_kept: int
    history_expected: int
    missing: list[str]


def measure(col: Collection, v1: dict[str, Card], v1_nids: dict[str, int], reviewed: set[int],
            v2: dict[str, Card], log: dict[str, int]) -> Outcome:
    """Compare the collection after the v2 import with the truth of the scenario."""
    by_fields = notes_by_fields(col)
    fields_of = {nid: f for f, nids in by_fields.items() for nid in nids}
    new_nids = set(fields_of) - set(v1_nids.values())
    same = [k for k in v2 if k in v1]
    duplicates = sorted(k for k in same if any(n in new_nids for n in by_fields.get(v2[k].fields(), [])))
    reviewed_keys = [k for k, nid in v1_nids.items() if set(col.get_note(nid).card_ids()) & reviewed]
    own = {k: {v1[k].fields(), v2[k].fields() if k in v2 else None} for k in v1}
    stolen = sorted(k for k in reviewed_keys if fields_of[v1_nids[k]] not in own[k])
    lost = sorted(k for k in same if v1[k] != v2[k] and fields_of[v1_nids[k]] != v2[k].fields())
    missing = sorted(k for k in v2 if v2[k].fields() not in by_fields)
    with_history = set(col.db.list("select distinct cid from revlog"))
    kept_keys = [k for k in reviewed_keys if k in v2]
    # Kept: the v2 text is on the reviewed v1 note and on no other note (a duplicate would be the
    # card the user studies from now on, without the history), and the reviews are still there:
    # the note's reviewed cards are still its cards, with their revlog (a card the edit added,
    # for a new cloze deletion, has none yet).
    kept = sum(1 for k in kept_keys if by_fields.get(v2[k].fields()) == [v1_nids[k]]
               and set(col.get_note(v1_nids[k]).card_ids()) & reviewed
               and set(col.get_note(v1_nids[k]).card_ids()) & reviewed <= with_history)
    return Outcome(len(v2), len(new_nids), sum(1 for k in v2 if k not in v1), log.get("updated", 0),
                   duplicates, stolen, lost, kept, len(kept_keys), missing)


# (tag, outcome) of every scenario run so far, for the summary table.
RESULTS: list[tuple[str, Outcome]] = []


def print_table(name: str, *outcomes: tuple[str, Outcome]) -> None:
    """Scenario numbers in a small table, one row per scenario."""
    head = ("scenario", "cards", "new notes", "expected new", "updated", "duplicates", "stolen",
            "lost updates", "history kept")
    rows = [(tag, out.cards, out.new_notes, out.expected_new, out.updated, len(out.duplicates), len(out.stolen),
             len(out.lost_updates), f"{out.history_kept}/{out.history_expected}") for tag, out in outcomes]
    widths = [max(len(str(x)) for x in column) for column in zip(head, *rows)]
    print(f"    {name}")
    for row in (head, *rows):
        print("    | " + " | ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                                   for i, (v, w) in enumerate(zip(row, widths))) + " |")


def judge(report: Report, tag: str, out: Outcome, updated: int | None = None) -> None:
    """Fail on any duplicate, stolen history or lost update; optionally on the update count."""
    show = lambda keys: f"{len(keys)}: {keys[:8]}{' ...' if len(keys) > 8 else ''}"  # noqa: E731
    report.check(f"{tag}: 0 duplicates", not out.duplicates, show(out.duplicates))
    report.check(f"{tag}: 0 stolen histories", not out.stolen, show(out.stolen))
    report.check(f"{tag}: 0 lost updates", not out.lost_updates, show(out.lost_updates))
    report.check(f"{tag}: every v2 card is in Anki", not out.missing, show(out.missing))
    report.equal(f"{tag}: new notes are exactly the new cards", out.new_notes, out.expected_new)
    report.equal(f"{tag}: reviewed cards in v2 keep note and history", out.history_kept, out.history_expected)
    if updated is not None:
        report.equal(f"{tag}: notes updated in place (import log)", out.updated, updated)


def run_scenario(report: Report, binary: Path, work: Path, tag: str, v1_sources: Sources, v2_sources: Sources,
                 reviewed_keys: set[str] | None = None, between=None, before_v1=None,
                 updated: int | None = None, v1_args: tuple[str, ...] = (), notetype: str = "basic",
                 after=None) -> Outcome | None:
    """Build v1 (with `v1_args`), import, review (`reviewed_keys`, default all), run
    `between(project)`, build v2, import into the same collection, Check Database, measure, print
    and judge; every deck is of `notetype`; `after(col, v1_nids)` checks more before the
    collection closes."""
    project = Project(report, binary, work / "project", tag, notetype)
    if before_v1 is not None:
        before_v1(project)
    v1, v2 = all_cards(v1_sources), all_cards(v2_sources)
    project.write(v1_sources)
    project.build(v1_sources, EPOCH_V1, v1_args)
    col = Collection(str(work / "collection.anki2"))
    try:
        log1 = import_all(col, project, v1_sources)
        report.equal(f"{tag}: v1 import adds every card", log1.get("new"), len(v1))
        by_fields = notes_by_fields(col)
        v1_nids = {k: by_fields[c.fields()][0] for k, c in v1.items() if len(by_fields.get(c.fields(), [])) == 1}
        if not report.equal(f"{tag}: v1 cards found in Anki", len(v1_nids), len(v1)):
            return None
        keys = sorted(v1) if reviewed_keys is None else sorted(reviewed_keys)
        reviewed = review(report, col, [v1_nids[k] for k in keys], f"{tag} v1")
        if between is not None:
            between(project)
        project.write(v2_sources)
        planned = project.plan(EPOCH_V2)
        printed = project.build(v2_sources, EPOCH_V2)
        lines = printed.splitlines()[1:]
        shown = lines if len(lines) <= 16 else [*lines[:12], f"... ({len(lines) - 14} lines more)", *lines[-2:]]
        print("    v2 build:\n" + "".join(f"      {line[:160]}\n" for line in shown), end="")
        log2 = import_planned(report, col, project, v2_sources, planned, tag)
        print(f"    v2 import log: { {k: v for k, v in log2.items() if v} }")
        message, ok = col.fix_integrity()
        report.check(f"{tag}: Check Database after the v2 import", ok, repr(message))
        out = measure(col, v1, v1_nids, reviewed, v2, log2)
        if after is not None:
            after(col, v1_nids)
    finally:
        col.close()
    print_table(tag, (tag, out))
    judge(report, tag, out, updated)
    RESULTS.append((tag, out))
    return out


# ---------------------------------------------------------------- scenarios

_ANIMALS = [("dog", "Hund"), ("horse", "Pferd"), ("cow", "Kuh"), ("bird", "Vogel"), ("fish", "Fisch"),
            ("mouse", "Maus"), ("pig", "Schwein"), ("sheep", "Schaf"), ("goat", "Ziege"), ("chicken", "Huhn")]


def german(animal: str, word: str) -> Card:
    """`What is the German word for dog` / `Hund.`"""
    return Card(animal, "ANIMALS", f"What is the German word for {animal}", f"{word}.")


def scenario_replaced_answer(report: Report, binary: Path, work: Path) -> None:
    """1. A vocabulary card replaced by another (dog -> cat): a new card, the reviewed dog note
    keeps its text and history."""
    v1 = [german(a, w) for a, w in _ANIMALS]
    v2 = [german("cat", "Katze") if c.key == "dog" else c for c in v1]
    run_scenario(report, binary, work, "1 replaced answer (dog -> cat)",
                 {"german": ("GERMAN ANIMALS", v1)}, {"german": ("GERMAN ANIMALS", v2)}, updated=0)


def scenario_moved_cards(report: Report, binary: Path, work: Path) -> None:
    """2. 20 cards moved from one deck file to another."""
    a, b = vocab_deck("a", "Veltish", 0, 40), vocab_deck("b", "Dorish", 1000, 40)
    run_scenario(report, binary, work, "2 20 cards moved between files",
                 {"a": ("VELTISH", a), "b": ("DORISH", b)},
                 {"a": ("VELTISH", a[:20]), "b": ("DORISH", b + a[20:])})


def chronicle(key: str, n: int, typo: bool = False) -> Card:
    """A card of long sentences; `typo` misspells one word of the back."""
    ruled = "rulled" if typo else "ruled"
    return Card(key, "CHRONICLES", f"The {pseudo_word(n)} chronicle says that the town of "
                f"{pseudo_word(n + 1).capitalize()} was founded by",
                f"{pseudo_word(n + 2).capitalize()} the Elder, who {ruled} it for {n % 40 + 10} years.")


def scenario_moved_and_fixed(report: Report, binary: Path, work: Path) -> None:
    """2b. 10 cards moved to another file, 5 of them with a typo fixed on the way: the moved
    cards keep their notes, the fixed ones are updated in place."""
    a = [chronicle(f"a{i}", 10 * i, typo=i >= 15) for i in range(20)]
    b = [chronicle(f"b{i}", 10 * i + 1000) for i in range(20)]
    moved = [chronicle(c.key, 10 * int(c.key[1:])) for c in a[10:]]
    run_scenario(report, binary, work, "2b 10 cards moved, 5 of them fixed",
                 {"a": ("CHRONICLES A", a), "b": ("CHRONICLES B", b)},
                 {"a": ("CHRONICLES A", a[:10]), "b": ("CHRONICLES B", b + moved)}, updated=5)


def scenario_split_file(report: Report, binary: Path, work: Path) -> None:
    """3. A file of 50 cards split into two new files."""
    cards = vocab_deck("v", "Veltish", 0, 50)
    run_scenario(report, binary, work, "3 file split in two",
                 {"veltish": ("VELTISH VOCABULARY", cards)},
                 {"veltish-1": ("VELTISH VOCABULARY PART ONE", cards[:25]),
                  "veltish-2": ("VELTISH VOCABULARY PART TWO", cards[25:])})


def scenario_renamed_retitled(report: Report, binary: Path, work: Path) -> None:
    """4. A file renamed and its title changed in the same commit."""
    cards = vocab_deck("v", "Veltish", 0, 100)
    run_scenario(report, binary, work, "4 file renamed and retitled",
                 {"veltish": ("VELTISH", cards)}, {"veltish-words": ("VELTISH WORDS", cards)})


def scenario_swapped_files(report: Report, binary: Path, work: Path) -> None:
    """5. Two files swap names (each keeps its title and cards)."""
    a, b = vocab_deck("a", "Veltish", 0, 100), vocab_deck("b", "Veltish", 1000, 100)
    run_scenario(report, binary, work, "5 two files swap names",
                 {"one": ("VELTISH ONE", a), "two": ("VELTISH TWO", b)},
                 {"one": ("VELTISH TWO", b), "two": ("VELTISH ONE", a)})


_FACTS = [
    ("The river that flows through the centre of Paris is called the", "Seine, which rises on the Langres plateua."),
    ("The head of the NKVD who was replaced by Nikolai Yezhov in 1936 was", "Genrikh Yagoda, later tried and shot."),
    ("The city renamed in honour of the murdered Leningrad Party Secretary was",
     "Kirov, formerly known as Vyatka."),
    ("The first Five-Year Plan of the Soviet Union was officially declared complete in",
     "December 1932, a year ahead of schedule."),
    ("The cathedral on the Ile de la Cite that burned in April 2019 is", "Notre-Dame de Paris."),
    ("The treaty that ended the First World War with Germany was signed at", "Versailles, in the Hall of Mirrors."),
    ("The Russian revolutionary who led the Red Army in the Civil War was", "Leon Trotsky, exiled in 1929."),
    ("The Soviet leader who denounced Stalin in the Secret Speech of 1956 was",
     "Nikita Khrushchev, at the Twentieth Congress."),
    ("The policy that let peasants sell surplus grain after 1921 was called the", "New Economic Policy, or NEP."),
    ("The famine of 1932 and 1933 in Soviet Ukraine is remembered as the", "Holodomor, death by hunger."),
]


def scenario_control_edits(report: Report, binary: Path, work: Path) -> None:
    """6. Control: a typo fix, a reworded front and a light rewording of both sides update
    their notes in place (same note, new text, history kept); the check can tell an update
    from a new note."""
    v1 = [Card(f"f{i}", "HISTORY", front, back) for i, (front, back) in enumerate(_FACTS)]
    v2 = list(v1)
    v2[0] = Card("f0", "HISTORY", v1[0].front, "Seine, which rises on the Langres plateau.")
    v2[3] = Card("f3", "HISTORY", "The first Five-Year Plan of the USSR was officially declared complete in",
                 v1[3].back)
    v2[5] = Card("f5", "HISTORY", "The treaty that ended the First World War with Germany was signed in",
                 "Versailles, in its Hall of Mirrors.")
    run_scenario(report, binary, work, "6 control: typo fix and light rewordings",
                 {"history": ("HISTORY FACTS", v1)}, {"history": ("HISTORY FACTS", v2)}, updated=3)


def _cut_lock(project: Project, stem: str, lines: int) -> None:
    """Drop the last `lines` note lines of the deck `stem` from ankideck.lock, at line
    boundaries, as a bad merge or a partial copy would; everything else stays as it is."""
    path = project.root / "ankideck.lock"
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    notes = [i for i, line in enumerate(text) if line.startswith(f"note\t{stem}\t")]
    if len(notes) < lines:
        raise AssertionError(f"ankideck.lock has {len(notes)} note lines of {stem!r}, fewer than {lines} to cut")
    drop = set(notes[-lines:])
    path.write_text("".join(line for i, line in enumerate(text) if i not in drop), encoding="utf-8")


def scenario_cut_lock(report: Report, binary: Path, work: Path) -> None:
    """7. A lock cut at a line boundary (the last 5 note lines of a 100-card deck), the
    package in out/ still there. The 5 cut cards were edited once since they first appeared,
    so their text alone no longer gives their guid."""
    cards = vocab_deck("v", "Veltish", 0, 100)
    first = cards[:95] + [Card(c.key, c.section, c.front.replace(" word ", " term "), c.back) for c in cards[95:]]

    def build_v0(project: Project) -> None:
        sources = {"veltish": ("VELTISH", first)}
        project.write(sources)
        project.build(sources, EPOCH_V0)

    run_scenario(report, binary, work, "7 lock cut at a line boundary",
                 {"veltish": ("VELTISH", cards)}, {"veltish": ("VELTISH", cards)},
                 before_v1=build_v0, between=lambda project: _cut_lock(project, "veltish", 5), updated=0)


def scenario_stale_csv(report: Report, binary: Path, work: Path) -> None:
    """8. v1 built with --csv, v2 (a typo fixed) without: the v1 CSV must not be left in out/
    to be imported after the new package, which would put the typo back."""
    v1 = [Card(f"f{i}", "HISTORY", front, back) for i, (front, back) in enumerate(_FACTS)]
    v2 = [Card("f0", "HISTORY", v1[0].front, "Seine, which rises on the Langres plateau."), *v1[1:]]
    run_scenario(report, binary, work, "8 stale CSV of an earlier --csv build",
                 {"history": ("HISTORY FACTS", v1)}, {"history": ("HISTORY FACTS", v2)}, updated=1,
                 v1_args=("--csv",))


def _lock_section(lock: str, stem: str) -> str:
    """The lines of deck `stem` in lock text: its deck line through its `end` line."""
    lines = lock.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"deck\t{stem}\t"))
    end = next(i for i, line in enumerate(lines) if line.startswith(f"end\t{stem}\t"))
    return "".join(lines[start:end + 1])


def _note_ids(lock: str, stem: str) -> set[str]:
    """The note ids of the note lines of deck `stem` in lock text."""
    return {line.split("\t")[4] for line in lock.splitlines() if line.startswith(f"note\t{stem}\t")}


def scenario_merged_branches(report: Report, binary: Path, work: Path) -> None:
    """9. Two git branches each add a card to a different deck and are built with the same
    SOURCE_DATE_EPOCH: both new notes get the same ids. The user imports both branches' packages
    and reviews every card; the branches are merged (each deck file and lock section from the
    branch that changed it) and built on a fresh clone (no out/), with the new card of the later
    deck fixed: the build succeeds, that note gets new ids, and the import updates the same note
    (by guid), with no duplicate and every history kept."""
    base_a, base_b = vocab_deck("a", "Veltish", 0, 10), vocab_deck("b", "Dorish", 1000, 10)
    new_a, new_b = vocab("a-new", "Veltish", 500), vocab("b-new", "Dorish", 1500)
    base: Sources = {"a": ("VELTISH", base_a), "b": ("DORISH", base_b)}
    branch_a: Sources = {"a": ("VELTISH", base_a + [new_a]), "b": ("DORISH", base_b)}
    branch_b: Sources = {"a": ("VELTISH", base_a), "b": ("DORISH", base_b + [new_b])}
    locks = {}
    for tag, sources in (("A", branch_a), ("B", branch_b)):
        project = Project(report, binary, work / f"branch-{tag}", f"9 branch {tag}")
        project.write(base)
        project.build(base, EPOCH_V0)
        project.write(sources)
        project.build(sources, EPOCH_V1)
        locks[tag] = (project, (project.root / "ankideck.lock").read_text(encoding="utf-8"))
    (project_a, lock_a), (project_b, lock_b) = locks["A"], locks["B"]
    shared = _note_ids(lock_a, "a") & _note_ids(lock_b, "b")
    report.check("9 merged branches: the two branches gave their new notes the same ids", bool(shared),
                 "no clash: the scenario does not test what it should")
    fixed_b = Card(new_b.key, new_b.section, new_b.front, new_b.back.replace(".", "!"))
    merged_sources: Sources = {"a": branch_a["a"], "b": ("DORISH", base_b + [fixed_b])}
    merged = Project(report, binary, work / "merged", "9 merged branches")
    merged.write(merged_sources)
    lock = lock_a.replace(_lock_section(lock_a, "b"), _lock_section(lock_b, "b"))
    (merged.root / "ankideck.lock").write_text(lock, encoding="utf-8")

    v1 = {**all_cards(branch_a), **all_cards(branch_b)}
    v2 = all_cards(merged_sources)
    col = Collection(str(work / "collection.anki2"))
    tag = "9 merged branches with the same ids"
    try:
        log1 = {"new": 0}
        for project, stem in ((project_a, "a"), (project_b, "b")):
            log1["new"] += counts(import_apkg(col, project.package(stem))).get("new", 0)
        # A's deck a and B's deck b: every card once, the two new notes with the same ids.
        report.equal(f"{tag}: both branches' imports add every card once", log1["new"], len(v1))
        by_fields = notes_by_fields(col)
        v1_nids = {k: by_fields[c.fields()][0] for k, c in v1.items() if len(by_fields.get(c.fields(), [])) == 1}
        if not report.equal(f"{tag}: branch cards found in Anki", len(v1_nids), len(v1)):
            return
        reviewed = review(report, col, [v1_nids[k] for k in sorted(v1)], f"{tag} v1")
        planned = merged.plan(EPOCH_V2)
        printed = merged.build(merged_sources, EPOCH_V2)
        print("    merged build:\n" + "".join(f"      {line[:160]}\n" for line in printed.splitlines()[1:]), end="")
        report.check(f"{tag}: the build says the later deck's note gets new ids",
                     "had ids also used in deck `VELTISH`" in printed, printed)
        log2 = import_planned(report, col, merged, merged_sources, planned, tag)
        print(f"    merged import log: { {k: v for k, v in log2.items() if v} }")
        message, ok = col.fix_integrity()
        report.check(f"{tag}: Check Database after the merged import", ok, repr(message))
        out = measure(col, v1, v1_nids, reviewed, v2, log2)
    finally:
        col.close()
    print_table(tag, (tag, out))
    judge(report, tag, out, updated=1)
    RESULTS.append((tag, out))


_CAPITALS = [("France", "Paris", "Seine"), ("Germany", "Berlin", "Spree"), ("Italy", "Rome", "Tiber"),
             ("England", "London", "Thames"), ("Egypt", "Cairo", "Nile"), ("Austria", "Vienna", "Danube")]


def capital(country: str, city: str, river: str) -> Card:
    """A template card: every capital card has the same words but three."""
    return Card(country, "CAPITALS", f"What is the capital city of {country} and on which river does it lie",
                f"The capital of {country} is {city}, which lies on the river {river}.")


def battle(name: str, year: int) -> Card:
    """A template card: every battle card has the same words but two."""
    return Card(name, "BATTLES", f"In which year did the Battle of {name} take place",
                f"The Battle of {name} took place in {year}.")


def scenario_template_replaced(report: Report, binary: Path, work: Path) -> None:
    """10. Template cards replaced by others: France becomes Spain/Madrid/Manzanares (three
    words of each side), and Hastings leaves medieval.txt while modern.txt gains Culloden/1746.
    The new cards are new notes; the reviewed France and Hastings notes keep their text."""
    capitals = [capital(*c) for c in _CAPITALS]
    medieval = [battle(n, y) for n, y in (("Hastings", 1066), ("Bannockburn", 1314), ("Agincourt", 1415),
                                          ("Bosworth", 1485))]
    modern = [battle(n, y) for n, y in (("Blenheim", 1704), ("Trafalgar", 1805), ("Waterloo", 1815))]
    run_scenario(report, binary, work, "10 template cards replaced",
                 {"capitals": ("CAPITALS", capitals), "medieval": ("MEDIEVAL BATTLES", medieval),
                  "modern": ("MODERN BATTLES", modern)},
                 {"capitals": ("CAPITALS", [capital("Spain", "Madrid", "Manzanares"), *capitals[1:]]),
                  "medieval": ("MEDIEVAL BATTLES", medieval[1:]),
                  "modern": ("MODERN BATTLES", [*modern, battle("Culloden", 1746)])}, updated=0)


def scenario_parallel_languages(report: Report, binary: Path, work: Path) -> None:
    """11. Parallel language decks share their prompts: the horse card leaves french.txt and a
    new spanish.txt has `What is the word for horse` / `El caballo.`: a new note, and the
    reviewed French note keeps `Le cheval.`."""
    horse = Card("fr-horse", "ANIMALS", "What is the word for horse", "Le cheval.")
    dog = Card("fr-dog", "ANIMALS", "What is the word for dog", "Le chien.")
    caballo = Card("es-horse", "ANIMALS", "What is the word for horse", "El caballo.")
    run_scenario(report, binary, work, "11 parallel language decks",
                 {"french": ("FRENCH", [horse, dog])},
                 {"french": ("FRENCH", [dog]), "spanish": ("SPANISH", [caballo])}, updated=0)


def scenario_moved_into_error(report: Report, binary: Path, work: Path) -> None:
    """12. A card moved from a.txt into b.txt while b.txt has an error (a card of one line):
    that build exits 1. Then b.txt is fixed (the card gets its answer) and built: the moved
    card keeps its note and history, nothing is duplicated."""
    a, b = vocab_deck("a", "Veltish", 0, 10), vocab_deck("b", "Dorish", 1000, 10)
    broken = vocab("b-broken", "Dorish", 1500)
    v2: Sources = {"a": ("VELTISH", a[:9]), "b": ("DORISH", [*b, a[9]])}

    def build_with_error(project: Project) -> None:
        project.write(v2)
        path = project.deck_path("b")
        # A card without its answer, as each format writes it: E006 (text), E015 (Markdown),
        # E021 (a row of one cell where the header names three) at the card's first line.
        broken_text, code = {"txt": (f"\n{broken.section}\n{broken.front}\n", "E006"),
                             "md": (f"\nQ: {broken.front}\n", "E015"),
                             "csv": (f"{broken.front}\n", "E021"),
                             "tsv": (f"{broken.front}\n", "E021")}[FORMAT]
        with open(path, "a", encoding="utf-8", newline="") as deck:
            deck.write(broken_text)
        front_line = len(path.read_text(encoding="utf-8").splitlines())
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANKIDECK_") and k != "SOURCE_DATE_EPOCH"}
        env["SOURCE_DATE_EPOCH"] = str((EPOCH_V1 + EPOCH_V2) // 2)
        proc = subprocess.run([str(project.binary), "build", "--out", "out", *BUILD_ARGS], cwd=project.root, env=env,
                              capture_output=True, text=True)
        print("    build with the error:\n" + "".join(f"      {line[:160]}\n" for line in proc.stderr.splitlines()),
              end="")
        report.equal("12 moved into a file with an error: the build exits 1", proc.returncode, 1)
        report.check("12 moved into a file with an error: the build names the line of the error",
                     f"b.{FORMAT}:{front_line}:1: error[{code}]" in proc.stderr, proc.stderr)

    run_scenario(report, binary, work, "12 card moved into a file with an error",
                 {"a": ("VELTISH", a), "b": ("DORISH", b)},
                 {"a": v2["a"], "b": ("DORISH", [*b, a[9], broken])}, between=build_with_error)


def scenario_git_revert(report: Report, binary: Path, work: Path) -> None:
    """13. A git revert: v1 built and imported, the cards reviewed; v2 edits one card's front,
    is built and imported (the note updated in place); then the sources and ankideck.lock go
    back to v1's (out/ is not committed, so it stays) and are built and imported: the edited
    note shows v1's text again, with its history."""
    v1 = [Card(f"f{i}", "HISTORY", front, back) for i, (front, back) in enumerate(_FACTS)]
    v2 = list(v1)
    v2[3] = Card("f3", "HISTORY", "The first Five-Year Plan of the USSR was officially declared complete in",
                 v1[3].back)
    v1_sources: Sources = {"history": ("HISTORY FACTS", v1)}
    v2_sources: Sources = {"history": ("HISTORY FACTS", v2)}
    tag = "13 git revert of an edit"
    project = Project(report, binary, work / "project", tag)
    project.write(v1_sources)
    project.build(v1_sources, EPOCH_V1)
    v1_lock = (project.root / "ankideck.lock").read_bytes()
    col = Collection(str(work / "collection.anki2"))
    try:
        log1 = import_all(col, project, v1_sources)
        report.equal(f"{tag}: v1 import adds every card", log1.get("new"), len(v1))
        by_fields = notes_by_fields(col)
        nids = {c.key: by_fields[c.fields()][0] for c in v1 if len(by_fields.get(c.fields(), [])) == 1}
        if not report.equal(f"{tag}: v1 cards found in Anki", len(nids), len(v1)):
            return
        reviewed = review(report, col, [nids[c.key] for c in v1], f"{tag} v1")
        project.write(v2_sources)
        project.build(v2_sources, (EPOCH_V1 + EPOCH_V2) // 2)
        log2 = import_all(col, project, v2_sources)
        report.equal(f"{tag}: the v2 import updates the edited note in place", log2.get("updated"), 1)
        report.equal(f"{tag}: the edited note shows v2's text", tuple(col.get_note(nids["f3"]).fields),
                     v2[3].fields())
        # The revert: sources and lock as committed in v1; out/ keeps the v2 package.
        (project.root / "ankideck.lock").write_bytes(v1_lock)
        project.write(v1_sources)
        planned = project.plan(EPOCH_V2)
        printed = project.build(v1_sources, EPOCH_V2)
        print("    revert build:\n" + "".join(f"      {line[:160]}\n" for line in printed.splitlines()[1:]), end="")
        log3 = import_planned(report, col, project, v1_sources, planned, tag)
        print(f"    revert import log: { {k: v for k, v in log3.items() if v} }")
        message, ok = col.fix_integrity()
        report.check(f"{tag}: Check Database after the revert import", ok, repr(message))
        # Measured from what Anki held before the revert (v2) to the reverted sources (v1).
        out = measure(col, all_cards(v2_sources), nids, reviewed, all_cards(v1_sources), log3)
    finally:
        col.close()
    print_table(tag, (tag, out))
    judge(report, tag, out, updated=1)
    RESULTS.append((tag, out))


def scenario_older_lock_checked_out(report: Report, binary: Path, work: Path) -> None:
    """14. An older lock checked out: v1 built and imported; v2 adds a card, is built and
    imported, every card reviewed; then ankideck.lock alone goes back to v1's (the added card is
    not in it) while the added card's answer is edited. The edit updates the added card's note in
    place: no duplicate, its history kept (found by review: it came back as a new note)."""
    v1 = [Card(f"f{i}", "HISTORY", front, back) for i, (front, back) in enumerate(_FACTS[:-1])]
    added = Card("added", "HISTORY", *_FACTS[-1])
    v2 = [*v1, added]
    v3 = [*v1, Card("added", "HISTORY", added.front, added.back + " (edited)")]
    v1_sources: Sources = {"history": ("HISTORY FACTS", v1)}
    v2_sources: Sources = {"history": ("HISTORY FACTS", v2)}
    v3_sources: Sources = {"history": ("HISTORY FACTS", v3)}
    tag = "14 older lock checked out"
    project = Project(report, binary, work / "project", tag)
    project.write(v1_sources)
    project.build(v1_sources, EPOCH_V0)
    v1_lock = (project.root / "ankideck.lock").read_bytes()
    col = Collection(str(work / "collection.anki2"))
    try:
        import_all(col, project, v1_sources)
        project.write(v2_sources)
        project.build(v2_sources, EPOCH_V1)
        log2 = import_all(col, project, v2_sources)
        report.equal(f"{tag}: the v2 import adds the added card", log2.get("new"), 1)
        by_fields = notes_by_fields(col)
        nids = {c.key: by_fields[c.fields()][0] for c in v2 if len(by_fields.get(c.fields(), [])) == 1}
        if not report.equal(f"{tag}: v2 cards found in Anki", len(nids), len(v2)):
            return
        reviewed = review(report, col, [nids[c.key] for c in v2], f"{tag} v2")
        (project.root / "ankideck.lock").write_bytes(v1_lock)
        project.write(v3_sources)
        planned = project.plan(EPOCH_V2)
        printed = project.build(v3_sources, EPOCH_V2)
        print("    build over the older lock:\n" + "".join(f"      {line[:160]}\n" for line in printed.splitlines()[1:]), end="")
        log3 = import_planned(report, col, project, v3_sources, planned, tag)
        message, ok = col.fix_integrity()
        report.check(f"{tag}: Check Database after the import", ok, repr(message))
        out = measure(col, all_cards(v2_sources), nids, reviewed, all_cards(v3_sources), log3)
    finally:
        col.close()
    print_table(tag, (tag, out))
    judge(report, tag, out, updated=1)
    RESULTS.append((tag, out))


def scenario_restyled(report: Report, binary: Path, work: Path) -> None:
    """15. The same cards saved in another syntax of their format, as another editor or a
    spreadsheet writes them: a byte-order mark and CRLF line ends; for a text deck more blank
    lines; for Markdown a heading above every card and each side on the line below `Q:`/`A:`;
    for CSV every cell quoted and the columns in another order. No note is new or updated, and
    the package is the same bytes as before."""
    cards = vocab_deck("v", "Veltish", 0, 20) + [Card(f"f{i}", "HISTORY", front, back)
                                                 for i, (front, back) in enumerate(_FACTS)]
    sources: Sources = {"mixed": ("MIXED", cards)}
    before: dict[str, bytes] = {}

    def restyle(project: Project) -> None:
        before["apkg"] = project.package("mixed").read_bytes()
        project.restyled = True

    out = run_scenario(report, binary, work, "15 same cards, restyled file", sources, sources,
                       between=restyle, updated=0)
    if out is not None:
        after = (work / "project" / "out" / "mixed.apkg").read_bytes()
        report.check("15 same cards, restyled file: the package is the same bytes", after == before["apkg"],
                     "the v2 package differs from v1's")


def scenario_pinned_rewritten(report: Report, binary: Path, work: Path) -> None:
    """16. Cards pinned by id (Markdown `<!-- id: … -->`, a CSV `Guid` column), every card of
    the deck: one is rewritten on both sides (no text left to match it by), two swap places and
    one moves to a new file. The pin wins: the rewritten card updates its note in place, the
    others keep theirs, every history is kept. The text format has no syntax to pin an id, so
    its run is skipped, saying so."""
    if FORMAT == "txt":
        print("    SKIP for .txt decks: the text format has no syntax to pin a card's id "
              "(only Markdown `<!-- id: … -->` and a table's `Guid` column do)")
        return
    v1 = [Card(f"f{i}", "HISTORY", front, back, pin=f"fact-{i}") for i, (front, back) in enumerate(_FACTS)]
    rewritten = Card("f3", "HISTORY", "Which canal opened in 1869 links the Mediterranean to the Red Sea",
                     "The Suez Canal, built by Ferdinand de Lesseps.", pin="fact-3")
    v2 = [*v1[:3], rewritten, v1[4], v1[6], v1[5], *v1[7:9]]
    run_scenario(report, binary, work, "16 pinned cards rewritten, swapped, moved",
                 {"history": ("HISTORY FACTS", v1)},
                 {"history": ("HISTORY FACTS", v2), "more": ("MORE FACTS", [v1[9]])}, updated=1)


def scenario_reordered_section_renamed(report: Report, binary: Path, work: Path) -> None:
    """17. The cards of a deck sorted the other way round (as a spreadsheet sorts its rows) and
    one section renamed (`ANIMALS` to `GERMAN ANIMALS`, its heading in Markdown, its cells in a
    table): the renamed section's notes are updated in place, the others are unchanged, no note
    is new and every history is kept."""
    animals = [german(a, w) for a, w in _ANIMALS]
    facts = [Card(f"f{i}", "HISTORY", front, back) for i, (front, back) in enumerate(_FACTS)]
    renamed = [Card(c.key, "GERMAN ANIMALS", c.front, c.back) for c in animals]
    run_scenario(report, binary, work, "17 cards reordered, a section renamed",
                 {"mixed": ("MIXED", animals + facts)},
                 {"mixed": ("MIXED", list(reversed(renamed + facts)))}, updated=len(animals))


def scenario_cloze_edits(report: Report, binary: Path, work: Path) -> None:
    """18. A cloze deck (`notetype = "cloze"`): one note gains a second deletion, one's Back
    Extra is reworded, one is removed, one is added. The two edited notes are updated in place
    (Anki adds the new deletion's card to its note), nothing is duplicated, histories are kept."""
    v1 = [Card(f"c{i}", "CAPITALS", f"{{{{c1::{city}}}}} is the capital city of {country}.",
               f"It lies on the river {river}.") for i, (country, city, river) in enumerate(_CAPITALS)]
    v2 = list(v1)
    v2[0] = Card("c0", "CAPITALS", "{{c1::Paris}} is the capital city of {{c2::France}}.", v1[0].back)
    v2[2] = Card("c2", "CAPITALS", v1[2].front, "It lies on the river Tiber, in Lazio.")
    del v2[4]
    v2.append(Card("c9", "CAPITALS", "{{c1::Madrid}} is the capital city of Spain.", "It lies on the Manzanares."))
    run_scenario(report, binary, work, "18 cloze deck edits",
                 {"capitals": ("CAPITALS", v1)}, {"capitals": ("CAPITALS", v2)}, updated=2, notetype="cloze",
                 after=lambda col, nids: report.equal("18 cloze deck edits: the note with a new deletion has 2 cards",
                                                      len(col.get_note(nids["c0"]).card_ids()), 2))


def scenario_mixed_deck_edits(report: Report, binary: Path, work: Path) -> None:
    """22. A deck of the default note type with plain cards and cloze cards (a deletion in the
    question: in .txt and .md decks these are notes of the built-in cloze; a table with a plain
    header row has one note type, so there they are plain cards): a plain card's answer is
    edited, a cloze card gains a second deletion, another's Back Extra is reworded. Each is
    updated in place, nothing is duplicated, histories are kept."""
    v1 = [Card("p0", "RIVERS", "What is the longest river of Veltia?", "The Orvane, about 1000 km long."),
          Card("p1", "RIVERS", "What is the capital of Dorland?", "Brask, on the Dorfjord."),
          *[Card(f"z{i}", "CAPITALS", f"{{{{c1::{city}}}}} is the capital city of {country}.",
                 f"It lies on the river {river}.") for i, (country, city, river) in enumerate(_CAPITALS[:3])]]
    v2 = list(v1)
    v2[0] = Card("p0", "RIVERS", v1[0].front, "The Orvane, about 1006 km long.")
    country = _CAPITALS[0][0]
    v2[2] = Card("z0", "CAPITALS", v1[2].front.replace(f"of {country}.", f"of {{{{c2::{country}}}}}."), v1[2].back)
    v2[3] = Card("z1", "CAPITALS", v1[3].front, v1[3].back.replace(".", ", to the sea."))

    def after(col, nids) -> None:
        kinds = {k: col.get_note(nid).note_type()["name"] for k, nid in nids.items()}
        cloze = FORMAT in ("txt", "md")
        report.equal("22 mixed deck edits: each note's note type", kinds,
                     {k: "ankideck Cloze" if cloze and k.startswith("z") else "ankideck Flashcard" for k in kinds})
        if cloze:
            report.equal("22 mixed deck edits: the cloze note with a new deletion has 2 cards",
                         len(col.get_note(nids["z0"]).card_ids()), 2)

    run_scenario(report, binary, work, "22 mixed deck edits",
                 {"mixed": ("MIXED", v1)}, {"mixed": ("MIXED", v2)}, updated=3, after=after)


def scenario_multiline_answers(report: Report, binary: Path, work: Path) -> None:
    """19. Answers of several lines (a line break kept on the card: lines of a text deck, one
    Markdown paragraph, a quoted CSV cell): one answer gets a line more, one a line less, one a
    line reworded. Each is updated in place; the others are unchanged."""
    v1 = [Card(f"m{i}", "RIVERS", f"Name the three longest rivers of {country}",
               "\n".join(f"{pseudo_word(40 * i + j).capitalize()}, {100 * (i + 1) + j} kilometres long"
                         for j in range(3)))
          for i, country in enumerate(["Veltia", "Dorland", "Kalomia", "Suvonia", "Ritania"])]
    v2 = list(v1)
    v2[0] = Card("m0", "RIVERS", v1[0].front, v1[0].back + "\nAll three flow into the sea")
    v2[1] = Card("m1", "RIVERS", v1[1].front, "\n".join(v1[1].back.split("\n")[:2]))
    v2[3] = Card("m3", "RIVERS", v1[3].front, v1[3].back.replace("kilometres long", "km long", 1))
    run_scenario(report, binary, work, "19 answers of several lines edited",
                 {"rivers": ("RIVERS", v1)}, {"rivers": ("RIVERS", v2)}, updated=3)


def scenario_converted(report: Report, binary: Path, work: Path) -> None:
    """20. A deck converted to another format under the same name (`.txt` to `.md`, `.md` to
    `.csv`, `.csv` to `.tsv`, `.tsv` to `.txt`), one card edited on the way: the cards keep
    their notes (the edited one updated in place), nothing is new, every history is kept."""
    target = FORMATS[(FORMATS.index(FORMAT) + 1) % len(FORMATS)]
    v1 = [Card(f"f{i}", "HISTORY", front, back) for i, (front, back) in enumerate(_FACTS)]
    v2 = [*v1[:7], Card("f7", "HISTORY", v1[7].front, "Nikita Khrushchev, at the 20th Congress."), *v1[8:]]

    def convert(project: Project) -> None:
        project.format = target

    run_scenario(report, binary, work, f"20 deck converted to .{target}",
                 {"history": ("HISTORY FACTS", v1)}, {"history": ("HISTORY FACTS", v2)}, between=convert, updated=1)


def scenario_pins_removed(report: Report, binary: Path, work: Path) -> None:
    """21. Pins taken out again (the `<!-- id: … -->` lines deleted, the `Guid` column dropped),
    one card's answer edited on the way: the notes are matched by their text as any card is, so
    nothing is new and the edited card is updated in place. The text format has no pins: its run
    is skipped, saying so."""
    if FORMAT == "txt":
        print("    SKIP for .txt decks: the text format has no syntax to pin a card's id")
        return
    v1 = [Card(f"f{i}", "HISTORY", front, back, pin=f"fact-{i}") for i, (front, back) in enumerate(_FACTS)]
    v2 = [Card(c.key, c.section, c.front, c.back) for c in v1]
    v2[8] = Card("f8", "HISTORY", v1[8].front, "New Economic Policy (NEP).")
    run_scenario(report, binary, work, "21 pins removed, one card edited",
                 {"history": ("HISTORY FACTS", v1)}, {"history": ("HISTORY FACTS", v2)}, updated=1)


def check_leftover_temp_files(report: Report, binary: Path, work: Path) -> None:
    """Temporary files a killed build left (in out/, and in the project root where builds once
    staged the lock) are removed by the next build, which itself leaves none."""
    cards = vocab_deck("v", "Veltish", 0, 10)
    sources = {"veltish": ("VELTISH", cards)}
    project = Project(report, binary, work / "project", "leftovers")
    project.write(sources)
    project.build(sources, EPOCH_V1)
    # Named as a build names them (tempfile's `.ankideck-XXXXXX.tmp`), an hour old. The next
    # build has nothing to rebuild ("up to date") and must still remove them.
    planted = [project.root / "out" / ".ankideck-Ab3xYz.tmp", project.root / ".ankideck-Qw7rTy.tmp"]
    hour_ago = time.time() - 3600
    for path in planted:
        path.write_bytes(b"PK\x03\x04 half-written package of a killed build")
        os.utime(path, (hour_ago, hour_ago))
    project.build(sources, EPOCH_V1)


SCENARIOS = [
    ("1 replaced answer", scenario_replaced_answer),
    ("2 moved cards", scenario_moved_cards),
    ("2b moved and fixed cards", scenario_moved_and_fixed),
    ("3 split file", scenario_split_file),
    ("4 renamed and retitled file", scenario_renamed_retitled),
    ("5 swapped files", scenario_swapped_files),
    ("6 control edits", scenario_control_edits),
    ("7 cut lock", scenario_cut_lock),
    ("8 stale CSV", scenario_stale_csv),
    ("9 merged branches with the same ids", scenario_merged_branches),
    ("10 template cards replaced", scenario_template_replaced),
    ("11 parallel language decks", scenario_parallel_languages),
    ("12 card moved into a file with an error", scenario_moved_into_error),
    ("13 git revert of an edit", scenario_git_revert),
    ("14 older lock checked out", scenario_older_lock_checked_out),
    ("15 same cards, restyled file", scenario_restyled),
    ("16 pinned cards rewritten, swapped, moved", scenario_pinned_rewritten),
    ("17 cards reordered, a section renamed", scenario_reordered_section_renamed),
    ("18 cloze deck edits", scenario_cloze_edits),
    ("19 answers of several lines edited", scenario_multiline_answers),
    ("20 deck converted to another format", scenario_converted),
    ("21 pins removed, one card edited", scenario_pins_removed),
    ("22 mixed deck edits", scenario_mixed_deck_edits),
    ("tmp leftovers of a killed build", check_leftover_temp_files),
]


def run_all(report: Report, binary: Path, work: Path, only: list[str] | None = None) -> None:
    """Run every scenario (or those whose number is in `only`) once per deck format (text,
    Markdown, CSV), then each format again with every deck built from disk, each run in its own
    directory; then print one table of them all. The text run's checks are named as they always
    were; the others' start with their format."""
    global FORMAT, BUILD_ARGS  # noqa: PLW0603 - Project reads them; one run at a time
    RESULTS.clear()
    prefix = report.prefix
    runs = [(fmt, ()) for fmt in FORMATS] + [(fmt, ("--stream-above", "0")) for fmt in FORMATS]
    try:
        for fmt, args in runs:
            FORMAT, BUILD_ARGS = fmt, args
            label = "" if (fmt, args) == ("txt", ()) else f"[{fmt}{', from disk' if args else ''}] "
            report.prefix = prefix + label
            print(f"\n=== identity scenarios, decks in .{fmt} files{', built from disk' if args else ''}")
            for name, func in SCENARIOS:
                if only and name.split()[0] not in only:
                    continue
                number = name.split()[0]
                suffix = label.strip("[] ").replace(", from disk", "-disk")
                directory = work / (f"scenario-{number}-{suffix}" if label else f"scenario-{number}")
                directory.mkdir()
                done = len(RESULTS)
                report.guard(f"(e) scenario {name}", func, binary, directory)
                RESULTS[done:] = [(label + tag, out) for tag, out in RESULTS[done:]]
    finally:
        FORMAT, BUILD_ARGS = "txt", ()
        report.prefix = prefix
    if RESULTS:
        print()
        print_table("identity scenarios in real Anki (issue 9), per deck format", *RESULTS)


if __name__ == "__main__":  # pragma: no cover - run through check.py
    raise SystemExit("run tests/anki/check.py (it runs these scenarios)")
