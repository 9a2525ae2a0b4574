//! Warnings of the flashcard text format: cards that read without an error but probably not as
//! the writer meant. They never change how a card is read (the identity of existing decks
//! depends on it); they say where to look and how to make the meaning explicit.
//!
//! - W003: the front runs on past a line that ends with `?` or `:` (the answer's first lines
//!   probably became part of the question), or ends above a line of the back that ends with `?`
//!   and is followed by more (the question's last line probably became part of the answer).
//! - W004: every line ends a sentence, so the fallback rule put only the last line on the back.
//! - W005: a line that looks like a heading (short, title-like, between two cards) is read as
//!   text, so two cards became one. Between two cards: after a blank line, a finished sentence,
//!   or a card with a back when the lines around it do not look like headings.

use super::{Line, Numbered, SEPARATOR, ends_sentence};
use crate::diagnostic::{Code, Diagnostic};
use std::path::Path;

/// Characters that may close a line after its final mark (as for the sentence rule).
const CLOSERS: &[char] = &['"', '\'', '’', '”', ')', ']', '»'];

/// Above this many bytes a line is a sentence, not a forgotten heading.
const HEADING_BYTES: usize = 60;
/// Above this many words likewise.
const HEADING_WORDS: usize = 8;
/// Lowercase words of at most this many letters may stand in a title (`of`, `and`, `the`).
const SMALL_WORD: usize = 3;

