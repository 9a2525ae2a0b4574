//! How the build (and `check`) use `ankideck.toml`: where it is read from, its warnings as
//! diagnostics, a deck's settings in its notes (extra tags, HTML kept as written), its name and
//! description, and in the deck's fingerprint.
//!
//! The project root is the folder of the lock file (the parent of `--lock`, the current folder
//! by default): the settings file sits beside `ankideck.lock`, as `ankideck init` writes them.

use crate::diagnostic::{Code, Diagnostic};
use crate::html;
use crate::model::{FIELD_SEPARATOR, Note, NoteKind};
use crate::notetype::Notetype;
use crate::settings::{self, Builtin, DeckSettings, NotetypeChoice, Settings, SettingsError};
use crate::source::CardText;
use crate::source::txt::{self, REVERSE_SEPARATOR};
use std::path::{Path, PathBuf};

/// The settings file of the project whose lock file is `lock`.
pub fn settings_path(lock: &Path) -> PathBuf {
    // `ankideck.toml`, not `./ankideck.toml`, in messages when the lock is in the current folder.
    match lock.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(folder) => folder.join(settings::FILE_NAME),
        None => PathBuf::from(settings::FILE_NAME),
    }
}

/// Reads the project's settings (the defaults when there is no file). Every note type it can
/// name is built: the text format asks for `optional-reversed`'s reverse card with `<->`.
pub fn load(lock: &Path) -> Result<Settings, SettingsError> {
    Settings::load(&settings_path(lock))
}

/// Why the decks' note type cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum NotetypeOfError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A file of a custom note type cannot be read (exit 2).
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// A custom note type is wrong (exit 1); its message names the file (and line).
    #[error(transparent)]
    Custom(#[from] crate::notetype::NotetypeError),
    /// A custom note type with no field for the back: a card's back would be lost (exit 1).
    #[error(
        "{}: the note type `{name}` has {count} field(s) besides `Section`, and a card has a front and a back; give it a second field (key `notetypes.{name}.fields`)",
        file.display()
    )]
    TooFewFields { file: PathBuf, name: String, count: usize },
}

/// The note type of the decks `stems` (the first one's: the build asks for one deck at a time,
/// or for decks of one note type), with the project's `ankideck.css` (a built-in one) or its
/// own files read (a custom one).
pub fn notetype_of(
    settings: &Settings,
    stems: &[&str],
    extra_css: Option<&str>,
) -> Result<Notetype, NotetypeOfError> {
    match stems.first().map(|stem| settings.for_deck(stem).notetype) {
        Some(choice) => made(settings, &choice, extra_css),
        None => Ok(Notetype::flashcard(extra_css)),
    }
}

/// The note type `choice` of the settings, as [`notetype_of`] makes it (without the project's
/// `ankideck.css`, which changes no card): for `check`, which counts the cards Anki makes.
pub fn notetype_for(settings: &Settings, choice: &NotetypeChoice) -> Result<Notetype, NotetypeOfError> {
    made(settings, choice, None)
}

/// The note type `choice` of the settings, with the project's `ankideck.css` (`extra_css`).
pub fn notetype_with(
    settings: &Settings,
    choice: &NotetypeChoice,
    extra_css: Option<&str>,
) -> Result<Notetype, NotetypeOfError> {
    made(settings, choice, extra_css)
}

fn made(
    settings: &Settings,
    choice: &NotetypeChoice,
    extra_css: Option<&str>,
) -> Result<Notetype, NotetypeOfError> {
    Ok(match choice {
        NotetypeChoice::Builtin(b) => Notetype::builtin(b.name(), extra_css).expect("a built-in name"),
        NotetypeChoice::Custom(custom) => {
            let count = custom.fields.iter().filter(|f| *f != "Section").count();
            if count < 2 {
                let file = settings.file().unwrap_or(Path::new(settings::FILE_NAME)).to_path_buf();
                return Err(NotetypeOfError::TooFewFields { file, name: custom.name.clone(), count });
            }
            let file = settings.file().unwrap_or(Path::new(settings::FILE_NAME));
            Notetype::custom(&read_custom(custom, file)?)?
        }
    })
}

