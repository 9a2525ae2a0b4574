//! Images and sound end to end: what `build` packs, under which names, what it refuses, and
//! when it rebuilds a deck because a media file changed.

use std::io::Read;
use std::path::Path;

const PNG_RED: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR red";
const PNG_BLUE: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR blue";
const MP3: &[u8] = b"ID3\x04\0\0\0\0\0\0 a sound";

mod common;

use common::run;

fn write(dir: &Path, path: &str, bytes: &[u8]) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    std::fs::write(path, bytes).expect("write");
}

fn hex12(bytes: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(bytes)[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// A project with an HTML deck of two images of one file name in two folders and a sound.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "ankideck.toml", b"[defaults]\nhtml = true\n");
    write(dir.path(), "source-cards/_img/1.png", PNG_RED);
    write(dir.path(), "source-cards/_other/1.png", PNG_BLUE);
    write(dir.path(), "media/a b&c.mp3", MP3);
    write(
        dir.path(),
        "source-cards/colours.txt",
        b"Colours\nRED\nWhat colour is this? <img src=\"_img/1.png\">\nRed.\n\
          BLUE\nWhat colour is this? <IMG SRC='_other/1.png'>\nBlue. [sound:../media/a b&amp;c.mp3]\n",
    );
    dir
}

/// The package's members by name, with their bytes.
fn members(apkg: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(apkg).expect("package")).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).expect("entry");
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read");
            (entry.name().expect("name").to_string(), bytes)
        })
        .collect()
}

