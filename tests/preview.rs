//! `ankideck preview` end to end: the pages hold every card Anki makes, each with the guid and
//! card ids the lock gives it (or a build will), the sides as the renderer returns them between
//! their markers, the decks' media under their package names; files are replaced whole; a wrong
//! deck name is an error. The browser test (tests/browser/) looks at the same pages in Chromium.

mod common;

use common::Project;
use std::collections::BTreeMap;

const T0: i64 = 1_764_000_000;
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR a picture";
const MP3: &[u8] = b"ID3\x04\0\0\0\0\0\0 a sound";

/// A project with a basic deck, a cloze deck and a type-in deck.
fn project() -> Project {
    let project = Project::empty();
    project.write(
        "ankideck.toml",
        "[decks.cloze]\nnotetype = \"cloze\"\n\n[decks.typed]\nnotetype = \"type-in\"\n",
    );
    project.write_source(
        "capitals.txt",
        "Capitals\n\nEUROPE\nThe capital of France?\n---\nParis\n\nEUROPE\nThe capital of Italy?\n---\nRome\n",
    );
    project.write_source(
        "cloze.txt",
        "Cloze\n\nEUROPE\n{{c1::Paris}} is the capital of {{c2::France}}.\n\n\
         EUROPE\n{{c1::Rome}} is on the Tiber.\n---\nSince antiquity.\n",
    );
    project.write_source("typed.txt", "Typed\n\nEUROPE\nThe capital of Spain?\n---\nMadrid\n");
    project
}

