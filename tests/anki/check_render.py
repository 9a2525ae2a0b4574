"""Anki's renderer against ours (issue 13, "The rendering is Anki's").

A project with a deck of every note type (basic, reversed, optional-reversed, type-in, cloze
with several deletions, hints, a deletion for two cards and deletions inside maths, a custom
two-template type using sections, `{{Tags}}`, `{{Deck}}`, `{{Subdeck}}`, `{{Card}}`, `{{text:}}`,
`{{hint:}}`, furigana, `tts`, `type:` and an unknown filter, and a custom cloze type using
`cloze-only:` and `type:cloze:`), with images, a sound and maths, in .txt, .md and .csv files, is
built and imported into a fresh collection. For EVERY card Anki made, its question and answer
(`card.render_output()`: what `card.question()` / `card.answer()` give without the `<style>`
wrapper) must equal, exactly, the card of the same note (the same fields) and `ord` in
`ankideck check --show --format json`, and every card listed there must be one Anki made.

What the check does to our HTML, and nothing else: Anki's own av-tag replacement
(`extract_av_tags`, `[sound:x]` becomes `[anki:play:q:0]`), applied as Anki's Python layer
applies it: to the question, and to the answer whose `{{FrontSide}}` places hold the question
already replaced (our JSON gives the answer split at those places, `answer_around_front`).

check.py calls `run`; the helpers come from it.
"""

from __future__ import annotations

import html as htmlmod
import json
import re
from pathlib import Path

from anki.collection import Collection

from check import Report, build_args, counts, import_apkg, run_bin
from check_media import BLUE, RED, SOUND

TOML = """[defaults]
html = true
tags = ["render"]

[decks.basic]
notetype = "basic"

[decks.reversed]
notetype = "reversed"

[decks.optional]
notetype = "optional-reversed"

[decks.typein]
notetype = "type-in"

[decks.cloze]
notetype = "cloze"

[decks.custom]
notetype = "two"
name = "Parent::Custom Deck"
subdecks = true

[decks.clozeonly]
notetype = "myclozes"

[decks.plain]
html = false
notetype = "type-in"

[notetypes.two]
fields = ["Front", "Back", "Extra", "Section"]
templates = [{ name = "Forward", front = "t/f1.html", back = "t/b1.html" },
             { name = "Backward", front = "t/f2.html", back = "t/b2.html" }]

[notetypes.myclozes]
kind = "cloze"
fields = ["Text", "Extra", "Section"]
templates = [{ name = "My Cloze", front = "t/cf.html", back = "t/cb.html" }]
"""

TEMPLATES = {
    "f1.html": ("{{#Extra}}<i>{{Extra}}</i>{{/Extra}}{{^Extra}}no extra{{/Extra}}\n"
                "<div>{{Front}}</div> [{{Tags}}] {{Deck}} / {{Subdeck}} / {{Card}} / {{Type}}\n"
                "{{text:Back}} {{hint:Extra}} {{furigana:Front}} {{kana:Front}} {{kanji:Front}}"
                "<!-- a comment {{Front}} -->"),
    "b1.html": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}} {{type:Back}} {{text:unknown:Back}}",
    "f2.html": ("{{FrontSide}}{{#Back}}{{Back}} ({{Card}}){{/Back}}{{tts en_US:Front}} {{CardFlag}}"
                "{{#c2}} card two{{/c2}}{{^c1}} not card one{{/c1}}{{#c1}} card one{{/c1}} {{text:Extra}}"),
    "b2.html": "{{FrontSide}}<hr id=answer>{{Front}} {{unknown:text:Front}} {{FrontSide}}",
    "cf.html": "{{cloze:Text}}<br>{{type:cloze:Text}} [{{cloze-only:Text}}]",
    "cb.html": "{{cloze:Text}}<br>{{type:cloze:Text}} [{{cloze-only:Text}}]<hr>{{Extra}}",
}

