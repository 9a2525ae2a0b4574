//! What can be wrong with `ankideck.toml`: errors that stop the build (exit 1, or 2 when the
//! file cannot be read) and warnings, each naming the file, line, column and key, with a hint.
//! They print as the source diagnostics do: `ankideck.toml:3:1: error: …` then `  = hint: …`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in the settings file: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` of `text` (columns count characters, as editors do).
    pub(super) fn of(text: &str, offset: usize) -> Position {
        let before = &text[..offset.min(text.len())];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: before.matches('\n').count() as u32 + 1,
            column: before[line_start..].chars().count() as u32 + 1,
        }
    }
}

/// What is wrong, for [`SettingsError::Invalid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not TOML at all (a missing quote or bracket…).
    Syntax,
    /// A key the table does not have.
    UnknownKey,
    /// A value of the wrong type or out of range.
    BadValue,
    /// A note type that is neither built in nor defined in `[notetypes]`.
    UnknownNotetype,
    /// A path that is absolute, empty or leaves the project folder.
    BadPath,
    /// A path to a file that is not there (a custom note type's stylesheet or template).
    MissingFile,
}

/// The settings file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file exists but cannot be read (exit 2).
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// The file's content is wrong (exit 1).
    #[error("{}", located(file, *at, "error", key.as_deref(), message, hint.as_deref()))]
    Invalid {
        problem: Problem,
        file: PathBuf,
        at: Position,
        /// The key's dotted path (`decks.history.notetype`), when the problem is at a key.
        key: Option<String>,
        message: String,
        hint: Option<String>,
    },
}

impl SettingsError {
    /// Where in the file the error is (1:1 for one that is not in the file).
    pub fn position(&self) -> (u32, u32) {
        match self {
            SettingsError::Invalid { at, .. } => (at.line, at.column),
            SettingsError::Read { .. } => (1, 1),
        }
    }

    /// Whether the user's input is at fault (exit 1) rather than the environment (exit 2).
    pub fn is_input_error(&self) -> bool {
        matches!(self, SettingsError::Invalid { .. })
    }
}

/// Something in the settings file that is probably a mistake but does not stop the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsWarning {
    pub file: PathBuf,
    pub at: Position,
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for SettingsWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text =
            located(&self.file, self.at, "warning", Some(&self.key), &self.message, self.hint.as_deref());
        f.write_str(&text)
    }
}

/// `file:line:column: severity: message (key `k`)`, then the hint on its own line.
fn located(
    file: &Path,
    at: Position,
    severity: &str,
    key: Option<&str>,
    message: &str,
    hint: Option<&str>,
) -> String {
    let mut text = format!("{}:{}:{}: {severity}: {message}", file.display(), at.line, at.column);
    if let Some(key) = key {
        text.push_str(&format!(" (key `{key}`)"));
    }
    if let Some(hint) = hint {
        text.push_str(&format!("\n  = hint: {hint}"));
    }
    text
}

/// The known name nearest to `wrong`, if it is near enough to be a typo.
pub(super) fn did_you_mean<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wrong = wrong.to_lowercase();
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(&wrong, &k.to_lowercase()), k))
        // 0.8, as cargo and clap suggest; ties go to the first known name.
        .filter(|(score, _)| *score >= 0.8)
        .fold(None, |best: Option<(f64, &str)>, (s, k)| match best {
            Some((b, _)) if b >= s => best,
            _ => Some((s, k)),
        })
        .map(|(_, k)| k)
}

/// "`a`, `b` and `c`".
pub(super) fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_counts_lines_and_characters() {
        let text = "a = 1\n[défaults]\nx";
        assert_eq!(Position::of(text, 0), Position { line: 1, column: 1 });
        let x = text.rfind('x').unwrap();
        assert_eq!(Position::of(text, x), Position { line: 3, column: 1 });
        let bracket = text.rfind(']').unwrap();
        assert_eq!(Position::of(text, bracket), Position { line: 2, column: 10 });
    }

    #[test]
    fn a_typo_gets_a_suggestion_and_a_stranger_does_not() {
        let known = ["notetype", "tags", "subdecks"];
        assert_eq!(did_you_mean("notetyp", known), Some("notetype"));
        assert_eq!(did_you_mean("subdeck", known), Some("subdecks"));
        assert_eq!(did_you_mean("colour", known), None);
    }
}