/// A custom note type with its files read. A file that is not there (or is a folder) is a
/// wrong path in the settings file `file`: an error at its key (exit 1); one that cannot be
/// read, an I/O error (exit 2).
fn read_custom(
    custom: &settings::CustomNotetype,
    file: &Path,
) -> Result<crate::notetype::CustomNotetype, NotetypeOfError> {
    use crate::notetype::{CustomTemplate, NotetypeKind, SourceText};
    let read = |path: &settings::ProjectPath, what: &str| {
        std::fs::read_to_string(&path.path).map(|text| SourceText::new(&path.path, &text)).map_err(|source| {
            match source.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::IsADirectory => {
                    NotetypeOfError::Settings(path.missing(file, what, &source))
                }
                _ => NotetypeOfError::Read { path: path.path.clone(), source },
            }
        })
    };
    let css = match &custom.css {
        Some(css) => read(css, "the stylesheet")?.text,
        None => String::new(),
    };
    let templates = (custom.templates.iter())
        .map(|t| {
            Ok(CustomTemplate {
                name: t.name.clone(),
                front: read(&t.front, "the template")?,
                back: read(&t.back, "the template")?,
            })
        })
        .collect::<Result<Vec<_>, NotetypeOfError>>()?;
    let kind = match custom.kind {
        settings::Kind::Standard => NotetypeKind::Normal,
        settings::Kind::Cloze => NotetypeKind::Cloze,
    };
    Ok(crate::notetype::CustomNotetype {
        name: custom.name.clone(),
        kind,
        fields: custom.fields.clone(),
        css,
        templates,
    })
}

/// A settings error as `check` and `build` print it: one that is in the file names its place
/// itself (`ankideck.toml:3:1: error: …`), one reading it gets the usual `error: ` first.
pub fn error_text(error: &SettingsError) -> String {
    match error.is_input_error() {
        true => error.to_string(),
        false => format!("error: {error}"),
    }
}

/// The settings warnings (a `[decks.X]` table with no deck file `X.txt` among `stems`) as
/// diagnostics W007.
pub fn warnings<'a>(settings: &Settings, stems: impl IntoIterator<Item = &'a str>) -> Vec<Diagnostic> {
    let stems: Vec<&str> = stems.into_iter().collect();
    (settings.warnings(&stems).into_iter())
        .map(|w| {
            let d =
                Diagnostic::new(Code::W007, &w.file, w.at.line, format!("{} (key `{}`)", w.message, w.key));
            let d = d.at_column(w.at.column);
            match w.hint {
                Some(hint) => d.with_hint(hint),
                None => d,
            }
        })
        .collect()
}

/// What a deck's settings add to its fingerprint: nothing for the settings a deck has without
/// a file (so a project without `ankideck.toml`, or with one that changes nothing for the deck,
/// keeps the state files it had), else their digest.
pub fn fingerprint_part(deck: &DeckSettings) -> String {
    match *deck == DeckSettings::default() {
        true => String::new(),
        false => format!(" deck-settings={:032x}", deck.digest()),
    }
}

/// Stock Anki's names of the note types ankideck builds in, for an Anki export's `#notetype`.
const STOCK_NAMES: [(&str, Builtin); 5] = [
    ("Basic", Builtin::Basic),
    ("Basic (and reversed card)", Builtin::Reversed),
    ("Basic (optional reversed card)", Builtin::OptionalReversed),
    ("Basic (type in the answer)", Builtin::TypeIn),
    ("Cloze", Builtin::Cloze),
];