DECKS = {
    "plain.txt": ("Plain text\n\nSYNTAX\nWhat does {{ mean in Jinja? <b>bold</b> & \"quotes\" {{c1::x}}\n---\n"
                  "It opens }} an <i>expression</i>; {{Front}} &amp; [[type:Back]]\n"),
    "basic.txt": ("Basics\n\nIMAGES AND SOUND\nWhat colour is this? <img src=\"_img/red.png\">\n---\n"
                  "red [sound:_snd/hello.mp3]\n\n"
                  "MATHS & ENTITIES\nThe value of \\(x^2\\) at \\(x = 3\\) &amp; more&nbsp;here\n---\n"
                  "\\[9\\] <b>nine</b>\n\n"
                  "FILE NAMES\nA name a URL must encode: <img src=\"_img/a #b été.png\">\n---\n"
                  "and &amp; in one <img src='_img/x&amp;y.png'>\n\n"
                  "A CLOZE CARD IN A BASIC DECK\n{{c1::Paris}} is the capital of {{c2::France::a country}}.\n---\n"
                  "In Europe.\n"),
    "notes.md": ("# Markdown notes\n\n## Some Markdown\n\nQ: What is *this*? ![blue](_img/blue.png)\n"
                 "A: A **blue** square, `code` and $x_1$ [sound:_snd/hello.mp3]\nTags: md Colour\n\n"
                 "Q: A Markdown cloze card: $x^{{c1::2}}$ and **{{c2::bold}}**\nA: Its *Back Extra*.\n"),
    "reversed.txt": "Reversed\n\nWORDS\nhola\n---\nhello [sound:_snd/hello.mp3]\n\nWORDS\nadios\n---\nbye, <b>goodbye</b>\n",
    "optional.txt": "Optional\n\nHOUSE\nthe house\n<->\ndas Haus\n\nCAT\nthe cat\n---\ndie Katze\n",
    "typein.txt": "Type in\n\nCAPITALS\nThe capital of France\n---\nParis\n",
    "cloze.txt": ("Clozes\n\nEUROPE\n{{c1::Paris}} is the capital of {{c3::France::a country}}.\nIn Europe.\n\n"
                  "EUROPE\n{{c2::Rome}} is in {{c1,2::Italy::a country}}.\n---\nOld <img src=\"_img/red.png\">.\n\n"
                  "HINTS\nThe formula {{c1::\\(x^2\\)::power}} and {{c2::E = mc^2::<b>physics</b>}} hold.\n---\nextra\n\n"
                  "ODD\nEmpty hint {{c1::a::}}, empty {{c2::}}, {{C3::upper}}, {{c0::zero}}, {{c10::ten}} {{c1::<b>b</b>::h<i>i</i>}}.\n---\nx\n\n"
                  "MATHS\nThe square \\(x^{{c1::2}}\\) and \\[{{c2::a<b}}\\] and {{c1::outer {{c3::inner}}}}\n"),
    "custom.csv": ("Front,Back,Extra,Section,Tags\n"
                   "\"日本[にほん] is Japan\",\"<b>Japan</b> [sound:_snd/hello.mp3]\",a hint,PLACES,zeta Alpha beta\n"
                   "second,\"\",\"a &amp; b&nbsp;c <i>x</i>\",OTHER,\n"
                   "fourth,4,\"&amp; &bogus; <i>y</i>\",OTHER,Tagged tagged\n"
                   "third,back <img src=\"_img/blue.png\">,,OTHER,\n"
                   "fifth,5,\"<br> <div></div>\",OTHER,\n"
                   "sixth,6,\"<BR/>&nbsp;\",OTHER,\n"
                   "seventh,\" <br /> \",\"\u00a0\",OTHER,\n"),
    "clozeonly.txt": ("Cloze only\n\nONE\n{{c1::alpha}} and {{c2::beta::hint}} and {{c1::gamma::a::b}} and {{c3::x}}}\n---\nextra\n"),
}


def run(report: Report, binary: Path, work: Path) -> None:
    """Every check of this module, in its own directory under `work`."""
    report.guard("render: every card's question and answer equal Anki's", check_render, binary, work)


def write_project(project: Path) -> None:
    (project / "source-cards" / "_img").mkdir(parents=True)
    (project / "source-cards" / "_snd").mkdir()
    (project / "source-cards" / "_img" / "red.png").write_bytes(RED)
    (project / "source-cards" / "_img" / "blue.png").write_bytes(BLUE)
    (project / "source-cards" / "_img" / "a #b été.png").write_bytes(RED)
    (project / "source-cards" / "_img" / "x&y.png").write_bytes(BLUE)
    (project / "source-cards" / "_snd" / "hello.mp3").write_bytes(SOUND)
    (project / "ankideck.toml").write_text(TOML, encoding="utf-8")
    (project / "t").mkdir()
    for name, text in TEMPLATES.items():
        (project / "t" / name).write_text(text, encoding="utf-8")
    for name, text in DECKS.items():
        (project / "source-cards" / name).write_text(text, encoding="utf-8")


def ours_as_anki_shows(col: Collection, card: dict) -> tuple[str, str]:
    """Our question and answer after Anki's av-tag replacement, as Anki's Python layer applies
    it (anki/template.py: the question replaced, then put where {{FrontSide}} stands, then the
    answer replaced)."""
    question = col._backend.extract_av_tags(text=card["question"], question_side=True).text
    answer = question.join(card["answer_around_front"])
    answer = col._backend.extract_av_tags(text=answer, question_side=False).text
    return question, answer


