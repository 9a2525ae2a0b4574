//! `ankideck init [DIR]`: scaffolds a project (a sample deck, a commented `ankideck.toml` that
//! changes nothing until edited, a `.gitignore` keeping `out/` out of git). It never overwrites:
//! if any file it would write is there, it writes nothing, names them and exits 1. A
//! `.gitignore` already there (the usual case in a git repository) is left as it is, and the
//! user told to add `out/` to it when it does not ignore it yet. In a folder
//! whose `source-cards/` already holds decks it adds no sample deck: the next build would put it
//! in the user's Anki collection beside their own.

use super::{INPUT_ERROR, TOOL_ERROR};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The sample deck's file, relative to the project.
pub const SAMPLE_DECK: &str = "source-cards/solar-system.txt";

/// The files `init` writes: path relative to the project, content, what it is for.
pub const FILES: [(&str, &str, &str); 3] = [
    (
        SAMPLE_DECK,
        include_str!("init/solar-system.txt"),
        "a sample deck: edit it, or add your own .txt decks beside it",
    ),
    (
        crate::settings::FILE_NAME,
        include_str!("init/ankideck.toml"),
        "the settings, every key shown; as written it changes nothing",
    ),
    (GITIGNORE, "out/\n", "keeps out/ (the built packages) out of git"),
];

const GITIGNORE: &str = ".gitignore";

/// A `.gitignore` already in `dir`: whether it ignores `out/` (a line `out`, `out/`, `/out` or
/// `/out/`). `None` when there is none (a link counts as one: it is not written through).
fn existing_gitignore(dir: &Path) -> Option<bool> {
    let path = dir.join(GITIGNORE);
    std::fs::symlink_metadata(&path).ok()?;
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    Some(text.lines().map(str::trim).any(|line| matches!(line, "out" | "out/" | "/out" | "/out/")))
}

/// Makes the project; `-q` prints only errors (what was made and the next steps are not errors).
pub(super) fn run_init(dir: &Path, verbosity: super::report::Verbosity) -> ExitCode {
    if dir.exists() && !dir.is_dir() {
        eprintln!("error: {} is not a folder; give the folder to make the project in", dir.display());
        return ExitCode::from(INPUT_ERROR);
    }
    let has_decks = crate::discover::discover(&dir.join("source-cards")).is_ok_and(|decks| !decks.is_empty());
    let gitignore = existing_gitignore(dir);
    let files: Vec<_> = FILES
        .iter()
        .filter(|(rel, _, _)| !(has_decks && *rel == SAMPLE_DECK))
        .filter(|(rel, _, _)| !(gitignore.is_some() && *rel == GITIGNORE))
        .collect();
    // `symlink_metadata`: a dangling link is something there too, which writing would follow.
    let taken: Vec<PathBuf> = files
        .iter()
        .map(|(rel, _, _)| shown(dir, rel))
        .filter(|path| std::fs::symlink_metadata(path).is_ok())
        .collect();
    if !taken.is_empty() {
        return refuse(&taken);
    }
    let mut written = Vec::new();
    for (rel, content, _) in &files {
        let path = shown(dir, rel);
        if let Err(e) = write_new(&path, content) {
            // Take back what this run wrote, so that a failed init leaves the folder as it was.
            written.iter().for_each(|p: &PathBuf| drop(std::fs::remove_file(p)));
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                return refuse(&[path]);
            }
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(TOOL_ERROR);
        }
        written.push(path);
    }
    if verbosity != super::report::Verbosity::Quiet {
        eprint!("{}", made(dir, has_decks, gitignore));
    }
    ExitCode::SUCCESS
}

/// Writes `content` to a new file at `path` (never over an existing one), making its folder.
fn write_new(path: &Path, content: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(content.as_bytes())
}

fn refuse(taken: &[PathBuf]) -> ExitCode {
    eprintln!("error: init writes nothing, because these files are already there:");
    for path in taken {
        eprintln!("  {}", path.display());
    }
    eprintln!(
        "  = hint: init never overwrites a file: move them away, or init another folder (`ankideck init DIR`)"
    );
    ExitCode::from(INPUT_ERROR)
}

/// Whether `dir` is the current folder, as the user wrote it.
fn is_here(dir: &Path) -> bool {
    dir.as_os_str().is_empty() || dir == Path::new(".")
}

/// The path of `rel` in `dir`, as the user would write it (`ankideck.toml`, not `./ankideck.toml`).
fn shown(dir: &Path, rel: &str) -> PathBuf {
    match is_here(dir) {
        true => PathBuf::from(rel),
        false => dir.join(rel),
    }
}