/// What a CSV/TSV deck of these settings is read into: its note type's fields, names and
/// HTML setting, and the note types a file may name.
pub fn table_layout(deck: &DeckSettings) -> crate::source::csv::Layout {
    let (setting, anki_name, fields) = match &deck.notetype {
        NotetypeChoice::Builtin(b) => {
            let notetype = Notetype::builtin(b.name(), None).expect("a built-in name");
            (b.name().to_string(), notetype.name, notetype.fields.into_iter().map(|f| f.name).collect())
        }
        NotetypeChoice::Custom(c) => (c.name.clone(), c.name.clone(), c.fields.clone()),
    };
    let mut known: Vec<(String, String)> = (crate::notetype::BUILTIN_NAMES.iter())
        .map(|name| (Notetype::builtin(name, None).expect("a built-in name").name, name.to_string()))
        .collect();
    known.extend(STOCK_NAMES.iter().map(|(stock, b)| (stock.to_string(), b.name().to_string())));
    let cloze = (!is_cloze(&deck.notetype)).then(|| {
        let cloze = Notetype::builtin("cloze", None).expect("a built-in name");
        cloze.fields.into_iter().map(|f| f.name).collect()
    });
    crate::source::csv::Layout {
        setting,
        anki_name,
        fields,
        html: deck.html,
        tags: deck.tags.clone(),
        known,
        cloze,
    }
}

/// Maps one card onto the flashcard note type as [`model::note_of`] does, with the deck's
/// settings: its text kept as HTML (`html = true`), its extra tags added. For one card; a
/// deck's cards go through one [`NoteMapping`].
pub fn note_of(card: CardText<'_>, deck: &DeckSettings) -> Note {
    NoteMapping::of(deck).note_of(card)
}

/// How a deck's cards become notes: its settings and, for a custom note type, the field layout
/// ([`custom_layout`]), worked out once per deck rather than once per card.
pub struct NoteMapping<'a> {
    deck: &'a DeckSettings,
    /// The deck's note type is not cloze: a card whose question holds a cloze deletion becomes a
    /// note of the built-in `cloze` ([`NoteKind::Cloze`]).
    cloze_cards: bool,
    layout: Option<Vec<Option<usize>>>,
    /// Whether the note type has the field `Add Reverse` that a card's `<->` fills
    /// (`optional-reversed`).
    add_reverse: bool,
    /// The `<->` lines of the cards that ask for a reverse card the note type does not make
    /// on request (W013), in the order the (parallel) parser mapped them.
    unused_reverse: std::sync::Mutex<Vec<(u32, bool)>>,
}

/// What `optional-reversed`'s field `Add Reverse` holds for a card that asks for its reverse
/// card: Anki makes card 2 for any non-empty value (its manual suggests `y`).
pub const ADD_REVERSE: &str = "y";