/// Warns about each line of `body` that looks like a heading but is read as text (W005).
/// Returns whether it did: the split of such a card says nothing, so it gets no other warning.
pub(super) fn heading_like_text(
    file: &Path,
    body: &[Numbered<'_>],
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    // Two lines before it (a card) and two after (another): fewer cannot be two cards merged.
    if body.len() < 5 {
        return false;
    }
    let mut warned = false;
    for i in 2..body.len() - 2 {
        let Line::Text(text) = &body[i].line else { continue };
        let Some(kind) = looks_like_heading(text) else { continue };
        let previous = &body[i - 1];
        // Alone between cards: a blank line above it, or a card that was finished above it.
        let blank_above = body[i].number > previous.number + 1;
        if blank_above || ends_sentence(previous.text()) || stands_out_after_a_back(body, i) {
            diagnostics.push(heading_like(file, body[i].number, text, kind));
            warned = true;
        }
    }
    warned
}

/// Whether the heading-like line `i` follows a card that already has a back (its front ended
/// above the line before it) and stands out from its neighbours, which do not look like
/// headings: `die Straße` / `Adjectives` / `big` in a deck written without full stops or gaps.
/// A list of names in an answer (`Leon Trotsky` / `Grigory Zinoviev`) is spared: its
/// neighbours look like headings too.
fn stands_out_after_a_back(body: &[Numbered<'_>], i: usize) -> bool {
    let front_ended = body[..i - 1].iter().any(|n| n.is_separator() || !ends_sentence(n.text()));
    let plain =
        |n: &Numbered<'_>| matches!(n.line, Line::Escaped(_)) || looks_like_heading(n.text()).is_none();
    front_ended && plain(&body[i - 1]) && plain(&body[i + 1])
}

/// Why a text line looks like a heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeadingLike {
    /// Capitals except for `ß`, which is a lowercase letter.
    SharpS,
    /// Title case (`Cell Division`), not capitals.
    TitleCase,
}

/// Whether a line reads like a heading that is not all capitals: short, no closing punctuation,
/// and either capitals but for `ß`, or every word capitalised except short ones.
fn looks_like_heading(text: &str) -> Option<HeadingLike> {
    if text.len() > HEADING_BYTES || !text.ends_with(|c: char| c.is_alphanumeric()) {
        return None;
    }
    if text.contains('ß')
        && text.chars().any(char::is_uppercase)
        && !text.chars().any(|c| c.is_lowercase() && c != 'ß')
    {
        return Some(HeadingLike::SharpS);
    }
    let mut words = 0;
    for word in text.split_whitespace() {
        words += 1;
        let Some(first) = word.chars().next() else { continue };
        let small = word.chars().count() <= SMALL_WORD && word.chars().all(char::is_lowercase);
        if words > HEADING_WORDS || first.is_lowercase() && (words == 1 || !small) {
            return None;
        }
    }
    text.starts_with(char::is_uppercase).then_some(HeadingLike::TitleCase)
}

fn heading_like(file: &Path, line: u32, text: &str, kind: HeadingLike) -> Diagnostic {
    let message = format!(
        "`{text}` looks like a heading but is read as text, so the card above runs on into the next one"
    );
    let capitals = text.to_uppercase();
    let hint = match kind {
        HeadingLike::SharpS => format!(
            "`ß` is a lowercase letter: write the heading with `ẞ` or `SS` (`{capitals}`); if the line is text, start it with `\\`"
        ),
        HeadingLike::TitleCase => format!(
            "a heading has no lowercase letters: write `{capitals}`; if the line is text, start it with `\\`"
        ),
    };
    Diagnostic::new(Code::W005, file, line, message).with_hint(hint)
}

/// The fix for a line that looks like a heading typed wrong (`Greetings`, `STRAßE`), if it does.
pub(super) fn heading_typo_hint(text: &str) -> Option<String> {
    let kind = looks_like_heading(text)?;
    let fix = match kind {
        HeadingLike::SharpS => "`ß` is a lowercase letter: write it with `ẞ` or `SS`",
        HeadingLike::TitleCase => "a heading has no lowercase letters",
    };
    Some(format!("`{text}` looks like a heading, but {fix}: write `{}`", text.to_uppercase()))
}

/// Warns when the sentence rule probably cut a card in the wrong place: the front runs on past a
/// question (W003), or every line ends a sentence and the fallback decided (W004). `split_at` is
/// where the back starts; `fallback` whether no line stopped mid-sentence before the last one.
pub(super) fn sentence_split(
    file: &Path,
    body: &[Numbered<'_>],
    split_at: usize,
    fallback: bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let asks = |n: &Numbered<'_>| n.text().trim_end_matches(CLOSERS).ends_with(['?', ':']);
    if let Some(question) = body[..split_at - 1].iter().find(|n| asks(n)) {
        let message = format!("the front runs on past this question, to line {}", body[split_at - 1].number);
        let hint = format!(
            "if the question ends here, put a line `{SEPARATOR}` after it (`ankideck check --show` lists how each card was split)"
        );
        diagnostics.push(Diagnostic::new(Code::W003, file, question.number, message).with_hint(hint));
    } else if let Some(question) =
        body[split_at..body.len() - 1].iter().find(|n| n.text().trim_end_matches(CLOSERS).ends_with('?'))
    {
        // The front stopped mid-sentence above a question, and an answer follows it: `In 1917,`
        // / `who led the Bolsheviks?` / `Lenin.`, `Translate:` / `How are you?` / `Ça va ?`.
        // Only `?`: a `:` on the back usually introduces a list that is the answer.
        let message = format!("the front ends at line {}, before this question", body[split_at - 1].number);
        let hint = format!(
            "if the question ends here, put a line `{SEPARATOR}` after it (`ankideck check --show` lists how each card was split)"
        );
        diagnostics.push(Diagnostic::new(Code::W003, file, question.number, message).with_hint(hint));
    } else if fallback && body.len() > 2 {
        let message = format!(
            "every line of this card ends a sentence, so only its last line (line {}) is the back",
            body[split_at].number
        );
        let hint = format!(
            "put a line `{SEPARATOR}` where the question ends (after this line if it is the question)"
        );
        diagnostics.push(Diagnostic::new(Code::W004, file, body[0].number, message).with_hint(hint));
    }
}

/// [`looks_like_heading`] as a yes or no, for the tests.
#[cfg(test)]
pub(super) fn tests_looks_like_heading(text: &str) -> bool {
    looks_like_heading(text).is_some()
}