/// What init made and the next commands; `has_decks`: the source folder had decks, so no sample.
fn made(dir: &Path, has_decks: bool, gitignore: Option<bool>) -> String {
    let here = is_here(dir);
    let mut text = match here {
        true => "Made an ankideck project here:\n".to_string(),
        false => format!("Made an ankideck project in {}:\n", dir.display()),
    };
    for (rel, _, what) in FILES {
        match (rel, gitignore) {
            (SAMPLE_DECK, _) if has_decks => {
                text.push_str("  source-cards/ already holds your decks, so no sample deck was added\n")
            }
            (GITIGNORE, Some(true)) => {
                text.push_str(&format!("  {rel:<31} was already there, and ignores out/\n"))
            }
            (GITIGNORE, Some(false)) => text.push_str(&format!(
                "  {rel:<31} was already there and is left as it was: add a line `out/` to it, to keep\n\
                 \x20 {:<31} the built packages out of git\n",
                ""
            )),
            _ => text.push_str(&format!("  {rel:<31} {what}\n")),
        }
    }
    text.push_str("\nNext:\n");
    if !here {
        text.push_str(&format!("  cd {}\n", dir.display()));
    }
    let apkg = match has_decks {
        true => "out/<deck>.apkg".to_string(),
        false => {
            format!("out/{}.apkg", SAMPLE_DECK.trim_start_matches("source-cards/").trim_end_matches(".txt"))
        }
    };
    text.push_str(&format!(
        "  ankideck check --show           shows how every card is split into front and back\n\
         \x20 ankideck build                  writes {apkg}, and ankideck.lock: commit the lock with your decks\n\
         \x20 then import {apkg} into Anki: File > Import (or open the file with AnkiDroid)\n\
         \x20 after an edit, build and import again: the notes are updated, their reviews kept\n\
         \x20 ankideck watch                  builds again on every save; out/preview/index.html shows every card\n"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings file `init` writes.
    fn settings_text() -> &'static str {
        FILES.iter().find(|(rel, _, _)| *rel == crate::settings::FILE_NAME).unwrap().1
    }

    #[test]
    fn the_settings_show_every_built_in_note_type_with_a_card_of_it() {
        let text = settings_text();
        for name in crate::notetype::BUILTIN_NAMES {
            let line = text.lines().find(|l| l.starts_with(&format!("#   {name} ")));
            let card = line.unwrap_or_else(|| panic!("no example line for `{name}`:\n{text}"));
            // A heading, then the card's lines.
            assert!(card.contains("MARS / "), "{card}");
        }
        assert!(text.contains("#   optional-reversed  MARS / the red planet / <-> / Mars"));
        assert!(text.contains("{{c1::Mars}}"));
    }

    #[test]
    fn each_example_card_of_the_settings_reads_as_a_card_of_its_note_type() {
        use crate::build::settings::NoteMapping;
        use crate::settings::{Builtin, DeckSettings, NotetypeChoice};
        for name in crate::notetype::BUILTIN_NAMES {
            let line = settings_text().lines().find(|l| l.starts_with(&format!("#   {name} "))).unwrap();
            // The card: from `MARS` to the two spaces before its description.
            let card = line[line.find("MARS").unwrap()..].split("  ").next().unwrap();
            let file = format!("Planets\n{}\n", card.replace(" / ", "\n"));
            let deck = DeckSettings {
                notetype: NotetypeChoice::Builtin(match name {
                    "basic" => Builtin::Basic,
                    "reversed" => Builtin::Reversed,
                    "optional-reversed" => Builtin::OptionalReversed,
                    "type-in" => Builtin::TypeIn,
                    _ => Builtin::Cloze,
                }),
                ..DeckSettings::default()
            };
            let mapping = NoteMapping::of(&deck);
            let parsed = crate::source::parse_with(
                crate::source::Format::Txt,
                Path::new("planets.txt"),
                file.as_bytes(),
                mapping.rules(),
                |card| mapping.note_of(card),
            );
            assert!(parsed.diagnostics.is_empty(), "{name}: {card}: {:?}", parsed.diagnostics);
            let notes = parsed.deck.unwrap().cards;
            assert!(mapping.take_warnings(Path::new("planets.txt")).is_empty(), "{name}");
            let notetype = crate::notetype::Notetype::builtin(name, None).unwrap();
            let fields: Vec<&str> = notes[0].fields().collect();
            let cards = notetype.card_ords(&fields, true).ords.len();
            let expected = match name {
                "reversed" | "optional-reversed" => 2,
                _ => 1,
            };
            assert_eq!((notes.len(), cards), (1, expected), "{name}: {card}");
        }
    }
}
