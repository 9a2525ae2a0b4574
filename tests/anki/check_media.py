"""Images and sound in real Anki (issue 12, media).

A deck with `html = true` references two different images of one file name in two folders
(`_img/1.png`, `_other/1.png`) and a sound outside `source-cards/` (`[sound:../media/...]`):

- the package imports its 3 notes, and every media file is in the collection's media folder with
  its source bytes, under the name the fields reference; Anki's Check Media finds nothing missing
  and nothing unused; Check Database changes nothing;
- the CSV, imported into another collection with the files of `out/<deck>.media/` copied into its
  media folder (as the build report says), references the same files: nothing missing;
- after the first image is edited and the deck rebuilt, the reimport updates exactly that note:
  its field references the new name, the new file has the new bytes, and the old file is the
  only one Check Media reports unused (Anki never deletes media on import).

check.py calls `run`; the helpers come from it.
"""

from __future__ import annotations

import re
import shutil
import struct
import time
import zlib
from pathlib import Path

from anki.collection import Collection

from check import (BUILD_SPACING_S, Report, build_args, check_integrity, counts, counts_zero, import_apkg,
                   import_csv, run_bin)


def png(rgb: tuple[int, int, int]) -> bytes:
    """A real 1x1 PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes([0, *rgb])))
            + chunk(b"IEND", b""))


RED, BLUE, GREEN = png((255, 0, 0)), png((0, 0, 255)), png((0, 255, 0))
SOUND = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(64)
DECK = ("Colours\n\nRED\nWhat colour is this? <img src=\"_img/1.png\">\n---\nred\n\n"
        "BLUE\nWhat colour is this? <img src='_other/1.png'>\n---\nblue\n\n"
        "HELLO\nHow is it said?\n---\n[sound:../media/hello there.mp3]\n")


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, in its own directory under `work`."""
    report.guard("media: images and sound packed, imported, checked, updated", check_media, binary, work)


def media_refs(col: Collection) -> dict[str, list[str]]:
    """Each note's section (its tag: a CSV imported into a fresh collection gets Anki's Basic note
    type, without the Section field) and the media files its fields reference, as Anki reads them."""
    refs = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        refs[" ".join(note.tags)] = sorted(name for field in note.fields for name in col.media.files_in_str(note.mid, field))
    return refs


def check_files(report: Report, col: Collection, expected: dict[str, bytes], tag: str) -> None:
    """Every expected name is in the media folder with those bytes."""
    folder = Path(col.media.dir())
    for name, data in sorted(expected.items()):
        path = folder / name
        report.check(f"{tag}: {name} in the media folder with its source bytes",
                     path.is_file() and path.read_bytes() == data,
                     "missing" if not path.is_file() else "other bytes")


def check_media(report: Report, binary: Path, work: Path) -> None:
    tag = "media"
    project = work / "media"
    (project / "source-cards" / "_img").mkdir(parents=True)
    (project / "source-cards" / "_other").mkdir()
    (project / "media").mkdir()
    (project / "source-cards" / "_img" / "1.png").write_bytes(RED)
    (project / "source-cards" / "_other" / "1.png").write_bytes(BLUE)
    (project / "media" / "hello there.mp3").write_bytes(SOUND)
    (project / "source-cards" / "colours.txt").write_text(DECK, encoding="utf-8")
    (project / "ankideck.toml").write_text("[defaults]\nhtml = true\n", encoding="utf-8")
    run_bin(binary, build_args(), project)
    apkg, csv = project / "out" / "colours.apkg", project / "out" / "colours.csv"

    (work / "media-col").mkdir()
    col = Collection(str(work / "media-col" / "x.anki2"))
    try:
        report.equal(f"{tag}: import log", counts(import_apkg(col, apkg)), counts_zero(new=3))
        refs = media_refs(col)
        names = {section: files[0] for section, files in refs.items() if len(files) == 1}
        report.check(f"{tag}: each note references one file", len(names) == 3, repr(refs))
        if len(names) != 3:
            return
        report.check(f"{tag}: two images of one file name get two names", names["RED"] != names["BLUE"],
                     repr(names))
        report.check(f"{tag}: names are content-derived", all(re.fullmatch(r".+-[0-9a-f]{12}\.(png|mp3)", n)
                                                               for n in names.values()), repr(names))
        check_files(report, col, {names["RED"]: RED, names["BLUE"]: BLUE, names["HELLO"]: SOUND}, tag)
        checked = col.media.check()
        report.equal(f"{tag}: Check Media: nothing missing", list(checked.missing), [])
        report.equal(f"{tag}: Check Media: nothing unused", list(checked.unused), [])
        check_integrity(report, col, f"{tag}: Check Database changes nothing")

        # The CSV, with the copies the build put beside it in the media folder.
        (work / "media-csv-col").mkdir()
        csv_col = Collection(str(work / "media-csv-col" / "x.anki2"))
        try:
            for copy in (project / "out" / "colours.media").iterdir():
                shutil.copy(copy, Path(csv_col.media.dir()) / copy.name)
            report.equal(f"{tag}: CSV import log", counts(import_csv(csv_col, csv)), counts_zero(new=3))
            report.equal(f"{tag}: CSV notes reference the same files", media_refs(csv_col), refs)
            report.equal(f"{tag}: CSV: Check Media: nothing missing", list(csv_col.media.check().missing), [])
        finally:
            csv_col.close()

        # An edited image: a new name, its note updated, the others unchanged.
        time.sleep(BUILD_SPACING_S)
        (project / "source-cards" / "_img" / "1.png").write_bytes(GREEN)
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: reimport after an image edit", counts(import_apkg(col, apkg)),
                     counts_zero(updated=1, duplicate=2))
        after = media_refs(col)
        new_red = after["RED"][0] if len(after["RED"]) == 1 else ""
        report.check(f"{tag}: the edited image has a new name", new_red not in ("", names["RED"]), repr(after))
        report.equal(f"{tag}: the other notes reference the same files", {k: after[k] for k in ("BLUE", "HELLO")},
                     {k: refs[k] for k in ("BLUE", "HELLO")})
        check_files(report, col, {new_red: GREEN, names["RED"]: RED}, f"{tag} after the edit")
        checked = col.media.check()
        report.equal(f"{tag}: after the edit, Check Media: nothing missing", list(checked.missing), [])
        report.equal(f"{tag}: after the edit, only the old image is unused", list(checked.unused), [names["RED"]])
        check_integrity(report, col, f"{tag}: after the edit, Check Database changes nothing")
    finally:
        col.close()