/// One card of a page, as the page holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Card {
    guid: String,
    ord: u16,
    card_id: Option<i64>,
    new: bool,
    question: String,
    answer: String,
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;` in an attribute, decoded.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("no {open} in {text}")) + open.len();
    &text[start..start + text[start..].find(close).unwrap_or_else(|| panic!("no {close}"))]
}

/// The cards of a deck page, in page order.
fn cards(page: &str) -> Vec<Card> {
    page.split("<article ")
        .skip(1)
        .map(|article| {
            let tag = &article[..article.find('>').expect("tag ends")];
            assert!(article.contains("class=\"card card"), "{article}");
            Card {
                guid: unescape(attribute(tag, "data-guid").expect("data-guid")),
                ord: attribute(tag, "data-ord").expect("data-ord").parse().expect("ord"),
                card_id: attribute(tag, "data-card-id").map(|id| id.parse().expect("card id")),
                new: tag.contains(" data-new=\"\""),
                question: between(article, "<!--q-->", "<!--/q-->").to_string(),
                answer: between(article, "<!--a-->", "<!--/a-->").to_string(),
            }
        })
        .collect()
}

/// Each note of the lock: guid → card ids by ordinal.
fn lock_cards(lock: &str) -> BTreeMap<String, Vec<Option<i64>>> {
    lock.lines()
        .filter(|l| l.starts_with("note\t"))
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let ids = cols[4].split(',').map(|id| id.parse().ok()).collect();
            (cols[2].to_string(), ids)
        })
        .collect()
}

fn preview(project: &Project, args: &[&str], code: i32) -> common::Run {
    let mut all = vec!["preview"];
    all.extend_from_slice(args);
    let run = project.run(T0, &all);
    assert_eq!(run.code, code, "preview {args:?}:\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

#[test]
fn every_card_is_on_its_deck_page_with_the_guid_and_card_ids_the_build_gives_it() {
    let project = project();
    preview(&project, &[], 0);
    let before: Vec<Vec<Card>> = ["capitals", "cloze", "typed"]
        .iter()
        .map(|deck| cards(&project.read(&format!("out/preview/deck-{deck}.html"))))
        .collect();
    // Cards as Anki makes them: one per note of a basic deck, one per cloze number.
    let ords: Vec<Vec<u16>> = before.iter().map(|d| d.iter().map(|c| c.ord).collect()).collect();
    assert_eq!(ords, [vec![0, 0], vec![0, 1, 0], vec![0]]);
    assert!(before.iter().flatten().all(|c| c.new && c.card_id.is_none()), "{before:?}");
    let index = project.read("out/preview/index.html");
    assert!(index.contains("<a href=\"deck-cloze.html\">Cloze</a> <span class=\"ankideck-count\">3 cards, 3 new, not built yet"), "{index}");
    assert!(!project.exists("ankideck.lock"), "preview writes no lock");
    assert!(!project.exists("out/capitals.apkg"), "preview builds nothing");

    project.build(T0, &[], 0);
    let lock = lock_cards(&project.read("ankideck.lock"));
    preview(&project, &[], 0);
    let after: Vec<Card> = ["capitals", "cloze", "typed"]
        .iter()
        .flat_map(|deck| cards(&project.read(&format!("out/preview/deck-{deck}.html"))))
        .collect();
    // The guids the preview gave before the build are the ones the build gave.
    let guids = |cards: &[Card]| cards.iter().map(|c| c.guid.clone()).collect::<Vec<_>>();
    assert_eq!(guids(&after), guids(&before.concat()));
    for card in &after {
        let ids = lock.get(&card.guid).unwrap_or_else(|| panic!("{card:?} not in the lock"));
        assert!(!card.new, "{card:?}");
        assert_eq!(card.card_id, ids[usize::from(card.ord)], "{card:?}");
    }
    assert_eq!(lock.len(), 5, "every note of the lock is previewed");
    assert!(!project.read("out/preview/index.html").contains("new, not built yet"));
}

/// The build options of `project` as the command line gives them, decks above `stream_above`
/// bytes read from disk.
fn options(project: &Project, stream_above: u64) -> ankideck::build::BuildOptions {
    ankideck::build::BuildOptions {
        source: project.path("source-cards"),
        out: project.path("out"),
        lock: project.path("ankideck.lock"),
        csv: false,
        locked: false,
        force: false,
        compression: ankideck::emit::Compression::Fast,
        now_secs: T0,
        stream_above,
        detail: false,
    }
}

#[test]
fn decks_read_from_disk_give_the_same_pages() {
    let (memory, disk) = (project(), project());
    preview(&memory, &[], 0);
    memory.build(T0, &[], 0);
    preview(&memory, &[], 0);
    disk.build(T0, &[], 0);
    std::fs::remove_dir_all(disk.path("out")).expect("out removed");
    let opts = ankideck::preview::PreviewOptions { build: options(&disk, 0), decks: Vec::new() };
    let report = ankideck::preview::preview(&opts).expect("preview from disk");
    assert_eq!(report.decks.len(), 3);
    for deck in ["capitals", "cloze", "typed"] {
        let page = format!("out/preview/deck-{deck}.html");
        // The options name the files by absolute path, the command line by relative one.
        let root = format!("{}/", disk.dir.path().display());
        assert_eq!(disk.read(&page).replace(&root, ""), memory.read(&page), "{deck}");
    }
}

#[test]
fn each_side_between_its_markers_is_what_the_renderer_returns() {
    use ankideck::build::peek::peek;
    let project = project();
    preview(&project, &[], 0);
    let opts = options(&project, u64::MAX);
    let mut checked = 0;
    peek(&opts, &mut |peeked| {
        let page = cards(&project.read(&format!("out/preview/deck-{}.html", peeked.deck.key)));
        let mut at = 0;
        peeked.deck.notes.for_each(None, &mut |_, note| {
            for ord in ankideck::identify::card_ords_of(note, peeked.notetype) {
                let rendered = ankideck::preview::render(peeked.notetype, note, ord, &peeked.deck.name);
                let card = &page[at];
                assert_eq!(card.ord, ord);
                let field = |name: &str| {
                    peeked.notetype.fields.iter().position(|f| f.name == name).map(|i| note.field(i))
                };
                if peeked.deck.key == "typed" {
                    // The one rewrite of these decks: `[[type:Back]]` became a box.
                    assert!(rendered.question.contains("[[type:Back]]"), "{}", rendered.question);
                    assert!(card.question.contains("<input type=\"text\" class=\"ankideck-typeans\""));
                    let rewritten = ankideck::preview::rewrite_side(&rendered.question, false, &field);
                    assert_eq!(card.question, rewritten);
                    let rewritten = ankideck::preview::rewrite_side(&rendered.answer, true, &field);
                    assert_eq!(card.answer, rewritten);
                } else {
                    assert_eq!(card.question, rendered.question, "{}", peeked.deck.key);
                    assert_eq!(card.answer, rendered.answer, "{}", peeked.deck.key);
                }
                at += 1;
                checked += 1;
            }
            Ok(())
        })?;
        assert_eq!(at, page.len(), "every card of {} is on its page", peeked.deck.key);
        Ok(())
    })
    .expect("peek");
    assert_eq!(checked, 6);
    assert!(!project.exists("ankideck.lock"), "peek writes no lock");
}

#[test]
fn the_same_input_gives_the_same_files_and_a_changed_page_is_replaced_whole() {
    use std::os::unix::fs::MetadataExt;
    let project = project();
    preview(&project, &[], 0);
    let first = project.files();
    let inode = |rel: &str| std::fs::metadata(project.path(rel)).expect("page").ino();
    // Ordinary files, not the temporary files' private mode.
    let mode = std::fs::metadata(project.path("out/preview/deck-capitals.html")).expect("page").mode();
    assert_eq!(mode & 0o777, 0o644);
    let (capitals, cloze) = (inode("out/preview/deck-capitals.html"), inode("out/preview/deck-cloze.html"));
    // What `watch` writes, and what a killed preview left.
    project.write("out/preview/_live.js", "window.ankideckLive && window.ankideckLive(\"1\")");
    project.write("out/preview/.ankideck-tmpXYZ", "half a page");
    preview(&project, &[], 0);
    let mut second = project.files();
    second.remove(std::path::Path::new("out/preview/_live.js")).expect("_live.js is left alone");
    assert_eq!(first, second, "same input, same files; the temporary file is removed");

    project.write_source("capitals.txt", "Capitals\n\nEUROPE\nThe capital of France?\n---\nParis!\n");
    preview(&project, &[], 0);
    // Written to a temporary file and renamed: a new file, never the old one rewritten in place.
    assert_ne!(inode("out/preview/deck-capitals.html"), capitals);
    assert!(project.read("out/preview/deck-capitals.html").contains("Paris!"));
    assert_eq!(inode("out/preview/deck-cloze.html"), cloze, "an unchanged page is not rewritten");
    let left: Vec<String> = std::fs::read_dir(project.path("out/preview"))
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ankideck-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // A deck gone: its page goes with it; a file the preview never writes stays (with `--out .`
    // the preview folder is `./preview`, maybe the user's).
    std::fs::remove_file(project.path("source-cards/typed.txt")).expect("remove");
    project.write("out/preview/my notes.txt", "mine");
    preview(&project, &[], 0);
    assert!(!project.exists("out/preview/deck-typed.html"));
    assert!(project.exists("out/preview/_live.js"));
    assert_eq!(project.read("out/preview/my notes.txt"), "mine");
}

#[test]
fn the_media_of_a_deck_are_copied_under_their_package_names() {
    let project = Project::empty();
    project.write("ankideck.toml", "[defaults]\nhtml = true\n");
    project.write("source-cards/_img/cat.png", PNG);
    project.write("media/meow.mp3", MP3);
    project.write_source(
        "animals.txt",
        "Animals\n\nCATS\nWhich animal is this? <img src=\"_img/cat.png\">\n---\nA cat [sound:../media/meow.mp3]\n",
    );
    preview(&project, &[], 0);
    let hex = |bytes: &[u8]| -> String {
        use sha1::Digest;
        sha1::Sha1::digest(bytes)[..6].iter().map(|b| format!("{b:02x}")).collect()
    };
    let (png, mp3) = (format!("cat-{}.png", hex(PNG)), format!("meow-{}.mp3", hex(MP3)));
    assert_eq!(project.bytes(&format!("out/preview/{png}")), PNG);
    assert_eq!(project.bytes(&format!("out/preview/{mp3}")), MP3);
    let card = &cards(&project.read("out/preview/deck-animals.html"))[0];
    assert!(card.question.contains(&format!("<img src=\"{png}\">")), "{}", card.question);
    assert!(
        card.answer.contains(&format!("<audio preload=\"metadata\" src=\"{mp3}\"></audio>")),
        "{}",
        card.answer
    );
    // The tag is kept only in the control's `data-anki` (what a check puts back), never shown.
    let shown = card.answer.replace(&format!("data-anki=\"[sound:{mp3}]\""), "");
    assert!(!shown.contains("[sound:"), "{}", card.answer);
    // The package holds the same names.
    project.build(T0, &[], 0);
    let dump = project.dump("out/animals.apkg");
    assert!(dump.contains(&png) && dump.contains(&mp3), "{dump}");
}

#[test]
fn a_stylesheet_font_is_copied_and_the_page_carries_the_note_type_css_naming_it() {
    const FONT: &[u8] = b"wOF2\x00\x01\x00\x00 a font";
    let project = Project::empty();
    project.write("ankideck.toml", "[defaults]\nassets = [\"fonts/Inter.woff2\"]\nnotetype = \"reversed\"\n");
    project.write("fonts/Inter.woff2", FONT);
    project.write(
        "source-cards/ankideck.css",
        "@font-face { font-family: Inter; src: url(\"../fonts/Inter.woff2\"); }\n.card { font-family: Inter; }\n",
    );
    project.write_source("words.txt", "Words\n\nHELLO\nbonjour\n---\nhello\n");
    preview(&project, &[], 0);
    let name = {
        use sha1::Digest;
        let hex: String = sha1::Sha1::digest(FONT)[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("_Inter-{hex}.woff2")
    };
    assert_eq!(project.bytes(&format!("out/preview/{name}")), FONT);
    let page = project.read("out/preview/deck-words.html");
    let style = between(&page, "<style>\n", "</style>");
    assert!(style.contains(&format!("url(\"{name}\")")), "{style}");
    // A reversed note makes two cards: front to back, back to front.
    let cards = cards(&page);
    assert_eq!(cards.iter().map(|c| c.ord).collect::<Vec<_>>(), [0, 1]);
    assert!(cards[1].question.contains("hello") && !cards[1].question.contains("bonjour"), "{:?}", cards[1]);
}

#[test]
fn only_the_decks_named_are_previewed_and_an_unknown_name_is_an_error() {
    let project = project();
    let run = preview(&project, &["Cloze", "typed"], 0);
    assert!(run.stderr.contains("Previewed 2 decks, 4 cards (4 new, not built yet)"), "{}", run.stderr);
    assert!(project.exists("out/preview/deck-cloze.html") && project.exists("out/preview/deck-typed.html"));
    assert!(!project.exists("out/preview/deck-capitals.html"));
    // Previewed once whole, then one deck: the index still links the others' pages.
    preview(&project, &[], 0);
    preview(&project, &["cloze"], 0);
    let index = project.read("out/preview/index.html");
    assert!(
        index.contains("<a href=\"deck-cloze.html\">Cloze</a> <span class=\"ankideck-count\">3 cards"),
        "{index}"
    );
    assert!(index.contains("<a href=\"deck-capitals.html\">Capitals</a> <span class=\"ankideck-count\">not previewed this time"), "{index}");
    assert!(project.exists("out/preview/deck-typed.html"));

    let project = self::project();
    let run = preview(&project, &["capitols"], 1);
    assert_eq!(
        project.normalize(&run.stderr),
        "error: no deck `capitols` in source-cards\n  = hint: name a deck by its file name without extension or by \
         its Anki name; the decks are: capitals (Capitals), cloze (Cloze), typed (Typed)\n"
    );
    assert!(!project.exists("out/preview"), "nothing is written");
}

#[test]
fn a_deck_with_errors_is_listed_and_the_others_are_previewed() {
    let project = project();
    project.write_source("broken.txt", "Broken\n\nEUROPE\nA front without a back\n");
    let run = preview(&project, &[], 1);
    assert!(run.stderr.contains("broken.txt:4:1: error[E"), "{}", run.stderr);
    let index = project.read("out/preview/index.html");
    assert!(index.contains("<li class=\"ankideck-unbuilt\">broken: has errors"), "{index}");
    assert!(project.exists("out/preview/deck-capitals.html"));

    // A deck previewed, then broken for a while (as `watch` sees an edit half done): its last
    // page stays, with its media, and the index links it.
    project.write(
        "ankideck.toml",
        "[decks.cloze]\nnotetype = \"cloze\"\n\n[decks.typed]\nnotetype = \"type-in\"\n\n[decks.pics]\nhtml = true\n",
    );
    project.write("source-cards/_img/cat.png", PNG);
    project.write_source("pics.txt", "Pics\n\nCATS\nWhich animal? <img src=\"_img/cat.png\">\n---\nA cat\n");
    preview(&project, &["pics"], 1);
    let page = project.read("out/preview/deck-pics.html");
    project.write_source("pics.txt", "Pics\n\nCATS\nWhich animal? <img src=\"_img/cat.png\">\n");
    preview(&project, &[], 1);
    assert_eq!(project.read("out/preview/deck-pics.html"), page, "the last good page stays");
    let image = page.split("<img src=\"").nth(1).and_then(|s| s.split('"').next()).expect("an image");
    assert!(project.exists(&format!("out/preview/{image}")), "with its media");
    let index = project.read("out/preview/index.html");
    assert!(
        index.contains("<li class=\"ankideck-unbuilt\"><a href=\"deck-pics.html\">pics</a>: has errors"),
        "{index}"
    );
    // Fixed: the page is made again; a deck gone still loses its page.
    project.write_source("pics.txt", "Pics\n\nCATS\nWhich animal?\n---\nA cat\n");
    std::fs::remove_file(project.path("source-cards/broken.txt")).expect("remove");
    preview(&project, &[], 0);
    assert!(!project.read("out/preview/deck-pics.html").contains("<img"));
    assert!(!project.exists(&format!("out/preview/{image}")), "media no card uses are removed");
}

#[test]
fn preview_help() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ankideck"))
        .args(["preview", "--help"])
        .env("COLUMNS", "100")
        .output()
        .expect("run ankideck");
    assert!(out.status.success());
    insta::assert_snapshot!("preview_long", String::from_utf8(out.stdout).expect("UTF-8"));
}

#[test]
fn an_out_folder_inside_the_source_folder_is_refused_as_build_refuses_it() {
    let project = project();
    let run = preview(&project, &["--out", "source-cards/out"], 1);
    assert!(
        run.stderr
            .contains("error: the out folder source-cards/out is inside the source folder source-cards"),
        "{}",
        run.stderr
    );
    assert!(!project.exists("source-cards/out"), "nothing is written in the source folder");
    project.write_source("_notes.txt", "x");
    let run = preview(&project, &["--out", "source-cards/_notes.txt"], 1);
    assert!(run.stderr.contains("is a file, not a folder"), "{}", run.stderr);
}

#[test]
fn a_deck_with_errors_named_by_its_title_is_listed_as_having_errors_and_its_errors_are_printed() {
    let project = project();
    project.write_source("broken.txt", "Broken Deck\n\nEUROPE\nA front without a back\n");
    let run = preview(&project, &["Broken Deck"], 1);
    assert!(run.stderr.contains("broken.txt:4:1: error[E006]"), "{}", run.stderr);
    assert!(run.stderr.contains("the decks are: broken (has errors), capitals (Capitals)"), "{}", run.stderr);
    assert!(!project.exists("out/preview"), "nothing is written");
}

#[test]
fn a_cloze_card_of_a_deck_of_another_note_type_is_shown_as_the_cloze_note_it_is() {
    // An optional-reversed deck with subdecks: its cloze card is a note of the built-in cloze
    // (a card per deletion, each question hiding its own), filed under its section's subdeck
    // as the build files it.
    let project = Project::empty();
    project.write("ankideck.toml", "[decks.words]\nnotetype = \"optional-reversed\"\nsubdecks = true\n");
    project.write_source(
        "words.txt",
        "Words\n\nHOUSE\nthe house\n<->\ndas Haus\n\nGRAMMAR\n{{c1::Der}} Hund und {{c2::die}} Katze.\n",
    );
    preview(&project, &[], 0);
    let page = project.read("out/preview/deck-words.html");
    let shown = cards(&page);
    let ords: Vec<u16> = shown.iter().map(|c| c.ord).collect();
    assert_eq!(ords, [0, 1, 0, 1], "{shown:#?}");
    let (first, second) = (&shown[2], &shown[3]);
    assert!(
        first.question.contains("<span class=\"cloze\" data-cloze=\"Der\" data-ordinal=\"1\">[...]</span>"),
        "{first:?}"
    );
    assert!(first.question.contains("die"), "card 1 shows deletion 2: {first:?}");
    assert!(second.question.contains("data-ordinal=\"2\">[...]</span>"), "{second:?}");
    assert!(!page.contains("{{c1::"), "a deletion shown as written:\n{page}");
    // The build files the cloze note under its section, as the card says.
    project.build(T0, &[], 0);
    let dump = project.dump("out/words.apkg");
    assert!(dump.contains("Words::GRAMMAR"), "{dump}");
    assert!(dump.contains("Words::HOUSE"), "{dump}");
    assert!(!dump.contains("Words::y"), "the Add Reverse field is no section:\n{dump}");
}

/// A preview of some decks (what `watch` writes after each build: the decks it rebuilt) removes
/// the media a page it rewrote showed and no page shows now: an image replaced was left in
/// `out/preview/` for good, one more file at every save. An image another deck's page still
/// shows stays.
#[test]
fn a_preview_of_some_decks_removes_the_media_their_old_pages_showed_and_no_page_shows() {
    let project = Project::empty();
    project.write("ankideck.toml", "[defaults]\nhtml = true\n");
    project.write("source-cards/_img/cat.png", PNG);
    project.write("source-cards/_img/shared.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR shared");
    project.write_source(
        "animals.txt",
        "Animals\n\nCATS\nWhich animal is this? <img src=\"_img/cat.png\">\n---\nA cat <img src=\"_img/shared.png\">\n",
    );
    project.write_source(
        "birds.txt",
        "Birds\n\nOWLS\nWhich bird is this?\n---\nAn owl <img src=\"_img/shared.png\">\n",
    );
    preview(&project, &[], 0);
    let media = |project: &Project| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(project.path("out/preview"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".png"))
            .collect();
        names.sort();
        names
    };
    let before = media(&project);
    assert_eq!(before.len(), 2, "{before:?}");
    // The cat picture is replaced; the animals deck no longer shows the shared one.
    project.write("source-cards/_img/cat.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR another cat");
    project.write_source(
        "animals.txt",
        "Animals\n\nCATS\nWhich animal is this? <img src=\"_img/cat.png\">\n---\nA cat\n",
    );
    preview(&project, &["animals"], 0);
    let after = media(&project);
    assert_eq!(after.len(), 2, "the old cat picture is gone, the shared one stays: {after:?}");
    assert!(after.iter().any(|n| n.starts_with("shared-")), "{after:?}");
    assert!(!after.contains(before.iter().find(|n| n.starts_with("cat-")).unwrap()), "{after:?}");
    let page = project.read("out/preview/deck-animals.html");
    let cat = after.iter().find(|n| n.starts_with("cat-")).unwrap();
    assert!(page.contains(cat.as_str()), "the page shows the new picture");
}

/// A basic deck's page with a cloze card carries the cloze rules (`.cloze`), as Anki shows that
/// card with the cloze note type's stylesheet: the deletion was plain text on the page. A basic
/// deck without one keeps its own stylesheet.
#[test]
fn a_cloze_card_of_a_basic_deck_is_styled_as_a_cloze_card() {
    let project = Project::empty();
    project.write_source(
        "geo.txt",
        "Geo\n\nEUROPE\n{{c1::Paris}} is in France.\n\nEUROPE\nCapital of Italy?\nRome\n",
    );
    project.write_source("plain.txt", "Plain\n\nEUROPE\nCapital of Spain?\nMadrid\n");
    project.write_source("ankideck.css", ".cloze { color: red; }\n");
    preview(&project, &[], 0);
    let style = |page: &str| between(&project.read(page), "<style>", "</style>").to_string();
    let geo = style("out/preview/deck-geo.html");
    let at = |rule: &str| geo.find(rule).unwrap_or_else(|| panic!("no `{rule}` in:\n{geo}"));
    // The built-in rule, then ankideck.css's, which wins as in Anki.
    assert!(at(".cloze {\n  font-weight: 700;") < at(".cloze { color: red; }"), "{geo}");
    assert!(!style("out/preview/deck-plain.html").contains("font-weight: 700"));
}