#[test]
fn images_and_sound_are_packed_under_content_names_and_the_fields_reference_them() {
    let dir = project();
    let build = run(dir.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let members = members(&dir.path().join("out/colours.apkg"));
    let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["collection.anki2", "0", "1", "2", "media"]);
    let (red, blue, sound) = (
        format!("1-{}.png", hex12(PNG_RED)),
        format!("1-{}.png", hex12(PNG_BLUE)),
        format!("a b&c-{}.mp3", hex12(MP3)),
    );
    let mut sorted = [red.clone(), blue.clone(), sound.clone()];
    sorted.sort();
    let map: serde_json::Value = serde_json::from_slice(&members[4].1).expect("json map");
    let bytes_of = |name: &str| {
        if name == red {
            PNG_RED
        } else if name == blue {
            PNG_BLUE
        } else {
            MP3
        }
    };
    for (i, name) in sorted.iter().enumerate() {
        assert_eq!(map[i.to_string()], name.as_str(), "{map}");
        assert!(members[i + 1].1 == bytes_of(name), "entry {i} holds the bytes of {name}");
    }
    let dump = run(dir.path(), &["dump", "out/colours.apkg"]).stdout;
    assert!(dump.contains(&format!(r#"What colour is this? <img src="{red}">"#)), "{dump}");
    assert!(dump.contains(&format!("What colour is this? <IMG SRC='{blue}'>")), "{dump}");
    assert!(dump.contains(&format!("Blue. [sound:a b&amp;c-{}.mp3]", hex12(MP3))), "{dump}");
}

#[test]
fn the_same_deck_and_media_give_the_same_package_bytes_in_memory_and_from_disk() {
    let dir = project();
    assert_eq!(run(dir.path(), &["build"]).code, 0);
    let first = std::fs::read(dir.path().join("out/colours.apkg")).expect("package");
    assert_eq!(run(dir.path(), &["build", "--force"]).code, 0);
    assert!(first == std::fs::read(dir.path().join("out/colours.apkg")).expect("package"));
    let streamed = run(dir.path(), &["build", "--force", "--stream-above", "0"]);
    assert_eq!(streamed.code, 0, "{}", streamed.stderr);
    assert!(first == std::fs::read(dir.path().join("out/colours.apkg")).expect("package"));
}

#[test]
fn sound_in_a_text_deck_is_packed_and_an_escaped_img_is_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "source-cards/_s/a.mp3", MP3);
    write(
        dir.path(),
        "source-cards/words.txt",
        b"Words\nHELLO\nSay it: <img src=\"x.png\">\n[sound:_s/a.mp3]\n",
    );
    let build = run(dir.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let members = members(&dir.path().join("out/words.apkg"));
    assert_eq!(members.last().expect("media").1, format!(r#"{{"0":"a-{}.mp3"}}"#, hex12(MP3)).as_bytes());
    let dump = run(dir.path(), &["dump", "out/words.apkg"]).stdout;
    assert!(dump.contains(&format!("[sound:a-{}.mp3]", hex12(MP3))), "{dump}");
    assert!(dump.contains("&lt;img src=\"x.png\"&gt;"), "{dump}");
}

#[test]
fn a_deck_without_media_has_an_empty_map_and_no_media_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "source-cards/plain.txt", b"Plain\nONE\nA question?\nAn answer.\n");
    assert_eq!(run(dir.path(), &["build", "--csv"]).code, 0);
    let members = members(&dir.path().join("out/plain.apkg"));
    let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["collection.anki2", "media"]);
    assert_eq!(members[1].1, b"{}");
    assert!(!dir.path().join("out/.ankideck-state/plain.media").exists());
    assert!(!dir.path().join("out/plain.media").exists());
}

#[test]
fn an_edited_image_rebuilds_its_deck_with_a_new_name_and_the_note_keeps_its_guid() {
    let dir = project();
    assert_eq!(run(dir.path(), &["build"]).code, 0);
    let again = run(dir.path(), &["build"]);
    assert!(again.stderr.contains("Colours: up to date"), "{}", again.stderr);
    let guids = |dir: &Path| {
        let dump = run(dir, &["dump", "out/colours.apkg"]).stdout;
        dump.lines()
            .filter_map(|l| l.split("guid=").nth(1))
            .map(|g| g.split(' ').next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    let before = guids(dir.path());
    write(dir.path(), "source-cards/_img/1.png", PNG_BLUE);
    let rebuilt = run(dir.path(), &["build"]);
    assert!(rebuilt.stderr.contains("(0 new, 1 updated, 1 unchanged, 0 removed)"), "{}", rebuilt.stderr);
    assert_eq!(guids(dir.path()), before);
    let dump = run(dir.path(), &["dump", "out/colours.apkg"]).stdout;
    assert!(dump.contains(&format!(r#"<img src="1-{}.png">"#, hex12(PNG_BLUE))), "{dump}");
    // A media file gone is found by the incremental check too.
    std::fs::remove_file(dir.path().join("media/a b&c.mp3")).expect("remove");
    let gone = run(dir.path(), &["build"]);
    assert_eq!(gone.code, 1, "{}", gone.stderr);
    assert!(
        gone.stderr.contains("error[E013]: the media file `../media/a b&c.mp3` is missing"),
        "{}",
        gone.stderr
    );
}

#[test]
fn a_bad_reference_is_e012_at_its_card_in_check_and_build_and_the_other_decks_are_built() {
    let dir = project();
    write(dir.path(), "secret.png", PNG_RED);
    write(
        dir.path(),
        "source-cards/bad.txt",
        b"Bad\nONE\nMissing: <img src=\"nope.png\">\nan answer\nTWO\nOutside: <img src=\"../../etc/passwd\">\nan answer\n\
          THREE\nNot media: <img src=\"bad.txt\">\nan answer\nFOUR\nAbsolute: <img src=\"/etc/hosts\">\nan answer\n",
    );
    let build = run(dir.path(), &["build"]);
    assert_eq!(build.code, 1, "{}", build.stderr);
    assert!(build.stderr.contains("Colours: 2 cards -> out/colours.apkg"), "{}", build.stderr);
    assert!(!dir.path().join("out/bad.apkg").exists());
    let errors: Vec<&str> = build.stderr.lines().filter(|l| l.contains("error[E013]")).collect();
    assert_eq!(errors.len(), 4, "{}", build.stderr);
    for (line, what) in [(2, "`nope.png`"), (5, "`../../etc/passwd`"), (8, "`bad.txt`"), (11, "`/etc/hosts`")]
    {
        let at = format!("source-cards/bad.txt:{line}:1: error[E013]: ");
        assert!(errors.iter().any(|e| e.starts_with(&at) && e.contains(what)), "{at} {what}: {errors:?}");
    }
    let check = run(dir.path(), &["check"]);
    assert_eq!(check.code, 1);
    let check_errors: Vec<&str> = check.stderr.lines().filter(|l| l.contains("error[E013]")).collect();
    assert_eq!(check_errors, errors);
    let streamed = run(dir.path(), &["build", "--stream-above", "0"]);
    assert_eq!(streamed.code, 1);
    let streamed_errors: Vec<&str> = streamed.stderr.lines().filter(|l| l.contains("error[E013]")).collect();
    assert_eq!(streamed_errors, errors, "a deck built from disk reports the same");
    let json = run(dir.path(), &["check", "--format", "json"]);
    assert_eq!(json.code, 1);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let e012 =
        parsed["diagnostics"].as_array().expect("diagnostics").iter().filter(|d| d["code"] == "E013").count();
    assert_eq!(e012, 4, "{}", json.stdout);
}

#[test]
fn a_csv_gets_its_media_copied_beside_it_and_the_report_says_so_once() {
    let dir = project();
    let build = run(dir.path(), &["build", "--csv"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert_eq!(build.stderr.matches("Anki's CSV import does not copy media").count(), 1, "{}", build.stderr);
    assert!(build.stderr.contains("out/colours.media/"), "{}", build.stderr);
    let copied = dir.path().join(format!("out/colours.media/1-{}.png", hex12(PNG_RED)));
    assert_eq!(std::fs::read(copied).expect("copied"), PNG_RED);
    assert_eq!(std::fs::read_dir(dir.path().join("out/colours.media")).expect("folder").count(), 3);
    // Without --csv the copies go with the CSV.
    assert_eq!(run(dir.path(), &["build", "--force"]).code, 0);
    assert!(!dir.path().join("out/colours.media").exists());
}

#[test]
fn the_readme_example_builds_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let start = readme.find("\n## Images and sound\n").expect("the README has the section");
    let section = &readme[start..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |end| end + 1)];
    let block = |lang: &str| {
        let open = format!("```{lang}\n");
        let from = section.find(&open).expect("a block") + open.len();
        section[from..from + section[from..].find("```").expect("closed")].to_string()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "ankideck.toml", block("toml").as_bytes());
    write(dir.path(), "source-cards/anatomy.txt", block("text").as_bytes());
    write(dir.path(), "source-cards/_img/heart.png", PNG_RED);
    write(dir.path(), "media/heart.mp3", MP3);
    let build = run(dir.path(), &["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(!build.stderr.contains("warning"), "{}", build.stderr);
    let members = members(&dir.path().join("out/anatomy.apkg"));
    // In name order.
    let mut names = [format!("heart-{}.mp3", hex12(MP3)), format!("heart-{}.png", hex12(PNG_RED))];
    names.sort();
    let map = format!(r#"{{"0":"{}","1":"{}"}}"#, names[0], names[1]);
    assert_eq!(String::from_utf8_lossy(&members.last().expect("map").1), map);
}

#[test]
fn a_deck_whose_file_is_gone_takes_its_csv_media_with_it() {
    let dir = project();
    write(dir.path(), "source-cards/other.txt", b"Other\nONE\nA question?\nAn answer.\n");
    assert_eq!(run(dir.path(), &["build", "--csv"]).code, 0);
    assert!(dir.path().join("out/colours.media").is_dir());
    std::fs::remove_file(dir.path().join("source-cards/colours.txt")).expect("remove");
    let build = run(dir.path(), &["build", "--csv"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.stderr.contains("out/colours.media"), "{}", build.stderr);
    assert!(!dir.path().join("out/colours.media").exists());
    assert!(!dir.path().join("out/.ankideck-state/colours.media").exists());
}

#[test]
fn a_copy_packed_once_still_rebuilds_its_deck_when_it_alone_changes() {
    let dir = project();
    write(dir.path(), "source-cards/_other/1.png", PNG_RED);
    assert_eq!(run(dir.path(), &["build"]).code, 0);
    let members_before = members(&dir.path().join("out/colours.apkg"));
    assert_eq!(members_before.len(), 4, "one file for the two copies, one sound, the map, the collection");
    write(dir.path(), "source-cards/_other/1.png", PNG_BLUE);
    let rebuilt = run(dir.path(), &["build"]);
    assert!(rebuilt.stderr.contains("(0 new, 1 updated, 1 unchanged, 0 removed)"), "{}", rebuilt.stderr);
}

#[test]
fn a_csv_media_folder_loses_only_the_copies_ankideck_made() {
    let dir = project();
    write(dir.path(), "source-cards/other.txt", b"Other\nONE\nA question?\nAn answer.\n");
    // Files of the user's in out/: in the folder a deck without media would have, and in one
    // that holds copies.
    write(dir.path(), "out/other.media/mine.txt", b"mine");
    write(dir.path(), "out/colours.media/notes.txt", b"notes");
    write(dir.path(), "out/colours.media/keep/x.png", PNG_RED);
    let build = run(dir.path(), &["build", "--csv"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert_eq!(std::fs::read(dir.path().join("out/other.media/mine.txt")).expect("kept"), b"mine");
    assert_eq!(std::fs::read(dir.path().join("out/colours.media/notes.txt")).expect("kept"), b"notes");
    // A copy no card references any more goes; the user's files stay, and so does the folder.
    write(
        dir.path(),
        "source-cards/colours.txt",
        b"Colours\nRED\nWhat colour is this? <img src=\"_img/1.png\">\nRed.\n",
    );
    assert_eq!(run(dir.path(), &["build", "--csv"]).code, 0);
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join("out/colours.media"))
        .expect("folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [format!("1-{}.png", hex12(PNG_RED)), "keep".to_string(), "notes.txt".to_string()]);
    // Without --csv, the copies go; the folder stays for the user's files.
    assert_eq!(run(dir.path(), &["build", "--force"]).code, 0);
    assert!(dir.path().join("out/colours.media/notes.txt").is_file());
    assert!(!dir.path().join(format!("out/colours.media/1-{}.png", hex12(PNG_RED))).exists());
}

#[test]
fn a_deck_with_media_built_from_another_folder_is_up_to_date_and_still_sees_an_edited_image() {
    let dir = project();
    let first = run(dir.path(), &["build"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    // The record names each file as its reference does, relative to the deck file's folder.
    let record =
        std::fs::read_to_string(dir.path().join("out/.ankideck-state/colours.media")).expect("record");
    assert_eq!(record, "../media/a b&c.mp3\n_img/1.png\n_other/1.png\n");
    // The same project built from its parent folder (and from its source folder) is up to date.
    let name = dir.path().file_name().expect("name").to_string_lossy().into_owned();
    let parent = dir.path().parent().expect("parent");
    let paths = [format!("{name}/source-cards"), format!("{name}/out"), format!("{name}/ankideck.lock")];
    let from = |cwd: &Path, paths: &[String; 3]| {
        let args = ["build", "--source", &paths[0], "--out", &paths[1], "--lock", &paths[2]];
        let run = run(cwd, &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stderr
    };
    let said = from(parent, &paths);
    assert!(said.contains("0 built, 1 up to date"), "{said}");
    let inside = [".".to_string(), "../out".to_string(), "../ankideck.lock".to_string()];
    let said = from(&dir.path().join("source-cards"), &inside);
    assert!(said.contains("0 built, 1 up to date"), "{said}");
    // An edited image is seen from there too.
    write(dir.path(), "media/a b&c.mp3", b"ID3\x04\0\0\0\0\0\0 another sound");
    let said = from(parent, &paths);
    assert!(said.contains("1 built"), "{said}");
    let said = run(dir.path(), &["build"]).stderr;
    assert!(said.contains("0 built, 1 up to date"), "{said}");
}
