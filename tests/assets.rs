//! Stylesheet assets end to end (`[defaults] assets`): a font is packed under a versioned `_`
//! name with every deck whose note type's stylesheet uses it, the stylesheet names it so, an
//! edited font gets a new name and rebuilds those decks, and a bad path is an error at its key.

use std::io::Read;
use std::path::Path;

const FONT: &[u8] = b"wOF2\0\x01\0\0 a font";
const FONT_EDITED: &[u8] = b"wOF2\0\x01\0\0 the same font, hinted";

mod common;

use common::run;

fn write(dir: &Path, path: &str, bytes: &[u8]) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    std::fs::write(path, bytes).expect("write");
}

fn versioned(bytes: &[u8]) -> String {
    use sha1::Digest;
    let hex: String = sha1::Sha1::digest(bytes)[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("_Inter-{hex}.woff2")
}

/// Two decks: `words` (built-in `basic`, whose stylesheet gets `ankideck.css`, which uses the
/// font) and `plain` (a custom note type whose stylesheet does not).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "ankideck.toml",
        b"[defaults]\nassets = [\"fonts/Inter.woff2\"]\n\n[decks.plain]\nnotetype = \"plain\"\n\n\
          [notetypes.plain]\nfields = [\"Front\", \"Back\"]\ncss = \"plain.css\"\n\
          templates = [{ name = \"Card 1\", front = \"front.html\", back = \"back.html\" }]\n",
    );
    write(dir.path(), "fonts/Inter.woff2", FONT);
    write(
        dir.path(),
        "source-cards/ankideck.css",
        b"@font-face { font-family: Inter; src: url(\"../fonts/Inter.woff2\") format(\"woff2\"); }\n\
          .card { font-family: Inter; }\n",
    );
    write(dir.path(), "plain.css", b".card { font-family: serif; }\n");
    write(dir.path(), "front.html", b"{{Front}}");
    write(dir.path(), "back.html", b"{{FrontSide}}<hr id=answer>{{Back}}");
    write(dir.path(), "source-cards/words.txt", b"Words\nHELLO\nbonjour\nhello\n");
    write(dir.path(), "source-cards/plain.txt", b"Plain\nONE\nun\none\n");
    dir
}

/// The package's media: each name in its `media` map with the bytes of its entry.
fn packed_media(apkg: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(apkg).expect("package")).expect("zip");
    let mut map = String::new();
    archive.by_name("media").expect("media map").read_to_string(&mut map).expect("read");
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&map).expect("json");
    let mut media: Vec<(String, Vec<u8>)> = (map.iter())
        .map(|(entry, name)| {
            let mut bytes = Vec::new();
            archive.by_name(entry).expect("entry").read_to_end(&mut bytes).expect("read");
            (name.as_str().expect("a name").to_string(), bytes)
        })
        .collect();
    media.sort();
    media
}

/// The stylesheet of the package's note type.
fn css_of(apkg: &Path) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(apkg).expect("package")).expect("zip");
    let mut bytes = Vec::new();
    archive.by_name("collection.anki2").expect("collection").read_to_end(&mut bytes).expect("read");
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), bytes).expect("write");
    let db = rusqlite::Connection::open(file.path()).expect("sqlite");
    let models: String = db.query_row("select models from col", [], |r| r.get(0)).expect("models");
    let models: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&models).expect("json");
    assert_eq!(models.len(), 1, "one note type");
    models.values().next().expect("a note type")["css"].as_str().expect("css").to_string()
}

