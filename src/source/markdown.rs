//! Decks in Markdown (`.md`): the first `#` heading names the deck, `##` headings are sections,
//! a card starts at a line `Q:` and its answer at a line `A:`, running to the next `Q:` or
//! heading. After the answer, a line `Tags: a b` gives the card's own tags and a line
//! `<!-- id: … -->` pins its note's guid. Each side is rendered with CommonMark
//! ([`super::markdown_render`]). The rules are documented in `docs/format.md`.
//!
//! A Markdown deck is read whole, even from [`parse_stream`]: its notes can still go to disk, but
//! its text is held in memory.

use super::markdown_render::{has_cloze, render};
use super::{CardText, Markup, Parsed, Rules, SourceDeck};
use crate::diagnostic::{Code, Diagnostic};
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

/// Parses a Markdown deck.
pub fn parse(file: &Path, bytes: &[u8]) -> Parsed {
    parse_with(file, bytes, Rules::default(), |card| card.to_card())
}

/// Parses a Markdown deck, turning each card into a `C` as it is read.
pub fn parse_with<C: Send>(
    file: &Path,
    bytes: &[u8],
    rules: Rules,
    map: impl Fn(CardText<'_>) -> C + Sync,
) -> Parsed<C> {
    let mut parsed = Parsed::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let line = 1 + bytes[..err.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u32;
            parsed.diagnostics.push(
                Diagnostic::new(Code::E001, file, line, "the file is not valid UTF-8")
                    .with_hint("save the file as UTF-8 (with or without a byte-order mark)"),
            );
            return parsed;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Control characters (one of them is Anki's field separator) are removed, and said so.
    let cleaned: String;
    let text = match text.find(|c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        None => text,
        Some(at) => {
            let line = 1 + text[..at].matches('\n').count() as u32;
            parsed.diagnostics.push(
                Diagnostic::new(Code::W002, file, line, "control characters were removed from the text")
                    .with_hint("they are invisible and one of them would break Anki's import; check what the file was saved from"),
            );
            cleaned = text.chars().filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r')).collect();
            &cleaned
        }
    };
    // A CR that no LF follows ends a line (old Mac files), as in a text deck.
    let unified: String;
    let text =
        match text.bytes().enumerate().any(|(i, b)| b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n'))
        {
            false => text,
            true => {
                unified = text.replace("\r\n", "\n").replace('\r', "\n");
                &unified
            }
        };
    if text.trim().is_empty() {
        parsed.diagnostics.push(
            Diagnostic::new(Code::E002, file, 1, "the file is empty")
                .with_hint("a Markdown deck holds cards, each a line `Q: question` then a line `A: answer`"),
        );
        return parsed;
    }
    let (title, raw) = read_cards(file, text, rules, &mut parsed.diagnostics);
    let mut cards = Vec::with_capacity(raw.len());
    for card in raw {
        // A pinned id used twice is E012, found with the project's other pins by the build.
        // A question with a deletion makes the card a cloze note in any deck (the build's
        // mapping does); a deletion in the answer alone shows as written.
        let cloze_card = rules.cloze_cards && has_cloze(&card.question);
        if !rules.one_line_cloze
            && !cloze_card
            && (has_cloze(&card.question) || card.answer.as_ref().is_some_and(|(_, a)| has_cloze(a)))
        {
            parsed.diagnostics.push(cloze_outside_cloze_decks(file, card.line, has_cloze(&card.question)));
        }
        let question = render(&card.question);
        let answer = card.answer.as_ref().map(|(_, a)| render(a)).unwrap_or_default();
        let tags: Vec<&str> = card.tags.iter().map(String::as_str).collect();
        let markup = Markup { tags: &tags, pinned: card.pinned.as_ref().map(|(g, _)| g.as_str()) };
        cards.push(map(CardText {
            line: card.line,
            section: &card.section,
            front: &[&question],
            back: &[&answer],
            reverse: None,
            markup: Some(markup),
        }));
    }
    let title_line = title.as_ref().map_or(1, |(_, line)| *line);
    if cards.is_empty() && !parsed.has_errors() {
        parsed.diagnostics.push(
            Diagnostic::new(Code::E003, file, title_line, "the file has no cards")
                .with_hint("each card is a line `Q: question` then a line `A: answer`; a file that is not a deck is skipped when its name starts with `_`"),
        );
    }
    parsed.diagnostics.sort_by_key(|d| d.line);
    let stem = super::stem_of(file);
    let name = title.map(|(t, _)| t).filter(|t| !t.is_empty()).unwrap_or_else(|| stem.clone());
    parsed.deck = Some(SourceDeck { file: file.to_path_buf(), stem, name, cards });
    parsed
}

/// Where a line goes, as the file is read.
enum Place {
    /// Before any card, or after a heading: text here is on no card.
    Outside,
    Question,
    Answer,
}

/// The title (and its line) and the cards of a Markdown text, with what is wrong in them.
fn read_cards(
    file: &Path,
    text: &str,
    rules: Rules,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Option<(String, u32)>, Vec<RawCard>) {
    let mut title = None;
    let mut section = String::new();
    let mut cards: Vec<RawCard> = Vec::new();
    let mut card: Option<RawCard> = None;
    let mut place = Place::Outside;
    let mut fence: Option<(char, usize)> = None;
    // Text outside a card is warned about once per run of it.
    let mut outside_warned = false;
    // Inside a comment of several lines outside a card.
    let mut in_comment = false;
    let finish = |card: Option<RawCard>, cards: &mut Vec<RawCard>, diagnostics: &mut Vec<Diagnostic>| {
        if let Some(card) = card {
            if let Some(problem) = check_card(file, &card, rules) {
                diagnostics.push(problem);
            } else {
                cards.push(card);
            }
        }
    };
    for (index, line) in text.lines().enumerate() {
        let number = index as u32 + 1;
        if let Some((c, n)) = fence {
            let closes = fence_marker(line).is_some_and(|(c2, n2)| c == c2 && n2 >= n);
            if closes && line.trim().chars().all(|x| x == c) {
                fence = None;
            }
            push_text(&mut card, &place, line);
            continue;
        }
        if let Some(open) = fence_marker(line) {
            fence = Some(open);
            if matches!(place, Place::Outside) && !outside_warned {
                diagnostics.push(outside(file, number));
                outside_warned = true;
            }
            push_text(&mut card, &place, line);
            continue;
        }
        match classify(line) {
            Line::Heading(1, text) if title.is_none() && cards.is_empty() && card.is_none() => {
                title = Some((text.to_string(), number));
                outside_warned = false;
            }
            Line::Heading(level, text) => {
                finish(card.take(), &mut cards, diagnostics);
                place = Place::Outside;
                outside_warned = false;
                if level == 2 {
                    section = text.to_string();
                }
            }
            Line::Question(rest) => {
                finish(card.take(), &mut cards, diagnostics);
                card = Some(RawCard {
                    line: number,
                    section: section.clone(),
                    question: rest.to_string(),
                    ..Default::default()
                });
                place = Place::Question;
            }
            Line::Answer(rest) => match (&mut card, &place) {
                (Some(open), Place::Question) => {
                    open.answer = Some((number, rest.to_string()));
                    place = Place::Answer;
                }
                _ => {
                    let (message, hint) = match place {
                        Place::Answer => (
                            "a second `A:` in one card",
                            "a card has one answer; start a new card with a line `Q: …` before this one",
                        ),
                        _ => (
                            "an `A:` with no `Q:` before it",
                            "start the card with a line `Q: question` above its answer",
                        ),
                    };
                    diagnostics.push(Diagnostic::new(Code::E014, file, number, message).with_hint(hint));
                }
            },
            Line::Tags(rest) if card.is_some() => {
                let open = card.as_mut().expect("a card is open");
                open.tags.extend(rest.split_whitespace().map(super::section_tag));
            }
            Line::Id(id) if card.is_some() => {
                let open = card.as_mut().expect("a card is open");
                let valid = !id.is_empty() && !id.contains(char::is_whitespace);
                if !valid || open.pinned.is_some() {
                    let message = match valid {
                        false => format!("`{id}` is not a usable id: it must be one word"),
                        true => "a second `<!-- id: … -->` in one card".to_string(),
                    };
                    diagnostics.push(Diagnostic::new(Code::E017, file, number, message).with_hint(
                        "a card pins its note's id with one line `<!-- id: word -->` after its answer",
                    ));
                } else {
                    open.pinned = Some((id.to_string(), number));
                }
            }
            Line::Tags(_) | Line::Id(_) | Line::Text => {
                if matches!(place, Place::Outside) {
                    // A comment outside a card, over one line or several, is a note to the
                    // reader, not lost text.
                    let opens = line.trim_start().starts_with("<!--");
                    let is_comment = opens || in_comment;
                    if is_comment {
                        in_comment = !line.contains("-->");
                    }
                    if !line.trim().is_empty() && !outside_warned && !is_comment {
                        diagnostics.push(outside(file, number));
                        outside_warned = true;
                    }
                } else {
                    push_text(&mut card, &place, line);
                }
            }
        }
    }
    finish(card.take(), &mut cards, diagnostics);
    (title, cards)
}

/// Adds a line to the open card's question or answer.
fn push_text(card: &mut Option<RawCard>, place: &Place, line: &str) {
    let Some(card) = card else { return };
    let side = match place {
        Place::Question => &mut card.question,
        Place::Answer => &mut card.answer.as_mut().expect("an answer is open").1,
        Place::Outside => return,
    };
    side.push('\n');
    side.push_str(line);
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
fn outside(file: &Path, line: u32) -> Diagnostic {
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
    (indent <= 3 && n >= 3).then_some((c, n))
}

/// W014 for a card holding a cloze deletion that is built as a plain card (the deck's note type
/// is not cloze): one whose answer holds a deletion and whose question none (a cloze note hides
/// the deletions of its question, `Text`), or, read without the build's rules (`in_question`),
/// any. The deletion shows as written.
pub fn cloze_outside_cloze_decks(file: &Path, line: u32, in_question: bool) -> Diagnostic {
    match in_question {
        true => Diagnostic::new(
            Code::W014,
            file,
            line,
            "a cloze deletion `{{c…::…}}` in a deck whose note type is not cloze: it shows as written",
        )
        .with_hint("set `notetype = \"cloze\"` for the deck in ankideck.toml"),
        false => Diagnostic::new(
            Code::W014,
            file,
            line,
            "a cloze deletion `{{c…::…}}` in the answer of a card whose question has none: it shows as written",
        )
        .with_hint(
            "a card is a cloze note when its question holds a deletion: move the `{{c1::…}}` into the question (after `Q:`)",
        ),
    }
}

/// Parses a Markdown deck from `reader`: it is read whole, then parsed as [`parse_with`] does,
/// and its cards are handed to `sink` in one piece. Returns the digest of the bytes read.
pub fn parse_stream<C: Send>(
    file: &Path,
    reader: &mut impl std::io::Read,
    rules: Rules,
    map: impl Fn(CardText<'_>) -> C + Sync,
    mut sink: impl FnMut(Vec<C>) -> std::io::Result<()> + Send,
) -> std::io::Result<(Parsed<()>, u128)> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let digest = crate::build::state::source_digest(&bytes);
    let parsed = parse_with(file, &bytes, rules, map);
    drop(bytes);
    let has_errors = parsed.has_errors();
    let (deck, diagnostics) = (parsed.deck, parsed.diagnostics);
    let deck = match deck {
        Some(deck) => {
            let count = deck.cards.len();
            if !has_errors {
                sink(deck.cards)?;
            }
            Some(SourceDeck { file: deck.file, stem: deck.stem, name: deck.name, cards: vec![(); count] })
        }
        None => None,
    };
    Ok((Parsed { deck, diagnostics }, digest))
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