def check_render(report: Report, binary: Path, work: Path) -> None:
    tag = "render"
    project = work / "render"
    write_project(project)
    run_bin(binary, build_args(), project)
    shown = json.loads(run_bin(binary, ["check", "--show", "--format", "json"], project))
    ours: dict[tuple, dict] = {}
    for deck in shown["decks"]:
        for listed in deck["cards"]:
            for card in listed.get("cards", []):
                ours[(tuple(listed["fields"]), card["ord"])] = card
    report.check(f"{tag}: check --show --format json lists rendered cards", len(ours) > 20, f"{len(ours)} cards")
    (work / "render-col").mkdir()
    col = Collection(str(work / "render-col" / "x.anki2"))
    try:
        for apkg in sorted((project / "out").glob("*.apkg")):
            log = counts(import_apkg(col, apkg))
            report.check(f"{tag}: {apkg.name} imports only new notes", log["new"] > 0 and sum(log.values()) == log["new"], str(log))
        seen = set()
        differences = []
        compared = 0
        for cid in sorted(col.find_cards("")):
            card = col.get_card(cid)
            note = card.note()
            key = (tuple(note.fields), card.ord)
            seen.add(key)
            mine = ours.get(key)
            if mine is None:
                differences.append(f"card {card.ord} of note {note.fields!r}: not in check --show")
                continue
            out = card.render_output(reload=True)
            question, answer = ours_as_anki_shows(col, mine)
            compared += 1
            deck = col.decks.name(card.did)
            if deck != mine["deck"]:
                differences.append(f"{key}: deck {deck!r}, ours {mine['deck']!r}")
            if out.question_text != question:
                differences.append(f"{key}: question\n  anki: {out.question_text!r}\n  ours: {question!r}")
            if out.answer_text != answer:
                differences.append(f"{key}: answer\n  anki: {out.answer_text!r}\n  ours: {answer!r}")
        print(f"    {compared} cards compared")
        report.check(f"{tag}: every card Anki made renders as ours, exactly", not differences, "\n".join(differences))
        unmade = sorted(set(ours) - seen)
        report.equal(f"{tag}: every card check --show lists is one Anki made", unmade, [])
        check_preview_pages(report, binary, project, col)
    finally:
        col.close()


ARTICLE = re.compile(r'<article class="ankideck-card" data-guid="([^"]*)" data-ord="(\d+)".*?</article>', re.S)
QUESTION = re.compile(r"<!--q-->(.*?)<!--/q-->", re.S)
ANSWER = re.compile(r"<!--a-->(.*?)<!--/a-->", re.S)
# The preview's two rewrites, each keeping the text it replaced in `data-anki`.
PLAY_CONTROL = re.compile(r'<span class="ankideck-sound" data-anki="([^"]*)">.*?</button></span>', re.S)
TYPEANS = re.compile(r'<input type="text" class="ankideck-typeans" data-anki="([^"]*)"[^>]*>')


def undo_rewrites(text: str) -> str:
    """A side of the preview with its play controls and type-in boxes put back as the text they
    replaced (`data-anki`)."""
    text = PLAY_CONTROL.sub(lambda m: htmlmod.unescape(m.group(1)), text)
    return TYPEANS.sub(lambda m: htmlmod.unescape(m.group(1)), text)


def preview_cards(project: Path) -> dict[tuple[str, int], tuple[str, str]]:
    """Every card of every deck page of `out/preview/`, by guid and ordinal: its question and
    answer between the markers, with the rewrites undone."""
    cards = {}
    for page in sorted((project / "out" / "preview").glob("deck-*.html")):
        for article in ARTICLE.finditer(page.read_text(encoding="utf-8")):
            guid, ord_ = htmlmod.unescape(article.group(1)), int(article.group(2))
            question = undo_rewrites(QUESTION.search(article.group(0)).group(1))
            answer = undo_rewrites(ANSWER.search(article.group(0)).group(1))
            cards[(guid, ord_)] = (question, answer)
    return cards


def check_preview_pages(report: Report, binary: Path, project: Path, col: Collection) -> None:
    """`ankideck preview` of the same project: for EVERY card Anki made (by guid and ordinal),
    the question and answer between the page's markers, with the preview's two rewrites undone
    (play controls and type-in boxes back to `[sound:…]` and `[[type:…]]`), and Anki's own
    av-tag replacement applied as to the JSON above (the answer split where it holds the
    question), equal Anki's exactly; Anki's side as its reviewer displays it
    (`escape_media_filenames`: the file names of `<img src>` and the like percent-encoded, so a
    `#` in one is no fragment)."""
    tag = "render: preview"
    run_bin(binary, ["preview"], project)
    pages = preview_cards(project)
    differences = []
    seen = set()
    for cid in sorted(col.find_cards("")):
        card = col.get_card(cid)
        key = (card.note().guid, card.ord)
        seen.add(key)
        if key not in pages:
            differences.append(f"{key}: not in the preview")
            continue
        question, answer = pages[key]
        around = answer.split(question) if question else [answer]
        ours = ours_as_anki_shows(col, {"question": question, "answer_around_front": around})
        out = card.render_output(reload=True)
        anki = [col.media.escape_media_filenames(side) for side in (out.question_text, out.answer_text)]
        if anki[0] != ours[0]:
            differences.append(f"{key}: question\n  anki:    {anki[0]!r}\n  preview: {ours[0]!r}")
        if anki[1] != ours[1]:
            differences.append(f"{key}: answer\n  anki:    {anki[1]!r}\n  preview: {ours[1]!r}")
    print(f"    {len(seen)} preview cards compared")
    report.check(f"{tag}: every card Anki made is on a page, its sides equal Anki's", not differences,
                 "\n".join(differences))
    report.equal(f"{tag}: every card on a page is one Anki made", sorted(set(pages) - seen), [])
