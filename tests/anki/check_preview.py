"""`ankideck preview` in a real browser (issue 13): headless Chromium (Debian's `chromium` and
`chromium-driver`, which scripts/test installs when missing) driven by selenium.

A project with an HTML deck (an image, a sound, inline and display maths) and a cloze deck
(maths in a deletion) is previewed; each deck page is loaded from the disk (file://, as a user
opens it) in three modes, light, night (`#night`) and phone width (`#phone`), a screenshot of
each is saved under target/preview-shots/, and the check fails on:

- a JavaScript error (an uncaught exception or a console error, which includes a file that
  failed to load);
- a missing media file: an `<img>` not loaded, an `<audio>` whose file did not load;
- a MathJax error: an `merror` node in MathJax's output, a `\\(` or `\\[` left in a card's text
  (not typeset), or fewer typeset formulas than the cards hold;
- night mode without Anki's `nightMode`/`night_mode` classes on the body and every card
  container, phone width wider than a phone;
- a page that does not reload when `_live.js` (which `watch` writes) brings a new stamp.

Each run also proves the check can fail: an image and a sound removed from the preview, a formula
that does not parse and a script that throws must each be reported.

check.py calls `run`; `python check_preview.py --bin target/release/ankideck` runs it alone.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "target" / "preview-shots"

MODES = {"light": "", "night": "#night", "phone": "#phone"}
# The window of a desktop browser, and of a phone (the page's phone view is 375 px wide).
SIZES = {"light": (1200, 1600), "night": (1200, 1600), "phone": (420, 1600)}

# Collects uncaught errors and rejected promises before any script of the page runs.
ERROR_HOOK = """
window.__ankideckErrors = [];
window.addEventListener('error', function (e) {
  var where = e.target && e.target !== window ? (e.target.src || e.target.href || e.target.tagName) : '';
  window.__ankideckErrors.push((e.message || 'resource failed') + ' ' + where);
}, true);
window.addEventListener('unhandledrejection', function (e) { window.__ankideckErrors.push('rejected: ' + e.reason); });
"""

# What a loaded page reports: broken media, MathJax's output, the modes' classes.
INSPECT = """
const done = arguments[arguments.length - 1];
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const audios = Array.from(document.querySelectorAll('audio'));
  for (let i = 0; i < 50 && audios.some((a) => a.readyState < 1 && !a.error); i++) await wait(100);
  const images = Array.from(document.querySelectorAll('img'));
  for (let i = 0; i < 50 && images.some((img) => !img.complete); i++) await wait(100);
  const sides = Array.from(document.querySelectorAll('.tex2jax_process'));
  const cards = Array.from(document.querySelectorAll('.card'));
  done({
    errors: window.__ankideckErrors || [],
    brokenImages: images.filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.getAttribute('src')),
    brokenAudio: audios.filter((a) => a.error || a.readyState < 1).map((a) => a.getAttribute('src') + ' ' + (a.error ? a.error.code : 'not loaded')),
    merrors: document.querySelectorAll('[data-mml-node="merror"], mjx-merror').length,
    typeset: document.querySelectorAll('mjx-container').length,
    untypeset: sides.map((s) => s.innerText).filter((t) => t.includes('\\\\(') || t.includes('\\\\[')),
    bodyNight: ['nightMode', 'night_mode'].every((c) => document.body.classList.contains(c)),
    cardsNight: cards.length > 0 && cards.every((el) => el.classList.contains('nightMode') && el.classList.contains('night_mode')),
    anyNight: document.querySelectorAll('.nightMode, .night_mode').length,
    phone: document.body.classList.contains('ankideck-phone'),
    width: document.querySelector('.ankideck-cards') ? document.querySelector('.ankideck-cards').getBoundingClientRect().width : -1,
    articles: document.querySelectorAll('article[data-guid][data-ord]').length,
  });
})().catch((e) => done({ fatal: String(e) }));
"""


def png_red() -> bytes:
    """A real 24x24 PNG (red), which a browser decodes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 24, 24, 8, 2, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + b"\xff\x00\x00" * 24) * 24)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def wav_tenth_second() -> bytes:
    """A real WAV file: a tenth of a second of silence, 8 kHz mono 8-bit."""
    samples = b"\x80" * 800
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 8000, 1, 8)
    return (b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", len(samples)) + samples)


SETTINGS = "[defaults]\nhtml = true\n\n[decks.cloze]\nnotetype = \"cloze\"\n"
MEDIA_DECK = """Media

PICTURES
Which colour is this? <img src="_img/red.png">
---
Red [sound:_snd/beep.wav]

FILE NAMES
A name a URL must encode, as Anki's reviewer does: <img src="_img/a #1 été.png">
---
Red again

MATHS
What is \\(x^2\\) when \\(x = 3\\)?
---
So \\[x^2 = 9\\]
"""
CLOZE_DECK = """Cloze

EUROPE
{{c1::Paris}} is the capital of {{c2::France}}.

MATHS
The derivative of \\(x^2\\) is {{c1::\\(2x\\)}}.
"""
# Formulas in the pages: 2 + 3 in the media deck's question and answer sides (the question is
# shown again on the answer side), at least 1 + 2 in the cloze card of the maths note (Anki
# shows its deletion as [...] on the question side).
MIN_TYPESET = {"media": 5, "cloze": 3}


def make_project(work: Path) -> Path:
    project = work / "preview-browser"
    (project / "source-cards" / "_img").mkdir(parents=True)
    (project / "source-cards" / "_snd").mkdir()
    (project / "ankideck.toml").write_text(SETTINGS)
    (project / "source-cards" / "_img" / "red.png").write_bytes(png_red())
    (project / "source-cards" / "_img" / "a #1 été.png").write_bytes(png_red())
    (project / "source-cards" / "_snd" / "beep.wav").write_bytes(wav_tenth_second())
    (project / "source-cards" / "media.txt").write_text(MEDIA_DECK)
    (project / "source-cards" / "cloze.txt").write_text(CLOZE_DECK)
    return project


def preview(binary: Path, project: Path) -> None:
    proc = subprocess.run([str(binary), "preview"], cwd=project, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ankideck preview exited {proc.returncode}:\n{proc.stderr}")


def browser():
    """Headless Chromium through Debian's chromedriver (nothing downloaded)."""
    from selenium import webdriver  # noqa: PLC0415 - only this check needs it
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        raise RuntimeError("chromium and chromedriver must be installed (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--allow-file-access-from-files", "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_script_timeout(30)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOK})
    return driver


def load(driver, page: Path, mode: str) -> dict:
    """Loads `page` in `mode` and returns what INSPECT reports, with the console's errors."""
    width, height = SIZES[mode]
    driver.set_window_size(width, height)
    driver.get("about:blank")
    driver.get_log("browser")  # what earlier pages logged is not this page's
    driver.get(page.as_uri() + MODES[mode])
    found = driver.execute_async_script(INSPECT)
    console = [f"{e['level']}: {e['message']}" for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    found["errors"] = list(found.get("errors", [])) + console
    return found


def problems(found: dict, mode: str, min_typeset: int) -> list[str]:
    """Everything wrong with a page as `load` found it; empty when it is right."""
    if "fatal" in found:
        return [f"inspecting the page failed: {found['fatal']}"]
    out = []
    out += [f"JavaScript error: {e}" for e in found["errors"]]
    out += [f"image not loaded: {src}" for src in found["brokenImages"]]
    out += [f"audio not loaded: {src}" for src in found["brokenAudio"]]
    if found["merrors"]:
        out.append(f"MathJax error: {found['merrors']} merror node(s)")
    out += [f"not typeset: {text[:80]!r}" for text in found["untypeset"]]
    if found["typeset"] < min_typeset:
        out.append(f"{found['typeset']} formulas typeset, expected at least {min_typeset}")
    if found["articles"] == 0:
        out.append("no card on the page")
    if mode == "night" and not (found["bodyNight"] and found["cardsNight"]):
        out.append("night mode: nightMode/night_mode missing on the body or a card container")
    if mode != "night" and found["anyNight"]:
        out.append("night classes outside night mode")
    if mode == "phone" and not (found["phone"] and 0 < found["width"] <= 380):
        out.append(f"phone view: {found['width']} px wide")
    return out


def check_pages(report, binary: Path, work: Path) -> None:
    project = make_project(work)
    preview(binary, project)
    folder = project / "out" / "preview"
    # What `watch` writes: the pages load it (a missing one would be a failed load).
    (folder / "_live.js").write_text('window.ankideckLive && window.ankideckLive("1")\n')
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = browser()
    try:
        for deck, min_typeset in MIN_TYPESET.items():
            page = folder / f"deck-{deck}.html"
            for mode in MODES:
                found = load(driver, page, mode)
                shot = SHOTS / f"{deck}-{mode}.png"
                driver.save_screenshot(str(shot))
                report.check(f"preview in Chromium: {deck} page, {mode}: screenshot {shot.relative_to(ROOT)}",
                             shot.is_file() and shot.stat().st_size > 1000, "no screenshot")
                wrong = problems(found, mode, min_typeset)
                report.check(f"preview in Chromium: {deck} page, {mode}: no JS error, media loaded, maths typeset",
                             not wrong, "; ".join(wrong))
        check_live_reload(report, driver, folder)
        check_can_fail(report, binary, project, driver)
    finally:
        driver.quit()


def check_live_reload(report, driver, folder: Path) -> None:
    """A new stamp in _live.js reloads an open page (within the 500 ms poll, and some)."""
    driver.get((folder / "deck-media.html").as_uri())
    driver.execute_script("window.__ankideckBefore = true;")
    time.sleep(1.2)
    stayed = driver.execute_script("return window.__ankideckBefore === true;")
    (folder / "_live.js").write_text('window.ankideckLive && window.ankideckLive("2")\n')
    reloaded = False
    for _ in range(30):
        time.sleep(0.2)
        if driver.execute_script("return window.__ankideckBefore !== true;"):
            reloaded = True
            break
    report.check("preview in Chromium: the same stamp keeps the page, a new one reloads it", stayed and reloaded,
                 f"kept with the same stamp: {stayed}, reloaded on a new one: {reloaded}")


def check_can_fail(report, binary: Path, project: Path, driver) -> None:
    """The check reports a missing image and sound, a formula that does not parse and a script
    error."""
    folder = project / "out" / "preview"
    next(folder.glob("red-*.png")).unlink()
    next(folder.glob("beep-*.wav")).unlink()
    found = problems(load(driver, folder / "deck-media.html", "light"), "light", 0)
    report.check("preview in Chromium: an image removed is reported", any("image not loaded" in p for p in found),
                 f"found only {found}")
    report.check("preview in Chromium: a sound removed is reported", any("audio not loaded" in p for p in found),
                 f"found only {found}")
    (project / "source-cards" / "media.txt").write_text(MEDIA_DECK.replace("\\(x^2\\)", "\\(\\frac{x}\\)"))
    preview(binary, project)
    found = problems(load(driver, folder / "deck-media.html", "light"), "light", 0)
    report.check("preview in Chromium: a formula that does not parse is reported",
                 any("MathJax error" in p for p in found), f"found only {found}")
    (folder / "_live.js").write_text("throw new Error('ankideck check: a script error');\n")
    found = problems(load(driver, folder / "deck-cloze.html", "light"), "light", 0)
    report.check("preview in Chromium: a script error is reported", any("a script error" in p for p in found),
                 f"found only {found}")


def run(report, binary: Path, work: Path) -> None:
    """Every check of this module, in its own directory under `work`."""
    report.guard("preview: every deck page in headless Chromium", check_pages, binary, work)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from check import Report  # noqa: PLC0415 - check.py's report, when run alone

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", type=Path, default=ROOT / "target" / "release" / "ankideck")
    args = parser.parse_args()
    result = Report()
    with tempfile.TemporaryDirectory(prefix="ankideck-preview-") as tmp:
        run(result, args.bin.resolve(), Path(tmp))
    print(f"\n{result.passed} passed, {len(result.failed)} failed")
    sys.exit(1 if result.failed else 0)
