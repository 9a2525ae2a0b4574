"""Stylesheet assets in real Anki (issue 12, media: fonts named with a leading `_`).

A project lists a font in `[defaults] assets` and its `ankideck.css` uses it with
`url("../fonts/Inter.woff2")`:

- after the package is imported, the font is in the collection's media folder under its
  versioned name `_Inter-<first 12 hex digits of its SHA-1>.woff2` (computed here from the bytes),
  with its bytes, and the note type's CSS in the collection references that name (and no longer
  the project path); Check Media reports nothing missing and the font not unused;
- after the font is edited and the deck rebuilt, the reimport brings the new bytes under a new
  name, the note type's CSS references the new name, and the old file is still there unchanged
  (Anki never replaces a `_` file it has, which is why the name must change).

check.py calls `run`; the helpers come from it.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from anki.collection import Collection

from check import BUILD_SPACING_S, NOTETYPE, Report, build_args, counts, counts_zero, import_apkg, run_bin

FONT = b"wOF2\x00\x01\x00\x00" + bytes(range(64))
FONT_EDITED = b"wOF2\x00\x01\x00\x00" + bytes(range(64, 160))
CSS = ('@font-face { font-family: ankideck-check; src: url("../fonts/Inter.woff2") format("woff2"); }\n'
       ".card { font-family: ankideck-check; }\n")
DECK = "Words\n\nHELLO\nbonjour\n---\nhello\n\nBYE\nau revoir\n---\ngoodbye\n"


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, in its own directory under `work`."""
    report.guard("assets: a stylesheet's font packed under a versioned _ name", check_assets, binary, work)


def versioned(data: bytes) -> str:
    return f"_Inter-{hashlib.sha1(data).hexdigest()[:12]}.woff2"


def css_of(col: Collection) -> str:
    col.models._clear_cache()  # the Python-side cache does not see the backend's import
    notetype = col.models.by_name(NOTETYPE)
    return notetype["css"] if notetype else ""


def check_font(report: Report, col: Collection, data: bytes, tag: str) -> None:
    """The font is in the media folder under its versioned name with its bytes, the note type's
    CSS references that name."""
    name = versioned(data)
    path = Path(col.media.dir()) / name
    report.check(f"{tag}: {name} in the media folder with its bytes", path.is_file() and path.read_bytes() == data,
                 "missing" if not path.is_file() else "other bytes")
    css = css_of(col)
    report.check(f"{tag}: the note type's CSS references {name}", f'url("{name}")' in css, css[-200:])
    report.check(f"{tag}: the note type's CSS no longer names the project path", "fonts/Inter.woff2" not in css, css[-200:])


def check_assets(report: Report, binary: Path, work: Path) -> None:
    tag = "assets"
    project = work / "assets"
    (project / "source-cards").mkdir(parents=True)
    (project / "fonts").mkdir()
    (project / "fonts" / "Inter.woff2").write_bytes(FONT)
    (project / "source-cards" / "ankideck.css").write_text(CSS, encoding="utf-8")
    (project / "source-cards" / "words.txt").write_text(DECK, encoding="utf-8")
    (project / "ankideck.toml").write_text('[defaults]\nassets = ["fonts/Inter.woff2"]\n', encoding="utf-8")
    run_bin(binary, build_args(), project)
    apkg = project / "out" / "words.apkg"

    (work / "assets-col").mkdir()
    col = Collection(str(work / "assets-col" / "x.anki2"))
    try:
        report.equal(f"{tag}: import log", counts(import_apkg(col, apkg)), counts_zero(new=2))
        check_font(report, col, FONT, tag)
        checked = col.media.check()
        report.equal(f"{tag}: Check Media: nothing missing", list(checked.missing), [])
        report.check(f"{tag}: Check Media: the font is not unused", versioned(FONT) not in checked.unused,
                     repr(list(checked.unused)))

        # An edited font: a new name, the note type's CSS updated, the old file left as it was.
        time.sleep(BUILD_SPACING_S)
        (project / "fonts" / "Inter.woff2").write_bytes(FONT_EDITED)
        run_bin(binary, build_args(), project)
        report.equal(f"{tag}: reimport after a font edit", counts(import_apkg(col, apkg)),
                     counts_zero(duplicate=2))
        report.check(f"{tag}: the edited font has a new name", versioned(FONT_EDITED) != versioned(FONT), "")
        check_font(report, col, FONT_EDITED, f"{tag} after the edit")
        old = Path(col.media.dir()) / versioned(FONT)
        report.check(f"{tag}: after the edit, the old font is still there, unchanged",
                     old.is_file() and old.read_bytes() == FONT, "")
    finally:
        col.close()
