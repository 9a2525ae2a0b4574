"""Anki's `#tags:` header line in real Anki (issue 12).

A table with Anki's `#tags:` line, and one with the older first line `tags:`, is imported twice:
into one collection by Anki's own text import, into another as the package ankideck builds from
it. Each note must have the same fields and tags both ways: Anki adds the line's tags to every
note's own.

check.py calls `run`; the helpers come from it.
"""

from __future__ import annotations

from pathlib import Path

from anki.collection import Collection

from check import Report, build_args, counts, counts_zero, import_apkg, import_csv, run_bin

TABLES = {
    "hashtags": ("#separator:tab\n#html:false\n#notetype:Basic\n#deck:Tagged\n#tags:global Two::Parts\n"
                 "#tags column:3\nla pomme\tthe apple\tfr food\nle chou\tthe cabbage\t\n"),
    "oldtags": ("tags:older global\n#separator:tab\n#html:false\n#notetype:Basic\n#tags column:3\n"
                "un\tone\tnumber\ndeux\ttwo\t\n"),
}


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, each in its own directory under `work`."""
    report.guard("#tags: the tags of Anki's #tags: line on every note, as Anki's text import adds them",
                 check_global_tags, binary, work)


def notes_by_front(col: Collection) -> dict[str, tuple[list[str], list[str]]]:
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    return {n.fields[0]: (list(n.fields[:2]), sorted(n.tags)) for n in notes}


def check_global_tags(report: Report, binary: Path, work: Path) -> None:
    project = work / "global-tags"
    (project / "source-cards").mkdir(parents=True)
    for stem, text in TABLES.items():
        (project / "source-cards" / f"{stem}.tsv").write_text(text, encoding="utf-8")
    run_bin(binary, build_args(), project)
    for stem in TABLES:
        tag = f"#tags: {stem}"
        by_anki = work / f"global-tags-{stem}-anki"
        by_package = work / f"global-tags-{stem}-package"
        by_anki.mkdir()
        by_package.mkdir()
        anki = Collection(str(by_anki / "x.anki2"))
        ours = Collection(str(by_package / "x.anki2"))
        try:
            import_csv(anki, project / "source-cards" / f"{stem}.tsv")
            report.equal(f"{tag}: the package imports as 2 new notes",
                         counts(import_apkg(ours, project / "out" / f"{stem}.apkg")), counts_zero(new=2))
            expected = notes_by_front(anki)
            print(f"    Anki's text import: {expected}")
            report.check(f"{tag}: Anki's text import added the line's tags",
                         all(len(tags) >= 2 for _, tags in expected.values()), repr(expected))
            report.equal(f"{tag}: fields and tags as Anki's text import makes them", notes_by_front(ours), expected)
        finally:
            anki.close()
            ours.close()
