"""CSV and TSV decks in real Anki (issue 12).

- Anki's own "Notes in Plain Text" export, with guids, brought under ankideck: a collection with
  notes of stock Basic and Cloze (some reviewed) is exported through the anki API, a file per
  note type, into a project's source-cards/ (one `.tsv`, one `.txt` as Anki names it; the cloze
  one in a deck whose note type is `cloze`); the build's packages keep every guid: imported into a new collection their fields
  and tags are the exported ones; imported into the collection they came from, they add no
  note, and every card keeps its review history and every note its fields.
- A hand-written CSV deck (header row, quoting, a line break, `<`, `&`, tags, a section)
  imports with every field and tag as written, escaped.
- A cloze CSV deck with `html = true`, an image, a sound, maths and per-row tags: each deletion
  is a card, the maths arrives as MathJax, the tags as written, and both media files are in the
  collection's media folder with their source bytes (Check Media: nothing missing or unused).

check.py calls `run`; the helpers come from it.
"""

from __future__ import annotations

import html
import time
from pathlib import Path

from anki.collection import Collection, NoteIdsLimit

from check import BUILD_SPACING_S, Report, build_args, check_integrity, counts, counts_zero, import_apkg, run_bin

BASIC = [
    ("la <b>pomme</b>", "the apple, a fruit", "fr food"),
    ('He said "yes";\tthen left', "line one<br>line two & more", ""),
    ("# not a comment", "x < y", "maths"),
]
CLOZE = [
    ("{{c1::Paris}} is the capital of {{c2::France}}.", "Europe", "geo"),
    ("Water boils at {{c1::100}} °C.", "", ""),
]
HAND = ("Front,Back,Section,Tags\n"
        "\"a, b < c\",\"two\nlines & more\",Part 1,alpha beta\n"
        "plain,\"He said \"\"hi\"\"\",,\n")


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, each in its own directory under `work`."""
    report.guard("csv: Anki's Notes in Plain Text export comes back with 0 new notes", check_anki_export, binary, work)
    report.guard("csv: a hand-written CSV deck imports with every field right", check_hand_written, binary, work)
    report.guard("csv: a cloze table with an image, a sound and maths", check_cloze_media, binary, work)


def add_notes(col: Collection, notetype: str, rows: list[tuple[str, str, str]]) -> list[int]:
    model = col.models.by_name(notetype)
    ids = []
    for first, second, tags in rows:
        note = col.new_note(model)
        note.fields[0], note.fields[1] = first, second
        note.tags = tags.split()
        col.add_note(note, col.decks.id("Default"))
        ids.append(note.id)
    return ids


def notes_by_guid(col: Collection) -> dict[str, tuple[list[str], list[str]]]:
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    return {n.guid: (list(n.fields), sorted(n.tags)) for n in notes}


def check_anki_export(report: Report, binary: Path, work: Path) -> None:
    tag = "anki export"
    (work / "csv-export-col").mkdir()
    col = Collection(str(work / "csv-export-col" / "x.anki2"))
    try:
        basic = add_notes(col, "Basic", BASIC)
        cloze = add_notes(col, "Cloze", CLOZE)
        # Some cards reviewed: they must stay so.
        reviewed = [c.id for nid in basic[:2] + cloze[:1] for c in col.get_note(nid).cards()]
        col.sched.set_due_date(reviewed, "7")
        before = notes_by_guid(col)
        project = work / "csv-export"
        source = project / "source-cards"
        source.mkdir(parents=True)
        # One file named as Anki names it (`.txt`: read as a table for its `#separator:` line),
        # one renamed `.tsv`.
        files = {"basic": source / "basic.tsv", "cloze": source / "cloze.txt"}
        for name, ids in [("basic", basic), ("cloze", cloze)]:
            col.export_note_csv(out_path=str(files[name]), limit=NoteIdsLimit(note_ids=ids),
                                with_html=True, with_tags=True, with_deck=True, with_notetype=True, with_guid=True)
        header = (source / "basic.tsv").read_text(encoding="utf-8").splitlines()[:6]
        print(f"    the export's header: {header}")
        (project / "ankideck.toml").write_text('[decks.cloze]\nnotetype = "cloze"\n', encoding="utf-8")
        run_bin(binary, build_args(), project)
        out = project / "out"
        # A new collection: every note with its guid, fields and tags.
        (work / "csv-export-fresh").mkdir()
        fresh = Collection(str(work / "csv-export-fresh" / "x.anki2"))
        try:
            for name in ["basic", "cloze"]:
                import_apkg(fresh, out / f"{name}.apkg")
            got = notes_by_guid(fresh)
            report.equal(f"{tag}: every guid kept", sorted(got), sorted(before))
            # ankideck's note types have a Section field more (empty here).
            report.equal(f"{tag}: fields and tags as exported",
                         {g: (f[:2], t) for g, (f, t) in got.items()}, {g: (f, t) for g, (f, t) in before.items()})
            report.equal(f"{tag}: the Section fields are empty", {f[2] for f, _ in got.values()}, {""})
        finally:
            fresh.close()
        # The collection the notes came from.
        logs = [counts(import_apkg(col, out / f"{name}.apkg")) for name in ["basic", "cloze"]]
        print(f"    import logs into the source collection: {logs}")
        report.equal(f"{tag}: no new note in the collection it came from", [log["new"] for log in logs], [0, 0])
        report.equal(f"{tag}: the same notes, fields and tags", notes_by_guid(col), before)
        not_review = [cid for cid in reviewed if col.get_card(cid).type != 2]
        report.check(f"{tag}: every reviewed card keeps its review history", not not_review, f"not review: {not_review}")
        check_integrity(report, col, f"{tag}: fix_integrity after the import")
        # Anki logs them as conflicting: the notes keep their stock note type, so a rebuild does
        # not reach them. Anki's Change Note Type (fields matched by name; "merge note types" on
        # import would not do: it matches fields by id and empties Front and Back) puts them
        # under ankideck's types, history kept; from then on an edited cell is an update.
        for name, ids in [("basic", basic), ("cloze", cloze)]:
            ours = col.models.by_name("ankideck Flashcard" if name == "basic" else "ankideck Cloze")
            info = col.models.change_notetype_info(old_notetype_id=col.get_note(ids[0]).mid, new_notetype_id=ours["id"])
            request = info.input
            request.note_ids.extend(ids)
            col.models.change_notetype_of_notes(request)
        report.equal(f"{tag}: after Change Note Type, the same fields and tags",
                     {g: (f[:2], t) for g, (f, t) in notes_by_guid(col).items()}, before)
        time.sleep(BUILD_SPACING_S)
        edited = (source / "basic.tsv").read_text(encoding="utf-8").replace("the apple, a fruit", "the apple (edited)")
        (source / "basic.tsv").write_text(edited, encoding="utf-8")
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: then an edited cell imports as an update of its note",
                     counts(import_apkg(col, out / "basic.apkg")), counts_zero(updated=1, duplicate=2))
        fronts = {col.get_note(n).fields[0]: col.get_note(n).fields[1] for n in col.find_notes("")}
        report.equal(f"{tag}: the edit is in the collection", fronts.get("la <b>pomme</b>"), "the apple (edited)")
        report.equal(f"{tag}: still {len(before)} notes", len(col.find_notes("")), len(before))
        not_review = [cid for cid in reviewed if col.get_card(cid).type != 2]
        report.check(f"{tag}: after the update every reviewed card keeps its review history", not not_review,
                     f"not review: {not_review}")
        check_integrity(report, col, f"{tag}: fix_integrity after the update")
    finally:
        col.close()


def check_hand_written(report: Report, binary: Path, work: Path) -> None:
    tag = "hand-written csv"
    project = work / "csv-hand"
    (project / "source-cards").mkdir(parents=True)
    (project / "source-cards" / "hand.csv").write_text(HAND, encoding="utf-8")
    run_bin(binary, build_args(), project)
    (work / "csv-hand-col").mkdir()
    col = Collection(str(work / "csv-hand-col" / "x.anki2"))
    try:
        import_apkg(col, project / "out" / "hand.apkg")
        got = {col.get_note(nid)["Front"]: col.get_note(nid) for nid in col.find_notes("")}
        esc = lambda text: "<br>".join(html.escape(line, quote=False) for line in text.split("\n"))  # noqa: E731
        expected = {
            esc("a, b < c"): ([esc("a, b < c"), esc("two\nlines & more"), "Part 1"], ["Part_1", "alpha", "beta"]),
            "plain": (["plain", 'He said "hi"', ""], []),
        }
        report.equal(f"{tag}: fields and tags", {k: (list(n.fields), sorted(n.tags)) for k, n in got.items()}, expected)
        report.equal(f"{tag}: deck", sorted({col.decks.name(c.did) for n in got.values() for c in n.cards()}), ["hand"])
    finally:
        col.close()


CLOZE_MEDIA = ("Text,Back Extra,Tags\n"
               "\"The {{c1::Sun}} <img src=\"\"_img/sun.png\"\"> is a {{c2::star}}.\","
               "\"[sound:_snd/sun.mp3] Its mass is \\(2 \\times 10^{30}\\) kg\",space stars\n")


def check_cloze_media(report: Report, binary: Path, work: Path) -> None:
    import re

    from check_media import SOUND, check_files, png

    tag = "cloze csv with media"
    image = png((255, 200, 0))
    project = work / "csv-media"
    (project / "source-cards" / "_img").mkdir(parents=True)
    (project / "source-cards" / "_snd").mkdir()
    (project / "source-cards" / "_img" / "sun.png").write_bytes(image)
    (project / "source-cards" / "_snd" / "sun.mp3").write_bytes(SOUND)
    (project / "source-cards" / "sun.csv").write_text(CLOZE_MEDIA, encoding="utf-8")
    (project / "ankideck.toml").write_text("[defaults]\nnotetype = \"cloze\"\nhtml = true\n", encoding="utf-8")
    run_bin(binary, build_args(), project)
    (work / "csv-media-col").mkdir()
    col = Collection(str(work / "csv-media-col" / "x.anki2"))
    try:
        report.equal(f"{tag}: import log", counts(import_apkg(col, project / "out" / "sun.apkg")), counts_zero(new=1))
        nids = col.find_notes("")
        report.equal(f"{tag}: one note", len(nids), 1)
        if len(nids) != 1:
            return
        note = col.get_note(nids[0])
        report.equal(f"{tag}: a card per deletion", sorted(c.ord for c in note.cards()), [0, 1])
        report.equal(f"{tag}: tags", sorted(note.tags), ["space", "stars"])
        text, extra = note.fields[0], note.fields[1]
        report.check(f"{tag}: the maths is MathJax", "\\(2 \\times 10^{30}\\)" in extra, repr(extra))
        image_names = re.findall(r'src="([^"]+)"', text)
        sound_names = re.findall(r"\[sound:([^\]]+)\]", extra)
        report.check(f"{tag}: one image and one sound referenced", len(image_names) == 1 and len(sound_names) == 1,
                     repr((text, extra)))
        if len(image_names) != 1 or len(sound_names) != 1:
            return
        check_files(report, col, {image_names[0]: image, sound_names[0]: SOUND}, tag)
        checked = col.media.check()
        report.equal(f"{tag}: Check Media: nothing missing", list(checked.missing), [])
        report.equal(f"{tag}: Check Media: nothing unused", list(checked.unused), [])
        question = note.cards()[0].question()
        report.check(f"{tag}: card 1 hides the Sun", "Sun" not in re.sub(r"<[^>]+>", "", question.split("<style>")[0])
                     and "[...]" in question, repr(question))
        check_integrity(report, col, f"{tag}: Check Database changes nothing")
    finally:
        col.close()
