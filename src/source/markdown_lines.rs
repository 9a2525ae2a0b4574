//! The reading of a Markdown deck a line at a time ([`Reader`]): what each line is, the card it
//! adds to, and what is wrong; [`super`] feeds it the file whole or a block at a time.

use super::cloze_outside_cloze_decks;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::markdown_render::{has_cloze, render};
use crate::source::{CardText, Markup, Rules};
use rayon::prelude::*;
use std::path::Path;

/// The line that starts a card's question.
const QUESTION: &str = "Q:";
/// The line that starts a card's answer.
const ANSWER: &str = "A:";
/// The line, after the answer, that gives a card's tags.
const TAGS: &str = "Tags:";

/// A card as found in the file, its sides still Markdown.
#[derive(Debug, Default)]
struct RawCard {
    /// 1-based line of its `Q:`.
    line: u32,
    section: String,
    question: String,
    /// The line of its `A:` and the answer, if it has one.
    answer: Option<(u32, String)>,
    tags: Vec<String>,
    /// The pinned guid and the line of its comment.
    pinned: Option<(String, u32)>,
}

/// What one line of the file is, outside code blocks.
enum Line<'a> {
    /// An ATX heading: its level and text.
    Heading(usize, &'a str),
    Question(&'a str),
    Answer(&'a str),
    Tags(&'a str),
    /// `<!-- id: … -->`: the text between `id:` and `-->`.
    Id(&'a str),
    Text,
}

fn classify(line: &str) -> Line<'_> {
    if let Some(rest) = line.strip_prefix(QUESTION) {
        return Line::Question(rest.trim_start());
    }
    if let Some(rest) = line.strip_prefix(ANSWER) {
        return Line::Answer(rest.trim_start());
    }
    if let Some(rest) = line.strip_prefix(TAGS) {
        return Line::Tags(rest);
    }
    let trimmed = line.trim();
    let comment = trimmed.strip_prefix("<!--").and_then(|r| r.strip_suffix("-->"));
    if let Some(id) = comment.and_then(|c| c.trim().strip_prefix("id:")) {
        return Line::Id(id.trim());
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    let hashes = line[indent..].bytes().take_while(|b| *b == b'#').count();
    let after = &line[indent + hashes..];
    if indent <= 3 && (1..=6).contains(&hashes) && (after.is_empty() || after.starts_with([' ', '\t'])) {
        // A closing sequence of `#` is not part of the heading.
        let text = after.trim();
        let text = text.trim_end_matches('#');
        let text =
            if text.is_empty() || text.ends_with([' ', '\t']) { text.trim_end() } else { after.trim() };
        return Line::Heading(hashes, text);
    }
    Line::Text
}

/// Where a line goes, as the file is read.
enum Place {
    /// Before any card, or after a heading: text here is on no card.
    Outside,
    Question,
    Answer,
}

/// A reading of a Markdown deck, a line at a time. What a line is depends only on it and on the
/// lines before it through what is kept here (the title, the section, the open card and which of
/// its sides is being read, an open fence or comment), so a file read a block at a time, each
/// block ending at any line, gives what the file read whole gives. A card's sides are rendered
/// once the card has ended: Markdown that spans lines (a list, a code block, an HTML block) is
/// rendered whole whatever the blocks.
pub(super) struct Reader<'f> {
    file: &'f Path,
    rules: Rules,
    /// How many lines were read: the number of the last one.
    lines: u32,
    /// Whether the first line was read (a byte-order mark before it is not text).
    started: bool,
    /// The first `#` heading before any card, and its line.
    title: Option<(String, u32)>,
    section: String,
    card: Option<RawCard>,
    place: Place,
    fence: Option<(char, usize)>,
    /// The line of the open fence, and whether a line `Q:` was taken into it.
    fence_line: (u32, bool),
    /// Text outside a card is warned about once per run of it.
    outside_warned: bool,
    /// The line of a comment `<!--` of several lines that is not closed yet.
    comment: Option<u32>,
    /// Cards that have ended and are sound, not yet rendered.
    ended: Vec<RawCard>,
    /// How many cards were rendered.
    pub(super) rendered: usize,
    /// Whether any text but white space was read.
    any_text: bool,
    /// W002 at the first control character.
    control: Option<Diagnostic>,
    /// What is wrong in the lines, in the order it was found.
    found: Vec<Diagnostic>,
    /// W014 for the rendered cards, in file order.
    cloze: Vec<Diagnostic>,
}

/// Control characters (one of them is Anki's field separator) are removed from the text.
fn is_removed(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

impl<'f> Reader<'f> {
    pub(super) fn new(file: &'f Path, rules: Rules) -> Reader<'f> {
        Reader {
            file,
            rules,
            lines: 0,
            started: false,
            title: None,
            section: String::new(),
            card: None,
            place: Place::Outside,
            fence: None,
            fence_line: (0, false),
            outside_warned: false,
            comment: None,
            ended: Vec::new(),
            rendered: 0,
            any_text: false,
            control: None,
            found: Vec::new(),
            cloze: Vec::new(),
        }
    }

    /// Reads the whole lines of `bytes`, which start at a line after the lines read before, and
    /// at the end of the file (`eof`) all of them. A CR that no LF follows must be an LF already.
    /// Returns how many bytes were read (none when no line ends in them), or E001 when they are
    /// not UTF-8.
    pub(super) fn block(&mut self, bytes: &[u8], eof: bool) -> Result<usize, Diagnostic> {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            // A character cut in two at the end of the block: its rest comes with the next one.
            Err(err) if err.error_len().is_none() && !eof => {
                std::str::from_utf8(&bytes[..err.valid_up_to()]).expect("valid up to here")
            }
            Err(err) => {
                let before = memchr::memchr_iter(b'\n', &bytes[..err.valid_up_to()]).count();
                let line = self.lines.saturating_add(1).saturating_add(before as u32);
                return Err(Diagnostic::new(Code::E001, self.file, line, "the file is not valid UTF-8")
                    .with_hint("save the file as UTF-8 (with or without a byte-order mark)"));
            }
        };
        let end = if eof { text.len() } else { text.rfind('\n').map_or(0, |at| at + 1) };
        let mut text = &text[..end];
        if !self.started && !text.is_empty() {
            self.started = true;
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        let cleaned: String;
        if let Some(at) = text.find(is_removed) {
            if self.control.is_none() {
                let line =
                    self.lines.saturating_add(1).saturating_add(text[..at].matches('\n').count() as u32);
                self.control = Some(
                    Diagnostic::new(Code::W002, self.file, line, "control characters were removed from the text")
                        .with_hint("they are invisible and one of them would break Anki's import; check what the file was saved from"),
                );
            }
            cleaned = text.chars().filter(|c| !is_removed(*c)).collect();
            text = &cleaned;
        }
        self.any_text = self.any_text || text.chars().any(|c| !c.is_whitespace());
        for line in text.lines() {
            self.line(line);
        }
        Ok(end)
    }

    /// Reads the next line.
    fn line(&mut self, line: &str) {
        self.lines = self.lines.saturating_add(1);
        let number = self.lines;
        if let Some((c, n)) = self.fence {
            let closes = fence_marker(line).is_some_and(|(c2, n2)| c == c2 && n2 >= n);
            if closes && line.trim().chars().all(|x| x == c) {
                self.fence = None;
            } else if matches!(classify(line), Line::Question(_)) {
                self.fence_line.1 = true;
            }
            self.push_text(line);
            return;
        }
        // Every line of a comment is the comment's, whatever it says: a card commented out is no
        // card. In a card, the comment is in its side (Anki shows nothing of it).
        if self.comment.is_some() {
            if line.contains("-->") {
                self.comment = None;
            }
            self.push_text(line);
            return;
        }
        if let Some(open) = fence_marker(line) {
            self.fence = Some(open);
            self.fence_line = (number, false);
            if matches!(self.place, Place::Outside) && !self.outside_warned {
                self.found.push(outside_text(self.file, number));
                self.outside_warned = true;
            }
            self.push_text(line);
            return;
        }
        match classify(line) {
            Line::Heading(1, text) if self.title.is_none() && self.no_cards_yet() && self.card.is_none() => {
                self.title = Some((text.to_string(), number));
                self.outside_warned = false;
            }
            Line::Heading(level, text) => {
                self.end_card();
                self.place = Place::Outside;
                self.outside_warned = false;
                if level == 2 {
                    self.section = text.to_string();
                }
            }
            Line::Question(rest) => {
                self.end_card();
                self.card = Some(RawCard {
                    line: number,
                    section: self.section.clone(),
                    question: rest.to_string(),
                    ..Default::default()
                });
                self.place = Place::Question;
                self.opens_in_side(rest, number);
            }
            Line::Answer(rest) => match (&mut self.card, &self.place) {
                (Some(open), Place::Question) => {
                    open.answer = Some((number, rest.to_string()));
                    self.place = Place::Answer;
                    self.opens_in_side(rest, number);
                }
                _ => {
                    let (message, hint) = match self.place {
                        Place::Answer => (
                            "a second `A:` in one card",
                            "a card has one answer; start a new card with a line `Q: …` before this one",
                        ),
                        _ => (
                            "an `A:` with no `Q:` before it",
                            "start the card with a line `Q: question` above its answer",
                        ),
                    };
                    self.found.push(Diagnostic::new(Code::E014, self.file, number, message).with_hint(hint));
                }
            },
            Line::Tags(rest) if self.card.is_some() => {
                let open = self.card.as_mut().expect("a card is open");
                open.tags.extend(rest.split_whitespace().map(crate::source::section_tag));
            }
            Line::Id(id) if self.card.is_some() => {
                let open = self.card.as_mut().expect("a card is open");
                let valid = !id.is_empty() && !id.contains(char::is_whitespace);
                if !valid || open.pinned.is_some() {
                    let message = match valid {
                        false => format!("`{id}` is not a usable id: it must be one word"),
                        true => "a second `<!-- id: … -->` in one card".to_string(),
                    };
                    self.found.push(Diagnostic::new(Code::E017, self.file, number, message).with_hint(
                        "a card pins its note's id with one line `<!-- id: word -->` after its answer",
                    ));
                } else {
                    open.pinned = Some((id.to_string(), number));
                }
            }
            Line::Tags(_) | Line::Id(_) | Line::Text => {
                let outside = matches!(self.place, Place::Outside);
                // In a card, a comment starts a line as an HTML block does (up to three spaces
                // in: more is code); outside, any indent.
                let indent = line.len() - line.trim_start_matches(' ').len();
                let opens = match outside {
                    true => line.trim_start().starts_with("<!--"),
                    false => indent <= 3 && line[indent..].starts_with("<!--"),
                };
                if opens && !line.contains("-->") {
                    self.comment = Some(number);
                }
                if !outside {
                    self.push_text(line);
                } else if !line.trim().is_empty() && !self.outside_warned && !opens {
                    // A comment outside a card is a note to the reader, not lost text.
                    self.found.push(outside_text(self.file, number));
                    self.outside_warned = true;
                }
            }
        }
    }

    /// A side starts with the text after `Q:` or `A:`, so a fence or a comment opening there
    /// opens in the side as on a line of its own: the lines after it are the side's, as the
    /// side is rendered (a `Q:` in that code is code).
    fn opens_in_side(&mut self, rest: &str, number: u32) {
        if let Some(open) = fence_marker(rest) {
            self.fence = Some(open);
            self.fence_line = (number, false);
        } else if rest.starts_with("<!--") && !rest.contains("-->") {
            self.comment = Some(number);
        }
    }

    /// Whether no card was read yet (a card with errors is none).
    fn no_cards_yet(&self) -> bool {
        self.rendered == 0 && self.ended.is_empty()
    }

    /// Ends the open card, if any: it is kept, or what is wrong with it is said.
    pub(super) fn end_card(&mut self) {
        if let Some(card) = self.card.take() {
            match check_card(self.file, &card, self.rules) {
                Some(problem) => self.found.push(problem),
                None => self.ended.push(card),
            }
        }
    }

    /// Adds a line to the open card's question or answer.
    fn push_text(&mut self, line: &str) {
        let Some(card) = &mut self.card else { return };
        let side = match self.place {
            Place::Question => &mut card.question,
            Place::Answer => &mut card.answer.as_mut().expect("an answer is open").1,
            Place::Outside => return,
        };
        side.push('\n');
        side.push_str(line);
    }

    /// The cards that ended since the last call, rendered and mapped (in parallel), in file order.
    pub(super) fn take_cards<C: Send>(&mut self, map: &(impl Fn(CardText<'_>) -> C + Sync)) -> Vec<C> {
        let ended = std::mem::take(&mut self.ended);
        // A pinned id used twice is E012, found with the project's other pins by the build.
        // A question with a deletion makes the card a cloze note in any deck (the build's
        // mapping does); a deletion in the answer alone shows as written.
        if !self.rules.one_line_cloze {
            let rules = self.rules;
            let cloze = |card: &&RawCard| {
                let cloze_card = rules.cloze_cards && has_cloze(&card.question);
                !cloze_card
                    && (has_cloze(&card.question) || card.answer.as_ref().is_some_and(|(_, a)| has_cloze(a)))
            };
            let file = self.file;
            self.cloze.extend(
                ended
                    .iter()
                    .filter(cloze)
                    .map(|card| cloze_outside_cloze_decks(file, card.line, has_cloze(&card.question))),
            );
        }
        self.rendered += ended.len();
        ended
            .into_par_iter()
            .map(|card| {
                let question = render(&card.question);
                let answer = card.answer.as_ref().map(|(_, a)| render(a)).unwrap_or_default();
                let tags: Vec<&str> = card.tags.iter().map(String::as_str).collect();
                let markup = Markup { tags: &tags, pinned: card.pinned.as_ref().map(|(g, _)| g.as_str()) };
                map(CardText {
                    line: card.line,
                    section: &card.section,
                    front: &[&question],
                    back: &[&answer],
                    reverse: None,
                    markup: Some(markup),
                })
            })
            .collect()
    }

    /// The deck's name (none for a file of white space) and every diagnostic, by line; after
    /// the last card was taken.
    pub(super) fn into_result(self) -> (Option<String>, Vec<Diagnostic>) {
        debug_assert!(self.card.is_none() && self.ended.is_empty(), "every card was taken");
        let mut diagnostics: Vec<Diagnostic> = self.control.into_iter().collect();
        if !self.any_text {
            diagnostics.push(
                Diagnostic::new(Code::E002, self.file, 1, "the file is empty").with_hint(
                    "a Markdown deck holds cards, each a line `Q: question` then a line `A: answer`",
                ),
            );
            return (None, diagnostics);
        }
        diagnostics.extend(self.found);
        diagnostics.extend(self.cloze);
        if let Some(line) = self.comment {
            diagnostics.push(
                Diagnostic::new(
                    Code::E018,
                    self.file,
                    line,
                    "a comment `<!--` that is never closed: every line after it is in it",
                )
                .with_hint(
                    "end the comment with `-->` where it ends: the cards after it are no cards until then",
                ),
            );
        }
        // A fence never closed runs to the end of the file, as on GitHub: only an error when
        // it took cards (an answer ending in code that is not closed is rendered all the same).
        if let (Some(_), (line, true)) = (self.fence, self.fence_line) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E018,
                    self.file,
                    line,
                    "a code fence that is never closed: every line after it is code, the cards too",
                )
                .with_hint("close the code block with a line of the same fence (```` ``` ```` or `~~~`) where it ends"),
            );
        }
        let title_line = self.title.as_ref().map_or(1, |(_, line)| *line);
        if self.rendered == 0 && !diagnostics.iter().any(Diagnostic::is_error) {
            diagnostics.push(
                Diagnostic::new(Code::E003, self.file, title_line, "the file has no cards")
                    .with_hint("each card is a line `Q: question` then a line `A: answer`; a file that is not a deck is skipped when its name starts with `_`"),
            );
        }
        diagnostics.sort_by_key(|d| d.line);
        let name = self.title.map(|(t, _)| t).filter(|t| !t.is_empty());
        (Some(name.unwrap_or_else(|| crate::source::stem_of(self.file))), diagnostics)
    }
}

/// What is wrong with a card as a whole, if anything: no question (E016); no answer (E015),
/// except in a cloze deck, where the deletions are the question and the answer.
fn check_card(file: &Path, card: &RawCard, rules: Rules) -> Option<Diagnostic> {
    if card.question.trim().is_empty() {
        return Some(
            Diagnostic::new(Code::E016, file, card.line, "a `Q:` with no question")
                .with_hint("write the question after `Q:`, on its line or the lines below it"),
        );
    }
    let has_answer = card.answer.as_ref().is_some_and(|(_, a)| !a.trim().is_empty());
    // A cloze card needs no answer, in a deck of any note type (its deletions are its answer).
    let cloze_card = rules.cloze_cards && has_cloze(&card.question);
    if !has_answer && !rules.one_line_cloze && !cloze_card {
        let message = match card.answer {
            None => "a card with no `A:` line: it has no answer",
            Some(_) => "a card with an empty answer",
        };
        let hint = match has_cloze(&card.question) {
            // Read without the build's rules (no cloze cards outside cloze decks).
            true => {
                "write its answer after a line `A:`; for a card whose cloze deletions are its answer, set `notetype = \"cloze\"` for the deck in ankideck.toml"
            }
            false => {
                "write its answer after a line `A:`; or mark what to hide in the question as `{{c1::…}}`: a cloze card needs no answer"
            }
        };
        return Some(Diagnostic::new(Code::E015, file, card.line, message).with_hint(hint));
    }
    None
}

/// W015: text that is on no card.
fn outside_text(file: &Path, line: u32) -> Diagnostic {
    Diagnostic::new(Code::W015, file, line, "text outside a card: it is on no card").with_hint(
        "a card starts with a line `Q: question`; notes that are not cards can go in `<!-- comments -->`",
    )
}

/// The fence a line opens or closes (```` ``` ```` or `~~~`, up to three spaces in), if any.
fn fence_marker(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = rest.chars().take_while(|x| *x == c).count();
    // A backtick fence's info string holds no backtick (```` ```x``` ```` is code in a line).
    let info_ok = c == '~' || !rest[n..].contains('`');
    (indent <= 3 && n >= 3 && info_ok).then_some((c, n))
}
