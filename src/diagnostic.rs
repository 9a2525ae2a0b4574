//! Diagnostics: problems in the user's sources, collected across all files and rendered in one
//! place (`file:line:column: severity[code]: message`, then a hint).

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a diagnostic is. Errors stop the deck they belong to from building.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A stable, documented diagnostic code (see docs/format.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Code {
    /// E001: the file is not valid UTF-8.
    E001,
    /// E002: the file has no text at all.
    E002,
    /// E003: the file has a title but no cards.
    E003,
    /// E004: body text before the first heading.
    E004,
    /// E005: a heading with no card text under it.
    E005,
    /// E006: a card with a single line, which cannot be split into front and back.
    E006,
    /// E007: more than one `---` separator in one card.
    E007,
    /// E008: a `---` separator with nothing before or after it.
    E008,
    /// E009: the deck title is not a usable Anki deck name.
    E009,
    /// E010: two deck files whose names differ only in case (their outputs would collide).
    E010,
    /// E011: an answer in capitals read as a heading: a card of one line followed by a
    /// "heading" with no card of its own.
    E011,
    /// E012: a note pins a guid that another note of the project has or pins too (they would be
    /// one note in Anki).
    E012,
    /// E013: a media reference (`<img src>`, `[sound:…]`) that cannot be packed: a missing
    /// file, a path outside the project folder, a file that is not an image or audio.
    E013,
    /// E014: a Markdown `A:` with no `Q:` before it in its card (or a second one).
    E014,
    /// E015: a Markdown card with no answer, in a deck whose note type is not cloze.
    E015,
    /// E016: a Markdown `Q:` with no question.
    E016,
    /// E017: a Markdown `<!-- id: … -->` that cannot pin a guid (not one word, or a second one).
    E017,
    /// E018: a Markdown comment `<!--` never closed by `-->`, or a code fence never closed that
    /// takes cards: the rest of the file is in it.
    E018,
    /// E020: a CSV/TSV header that cannot be read: a column that names no field of the deck's
    /// note type (or one named twice), no column for its first field, a bad `#` header line.
    E020,
    /// E021: a CSV/TSV row that cannot be read: the wrong number of cells, broken quoting, a
    /// field the note type does not have.
    E021,
    /// E022: a CSV/TSV row whose note has no first field (no front).
    E022,
    /// E023: a CSV/TSV file of another note type than the deck's (`#notetype:` or a notetype
    /// column).
    E023,
    /// E024: two deck files with the same name but for their extension (`a.txt`, `a.csv`):
    /// they would write the same outputs.
    E024,
    /// W001: the title was empty after dropping `Flashcards`; the file name is used.
    W001,
    /// W002: control characters (other than tab) were removed; one of them, U+001F, is
    /// Anki's field separator and would break the import.
    W002,
    /// W003: the front runs on past a line ending with `?` or `:` (probably mis-split).
    W003,
    /// W004: every line of a card ends a sentence; the fallback put only the last on the back.
    W004,
    /// W005: a line that looks like a heading (title case, or capitals with `ß`) is read as
    /// text, so two cards probably became one.
    W005,
    /// W006: a file or folder in the source folder that is not a deck was skipped.
    W006,
    /// W007: a part of `ankideck.toml` that applies to nothing and is probably a mistake: a
    /// `[decks.X]` table for which there is no deck file `X.txt`, or a file named by a
    /// `[notetypes.X]` that no deck uses and that is not there.
    W007,
    /// W008: a card of a cloze deck without a cloze deletion: Anki makes its card 1, blank.
    W008,
    /// W009: a cloze deletion in a field the cloze template does not hide (the back): Anki
    /// makes a card for its number that hides nothing.
    W009,
    /// W010: a note lost cards since the last build (a cloze deletion removed): Anki keeps them,
    /// blank, until its "Empty Cards" removes them.
    W010,
    /// W011: a note type's fields or templates changed since the lock (Anki forks it on import
    /// unless "Merge note types" is ticked).
    W011,
    /// W012: a deck's note type changed since the lock (Anki skips notes it has under another
    /// note type).
    W012,
    /// W013: a card asks for its reverse card (`<->`) in a deck whose note type does not make
    /// one on request (every type but `optional-reversed`).
    W013,
    /// W014: a Markdown card with a cloze deletion in a deck whose note type is not cloze.
    W014,
    /// W015: Markdown text outside any card (before the first `Q:`, or after a heading).
    W015,
    /// W016: a card changed kind since the last build (it gained or lost a cloze deletion in a
    /// deck whose note type is not cloze): a new note; the old one stays in Anki.
    W016,
    /// W020: the deck column of a CSV/TSV export names several decks; the file is one deck.
    W020,
    /// W021: a `#` line of a CSV/TSV file that means something to Anki's text import that a
    /// package cannot carry (`#if matches:`, `#match scope:`, a `#deck:` that is a deck id).
    W021,
}

impl Code {
    /// The severity every diagnostic with this code has.
    pub fn severity(self) -> Severity {
        match self {
            Code::W001
            | Code::W002
            | Code::W003
            | Code::W004
            | Code::W005
            | Code::W006
            | Code::W007
            | Code::W008
            | Code::W009
            | Code::W010
            | Code::W011
            | Code::W012
            | Code::W013
            | Code::W014
            | Code::W015
            | Code::W016
            | Code::W020
            | Code::W021 => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// One problem found in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub file: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at the start of `line` of `file`.
    pub fn new(code: Code, file: &Path, line: u32, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.severity(),
            code,
            file: file.to_path_buf(),
            line,
            column: 1,
            message: message.into(),
            hint: None,
        }
    }

    /// Sets the column (1-based).
    pub fn at_column(mut self, column: u32) -> Self {
        self.column = column;
        self
    }

    /// Adds a hint telling the user how to fix it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this diagnostic stops its deck from building.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        // A problem of the whole file (line 0) has no position to show.
        if self.line == 0 {
            write!(f, "{}: {severity}[{:?}]: {}", self.file.display(), self.code, self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {severity}[{:?}]: {}",
                self.file.display(),
                self.line,
                self.column,
                self.code,
                self.message
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}