impl<'a> NoteMapping<'a> {
    pub fn of(deck: &'a DeckSettings) -> NoteMapping<'a> {
        NoteMapping {
            deck,
            cloze_cards: !is_cloze(&deck.notetype),
            layout: custom_layout(deck),
            add_reverse: matches!(deck.notetype, NotetypeChoice::Builtin(Builtin::OptionalReversed)),
            unused_reverse: Default::default(),
        }
    }

    /// What the reader accepts for this deck: a card of one line holding a cloze deletion in a
    /// deck of a cloze note type (built-in or custom), and, in a deck of another one, a card whose
    /// question holds a deletion (a cloze note) without an answer.
    pub fn rules(&self) -> crate::source::Rules {
        crate::source::Rules { one_line_cloze: !self.cloze_cards, cloze_cards: self.cloze_cards }
    }

    /// Whether the card becomes a note of the built-in cloze ([`NoteMapping::note_of`]).
    pub fn is_cloze_card(&self, card: &CardText<'_>) -> bool {
        self.cloze_cards && holds_deletion(card.front)
    }

    /// The note of one card, as [`note_of`] maps it. In a deck whose note type is not cloze, a
    /// card whose question holds a cloze deletion that makes a card is a note of the built-in
    /// `cloze` (question → `Text`, answer → `Back Extra`, section → `Section`: the flashcard
    /// fields' places), whatever the deck's own fields.
    pub fn note_of(&self, card: CardText<'_>) -> Note {
        let cloze = self.is_cloze_card(&card);
        if let Some(line) = card.reverse
            && (cloze || !self.add_reverse)
        {
            self.unused_reverse.lock().unwrap_or_else(|p| p.into_inner()).push((line, cloze));
        }
        if cloze {
            let pinned = card.markup.and_then(|m| m.pinned);
            let note = note_of_flashcard(card, self.deck).with_kind(NoteKind::Cloze);
            return match pinned {
                Some(guid) if note.pinned() != Some(guid) => note.with_pinned(guid.to_string()),
                _ => note,
            };
        }
        let reverse = card.reverse.is_some();
        // The layouts below make new notes: a pinned guid is put back after.
        let pinned = card.markup.and_then(|m| m.pinned);
        let note = match &self.layout {
            Some(layout) => custom_note(note_of_flashcard(card, self.deck), layout),
            None if self.add_reverse => with_add_reverse(note_of_flashcard(card, self.deck), reverse),
            None => note_of_flashcard(card, self.deck),
        };
        match pinned {
            Some(guid) if note.pinned() != Some(guid) => note.with_pinned(guid.to_string()),
            _ => note,
        }
    }

    /// W013 for each card mapped so far that asked for a reverse card (`<->`) the deck's note
    /// type does not make on request, at its `<->` line, in line order; taken, so a second call
    /// gives none.
    pub fn take_warnings(&self, file: &Path) -> Vec<Diagnostic> {
        let mut lines = std::mem::take(&mut *self.unused_reverse.lock().unwrap_or_else(|p| p.into_inner()));
        if lines.is_empty() {
            return Vec::new();
        }
        lines.sort_unstable();
        let name = match &self.deck.notetype {
            NotetypeChoice::Builtin(b) => b.name(),
            NotetypeChoice::Custom(c) => c.name.as_str(),
        };
        let already = matches!(self.deck.notetype, NotetypeChoice::Builtin(Builtin::Reversed));
        // A cloze card of a deck of another note type is a note of the built-in cloze, which
        // makes a card per deletion and none reversed, whatever the deck's note type.
        let cloze_card = (
            "`<->` asks for a reverse card, which a cloze card does not get (it is a note of the \
             built-in cloze: a card per deletion number): it only ends the front"
                .to_string(),
            format!("write `---` to end the front; {}", txt::literal_separator(REVERSE_SEPARATOR)),
        );
        let (message, hint) = match already {
            true => (
                format!(
                    "`<->` asks for a reverse card, and every card of a `{name}` deck has one: it only ends the front"
                ),
                format!("write `---` to end the front; {}", txt::literal_separator(REVERSE_SEPARATOR)),
            ),
            false => (
                format!(
                    "`<->` asks for a reverse card, which a deck of note type `{name}` does not make: it only ends the front"
                ),
                format!(
                    "write `---` to end the front; or, to make a reverse card for each card with `<->`, set \
                     `notetype = \"optional-reversed\"` for the deck in ankideck.toml; {}",
                    txt::literal_separator(REVERSE_SEPARATOR)
                ),
            ),
        };
        (lines.into_iter())
            .map(|(line, cloze)| {
                let (message, hint) = if cloze && !is_cloze(&self.deck.notetype) {
                    (&cloze_card.0, &cloze_card.1)
                } else {
                    (&message, &hint)
                };
                Diagnostic::new(Code::W013, file, line, message.clone()).with_hint(hint.clone())
            })
            .collect()
    }
}

/// Whether a note type choice is of the cloze kind (built-in or custom).
pub fn is_cloze(choice: &NotetypeChoice) -> bool {
    match choice {
        NotetypeChoice::Builtin(b) => *b == Builtin::Cloze,
        NotetypeChoice::Custom(c) => c.kind == settings::Kind::Cloze,
    }
}

/// Whether a side's lines hold a cloze deletion that makes a card (`{{c1::…}}`, not `{{c0::…}}`).
/// Most lines hold no `{{c`: a scan of the front and nothing more.
fn holds_deletion(lines: &[&str]) -> bool {
    lines.iter().any(|line| {
        line.contains("{{c") && {
            let mut numbers = Vec::new();
            crate::notetype::add_cloze_numbers(line, &mut numbers);
            !numbers.is_empty()
        }
    })
}

/// A flashcard note (Front, Back, Section) in `optional-reversed`'s fields: Front, Back, Add
/// Reverse ([`ADD_REVERSE`] when the card asks for its reverse card, else empty), Section.
fn with_add_reverse(note: Note, reverse: bool) -> Note {
    let (tags, line) = (note.tags_text().to_string(), note.line);
    let mut flds = note.into_flds();
    // The section is the last field, and no field holds a separator.
    let at = flds.rfind(FIELD_SEPARATOR).expect("a flashcard note has three fields");
    flds.insert(at, FIELD_SEPARATOR);
    if reverse {
        flds.insert_str(at + FIELD_SEPARATOR.len_utf8(), ADD_REVERSE);
    }
    Note::from_flds(flds, tags, line)
}

/// For a custom note type whose fields are not (front, back, `Section`): which of the text
/// format's three values (0 front, 1 back, 2 section) each field takes, `None` for empty. The
/// field named `Section` takes the section; the first two others, the front and the back.
fn custom_layout(deck: &DeckSettings) -> Option<Vec<Option<usize>>> {
    let NotetypeChoice::Custom(custom) = &deck.notetype else { return None };
    let mut sides = 0..2;
    let layout: Vec<Option<usize>> = (custom.fields.iter())
        .map(|name| match name.as_str() {
            "Section" => Some(2),
            _ => sides.next(),
        })
        .collect();
    (layout != [Some(0), Some(1), Some(2)]).then_some(layout)
}

/// The flashcard note `note` laid out in a custom note type's fields ([`custom_layout`]).
fn custom_note(note: Note, layout: &[Option<usize>]) -> Note {
    let values: Vec<&str> = note.fields().collect();
    let fields: Vec<&str> = layout.iter().map(|at| at.map_or("", |at| values[at])).collect();
    let tags: Vec<&str> = note.tags().collect();
    Note::new(&fields, &tags, note.line)
}

/// Maps one card onto the flashcard fields (front, back, section), with the deck's settings.
fn note_of_flashcard(card: CardText<'_>, deck: &DeckSettings) -> Note {
    if (!deck.html || card.markup.is_some()) && deck.tags.is_empty() {
        return crate::source::note_of(card);
    }
    if let Some(markup) = card.markup {
        // HTML already: the deck's `html` setting changes nothing.
        let own = markup.tags.iter().map(|t| t.to_string());
        let tags = tags_of(card.section, &deck.tags.iter().cloned().chain(own).collect::<Vec<_>>());
        let (line, pinned) = (card.line, markup.pinned);
        let note = Note::from_flds(crate::source::note_of(card).into_flds(), tags, line);
        return match pinned {
            Some(guid) => note.with_pinned(guid.to_string()),
            None => note,
        };
    }
    let (section, line) = (card.section, card.line);
    let mut flds = String::new();
    if deck.html {
        for (i, side) in [card.front, card.back].into_iter().enumerate() {
            if i > 0 {
                flds.push(FIELD_SEPARATOR);
            }
            // Lines are joined as in a text deck, so a multi-line answer shows on several lines.
            flds.push_str(&side.join("<br>"));
        }
        flds.push(FIELD_SEPARATOR);
        // The section is a heading of the file's own format, not the user's HTML.
        html::escape(card.section, &mut flds);
    } else {
        flds = crate::source::note_of(card).into_flds();
    }
    Note::from_flds(flds, tags_of(section, &deck.tags), line)
}

/// The section tag and the deck's tags, as Anki stores a note's tags: sorted ignoring case,
/// each once ignoring case (`canonify_tags` in `rslib/src/tags/register.rs`), so that what the
/// package holds is what Anki keeps and an import does not change it. The section's spelling
/// wins over an extra tag that differs only in case.
fn tags_of(section: &str, extra: &[String]) -> String {
    let section = crate::source::section_tag(section);
    let all = std::iter::once(section).filter(|t| !t.is_empty()).chain(extra.iter().cloned()).collect();
    settings::merge_tags(all).join(" ")
}

/// The note type whose cards need a look for a deck of these settings: `cloze`, where a card's
/// text decides which cards Anki makes ([`card_warnings`]); `None` for the others, whose cards
/// every card of the text format makes (so the hot path of a `basic` deck does nothing more).
pub fn card_lint(deck: &DeckSettings) -> Option<Notetype> {
    matches!(deck.notetype, NotetypeChoice::Builtin(Builtin::Cloze))
        .then(|| Notetype::builtin("cloze", None).expect("a built-in name"))
}

/// The note types whose cards need a look in a deck of these settings, by note kind: the deck's
/// own ([`card_lint`]) and, in a deck of another note type, the built-in cloze of its cloze
/// cards.
pub struct CardLint {
    own: Option<Notetype>,
    cloze: Option<Notetype>,
}

impl CardLint {
    pub fn of(deck: &DeckSettings) -> CardLint {
        let cloze =
            (!is_cloze(&deck.notetype)).then(|| Notetype::builtin("cloze", None).expect("a built-in name"));
        CardLint { own: card_lint(deck), cloze }
    }

