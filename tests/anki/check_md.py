"""Markdown decks (`.md`) in real Anki (issue 12, md).

A basic deck and a cloze deck written in Markdown, with an image, a sound, maths, per-card tags
and a pinned id, are built and imported into a fresh collection:

- every field is what the Markdown renders to (emphasis, paragraphs, `<br>`, MathJax `\\(…\\)`
  with `<` escaped, the image as `<img src>` under its packed name), and the tags and the pinned
  guid are the note's;
- the cloze deck's notes are cloze notes with a card per deletion number; a deletion inside
  maths (`${{c1::\\frac{1}{2}}}$`, written `} }` by the build) hides the whole fraction on the
  question and shows it on the answer;
- the image and the sound are in the collection's media folder with their source bytes, and
  Check Media finds nothing missing;
- a rebuild of the unchanged decks reimports with nothing new and nothing updated.

check.py calls `run`; the helpers come from it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from anki.collection import Collection

from check import BUILD_SPACING_S, Report, build_args, check_integrity, counts, counts_zero, import_apkg, run_bin
from check_media import RED, SOUND

BASIC = """# Markdown check

## Food

Q: la *pomme*
A: the apple
and the tree
Tags: fruit Green
<!-- id: md-pomme-1 -->

Q: What is $x_1 < y$ here?
A: **yes**

   A second paragraph.

## Media

Q: ![a red square](_img/red.png)
A: [sound:_img/say.mp3]
"""

CLOZE = """# Markdown cloze

Q: The capital of France is {{c1::Paris}}, of Italy {{c2::Rome}}.
A: Both *capitals*.

Q: One half is ${{c1::\\frac{1}{2}}}$.
"""


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, in its own directory under `work`."""
    report.guard("md: Markdown decks rendered, cloze, maths, media, tags and pinned ids in Anki", check_md, binary,
                 work)


def note_by_sfld(col: Collection, start: str):
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        if note.fields[0].startswith(start):
            return note
    raise AssertionError(f"no note whose first field starts with {start!r}")


def check_md(report: Report, binary: Path, work: Path) -> None:
    tag = "md"
    project = work / "md"
    (project / "source-cards" / "_img").mkdir(parents=True)
    (project / "source-cards" / "_img" / "red.png").write_bytes(RED)
    (project / "source-cards" / "_img" / "say.mp3").write_bytes(SOUND)
    (project / "source-cards" / "basic.md").write_text(BASIC, encoding="utf-8")
    (project / "source-cards" / "clozes.md").write_text(CLOZE, encoding="utf-8")
    (project / "ankideck.toml").write_text("[decks.clozes]\nnotetype = \"cloze\"\n", encoding="utf-8")
    run_bin(binary, build_args(), project)

    (work / "md-col").mkdir()
    col = Collection(str(work / "md-col" / "x.anki2"))
    try:
        report.equal(f"{tag}: basic import log", counts(import_apkg(col, project / "out" / "basic.apkg")),
                     counts_zero(new=3))
        report.equal(f"{tag}: cloze import log", counts(import_apkg(col, project / "out" / "clozes.apkg")),
                     counts_zero(new=2))

        pomme = note_by_sfld(col, "la ")
        report.equal(f"{tag}: fields as rendered", list(pomme.fields),
                     ["la <em>pomme</em>", "the apple<br>and the tree", "Food"])
        report.equal(f"{tag}: the card's own tags and its section's", sorted(pomme.tags, key=str.lower), ["Food", "fruit", "Green"])
        report.equal(f"{tag}: the pinned id is the note's guid", pomme.guid, "md-pomme-1")

        maths = note_by_sfld(col, "What is")
        report.equal(f"{tag}: maths and paragraphs", list(maths.fields),
                     ["What is \\(x_1 &lt; y\\) here?",
                      "<p><strong>yes</strong></p>\n<p>A second paragraph.</p>", "Food"])

        image = note_by_sfld(col, "<img")
        names = sorted(name for field in image.fields for name in col.media.files_in_str(image.mid, field))
        report.check(f"{tag}: the image and the sound are referenced", len(names) == 2, repr(image.fields))
        folder = Path(col.media.dir())
        wanted = {n: (RED if n.endswith(".png") else SOUND) for n in names}
        for name, data in sorted(wanted.items()):
            path = folder / name
            report.check(f"{tag}: {name} in the media folder with its source bytes",
                         path.is_file() and path.read_bytes() == data, "missing or other bytes")
        report.equal(f"{tag}: Check Media: nothing missing", list(col.media.check().missing), [])

        capital = note_by_sfld(col, "The capital")
        report.equal(f"{tag}: a cloze note", capital.note_type()["type"], 1)
        report.equal(f"{tag}: cloze fields", list(capital.fields)[:2],
                     ["The capital of France is {{c1::Paris}}, of Italy {{c2::Rome}}.", "Both <em>capitals</em>."])
        cards = sorted(capital.cards(), key=lambda c: c.ord)
        report.equal(f"{tag}: a card per deletion number", [c.ord for c in cards], [0, 1])
        # The text shown: the card's HTML without its style and tags' attributes (Anki puts the
        # hidden text in a `data-cloze` attribute).
        question = re.sub(r"<[^>]*>", "", re.sub(r"(?s)<style>.*?</style>", "", cards[0].question())) if cards else ""
        report.check(f"{tag}: card 1 hides Paris, shows Rome",
                     "Paris" not in question and "[...]" in question and "Rome" in question, question)

        half = note_by_sfld(col, "One half")
        report.equal(f"{tag}: a cloze in maths, its }}}} written }} }}", half.fields[0],
                     "One half is \\({{c1::\\frac{1}{2} }}\\).")
        half_cards = half.cards()
        report.equal(f"{tag}: the maths cloze makes one card", len(half_cards), 1)
        if half_cards:
            q, a = half_cards[0].question(), half_cards[0].answer()
            # Had the fraction's `}}` closed the deletion, Anki would hide `\frac{1}{2` and leave a
            # stray `}` after `[...]` (checked against Anki: `\([...]}\)`).
            report.check(f"{tag}: the question hides the whole fraction",
                         "frac" not in q and "[...]\\)" in q and "[...]}" not in q, q)
            report.check(f"{tag}: the answer shows the whole fraction", "\\(\\frac{1}{2} \\)" in a, a)
        check_integrity(report, col, f"{tag}: Check Database changes nothing")

        time.sleep(BUILD_SPACING_S)
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: unchanged rebuild reimports nothing new",
                     counts(import_apkg(col, project / "out" / "basic.apkg")), counts_zero(duplicate=3))
    finally:
        col.close()