#[test]
fn a_font_is_packed_under_a_versioned_underscore_name_with_the_decks_whose_stylesheet_uses_it() {
    let dir = project();
    let build = run(dir.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let words = dir.path().join("out/words.apkg");
    assert_eq!(packed_media(&words), [(versioned(FONT), FONT.to_vec())]);
    let css = css_of(&words);
    assert!(css.contains(&format!("src: url(\"{}\") format(\"woff2\")", versioned(FONT))), "{css}");
    assert!(!css.contains("fonts/Inter.woff2"), "{css}");
    assert!(!build.stderr.contains("W007"), "{}", build.stderr);
    // The custom note type's stylesheet does not use it: its deck does not carry it.
    let plain = dir.path().join("out/plain.apkg");
    assert_eq!(packed_media(&plain), []);
    assert_eq!(css_of(&plain), ".card { font-family: serif; }\n");
}

#[test]
fn a_cloze_card_of_a_custom_note_types_deck_brings_the_font_its_stylesheet_uses() {
    let dir = project();
    write(dir.path(), "source-cards/plain.txt", b"Plain\nONE\nun\none\n\nTWO\n{{c1::deux}} is two\n");
    let build = run(dir.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    // The cloze card's note type (the built-in cloze) has `ankideck.css`, which uses the font.
    assert_eq!(packed_media(&dir.path().join("out/plain.apkg")), [(versioned(FONT), FONT.to_vec())]);
}

#[test]
fn a_custom_note_types_stylesheet_gets_the_font_too_and_a_deck_built_from_disk_the_same_bytes() {
    let dir = project();
    write(dir.path(), "plain.css", b"@font-face { font-family: I; src: url(fonts/Inter.woff2); }\n");
    assert_eq!(run(dir.path(), &["build"]).code, 0);
    let plain = dir.path().join("out/plain.apkg");
    assert_eq!(packed_media(&plain), [(versioned(FONT), FONT.to_vec())]);
    assert_eq!(css_of(&plain), format!("@font-face {{ font-family: I; src: url({}); }}\n", versioned(FONT)));
    let first = std::fs::read(&plain).unwrap();
    let streamed = run(dir.path(), &["build", "--force", "--stream-above", "0"]);
    assert_eq!(streamed.code, 0, "{}", streamed.stderr);
    assert!(std::fs::read(&plain).unwrap() == first);
}

#[test]
fn an_edited_font_gets_a_new_name_and_rebuilds_only_the_decks_that_use_it() {
    let dir = project();
    assert_eq!(run(dir.path(), &["build"]).code, 0);
    let (words, plain) = (dir.path().join("out/words.apkg"), dir.path().join("out/plain.apkg"));
    let (words_before, plain_before) = (std::fs::read(&words).unwrap(), std::fs::read(&plain).unwrap());
    // Nothing changed: nothing is rebuilt, the bytes are the same.
    let again = run(dir.path(), &["build"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(std::fs::read(&words).unwrap() == words_before);
    write(dir.path(), "fonts/Inter.woff2", FONT_EDITED);
    let rebuilt = run(dir.path(), &["build"]);
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.stderr);
    assert_eq!(packed_media(&words), [(versioned(FONT_EDITED), FONT_EDITED.to_vec())]);
    assert!(css_of(&words).contains(&versioned(FONT_EDITED)));
    assert!(std::fs::read(&words).unwrap() != words_before);
    assert!(std::fs::read(&plain).unwrap() == plain_before, "the deck that does not use it is not rebuilt");
    // Back to the first bytes: the first name again, and a forced build gives the same bytes.
    write(dir.path(), "fonts/Inter.woff2", FONT);
    assert_eq!(run(dir.path(), &["build"]).code, 0);
    assert_eq!(packed_media(&words), [(versioned(FONT), FONT.to_vec())]);
    let first = std::fs::read(&words).unwrap();
    assert_eq!(run(dir.path(), &["build", "--force"]).code, 0);
    assert!(std::fs::read(&words).unwrap() == first);
}

#[test]
fn a_missing_or_outside_asset_is_an_error_at_its_key_and_nothing_is_built() {
    let dir = project();
    std::fs::remove_file(dir.path().join("fonts/Inter.woff2")).unwrap();
    for command in ["build", "check"] {
        let missing = run(dir.path(), &[command]);
        assert_eq!(missing.code, 1, "{command}: {}", missing.stderr);
        assert!(
            missing.stderr.contains(
                "ankideck.toml:2:11: error: the asset fonts/Inter.woff2 does not exist (key `defaults.assets[0]`)"
            ),
            "{command}: {}",
            missing.stderr
        );
    }
    assert!(!dir.path().join("out/words.apkg").exists());

    let dir = project();
    let toml = std::fs::read_to_string(dir.path().join("ankideck.toml")).unwrap();
    write(dir.path(), "ankideck.toml", toml.replace("fonts/Inter.woff2", "../Inter.woff2").as_bytes());
    let outside = run(dir.path(), &["build"]);
    assert_eq!(outside.code, 1, "{}", outside.stderr);
    assert!(outside.stderr.contains("ankideck.toml:2:11: error: the path \"../Inter.woff2\" cannot be used: it leaves the project folder"), "{}", outside.stderr);

    #[cfg(unix)]
    {
        let dir = project();
        let elsewhere = tempfile::tempdir().unwrap();
        write(elsewhere.path(), "secret.woff2", FONT);
        std::fs::remove_file(dir.path().join("fonts/Inter.woff2")).unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join("secret.woff2"),
            dir.path().join("fonts/Inter.woff2"),
        )
        .unwrap();
        let linked = run(dir.path(), &["build"]);
        assert_eq!(linked.code, 1, "{}", linked.stderr);
        assert!(linked.stderr.contains("is outside the project folder"), "{}", linked.stderr);
        assert!(!dir.path().join("out/words.apkg").exists());
    }
}

#[test]
fn two_assets_of_one_file_name_are_an_error_and_a_deck_table_has_no_assets() {
    let dir = project();
    write(dir.path(), "ankideck.toml", b"[defaults]\nassets = [\"a/Inter.woff2\", \"b/Inter.woff2\"]\n");
    let twice = run(dir.path(), &["build"]);
    assert_eq!(twice.code, 1, "{}", twice.stderr);
    assert!(twice.stderr.contains("have one file name"), "{}", twice.stderr);
    write(dir.path(), "ankideck.toml", b"[decks.words]\nassets = [\"fonts/Inter.woff2\"]\n");
    let in_deck = run(dir.path(), &["build"]);
    assert_eq!(in_deck.code, 1, "{}", in_deck.stderr);
    assert!(in_deck.stderr.contains("unknown key `assets`"), "{}", in_deck.stderr);
}

#[test]
fn an_asset_no_stylesheet_names_is_a_warning_at_its_key() {
    let dir = project();
    write(dir.path(), "source-cards/ankideck.css", b"@font-face { font-family: I; src: url(Intr.woff2); }\n");
    let build = run(dir.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(
        build.stderr.contains(
            "ankideck.toml:2:11: warning[W007]: no stylesheet names the asset fonts/Inter.woff2 in a `url(...)`, so no deck packs it (key `defaults.assets[0]`)"
        ),
        "{}",
        build.stderr
    );
    assert_eq!(packed_media(&dir.path().join("out/words.apkg")), []);
}