    /// What to warn about in `note` ([`card_warnings`] as a note of its kind's note type).
    pub fn warnings<S: AsRef<str>>(&self, file: &Path, note: &Note<S>) -> Vec<Diagnostic> {
        let notetype = match note.kind() {
            NoteKind::Own => self.own.as_ref(),
            NoteKind::Cloze => self.cloze.as_ref(),
        };
        notetype.map_or_else(Vec::new, |notetype| card_warnings(notetype, file, note))
    }

    /// Whether no note of a deck of `cloze_cards` cloze cards needs a look.
    pub fn nothing_for(&self, cloze_cards: usize) -> bool {
        self.own.is_none() && cloze_cards == 0
    }
}

/// What to warn about in the cards Anki makes for `note` (of the file `file`) as a note of
/// `notetype`: W008 when it makes none (Anki then adds card 1, blank, which its "Empty Cards"
/// lists), W009 for cloze deletions in a field the template does not hide.
pub fn card_warnings<S: AsRef<str>>(notetype: &Notetype, file: &Path, note: &Note<S>) -> Vec<Diagnostic> {
    let fields: Vec<&str> = note.fields().collect();
    let mut warnings = Vec::new();
    if notetype.card_ords(&fields, note.tags().next().is_some()).none_rendered {
        warnings.push(
            Diagnostic::new(
                Code::W008,
                file,
                note.line,
                "the card has no cloze deletion: Anki makes its card 1, blank",
            )
            .with_hint(
                "mark what to hide in the front as `{{c1::text}}`, or use another note type for the deck",
            ),
        );
    }
    for field in notetype.stray_cloze_fields(&fields) {
        let message = format!(
            "a cloze deletion in the field `{field}`, which the cloze template does not hide: Anki makes a \
             card for its number that hides nothing"
        );
        warnings.push(Diagnostic::new(Code::W009, file, note.line, message).with_hint(
            "put cloze deletions in the front (the field `Text`) only: in a text file, a line `---` after \
                     the card's last line puts every line in the front",
        ));
    }
    warnings
}

/// The Anki deck name: the settings' `name`, else the file's title.
pub fn deck_name(title: String, deck: &DeckSettings) -> String {
    deck.name.clone().unwrap_or(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card<'a>(front: &'a [&'a str], back: &'a [&'a str]) -> CardText<'a> {
        CardText { line: 3, section: "WAR TIME", front, back, reverse: None, markup: None }
    }

    #[test]
    fn without_settings_a_note_is_the_plain_flashcard_note() {
        let (front, back) = (["a < b"], ["c & d"]);
        let note = note_of(card(&front, &back), &DeckSettings::default());
        assert_eq!(note, crate::source::note_of(card(&front, &back)));
    }

    #[test]
    fn html_setting_keeps_markup_and_escapes_only_the_section() {
        let deck = DeckSettings { html: true, ..DeckSettings::default() };
        let (front, back) = (["<b>bold</b> &amp; more", "line 2"], ["<i>x</i>"]);
        let note = note_of(CardText { section: "A<B", ..card(&front, &back) }, &deck);
        assert_eq!(note.flds(), "<b>bold</b> &amp; more<br>line 2\x1f<i>x</i>\x1fA&lt;B");
    }

    #[test]
    fn extra_tags_are_sorted_with_the_section_tag_as_anki_stores_them() {
        let deck = DeckSettings {
            tags: vec!["zoo".into(), "Alpha".into(), "war_time".into()],
            ..Default::default()
        };
        let (front, back) = (["q"], ["a"]);
        let note = note_of(card(&front, &back), &deck);
        assert_eq!(note.tags_text(), "Alpha WAR_TIME zoo");
        assert_eq!(note.flds(), crate::source::note_of(card(&front, &back)).flds());
    }

    fn deck_of_type(builtin: Builtin) -> DeckSettings {
        DeckSettings { notetype: NotetypeChoice::Builtin(builtin), ..Default::default() }
    }

    #[test]
    fn optional_reversed_fills_add_reverse_only_for_a_card_asking_for_its_reverse() {
        let deck = DeckSettings { tags: vec!["t".into()], ..deck_of_type(Builtin::OptionalReversed) };
        let mapping = NoteMapping::of(&deck);
        let (front, back) = (["a < b"], ["c"]);
        let asks = mapping.note_of(CardText { reverse: Some(4), ..card(&front, &back) });
        let plain = mapping.note_of(card(&front, &back));
        assert_eq!(asks.flds(), "a &lt; b\x1fc\x1fy\x1fWAR TIME");
        assert_eq!(plain.flds(), "a &lt; b\x1fc\x1f\x1fWAR TIME");
        assert_eq!(
            (asks.field(0), asks.field(1), asks.tags_text(), asks.line),
            ("a &lt; b", "c", "t WAR_TIME", 3)
        );
        // Anki's card generation: card 2 only for the note that asks.
        let notetype = Notetype::builtin("optional-reversed", None).unwrap();
        let ords = |n: &Note| notetype.card_ords(&n.fields().collect::<Vec<_>>(), true).ords;
        assert_eq!((ords(&asks), ords(&plain)), (vec![0, 1], vec![0]));
        assert!(mapping.take_warnings(Path::new("f.txt")).is_empty());
    }

    #[test]
    fn a_reverse_marker_in_a_deck_that_makes_no_reverse_card_on_request_is_w013_per_card() {
        for builtin in [Builtin::Basic, Builtin::Reversed, Builtin::TypeIn, Builtin::Cloze] {
            let deck = deck_of_type(builtin);
            let mapping = NoteMapping::of(&deck);
            let (front, back) = (["a"], ["b"]);
            let asks = mapping.note_of(CardText { reverse: Some(9), line: 9, ..card(&front, &back) });
            // The card is the card `---` makes.
            assert_eq!(asks, mapping.note_of(CardText { line: 9, ..card(&front, &back) }));
            mapping.note_of(CardText { reverse: Some(3), ..card(&front, &back) });
            let warnings = mapping.take_warnings(Path::new("f.txt"));
            let found: Vec<(Code, u32)> = warnings.iter().map(|d| (d.code, d.line)).collect();
            assert_eq!(found, [(Code::W013, 3), (Code::W013, 9)], "{builtin:?}");
            assert!(
                warnings[0].message.contains(&format!("`{}`", builtin.name())),
                "{}",
                warnings[0].message
            );
            let hint = warnings[0].hint.as_deref().unwrap();
            assert!(hint.contains("a line that is the text `<->` is written `\\<->`"), "{hint}");
            assert!(mapping.take_warnings(Path::new("f.txt")).is_empty(), "taken once");
        }
    }

    #[test]
    fn w013_is_at_the_reverse_marker_of_each_card_that_asked() {
        let deck = deck_of_type(Builtin::Basic);
        let mapping = NoteMapping::of(&deck);
        let (front, back) = (["a"], ["b"]);
        // Mapped out of order, as the parallel reader may; each at its `<->` line.
        mapping.note_of(CardText { reverse: Some(13), line: 9, ..card(&front, &back) });
        mapping.note_of(CardText { reverse: Some(6), line: 3, ..card(&front, &back) });
        let lines: Vec<u32> = mapping.take_warnings(Path::new("words.txt")).iter().map(|d| d.line).collect();
        assert_eq!(lines, [6, 13]);
    }

    #[test]
    fn a_markdown_card_keeps_its_html_own_tags_and_pinned_guid_in_every_mapping() {
        let (front, back) = (["<em>a</em> &lt; b"], ["<p>c</p>"]);
        let tags = ["own"];
        let markup = crate::source::Markup { tags: &tags, pinned: Some("pin-1") };
        let md = |front, back| CardText { markup: Some(markup), ..card(front, back) };
        let tagged = DeckSettings { tags: vec!["deck".into()], html: false, ..Default::default() };
        for deck in [DeckSettings::default(), tagged, deck_of_type(Builtin::OptionalReversed)] {
            let note = NoteMapping::of(&deck).note_of(md(&front, &back));
            assert_eq!((note.field(0), note.field(1)), (front[0], back[0]), "{deck:?}");
            assert_eq!(note.pinned(), Some("pin-1"), "{deck:?}");
            assert!(note.tags().any(|t| t == "own") && note.tags().any(|t| t == "WAR_TIME"), "{deck:?}");
        }
    }

    #[test]
    fn a_card_whose_question_holds_a_deletion_is_a_cloze_note_in_a_deck_of_another_type() {
        let (front, back) = (["The {{c1::Seine}} flows", "through Paris"], ["into the Channel"]);
        for builtin in [Builtin::Basic, Builtin::Reversed, Builtin::OptionalReversed, Builtin::TypeIn] {
            let deck = deck_of_type(builtin);
            let mapping = NoteMapping::of(&deck);
            assert_eq!(mapping.rules(), crate::source::Rules { one_line_cloze: false, cloze_cards: true });
            let note = mapping.note_of(card(&front, &back));
            // The cloze's fields (Text, Back Extra, Section), whatever the deck's own.
            assert_eq!(note.kind(), NoteKind::Cloze, "{builtin:?}");
            assert_eq!(
                note.flds(),
                "The {{c1::Seine}} flows<br>through Paris\x1finto the Channel\x1fWAR TIME"
            );
            // A deletion in the answer alone, or `c0` (no card), leaves a plain card.
            let plain = mapping.note_of(card(&["The Seine {{c0::flows}}"], &["{{c1::x}}"]));
            assert_eq!(plain.kind(), NoteKind::Own, "{builtin:?}");
        }
        // In a cloze deck every card is of the deck's own type.
        let deck = deck_of_type(Builtin::Cloze);
        let mapping = NoteMapping::of(&deck);
        assert_eq!(mapping.rules(), crate::source::Rules { one_line_cloze: true, cloze_cards: false });
        assert_eq!(mapping.note_of(card(&front, &back)).kind(), NoteKind::Own);
    }

    #[test]
    fn default_settings_add_nothing_to_the_fingerprint_and_any_change_does() {
        assert_eq!(fingerprint_part(&DeckSettings::default()), "");
        let tagged = DeckSettings { tags: vec!["x".into()], ..Default::default() };
        let named = DeckSettings { name: Some("X".into()), ..Default::default() };
        assert_ne!(fingerprint_part(&tagged), "");
        assert_ne!(fingerprint_part(&tagged), fingerprint_part(&named));
    }
}
