//! `ankideck check`: parse and validate every deck, write nothing; `--show` lists the cards.

use super::report::{Verbosity, no_decks, plural, print_diagnostics, source_files};
use super::shown::{Listed, Packer, cards_text, with_cards};
use super::{CheckArgs, INPUT_ERROR, OutputFormat, TOOL_ERROR};
use crate::notetype::{Notetype, NotetypeKind};
use crate::settings::{NotetypeChoice, Settings};
use crate::{build, discover, source};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run_check(args: &CheckArgs, verbosity: Verbosity) -> ExitCode {
    let (files, skipped) = match source_files(&args.source) {
        Ok(found) => found,
        Err(code) => return code,
    };
    if files.is_empty() {
        // As `build`: a folder without decks is a mistake (the wrong folder, or `.md` files).
        // JSON still lists what was skipped.
        match args.format {
            OutputFormat::Text => print_diagnostics(&skipped, verbosity),
            OutputFormat::Json => {
                println!("{:#}", serde_json::json!({ "decks": [], "diagnostics": skipped }))
            }
        }
        return no_decks(&args.source);
    }
    // As `build`: a wrong ankideck.toml stops everything, its warnings come first.
    let project = match build::settings::load(&args.lock) {
        Ok(project) => project,
        Err(err) => {
            eprintln!("{}", build::settings::error_text(&err));
            return ExitCode::from(if err.is_input_error() { INPUT_ERROR } else { TOOL_ERROR });
        }
    };
    let stems: Vec<String> = files.iter().map(|f| source::stem_of(&f.path)).collect();
    // As `build`: each deck's note type must be one that can be made (a custom one's files
    // readable and valid).
    // And as `build`: what the lock says of a note type whose fields or templates changed, or
    // of a deck switched to another note type, or whose last package in out/ is of another
    // (W011, W012).
    let load = |choice: &crate::settings::NotetypeChoice| build::settings::notetype_for(&project, choice);
    let checked = build::schema::check_notetypes(&args.lock, &args.out, &project, &files, load);
    let notetype_warnings = match checked {
        Ok(warnings) => warnings,
        Err(build::settings::NotetypeOfError::Settings(err)) => {
            eprintln!("{}", build::settings::error_text(&err));
            return ExitCode::from(if err.is_input_error() { INPUT_ERROR } else { TOOL_ERROR });
        }
        Err(err @ build::settings::NotetypeOfError::Read { .. }) => {
            eprintln!("error: {err}");
            return ExitCode::from(TOOL_ERROR);
        }
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    // As `build`: a stylesheet asset that cannot be packed stops it.
    if let Err(err) = build::media::assets(&project) {
        eprintln!("{}", build::settings::error_text(&err));
        return ExitCode::from(if err.is_input_error() { INPUT_ERROR } else { TOOL_ERROR });
    }
    let mut decks = Vec::new();
    // Cards as `build` counts them (the cards Anki makes for each note), and the notes.
    let (mut cards, mut notes) = (0, 0);
    let mut notetypes = DeckNotetypes::default();
    let mut diagnostics = skipped;
    diagnostics.extend(build::settings::warnings(&project, stems.iter().map(String::as_str)));
    diagnostics.extend(notetype_warnings);
    let mut unread: Vec<String> = Vec::new();
    // The stylesheet is part of every deck's note type: one `build` cannot use fails the
    // build, so `check` says so too (exit 1 for a wrong file, as `build`).
    let mut bad_css = None;
    match discover::read_stylesheet(&args.source) {
        Err(err) if err.is_input() => bad_css = Some(err.to_string()),
        Err(err) => unread.push(err.to_string()),
        Ok(_) => {}
    }
    // As `build`: files whose names differ only in case are errors, each before its own
    // problems.
    let clashes = discover::case_clashes(&files);
    for file in &files {
        diagnostics.extend(clashes.iter().filter(|d| d.file == file.path).cloned());
        // As `build`: a file that cannot be read is named and the others are checked all the
        // same; the exit code says so (2).
        let mut cannot_read =
            |err: std::io::Error| unread.push(format!("cannot read {}: {err}", file.path.display()));
        // As `build`: for a deck whose cards decide which cards Anki makes (cloze), what to
        // warn about in them, after the file's own diagnostics when it has no error.
        let deck_settings = project.for_deck(&source::stem_of(&file.path));
        let lint = build::settings::card_lint(&deck_settings);
        let mapping = build::settings::NoteMapping::of(&deck_settings);
        // A note type whose cards depend on the note's fields (more than one template, or
        // cloze): each card is mapped to its note and its cards counted, as `build` makes them.
        // (A note type that cannot be made was reported above: its cards count one each.)
        let notetype = notetypes.of(&project, &deck_settings.notetype).cloned();
        let per_note = notetype.as_ref().filter(|t| makes_cards_per_note(t));
        // In a deck of another note type, a card holding a deletion is a note of the built-in
        // cloze: its cards counted and its warnings found as such.
        let cloze_type = match build::settings::is_cloze(&deck_settings.notetype) {
            true => None,
            false => {
                notetypes.of(&project, &NotetypeChoice::Builtin(crate::settings::Builtin::Cloze)).cloned()
            }
        };
        let cloze_lint = cloze_type.as_ref().filter(|_| lint.is_none());
        // `--show` names each side by the field that holds it.
        let sides = notetype.as_ref().map_or(Sides::default(), Sides::of);
        let cloze_sides = cloze_type.as_ref().map_or(Sides::default(), Sides::of);
        let deck_cards = std::sync::atomic::AtomicUsize::new(0);
        // The cards beyond one of the cloze cards of a deck whose cards are not counted per note.
        let extra_cards = std::sync::atomic::AtomicUsize::new(0);
        let count_cards = |note: &crate::model::Note| {
            let counted = match note.kind() {
                crate::model::NoteKind::Cloze => cloze_type.as_ref(),
                crate::model::NoteKind::Own => per_note,
            };
            let Some(counted) = counted else { return };
            let made = crate::identify::card_ords_of(note, counted).len();
            match per_note {
                Some(_) => deck_cards.fetch_add(made, std::sync::atomic::Ordering::Relaxed),
                None => extra_cards.fetch_add(made.saturating_sub(1), std::sync::atomic::Ordering::Relaxed),
            };
        };
        // The note type a note's cards are rendered with (`--show`).
        let kind_notetype = |note: &crate::model::Note| match note.kind() {
            crate::model::NoteKind::Cloze => cloze_type.as_ref(),
            crate::model::NoteKind::Own => notetype.as_ref(),
        };
        let lint_of = |note: &crate::model::Note| match note.kind() {
            crate::model::NoteKind::Cloze => cloze_lint.or(lint.as_ref()),
            crate::model::NoteKind::Own => lint.as_ref(),
        };
        let card_warnings = std::sync::Mutex::new(Vec::new());
        // A card asking for a reverse card is mapped too: the mapping notes those its deck does
        // not make (W013).
        // As `build`: the media a card references must be files that can be packed.
        let media = std::sync::Mutex::new(build::media::Streaming::new(&args.lock, &file.path));
        let lint_card = |card: &source::CardText<'_>| {
            let may_reference = card.front.iter().chain(card.back).any(|l| crate::media::may_reference(l));
            if lint.is_none()
                && card.reverse.is_none()
                && !may_reference
                && per_note.is_none()
                && !mapping.is_cloze_card(card)
            {
                return;
            }
            let note = mapping.note_of(source::CardText { ..*card });
            count_cards(&note);
            if may_reference {
                media.lock().unwrap_or_else(|p| p.into_inner()).note(&note);
            }
            if let Some(notetype) = lint_of(&note) {
                let found = build::settings::card_warnings(notetype, &file.path, &note);
                if !found.is_empty() {
                    card_warnings.lock().unwrap_or_else(|p| p.into_inner()).extend(found);
                }
            }
        };
        // In `build`'s order: W013 (even when the deck has errors: it is about the card's own
        // text), then, when it has none, the warnings of each card in file order.
        let card_warnings = |has_errors: bool| {
            let mut all = mapping.take_warnings(&file.path);
            if !has_errors {
                let mut found = std::mem::take(&mut *card_warnings.lock().unwrap_or_else(|p| p.into_inner()));
                found.sort_by_key(|d| d.line);
                all.extend(found);
            }
            all
        };
        // In `build`'s order: the media problems after the cards' warnings, in file order.
        // (A media file that cannot be read is named with the files that cannot be.)
        let media_problems = |unread: &mut Vec<String>| {
            let media = std::mem::replace(
                &mut *media.lock().unwrap_or_else(|p| p.into_inner()),
                build::media::Streaming::new(&args.lock, &file.path),
            );
            match media.finish() {
                Ok(_) => Vec::new(),
                Err(build::media::Refused::Input(mut found)) => {
                    found.sort_by_key(|d| d.line);
                    found
                }
                Err(build::media::Refused::Failed(message)) => {
                    unread.push(message);
                    Vec::new()
                }
            }
        };
        if file.format == source::Format::Csv {
            // A table's rows are notes: read record by record, as `build` reads it.
            let layout = build::settings::table_layout(&deck_settings);
            let mut listed = Vec::new();
            let mut linted = Vec::new();
            let section_at = layout.fields.iter().position(|f| f == "Section");
            let (show, json) = (args.show, args.format == OutputFormat::Json);
            let packer = Packer::new(&args.lock, &file.path);
            let read = std::fs::File::open(&file.path).and_then(|reader| {
                source::csv::read(&file.path, reader, &layout, |note| {
                    count_cards(&note);
                    if note.fields().any(crate::media::may_reference) {
                        media.lock().unwrap_or_else(|p| p.into_inner()).note(&note);
                    }
                    if let Some(notetype) = lint_of(&note) {
                        linted.extend(build::settings::card_warnings(notetype, &file.path, &note));
                    }
                    if show && !json {
                        let mut listed = shown_note(&file.path, &note, kind_notetype(&note));
                        if let Some(notetype) = kind_notetype(&note) {
                            let deck =
                                build::settings::deck_name(source::stem_of(&file.path), &deck_settings);
                            listed = with_cards(
                                listed,
                                &cards_text(&note, notetype, &deck, deck_settings.subdecks),
                            );
                        }
                        std::io::stdout().lock().write_all(listed.as_bytes())?;
                    }
                    if json {
                        let card = source::SourceCard {
                            line: note.line,
                            // The Section field (HTML) where the note type has one.
                            section: section_at.map_or("", |at| note.field(at)).to_string(),
                            front: note.field(0).to_string(),
                            back: note.field(1).to_string(),
                            reverse: false,
                            tags: note.tags().map(str::to_string).collect(),
                            id: note.pinned().map(str::to_string),
                            cloze: note.kind() == crate::model::NoteKind::Cloze,
                        };
                        listed.push(Listed::new(card, show.then(|| packer.packed(note.clone()))));
                    }
                    Ok(())
                })
            });
            let (parsed, _) = match read {
                Ok(read) => read,
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
                Err(err) => {
                    cannot_read(err);
                    continue;
                }
            };
            let has_errors = parsed.has_errors();
            if let Some(deck) = parsed.deck {
                notes += deck.cards.len();
                cards += match per_note {
                    Some(_) => deck_cards.load(std::sync::atomic::Ordering::Relaxed),
                    None => deck.cards.len(),
                } + extra_cards.load(std::sync::atomic::Ordering::Relaxed);
                if json {
                    let name = build::settings::deck_name(deck.name, &deck_settings);
                    let (own, cloze) = (notetype.as_ref(), cloze_type.as_ref());
                    listed.iter_mut().for_each(|c| c.render(own, cloze, &name, deck_settings.subdecks));
                    decks.push(source::SourceDeck { file: deck.file, stem: deck.stem, name, cards: listed });
                }
            }
            diagnostics.extend(parsed.diagnostics);
            diagnostics.extend(linted.into_iter().filter(|_| !has_errors));
            diagnostics.extend(media_problems(&mut unread).into_iter().filter(|_| !has_errors));
            continue;
        }
        if args.format == OutputFormat::Text {
            // Only the diagnostics (and with --show, the cards) are printed: the file is read in
            // blocks, its cards counted.
            let show = args.show;
            // The deck's title is read with its cards: a note type showing `{{Deck}}` or
            // `{{Subdeck}}` gets a stand-in for it, replaced by the deck's name once the file is
            // read (its cards are held until then); the settings' name is known at once.
            let names_deck = show
                && deck_settings.name.is_none()
                && notetype.as_ref().is_some_and(|t| {
                    t.templates.iter().any(|t| t.question().contains("Deck") || t.answer().contains("Deck"))
                });
            let text_deck = match &deck_settings.name {
                Some(name) => name.clone(),
                None if names_deck => DECK_STAND_IN.to_string(),
                None => source::stem_of(&file.path),
            };
            let mut held: Vec<String> = Vec::new();
            let read = std::fs::File::open(&file.path).and_then(|mut reader| {
                source::parse_stream(
                    file.format,
                    &file.path,
                    &mut reader,
                    build::stream_block(),
                    mapping.rules(),
                    |card| {
                        lint_card(&card);
                        if !show {
                            return String::new();
                        }
                        let cloze = mapping.is_cloze_card(&card);
                        let listed = shown(&file.path, &card, if cloze { &cloze_sides } else { &sides });
                        let note = build::settings::note_of(card, &deck_settings);
                        match kind_notetype(&note) {
                            Some(notetype) => with_cards(
                                listed,
                                &cards_text(&note, notetype, &text_deck, deck_settings.subdecks),
                            ),
                            None => listed,
                        }
                    },
                    |piece| {
                        if names_deck {
                            held.extend(piece);
                            return Ok(());
                        }
                        let mut stdout = std::io::stdout().lock();
                        piece.iter().try_for_each(|card| stdout.write_all(card.as_bytes()))
                    },
                )
            });
            let (parsed, _) = match read {
                Ok(read) => read,
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
                Err(err) => {
                    cannot_read(err);
                    continue;
                }
            };
            if !held.is_empty() {
                let title =
                    parsed.deck.as_ref().map_or_else(|| source::stem_of(&file.path), |d| d.name.clone());
                let name = build::settings::deck_name(title, &deck_settings);
                let mut stdout = std::io::stdout().lock();
                let written = held
                    .iter()
                    .try_for_each(|card| stdout.write_all(card.replace(DECK_STAND_IN, &name).as_bytes()));
                if written.is_err() {
                    return ExitCode::SUCCESS;
                }
            }
            let has_errors = parsed.has_errors();
            let parsed_notes = parsed.deck.map_or(0, |d| d.cards.len());
            notes += parsed_notes;
            cards += if per_note.is_some() {
                deck_cards.load(std::sync::atomic::Ordering::Relaxed)
            } else {
                parsed_notes
            } + extra_cards.load(std::sync::atomic::Ordering::Relaxed);
            diagnostics.extend(parsed.diagnostics);
            diagnostics.extend(card_warnings(has_errors));
            diagnostics.extend(media_problems(&mut unread).into_iter().filter(|_| !has_errors));
            continue;
        }
        let bytes = match std::fs::read(&file.path) {
            Ok(bytes) => bytes,
            Err(err) => {
                cannot_read(err);
                continue;
            }
        };
        let packer = Packer::new(&args.lock, &file.path);
        let parsed = source::parse_with(file.format, &file.path, &bytes, mapping.rules(), |card| {
            lint_card(&card);
            let cloze = mapping.is_cloze_card(&card);
            // With `--show`, the note is kept: its cards are rendered once the deck's name is
            // known. (Mapped apart from `mapping`, which notes its warnings once per card.)
            let note = args.show.then(|| {
                packer.packed(build::settings::note_of(source::CardText { ..card }, &deck_settings))
            });
            Listed::new(source::SourceCard { cloze, ..card.to_card() }, note)
        });
        let has_errors = parsed.has_errors();
        let parsed_notes = parsed.deck.as_ref().map_or(0, |d| d.cards.len());
        notes += parsed_notes;
        cards += if per_note.is_some() {
            deck_cards.load(std::sync::atomic::Ordering::Relaxed)
        } else {
            parsed_notes
        } + extra_cards.load(std::sync::atomic::Ordering::Relaxed);
        // The deck's name in Anki, as `build` makes it: the settings' `name` wins over the title.
        decks.extend(parsed.deck.map(|mut deck| {
            deck.name = build::settings::deck_name(deck.name, &project.for_deck(&deck.stem));
            let (own, cloze) = (notetype.as_ref(), cloze_type.as_ref());
            deck.cards.iter_mut().for_each(|c| c.render(own, cloze, &deck.name, deck_settings.subdecks));
            deck
        }));
        diagnostics.extend(parsed.diagnostics);
        diagnostics.extend(card_warnings(has_errors));
        diagnostics.extend(media_problems(&mut unread).into_iter().filter(|_| !has_errors));
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    match args.format {
        OutputFormat::Json => {
            let json = serde_json::json!({ "decks": decks, "diagnostics": diagnostics });
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = writeln!(stdout, "{json:#}")
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("error: cannot write to stdout: {e}");
                return ExitCode::from(TOOL_ERROR);
            }
        }
        OutputFormat::Text => {
            print_diagnostics(&diagnostics, verbosity);
            for message in bad_css.iter().chain(&unread) {
                eprintln!("error: {message}");
            }
            // As `build` says a deck's size: the notes named when a note makes several cards.
            let size = match notes == cards {
                true => plural(cards, "card"),
                false => format!("{} of {}", plural(cards, "card"), plural(notes, "note")),
            };
            eprintln!(
                "{}, {size}, {}, {}",
                plural(files.len(), "deck"),
                plural(errors, "error"),
                plural(diagnostics.len() - errors, "warning")
            );
        }
    }
    if !unread.is_empty() {
        if args.format == OutputFormat::Json {
            bad_css.iter().chain(&unread).for_each(|message| eprintln!("error: {message}"));
        }
        ExitCode::from(TOOL_ERROR)
    } else if errors > 0 || bad_css.is_some() {
        if args.format == OutputFormat::Json {
            bad_css.iter().for_each(|message| eprintln!("error: {message}"));
        }
        ExitCode::from(INPUT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// The note type of each deck's settings, each made once (a custom one reads its files).
#[derive(Default)]
struct DeckNotetypes(Vec<(NotetypeChoice, Option<Notetype>)>);

impl DeckNotetypes {
    /// The note type of `choice`, or `None` when it cannot be made (already reported).
    fn of(&mut self, project: &Settings, choice: &NotetypeChoice) -> Option<&Notetype> {
        let at = match self.0.iter().position(|(c, _)| c == choice) {
            Some(at) => at,
            None => {
                let notetype = build::settings::notetype_for(project, choice).ok();
                self.0.push((choice.clone(), notetype));
                self.0.len() - 1
            }
        };
        self.0[at].1.as_ref()
    }
}

/// What `check --show` renders `{{Deck}}` with while a deck's title is not known yet: letters
/// only, so no rendering or text view changes it.
const DECK_STAND_IN: &str = "ANKIDECKxDECKxNAMExSTANDxIN";

/// Whether the cards of a note of `notetype` depend on its fields: not for a normal note type
/// of one template, whose card 1 Anki always makes (as `build` decides).
fn makes_cards_per_note(notetype: &Notetype) -> bool {
    !(notetype.kind == NotetypeKind::Normal && notetype.templates.len() == 1)
}

/// The names `check --show` gives a card's two sides: the fields of the deck's note type that
/// take its front and its back (the first two besides `Section`, as the build maps them).
struct Sides {
    front: String,
    back: String,
}

impl Default for Sides {
    fn default() -> Sides {
        Sides { front: "Front".into(), back: "Back".into() }
    }
}

impl Sides {
    fn of(notetype: &Notetype) -> Sides {
        let mut names = notetype.fields.iter().map(|f| f.name.as_str()).filter(|n| *n != "Section");
        match (names.next(), names.next()) {
            (Some(front), Some(back)) => Sides { front: front.into(), back: back.into() },
            _ => Sides::default(),
        }
    }
}

/// A table's note as `check --show` lists it: where it is, its tags, and its fields, each
/// named by the note type's field (by its number if the note type could not be made).
fn shown_note(file: &Path, note: &crate::model::Note, notetype: Option<&Notetype>) -> String {
    // A row without tags is named by its place alone (not `file:2: ` with nothing after it).
    let mut out = match note.tags_text() {
        "" => format!("{}:{}\n", file.display(), note.line),
        tags => format!("{}:{}: {tags}\n", file.display(), note.line),
    };
    let name = |i: usize| match notetype.and_then(|t| t.fields.get(i)) {
        Some(field) => field.name.clone(),
        None => (i + 1).to_string(),
    };
    let width = (0..note.fields().count()).map(|i| name(i).chars().count()).max().unwrap_or(0).max(5);
    for (i, field) in note.fields().enumerate() {
        out.push_str(&format!("  {:<width$} | {field}\n", name(i)));
    }
    out.push('\n');
    out
}

/// A card as `check --show` lists it: where it starts, its section, its front and back, each
/// side named by its field.
fn shown(file: &Path, card: &source::CardText<'_>, sides: &Sides) -> String {
    let mut out = format!("{}:{}: {}\n", file.display(), card.line, card.section);
    let width = sides.front.chars().count().max(sides.back.chars().count()).max("<->".len());
    for (at, (side, lines)) in [(&sides.front, card.front), (&sides.back, card.back)].into_iter().enumerate()
    {
        if at == 1 && card.reverse.is_some() {
            out.push_str(&format!("  {:<width$} | asks for a reverse card, back to front\n", "<->"));
        }
        // A Markdown side is one piece of HTML, which may hold line breaks.
        for (i, line) in lines.iter().flat_map(|l| l.split('\n')).enumerate() {
            let label = if i == 0 { side.as_str() } else { "" };
            out.push_str(&format!("  {label:<width$} | {line}\n"));
        }
    }
    if let Some(markup) = card.markup {
        if !markup.tags.is_empty() {
            out.push_str(&format!("  {:<width$} | {}\n", "Tags", markup.tags.join(" ")));
        }
        if let Some(id) = markup.pinned {
            out.push_str(&format!("  {:<width$} | {id}\n", "id"));
        }
    }
    out.push('\n');
    out
}
