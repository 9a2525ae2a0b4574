//! Tests of the flashcard text format reader: one per rule of `docs/format.md`, each diagnostic
//! code, and the whole reading of the seed deck.

use super::*;
use crate::diagnostic::Severity;
use crate::source::SourceCard;

const FILE: &str = "source-cards/history.txt";

/// Reads a file whole, and checks that reading it as a stream, in blocks of several sizes, gives
/// the same cards and diagnostics: so every test here is a test of [`parse_stream`] too.
fn read_bytes(bytes: &[u8]) -> Parsed {
    read_by(bytes, Rules::default())
}

/// [`read_bytes`] with the rules of a deck's note type.
fn read_by(bytes: &[u8], rules: Rules) -> Parsed {
    let parsed = parse_with(Path::new(FILE), bytes, rules, |card| card.to_card());
    for block in [1, 5, 64, 1 << 20] {
        assert_streams_alike(bytes, block, rules, &parsed);
    }
    parsed
}

fn assert_streams_alike(bytes: &[u8], block: usize, rules: Rules, whole: &Parsed) {
    let mut cards = Vec::new();
    let (streamed, digest) = parse_stream(
        Path::new(FILE),
        &mut &bytes[..],
        block,
        rules,
        |c| c.to_card(),
        |piece| {
            cards.extend(piece);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(streamed.diagnostics, whole.diagnostics, "block of {block} bytes");
    match (&streamed.deck, &whole.deck) {
        (Some(s), Some(w)) => {
            assert_eq!((&s.name, &s.stem, s.cards.len()), (&w.name, &w.stem, w.cards.len()));
            assert_eq!(digest, xxhash_rust::xxh3::xxh3_128(bytes), "the digest of every byte");
            if !whole.has_errors() {
                assert_eq!(cards, w.cards, "block of {block} bytes");
            }
        }
        (s, w) => assert_eq!(s.is_some(), w.is_some(), "block of {block} bytes"),
    }
}

fn read(text: &str) -> Parsed {
    read_bytes(text.as_bytes())
}

/// Reads a file that must give a deck and no diagnostics at all.
fn read_clean(text: &str) -> SourceDeck {
    let parsed = read(text);
    assert!(parsed.diagnostics.is_empty(), "unexpected diagnostics: {:#?}", parsed.diagnostics);
    parsed.deck.expect("a file without diagnostics has a deck")
}

/// The code, line and column of every diagnostic.
fn found(parsed: &Parsed) -> Vec<(Code, u32, u32)> {
    parsed.diagnostics.iter().map(|d| (d.code, d.line, d.column)).collect()
}

fn card(line: u32, section: &str, front: &[&str], back: &[&str]) -> SourceCard {
    SourceCard {
        line,
        section: section.to_string(),
        front: front.join("\n"),
        back: back.join("\n"),
        reverse: false,
        tags: Vec::new(),
        id: None,
        cloze: false,
    }
}

/// Front and back of the only card of a deck.
fn only_card(text: &str) -> (Vec<String>, Vec<String>) {
    only_card_warned(text, &[])
}

/// Front and back of the only card of a deck that gives exactly the diagnostics `expected`
/// (code, line, column).
fn only_card_warned(text: &str, expected: &[(Code, u32, u32)]) -> (Vec<String>, Vec<String>) {
    let parsed = read(text);
    assert_eq!(found(&parsed), expected, "{:#?}", parsed.diagnostics);
    let mut cards = parsed.deck.expect("a deck").cards;
    assert_eq!(cards.len(), 1, "{cards:#?}");
    let card = cards.remove(0);
    (card.front_lines().map(str::to_string).collect(), card.back_lines().map(str::to_string).collect())
}

// Rule 1: encoding, line endings, white space, blank lines.

#[test]
fn crlf_and_bom_read_like_plain_lf() {
    let lf = "Deck Flashcards\nHEAD\nThe question runs on\ninto the answer.\n";
    let crlf = "\u{feff}Deck Flashcards\r\nHEAD\r\nThe question runs on\r\ninto the answer.\r\n";
    let plain = read_clean(lf);
    let windows = read_clean(crlf);
    assert_eq!(windows.name, "Deck");
    assert_eq!(windows.cards, plain.cards);
    assert_eq!(windows.cards, [card(2, "HEAD", &["The question runs on"], &["into the answer."])]);
}

#[test]
fn bom_without_crlf_is_accepted() {
    let deck = read_clean("\u{feff}Deck\nHEAD\nAsk\nAnswer.");
    assert_eq!(deck.name, "Deck");
    assert_eq!(deck.cards, [card(2, "HEAD", &["Ask"], &["Answer."])]);
}

#[test]
fn surrounding_white_space_and_blank_lines_are_dropped() {
    let deck = read_clean("\n  \t\n  Deck  \n\n   HEAD \t\n\n  Ask  \n \n\tAnswer.\t\n\n");
    assert_eq!(deck.name, "Deck");
    assert_eq!(deck.cards, [card(5, "HEAD", &["Ask"], &["Answer."])]);
}

#[test]
fn card_line_counts_blank_lines() {
    let deck = read_clean("Deck\n\n\nFIRST\nAsk\nAnswer.\n\n\nSECOND\nAsk again\nAnswer again.");
    let lines: Vec<u32> = deck.cards.iter().map(|c| c.line).collect();
    assert_eq!(lines, [4, 9]);
}

#[test]
fn text_is_nfc_normalised() {
    // `e` + combining acute accent (NFD) becomes the single code point `é` (NFC).
    let deck = read_clean("Re\u{301}sume\u{301} Flashcards\nE\u{301}TAT\nCafe\u{301} on\nthe corner.\n");
    assert_eq!(deck.name, "R\u{e9}sum\u{e9}");
    assert_eq!(deck.cards, [card(2, "\u{c9}TAT", &["Caf\u{e9} on"], &["the corner."])]);
}

#[test]
fn nfc_fast_path_agrees_with_full_normalisation() {
    let samples = [
        "plain ascii",
        "caf\u{e9} \u{2018}rightist\u{2019} Z\u{fc}rich",
        "a\u{301}\u{316}",      // marks out of canonical order (230 then 220)
        "\u{e9}\u{316}\u{301}", // a precomposed letter, then marks in order
        "e\u{316}x\u{301}",     // marks separated by a class-0 letter
        "\u{212b}ngstr\u{f6}m", // the Angstrom sign is never NFC
        "\u{1100}\u{1161}",     // Hangul jamo compose
        "\u{ac00}\u{11a8}",     // a syllable and a trailing jamo compose
        "\u{3b1}\u{313}\u{301}",
        "\u{f900}", // a CJK compatibility ideograph
        "\u{1f600} \u{4e2d}\u{6587}",
    ];
    for sample in samples {
        let expected: String = sample.nfc().collect();
        assert_eq!(nfc(sample, Clean::Nothing), expected, "{sample:?}");
    }
}

#[test]
fn escaped_line_is_nfc_normalised() {
    let (front, back) = only_card("Deck\nHEAD\n\\E\u{301}TAT\nAnswer.");
    assert_eq!(front, ["\u{c9}TAT"]);
    assert_eq!(back, ["Answer."]);
}

// Rule 2: the title.

#[test]
fn title_drops_trailing_flashcards_word() {
    let deck = read_clean("STALIN OPPOSITION 1924-41 Flashcards\nHEAD\nAsk\nAnswer.");
    assert_eq!(deck.name, "STALIN OPPOSITION 1924-41");
    assert_eq!(deck.stem, "history");
    assert_eq!(deck.file, Path::new(FILE));
}

#[test]
fn flashcards_word_is_dropped_in_any_case() {
    for title in ["History FLASHCARDS", "History flashcards", "History FlashCards", "History\tFlashcards"] {
        let deck = read_clean(&format!("{title}\nHEAD\nAsk\nAnswer."));
        assert_eq!(deck.name, "History", "title {title:?}");
    }
}

#[test]
fn flashcards_elsewhere_in_the_title_is_kept() {
    assert_eq!(read_clean("Flashcards of history\nHEAD\nAsk\nAnswer.").name, "Flashcards of history");
    assert_eq!(read_clean("History Flashcards2\nHEAD\nAsk\nAnswer.").name, "History Flashcards2");
}

#[test]
fn title_is_the_first_line_even_when_it_looks_like_a_heading() {
    let deck = read_clean("HISTORY\nHEAD\nAsk\nAnswer.");
    assert_eq!(deck.name, "HISTORY");
    assert_eq!(deck.cards, [card(2, "HEAD", &["Ask"], &["Answer."])]);
}

#[test]
fn empty_title_falls_back_to_file_stem_with_a_warning() {
    let parsed = read("  Flashcards  \nHEAD\nAsk\nAnswer.");
    assert_eq!(found(&parsed), [(Code::W001, 1, 1)]);
    assert_eq!(parsed.diagnostics[0].severity, Severity::Warning);
    assert!(!parsed.has_errors());
    let deck = parsed.deck.expect("a warning does not stop the deck");
    assert_eq!(deck.name, "history");
    assert_eq!(deck.cards.len(), 1);
}

#[test]
fn empty_title_warning_is_on_the_title_line() {
    let parsed = read("\n\nFLASHCARDS\nHEAD\nAsk\nAnswer.");
    assert_eq!(found(&parsed), [(Code::W001, 3, 1)]);
}

#[test]
fn deck_named_default_is_an_error() {
    for title in ["Default", "default Flashcards", "DEFAULT"] {
        let parsed = read(&format!("{title}\nHEAD\nAsk\nAnswer."));
        assert_eq!(found(&parsed), [(Code::E009, 1, 1)], "title {title:?}");
        assert!(parsed.has_errors());
    }
}

#[test]
fn default_as_part_of_a_name_is_allowed() {
    assert_eq!(read_clean("Default values\nHEAD\nAsk\nAnswer.").name, "Default values");
}

// Rule 3: headings.

#[test]
fn heading_has_a_letter_and_no_lowercase_letter() {
    assert!(is_heading("THE KIROV AFFAIR, 1934"));
    assert!(is_heading("THE GREAT PURGES, 1936-38"));
    assert!(is_heading("\u{c9}TAT"));
    assert!(is_heading("A"));
    assert!(!is_heading("1932"));
    assert!(!is_heading("1936-38, 1941"));
    assert!(!is_heading("THE KIROV Affair"));
    assert!(!is_heading("\u{c9}tat"));
}

#[test]
fn line_without_letters_is_body_text() {
    let (front, back) = only_card("Deck\nHEAD\nIn the year\n1937\n");
    assert_eq!(front, ["In the year"]);
    assert_eq!(back, ["1937"]);
}

#[test]
fn each_heading_starts_a_new_card_even_when_repeated() {
    let deck = read_clean(
        "Deck\nPART ONE\nAsk a\nAnswer a.\nPART ONE\nAsk b\nAnswer b.\nPART TWO\nAsk c\nAnswer c.",
    );
    assert_eq!(
        deck.cards,
        [
            card(2, "PART ONE", &["Ask a"], &["Answer a."]),
            card(5, "PART ONE", &["Ask b"], &["Answer b."]),
            card(8, "PART TWO", &["Ask c"], &["Answer c."]),
        ]
    );
}

// Rule 4: the sentence rule.

#[test]
fn front_runs_to_the_first_line_that_stops_mid_sentence() {
    let (front, back) =
        only_card("Deck\nHEAD\nFirst sentence.\nSecond one stops at\nthe answer.\nMore answer.\n");
    assert_eq!(front, ["First sentence.", "Second one stops at"]);
    assert_eq!(back, ["the answer.", "More answer."]);
}

#[test]
fn front_ends_at_the_first_unfinished_line_not_a_later_one() {
    let (front, back) = only_card("Deck\nHEAD\nStops at\nthe answer, which stops at\nmore.\n");
    assert_eq!(front, ["Stops at"]);
    assert_eq!(back, ["the answer, which stops at", "more."]);
}

#[test]
fn every_line_ending_a_sentence_puts_the_last_line_on_the_back() {
    // The fallback decided: a warning says so, and the third line is a question.
    let (front, back) = only_card_warned("Deck\nHEAD\nOne.\nTwo!\nThree?\nFour.\n", &[(Code::W004, 3, 1)]);
    assert_eq!(front, ["One.", "Two!", "Three?"]);
    assert_eq!(back, ["Four."]);
}

#[test]
fn only_the_last_line_unfinished_puts_the_last_line_on_the_back() {
    let (front, back) =
        only_card_warned("Deck\nHEAD\nOne.\nTwo.\nthree without a stop\n", &[(Code::W004, 3, 1)]);
    assert_eq!(front, ["One.", "Two."]);
    assert_eq!(back, ["three without a stop"]);
}

#[test]
fn two_line_card_splits_after_the_first_line() {
    assert_eq!(only_card("Deck\nHEAD\nAsk.\nAnswer.\n"), (vec!["Ask.".into()], vec!["Answer.".into()]));
    assert_eq!(only_card("Deck\nHEAD\nAsk\nAnswer\n"), (vec!["Ask".into()], vec!["Answer".into()]));
}

#[test]
fn closing_quotes_and_brackets_after_a_stop_end_a_sentence() {
    for line in [
        "He said “no.”",
        "Was it (really?)",
        "It was ‘over.’",
        "\"Done.\"",
        "'Done!'",
        "[See above.]",
        "«Fini.»",
        "Nested (“quote.”)",
    ] {
        assert!(ends_sentence(line), "{line:?}");
    }
    let (front, back) = only_card_warned(
        "Deck\nHEAD\nHe said “no.”\nWas it (really?)\nThen\nthe answer.\n",
        &[(Code::W003, 4, 1)],
    );
    assert_eq!(front, ["He said “no.”", "Was it (really?)", "Then"]);
    assert_eq!(back, ["the answer."]);
}

#[test]
fn ellipsis_ends_a_sentence() {
    assert!(ends_sentence("And then…"));
    assert!(ends_sentence("And then…”"));
    assert!(ends_sentence("And then..."));
    let (front, back) = only_card("Deck\nHEAD\nAnd then…\nit stopped at\nthe answer.\n");
    assert_eq!(front, ["And then…", "it stopped at"]);
    assert_eq!(back, ["the answer."]);
}

#[test]
fn other_endings_do_not_end_a_sentence() {
    for line in
        ["the same year as", "Nevertheless,", "as follows:", "a list;", "a dash -", "(a bracket)", "“quoted”"]
    {
        assert!(!ends_sentence(line), "{line:?}");
    }
}

// Rule 5: errors.

#[test]
fn single_line_card_is_an_error_at_that_line() {
    let parsed = read("Deck\nHEAD\n\nOnly one line.\n");
    assert_eq!(found(&parsed), [(Code::E006, 4, 1)]);
    assert!(parsed.has_errors());
}

#[test]
fn single_line_card_does_not_stop_the_other_cards() {
    let parsed = read("Deck\nFIRST\nAsk\nAnswer.\nSECOND\nAlone.\nTHIRD\nAsk\nAnswer.");
    assert_eq!(found(&parsed), [(Code::E006, 6, 1)]);
    let sections: Vec<String> = parsed.deck.expect("deck").cards.into_iter().map(|c| c.section).collect();
    assert_eq!(sections, ["FIRST", "THIRD"]);
}

#[test]
fn title_without_cards_is_an_error() {
    let parsed = read("\nDeck Flashcards\n\n");
    assert_eq!(found(&parsed), [(Code::E003, 2, 1)]);
    assert!(parsed.deck.expect("deck").cards.is_empty());
}

#[test]
fn empty_file_is_an_error() {
    for text in ["", "\n\n", "  \r\n\t\r\n", "\u{feff}", "\u{feff}\r\n"] {
        let parsed = read(text);
        assert_eq!(found(&parsed), [(Code::E002, 1, 1)], "{text:?}");
        assert!(parsed.deck.is_none());
    }
}

#[test]
fn invalid_utf8_is_an_error_with_line_and_column() {
    let parsed = read_bytes(b"Deck\nHEAD\nab\xffc\nAnswer.\n");
    assert_eq!(found(&parsed), [(Code::E001, 3, 3)]);
    assert!(parsed.deck.is_none());
}

#[test]
fn invalid_utf8_column_counts_characters_not_bytes() {
    // `é` and `’` are two and three bytes, one column each.
    let mut bytes = "Deck\nHEAD\né’".as_bytes().to_vec();
    bytes.extend_from_slice(b"\xc3(");
    let parsed = read_bytes(&bytes);
    assert_eq!(found(&parsed), [(Code::E001, 3, 3)]);
}

#[test]
fn invalid_utf8_column_does_not_count_the_bom() {
    let parsed = read_bytes(b"\xef\xbb\xbfab\xff\n");
    assert_eq!(found(&parsed), [(Code::E001, 1, 3)]);
}

#[test]
fn invalid_utf8_with_crlf_is_located_on_its_line() {
    let parsed = read_bytes(b"Deck\r\nHEAD\r\n\xfe\r\n");
    assert_eq!(found(&parsed), [(Code::E001, 3, 1)]);
}

// Also: text before the first heading, heading without body.

#[test]
fn text_before_the_first_heading_is_an_error_reported_once() {
    let parsed = read("Deck\nStray text\nmore stray text\nHEAD\nAsk\nAnswer.");
    assert_eq!(found(&parsed), [(Code::E004, 2, 1)]);
    assert_eq!(parsed.deck.expect("deck").cards, [card(4, "HEAD", &["Ask"], &["Answer."])]);
}

#[test]
fn first_heading_in_title_case_is_named_with_its_fix() {
    let parsed = read("French\nGreetings\nHow do you say hello?\nBonjour.\nFOOD\nWhat is bread?\nLe pain.\n");
    assert_eq!(found(&parsed), [(Code::E004, 2, 1)]);
    let hint = parsed.diagnostics[0].hint.as_deref().unwrap();
    assert!(
        hint.contains("`Greetings` looks like a heading") && hint.contains("write `GREETINGS`"),
        "{hint}"
    );
    // Other stray text keeps the general hint.
    let stray = read("Deck\nStray text\nHEAD\nAsk\nAnswer.");
    assert!(stray.diagnostics[0].hint.as_deref().unwrap().contains("ALL-CAPS heading line"));
}

#[test]
fn text_before_any_heading_is_not_also_a_missing_cards_error() {
    let parsed = read("Deck\nStray text");
    assert_eq!(found(&parsed), [(Code::E004, 2, 1)]);
}

#[test]
fn heading_without_body_is_an_error_at_the_heading() {
    let parsed = read("Deck\nEMPTY\nHEAD\nAsk\nAnswer.\nLAST\n");
    assert_eq!(found(&parsed), [(Code::E005, 2, 1), (Code::E005, 6, 1)]);
    assert_eq!(parsed.deck.expect("deck").cards, [card(3, "HEAD", &["Ask"], &["Answer."])]);
}

// Rule 6: the separator and the escape.

#[test]
fn separator_wins_over_the_sentence_rule() {
    // By the sentence rule the front would end at `stops at`.
    let (front, back) = only_card(
        "Deck\nHEAD\nOne sentence.\nThis line stops at\nthe end.\n---\nThe answer stops at\nnothing\n",
    );
    assert_eq!(front, ["One sentence.", "This line stops at", "the end."]);
    assert_eq!(back, ["The answer stops at", "nothing"]);
}

#[test]
fn separator_splits_lines_that_all_end_sentences() {
    let (front, back) = only_card("Deck\nHEAD\nOne.\n---\nTwo.\nThree.\n");
    assert_eq!(front, ["One."]);
    assert_eq!(back, ["Two.", "Three."]);
}

#[test]
fn separator_line_may_have_surrounding_white_space() {
    let (front, back) = only_card("Deck\nHEAD\nOne.\n  ---\t\nTwo.\nThree.\n");
    assert_eq!(front, ["One."]);
    assert_eq!(back, ["Two.", "Three."]);
}

#[test]
fn separator_is_not_part_of_either_side_nor_a_line_of_text() {
    assert_eq!(only_card("Deck\nHEAD\nAsk\n---\nAnswer\n"), (vec!["Ask".into()], vec!["Answer".into()]));
    assert_eq!(SEPARATOR, "---");
}

#[test]
fn longer_dash_line_is_text_not_a_separator() {
    let (front, back) = only_card("Deck\nHEAD\nAsk\n----\nAnswer.\n");
    assert_eq!(front, ["Ask"]);
    assert_eq!(back, ["----", "Answer."]);
}

#[test]
fn two_separators_in_one_card_is_an_error_at_the_second() {
    let parsed = read("Deck\nHEAD\nOne\n---\nTwo\n---\nThree\n");
    assert_eq!(found(&parsed), [(Code::E007, 6, 1)]);
}

#[test]
fn separator_with_empty_front_is_an_error() {
    let parsed = read("Deck\nHEAD\n---\nAnswer one.\nAnswer two.\n");
    assert_eq!(found(&parsed), [(Code::E008, 3, 1)]);
    assert!(parsed.diagnostics[0].message.contains("front"), "{}", parsed.diagnostics[0].message);
}

#[test]
fn separator_with_empty_back_is_an_error() {
    let parsed = read("Deck\nHEAD\nAsk one\nAsk two\n\n---\n\nNEXT\nAsk\nAnswer.");
    assert_eq!(found(&parsed), [(Code::E008, 6, 1)]);
    assert!(parsed.diagnostics[0].message.contains("back"), "{}", parsed.diagnostics[0].message);
    assert_eq!(parsed.deck.expect("deck").cards, [card(8, "NEXT", &["Ask"], &["Answer."])]);
}

#[test]
fn separator_alone_under_a_heading_is_an_empty_side_error() {
    let parsed = read("Deck\nHEAD\n---\n");
    assert_eq!(found(&parsed), [(Code::E008, 3, 1)]);
}

#[test]
fn backslash_makes_an_all_caps_line_text() {
    let (front, back) = only_card("Deck\nHEAD\nWhat did the acronym stand for\n\\NKVD\n");
    assert_eq!(front, ["What did the acronym stand for"]);
    assert_eq!(back, ["NKVD"]);
}

#[test]
fn backslash_makes_a_dash_line_text() {
    let (front, back) = only_card("Deck\nHEAD\nAsk\n\\---\nAnswer.\n");
    assert_eq!(front, ["Ask"]);
    assert_eq!(back, ["---", "Answer."]);
}

#[test]
fn backslash_is_removed_only_once_and_only_at_the_start() {
    let (front, back) = only_card("Deck\nHEAD\n\\\\server\\share is\n  \\a path\\.\n");
    assert_eq!(front, ["\\server\\share is"]);
    assert_eq!(back, ["a path\\."]);
}

#[test]
fn escaped_line_still_follows_the_sentence_rule() {
    let (front, back) = only_card("Deck\nHEAD\n\\THE USSR.\n\\WAS FOUNDED IN\n1922.\n");
    assert_eq!(front, ["THE USSR.", "WAS FOUNDED IN"]);
    assert_eq!(back, ["1922."]);
}

// Rule 7: lines are kept.

#[test]
fn lines_of_front_and_back_are_kept_separate() {
    let (front, back) = only_card("Deck\nHEAD\nFirst.\nSecond, and\nthird line\nfourth line.\n");
    assert_eq!(front.len(), 2);
    assert_eq!(back, ["third line", "fourth line."]);
    assert!(front.iter().chain(&back).all(|l| !l.contains('\n')));
}

// The seed deck, read in full.

#[test]
fn seed_deck_reads_as_fifteen_cards() {
    let bytes = include_bytes!("../../source-cards/stalin-opposition-1924-41.txt");
    let parsed = parse(Path::new("source-cards/stalin-opposition-1924-41.txt"), bytes);
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let deck = parsed.deck.expect("the seed deck reads");
    assert_eq!(deck.name, "STALIN OPPOSITION 1924-41");
    assert_eq!(deck.stem, "stalin-opposition-1924-41");
    let expected: [(u32, &str, &[&str], &[&str]); 15] = [
        (
            2,
            "OPPOSITION TO STALIN AND THE PURGES",
            &["He extended the use of terror and class warfare, as practised by Lenin, to \
                    enforce collectivisation through the destruction of the kulaks and maintain his \
                    five-Year Plans for industry. He accomplished this by"],
            &["sending bourgeois managers, specialists and engineers, whom he accused of \
                    machine-breaking and sabotage, to labour camps."],
        ),
        (
            5,
            "OPPOSITION TO STALIN AND THE PURGES",
            &["The Shakhty show trial of 1928 was a clear indication of Stalin’s determination \
                    to find a scapegoat for the chaos caused by his own economic policies, while \
                    delivering the message that the regime had to maintain its vigilance against \
                    those who were set to destroy it. This heralded"],
            &["an industrial terror which deprived hundreds of bourgeois specialists of their \
                    jobs and, often, lives."],
        ),
        (
            8,
            "OPPOSITION TO STALIN AND THE PURGES",
            &["By 1929, Soviet prisons could no longer cope with the numbers of kulaks, \
                    bourgeois specialists, wreckers, saboteurs and other opponents’ that arrived \
                    and Yagoda was commissioned to investigate ways in which the prison population \
                    could be put to better use. This proposal involved building on the"],
            &[
                "corrective-labour camps established by Lenin by creating a series of new camps, \
                    of c50,000 prisoners each, in remote areas of the north and Siberia, where \
                    diamonds, gold, platinum, oil, nickel, coal and timber were all to be found.",
                "these are the gulags",
            ],
        ),
        (
            12,
            "OPPOSITION TO STALIN AND THE PURGES",
            &["By offering minimum ‘per capita’ funding and imposing economies of scale it was \
                    believed these ‘gulags’ could contribute to economic growth, while at the same \
                    time offering appropriate correction’ for the prisoners. The camps were to be \
                    placed under the direct authority of"],
            &["the OGPU (the political police until 1934, when the NKVD took control). By \
                    then, they housed a million people."],
        ),
        (
            15,
            "THE CRISIS OF 1932",
            &[
                "In November 1932, Stalin’s wife, Nadezhda, committed suicide. She left a note \
                    criticising Stalin’s policy and showing her sympathy for Stalin’s political \
                    enemies.",
                "this ‘unhinged’ Stalin, who now felt that even those closest to him could be \
                    betraying him behind his back - saying one thing but believing another. The \
                    suicide, which was reported to the public as death from appendicitis, came at \
                    the end of a bad year. In 1932 there had been",
            ],
            &["famine in the countryside and a spate of workers’ strikes in the industrial \
                    towns, primarily driven by economic factors, but also bringing voiced \
                    criticisms of the five year plan and Stalin’s leadership."],
        ),
        (
            19,
            "THE CRISIS OF 1932",
            &["Stalin’s position was far from secure. His old opponent, Bukharin, had been \
                    re-elected to the Central Committee in June 1930; the same year as"],
            &["some of those who had formerly supported Stalin in the leadership struggle \
                    against Bukharin were expelled for criticising the way collectivisation was \
                    being carried out."],
        ),
        (
            22,
            "THE CRISIS OF 1932",
            &[
                "In 1932, two opposition groups emerged within the Party elite. An informal \
                    group of old Bolsheviks, which included Smirnov, was discovered to have held \
                    meetings at which they had debated Stalin’s removal. They were quickly arrested \
                    by the OGPU and Smirnov expelled from the Party.",
                "A second group was led by",
            ],
            &["Ryutin, (former Moscow Party Secretary and a ‘rightist’) and their criticisms \
                    became known as the ‘Ryutin Platform’. They disapproved of Stalin’s political \
                    direction and personality and some of their papers were found in Nadezhda’s \
                    room."],
        ),
        (
            26,
            "THE CRISIS OF 1932",
            &[
                "Ryutin even sent an appeal, signed by a number of prominent communists, to the \
                    Central Committee urging Stalin’s removal. Ryutin and his circle were arrested, \
                    and it has been suggested that Stalin called for their immediate execution but \
                    was over-ruled the Politburo and, in particular, by Kirov, the Leningrad Party \
                    Secretary.",
                "this again shows the precariousness of Stalin’s position at this time. \
                    Nevertheless,",
            ],
            &["24 were expelled from the Party and exiled from Moscow, while several other old \
                    Bolsheviks, including Zinoviev and Kamenev, were also expelled and exiled, \
                    simply for knowing of the group’s existence and failing to report it to the \
                    police. Ryutin was sentenced to ten years in prison. He was shot, on Stalin’s \
                    orders, in 1937."],
        ),
        (
            30,
            "THE CRISIS OF 1932",
            &["If Nadezhda’s suicide had not already ‘unhinged’ Stalin, the Ryutin affair \
                    certainly did. In April 1933, he announced a general purge of the Party and \
                    over the next two years, he conducted a paranoid struggle in which over"],
            &[
                "18% of the Party membership were branded ‘Ryutinites’ and purged.",
                "Most of these were relatively new Party members whose loyalty Stalin felt \
                    unsure of; he thought them mere careerists.",
            ],
        ),
        (
            34,
            "THE KIROV AFFAIR, 1934",
            &["At the 17th Party Congress in 1934, which coincided with the tenth anniversary \
                    of Lenin’s death, Stalin announced that the anti-Leninist opposition’ (by which \
                    he meant those that had opposed his own policies and leadership) had been \
                    defeated."],
            &["Bukharin, Rykov, and others who had challenged Stalin in the leadership \
                    struggle, all admitted their errors’ to give the impression of unity at the top."],
        ),
        (
            37,
            "THE KIROV AFFAIR, 1934",
            &["However, in the elections to the Central Committee, Stalin received c150 \
                    negative votes (although only three were officially recorded). A split opened \
                    up between those who wanted to maintain the pace of industrialisation, and \
                    others within the Politburo, including Kirov, who spoke about stopping forcible \
                    grain seizures and increasing workers’ rations. Nevertheless, only"],
            &["two of the Politburo firmly supported Stalin (Molotov and Kaganovich), while \
                    Kirov received a long, standing ovation for his speech advocating a more \
                    moderate approach."],
        ),
        (
            40,
            "THE KIROV AFFAIR, 1934",
            &["A further issue which also arose from the 17th Party Congress was the abolition \
                    of the title of General Secretary. Stalin and Kirov, along with Zhdanov and \
                    Kaganovich, were all given the title"],
            &[
                "what did it mean",
                "Secretary of Equal Rank. Stalin may have supported this, in order to spread the \
                    responsibility for the economic crisis; but it meant, in theory at least, that \
                    Stalin was no more important than the other secretaries.",
            ],
        ),
        (
            44,
            "THE KIROV AFFAIR, 1934",
            &["Kirov was murdered in December 1934. The circumstances were suspicious and \
                    Stalin (who may well have been implicated) was quick to claim that this was \
                    part of a Trotskyite conspiracy, led by ‘Zinovievites, to overthrow the Party. \
                    A decree was published a day after the assassination, giving Yagoda, head of \
                    the NKVD,"],
            &["powers to arrest and execute anyone found guilty of terrorist plotting. Around \
                    6500 people were arrested under this law in December."],
        ),
        (
            47,
            "THE KIROV AFFAIR, 1934",
            &["In January 1935, Zinoviev, Kamenev and 17 others were arrested and accused of \
                    instigating terrorism and sentenced to between five and ten years imprisonment. \
                    Some 843 former associates of Zinoviev were also arrested in January/February \
                    1935. During the course of that year,"],
            &["11,000 ‘former people were arrested, exiled or placed in camps and 250,000 \
                    Party members were expelled (after investigation by the NKVD) as \
                    ‘anti-Leninists."],
        ),
        (
            50,
            "THE GREAT PURGES, 1936-38",
            &[
                "While Stalin was creating a new, and seemingly more liberal, constitution for \
                    the Soviet Union in 1936, he was also busy preparing for a new purge; one that \
                    would be more far-reaching than ever before.",
                "In August 1936,",
            ],
            &[
                "a show trial involving Zinoviev, Kamenev and 14 others took place. Its purpose, \
                    like that of others which followed, was not only to gain confessions and \
                    convictions, but to ‘prove the existence of political conspiracies. All 16 were \
                    found guilty of involvement in a Trotsky-inspired plot to murder Stalin and \
                    other Politburo members. All were executed - together with 160 ‘accomplices.",
                "A month later, Yagoda was replaced by Nikolai Yezhov as NKVD chief, as it was \
                    claimed Yagoda had not been active enough in uncovering this conspiracy.",
            ],
        ),
    ];
    let want: Vec<SourceCard> =
        expected.iter().map(|(line, section, front, back)| card(*line, section, front, back)).collect();
    assert_eq!(deck.cards.len(), 15);
    for (i, (got, want)) in deck.cards.iter().zip(&want).enumerate() {
        assert_eq!(got, want, "card {}", i + 1);
    }
}

#[test]
fn lines_without_letter_case_are_not_headings() {
    assert!(!is_heading("東京は日本の首都です。"));
    assert!(!is_heading("שלום"));
    assert!(is_heading("ТЕРРОР 1937"));
}

#[test]
fn control_characters_are_removed_with_a_warning() {
    let parsed = parse(Path::new("c.txt"), "T\nSECTION\nfront\u{1f} is cut\nback.\n".as_bytes());
    let deck = parsed.deck.as_ref().expect("deck");
    assert_eq!(deck.cards[0].front, "front is cut");
    let warning = &parsed.diagnostics[0];
    assert_eq!((warning.code, warning.line, warning.column), (Code::W002, 3, 6));
    assert!(!parsed.has_errors());
}

#[test]
fn large_files_read_in_chunks_keep_every_card_and_line_number() {
    // Big enough for several chunks; blank lines and an escaped capital line on the way.
    let mut text = String::from("BIG DECK Flashcards\n\n");
    let mut expected_lines = Vec::new();
    let mut line = 3;
    for i in 0..30_000 {
        expected_lines.push(line);
        text.push_str(&format!("SECTION {}\n", i % 7));
        text.push_str(&format!("Card {i} asks something long enough to fill the chunks of the reader and\n"));
        text.push_str("\\NKVD\n");
        text.push_str(&format!("answers it with a sentence that ends the card number {i}.\n\n"));
        line += 5;
    }
    assert!(text.len() > 3 * CHUNK_BYTES);
    let parsed = parse(Path::new("big.txt"), text.as_bytes());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics.first());
    let deck = parsed.deck.expect("deck");
    assert_eq!(deck.cards.len(), 30_000);
    let lines: Vec<u32> = deck.cards.iter().map(|c| c.line).collect();
    assert_eq!(lines, expected_lines);
    let last = &deck.cards[29_999];
    assert_eq!(last.section, format!("SECTION {}", 29_999 % 7));
    assert_eq!(
        last.back_lines().collect::<Vec<_>>(),
        ["NKVD", "answers it with a sentence that ends the card number 29999."]
    );
}

/// Generated files of every kind of line (headings, sentences cut or not, separators, escapes,
/// blank lines, CRLF, a byte-order mark, control characters, multi-byte text, sometimes a broken
/// byte): read as a stream in blocks of any size, each gives what the whole-file reader gives.
#[test]
fn streamed_reading_matches_whole_file_reading() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let lines = [
        "HEADING ONE",
        "THE KIROV AFFAIR, 1934",
        "A sentence that ends.",
        "A sentence cut off",
        "and its end.",
        "---",
        "\\ESCAPED CAPS",
        "",
        "   ",
        "Zürich ĳ café",
        "日本語のテキスト",
        "CAF\u{301}E MENU",
        "tab\there",
        "ctl\u{7}here",
        "«quoted.»",
        "PART 2: 中文",
        "\u{feff}HEAD\u{1}ING",
        "\u{feff}a mark inside the file.",
        "What is it?",
        "TV",
        "H₂SO₄",
        "Cell Division",
        "STRAßE",
        "<->",
        "{{c1::Paris}} is in France.",
        "\\{{c2::Rome}}",
        "{{c0::none}}",
    ];
    for case in 0..300 {
        let mut text = String::new();
        if next(5) == 0 {
            text.push('\u{feff}');
        }
        text.push_str(["History Flashcards", "", "DECK", "Default"][next(4) as usize]);
        let eol = ["\r\n", "\n", "\n", "\r"][next(4) as usize];
        for _ in 0..next(40) {
            text.push_str(eol);
            text.push_str(lines[next(lines.len() as u64) as usize]);
        }
        if next(2) == 0 {
            text.push_str(eol);
        }
        let mut bytes = text.into_bytes();
        if next(10) == 0 && !bytes.is_empty() {
            let at = next(bytes.len() as u64) as usize;
            bytes[at] = 0xff;
        }
        for rules in [Rules::default(), Rules { one_line_cloze: true, cloze_cards: false }] {
            let whole = parse_with(Path::new(FILE), &bytes, rules, |card| card.to_card());
            for block in [1, 2, 3, 4, 5, 7, 11, 17, 30, 100, 4096] {
                assert_streams_alike(&bytes, block, rules, &whole);
            }
        }
        let _ = case;
    }
}

/// A block of a file read in blocks can start with a heading that begins with U+FEFF (files
/// saved with byte-order marks, then joined): there it is a character, counted in columns.
#[test]
fn a_byte_order_mark_inside_the_file_counts_as_a_column_when_read_in_blocks() {
    let text = "Deck\nA\nq and\na.\n\u{feff}B\u{1}\nq and\na.\n";
    let parsed = read(text);
    assert_eq!(found(&parsed), [(Code::W002, 5, 3)]);
    for block in 1..=text.len() {
        assert_streams_alike(text.as_bytes(), block, Rules::default(), &parsed);
    }
}

/// Only the first U+FEFF of a file is its byte-order mark: a second one is a character, counted
/// in the column of a warning as in that of an error.
#[test]
fn a_second_byte_order_mark_is_a_column() {
    let parsed = read("\u{feff}\u{feff}Deck\u{1}\nA\nq and\na.\n");
    assert_eq!(found(&parsed), [(Code::W002, 1, 6)]);
    let parsed = read_bytes(b"\xef\xbb\xbf\xef\xbb\xbfDeck\xff\n");
    assert_eq!(found(&parsed), [(Code::E001, 1, 6)]);
}

// Line endings of old Macs.

#[test]
fn cr_only_line_endings_are_line_breaks() {
    let lf = read_clean("Deck Flashcards\nHEAD\nThe question runs on\ninto the answer.\n");
    let cr = read_clean("Deck Flashcards\rHEAD\rThe question runs on\rinto the answer.\r");
    assert_eq!(cr, lf);
    // Mixed with CRLF and LF, each ending counts once.
    let mixed = read_clean("Deck Flashcards\r\nHEAD\rThe question runs on\ninto the answer.\r");
    assert_eq!(mixed, lf);
}

#[test]
fn cr_only_file_locates_its_diagnostics_on_their_lines() {
    let parsed = read("Deck\rHEAD\rAsk\rAnswer.\rEMPTY\r");
    assert_eq!(found(&parsed), [(Code::E005, 5, 1)]);
}

// Warnings: cards the sentence rule probably split wrongly (W003, W004).

#[test]
fn front_running_past_a_question_is_warned_at_the_question() {
    let text = "Deck\nHEAD\nWhat did Stalin announce in 1933?\nA purge of the Party.\nIt removed\nmembers.\n";
    let (front, back) = only_card_warned(text, &[(Code::W003, 3, 1)]);
    assert_eq!(front, ["What did Stalin announce in 1933?", "A purge of the Party.", "It removed"]);
    assert_eq!(back, ["members."]);
    let warning = &read(text).diagnostics[0];
    assert!(
        warning.message.contains("to line 5") && warning.hint.as_deref().unwrap().contains("`---`"),
        "{warning}"
    );
}

#[test]
fn front_running_past_a_colon_is_warned() {
    let text = "Deck\nHEAD\nName the three:\nTrotsky,\nZinoviev and Kamenev.\n---\nEnd.\n";
    // With `---` the writer decided: nothing to warn.
    assert!(read(text).diagnostics.is_empty());
}

#[test]
fn fallback_split_of_three_lines_or_more_is_warned_at_the_first_line() {
    let text = "Deck\nHEAD\nWhat is mitosis?\nCell division.\nIt gives two cells.\n";
    let (front, back) = only_card_warned(text, &[(Code::W003, 3, 1)]);
    assert_eq!((front.len(), back.len()), (2, 1));
    let (front, _) = only_card_warned("Deck\nHEAD\nOne.\nTwo.\nThree.\n", &[(Code::W004, 3, 1)]);
    assert_eq!(front, ["One.", "Two."]);
}

#[test]
fn two_line_cards_and_separated_cards_are_not_warned() {
    only_card("Deck\nHEAD\nWhat is mitosis?\nCell division.\n");
    only_card("Deck\nHEAD\nWhat is mitosis?\n---\nCell division.\nIt gives two cells.\n");
}

#[test]
fn the_fix_the_warning_shows_silences_it() {
    let warned = "Deck\nHEAD\nWhat is mitosis?\nCell division.\nIt gives two cells.\n";
    let fixed = "Deck\nHEAD\nWhat is mitosis?\n---\nCell division.\nIt gives two cells.\n";
    assert!(!read(warned).diagnostics.is_empty());
    let (front, back) = only_card(fixed);
    assert_eq!((front, back.len()), (vec!["What is mitosis?".to_string()], 2));
}

// Answers in capitals (E011).

#[test]
fn answer_in_capitals_is_one_error_at_the_answer() {
    for answer in ["TV", "H₂O", "I", "P(A|B) = P(B|A)·P(A) / P(B)"] {
        let text = format!("Deck\nHEAD\nThe question?\n{answer}\n\nNEXT\nAsk\nAnswer.\n");
        let parsed = read(&text);
        assert_eq!(found(&parsed), [(Code::E011, 4, 1)], "{answer}");
        let d = &parsed.diagnostics[0];
        assert!(d.hint.as_deref().unwrap().contains(&format!("`\\{answer}`")), "{d}");
        assert_eq!(parsed.deck.unwrap().cards.len(), 1, "the next card is read");
    }
}

#[test]
fn answer_in_capitals_followed_by_one_more_line_is_one_error() {
    let parsed = read("Deck\nHEAD\nWhat is sulfuric acid?\nH₂SO₄\nA strong acid.\n");
    assert_eq!(found(&parsed), [(Code::E011, 4, 1)]);
}

#[test]
fn answer_in_capitals_at_the_end_of_the_file_is_one_error() {
    let parsed = read("Deck\nHEAD\nAsk\nAnswer.\nHEAD\nWhat is its short name?\nTV");
    assert_eq!(found(&parsed), [(Code::E011, 7, 1)]);
}

#[test]
fn escaped_answer_in_capitals_is_a_card() {
    let (front, back) = only_card("Deck\nHEAD\nWhat is its short name?\n\\TV\n");
    assert_eq!((front, back), (vec!["What is its short name?".to_string()], vec!["TV".to_string()]));
}

#[test]
fn one_line_card_before_a_real_card_stays_a_one_line_error() {
    let parsed = read("Deck\nHEAD\nA question without its answer\nNEXT\nAsk\nAnswer.\n");
    assert_eq!(found(&parsed), [(Code::E006, 3, 1)]);
    // The heading after it may still be the answer: the hint says how to write that.
    assert!(parsed.diagnostics[0].hint.as_deref().unwrap().contains("write it as `\\NEXT`"));
}

#[test]
fn answers_in_capitals_are_found_wherever_a_large_file_is_cut() {
    let mut text = String::from("Deck\n");
    for i in 0..20_000 {
        if i % 3 == 0 {
            text.push_str("HEAD\nWhat is its short name?\nTV\n");
        } else {
            text.push_str(&format!(
                "HEAD\nCard {i} asks something long enough to fill the chunks and\nends.\n"
            ));
        }
    }
    assert!(text.len() > CHUNK_BYTES);
    let parsed = parse(Path::new(FILE), text.as_bytes());
    assert_eq!(parsed.diagnostics.len(), 6_667);
    assert!(parsed.diagnostics.iter().all(|d| d.code == Code::E011));
    for block in [1000, 65_536] {
        assert_streams_alike(text.as_bytes(), block, Rules::default(), &parsed);
    }
}

#[test]
fn answer_in_capitals_after_the_separator_is_one_error_at_the_answer() {
    // The format doc's own example without its `\`: the question ends with `---` (or `<->`), and
    // the answer in capitals reads as a heading with at most one line of its own.
    for sep in ["---", "<->"] {
        for (rest, line) in [("", 5), ("The People's Commissariat for Internal Affairs.\n", 5)] {
            let text =
                format!("Deck\nHEAD\nWhat was the police called?\n{sep}\nNKVD\n{rest}\nNEXT\nAsk\nAnswer.\n");
            let parsed = read(&text);
            assert_eq!(found(&parsed), [(Code::E011, line, 1)], "{text}");
            let hint = parsed.diagnostics[0].hint.as_deref().unwrap();
            assert!(hint.contains("`\\NKVD`"), "{hint}");
            assert_eq!(parsed.deck.unwrap().cards.len(), 1, "the next card is read");
        }
        // At the end of the file too.
        let parsed = read(&format!("Deck\nHEAD\nAsk\nAnswer.\nHEAD\nWhat is its short name?\n{sep}\nTV"));
        assert_eq!(found(&parsed), [(Code::E011, 8, 1)]);
    }
}

#[test]
fn a_card_ending_with_its_separator_before_a_whole_card_is_e008_naming_the_heading_after_it() {
    let parsed = read("Deck\nHEAD\nWhat was the police called?\n---\nNKVD\nAsk\nAnswer.\n");
    assert_eq!(found(&parsed), [(Code::E008, 4, 1)]);
    let hint = parsed.diagnostics[0].hint.as_deref().unwrap();
    assert!(hint.contains("if the next line, `NKVD`, is the answer, write it as `\\NKVD`"), "{hint}");
    assert_eq!(parsed.deck.unwrap().cards.len(), 1);
}

#[test]
fn answers_in_capitals_after_a_separator_are_found_wherever_a_large_file_is_cut() {
    let mut text = String::from("Deck\n");
    for i in 0..20_000 {
        if i % 3 == 0 {
            text.push_str("HEAD\nWhat is its short name?\n---\nTV\n");
        } else {
            text.push_str(&format!(
                "HEAD\nCard {i} asks something long enough to fill the chunks and\nends.\n"
            ));
        }
    }
    assert!(text.len() > CHUNK_BYTES);
    let parsed = parse(Path::new(FILE), text.as_bytes());
    assert_eq!(parsed.diagnostics.len(), 6_667);
    assert!(parsed.diagnostics.iter().all(|d| d.code == Code::E011));
    for block in [1000, 65_536] {
        assert_streams_alike(text.as_bytes(), block, Rules::default(), &parsed);
    }
}

// Headings typed wrong (W005).

#[test]
fn title_case_heading_between_cards_is_warned() {
    let text = "Deck\nBIOLOGY\nWhat divides?\nThe cell.\n\nCell Division\nHow many cells result\nfrom mitosis? Two.\n";
    let parsed = read(text);
    assert_eq!(found(&parsed), [(Code::W005, 6, 1)]);
    let d = &parsed.diagnostics[0];
    assert!(d.hint.as_deref().unwrap().contains("`CELL DIVISION`"), "{d}");
    assert_eq!(parsed.deck.unwrap().cards.len(), 1, "the card is read as before");
}

#[test]
fn every_heading_typo_in_one_card_is_warned() {
    let text = "Deck\nBIOLOGY\nWhat divides?\nThe cell.\n\nCell Division\nHow many cells\nresult? Two.\n\nCell Growth\nWhat grows\nthe cell? Food.\n";
    assert_eq!(found(&read(text)), [(Code::W005, 6, 1), (Code::W005, 10, 1)]);
}

#[test]
fn heading_with_sharp_s_is_warned() {
    let parsed = read("Deck\nSTRASSEN\nWas ist eine Straße?\nEin Weg.\nSTRAßENBAU\nWer baut\ndie Straßen?\n");
    assert_eq!(found(&parsed), [(Code::W005, 5, 1)]);
    assert!(parsed.diagnostics[0].hint.as_deref().unwrap().contains("`ß` is a lowercase letter"));
}

#[test]
fn heading_like_line_after_an_unfinished_line_without_a_gap_is_text() {
    // A list of names in an answer: each name follows one that does not end a sentence.
    let text = "Deck\nHEAD\nWho opposed Stalin in 1926?\n---\nLeon Trotsky\nGrigory Zinoviev\nLev Kamenev\nand others.\n";
    let (_, back) = only_card(text);
    assert_eq!(back.len(), 4);
}

#[test]
fn heading_typo_in_a_deck_without_full_stops_or_gaps_is_warned() {
    // A vocabulary deck as students write it: no full stops, no blank lines.
    let text = "Deck\nNOUNS\nthe street\ndie Straße\nAdjectives\nbig\ngroß\nVERBS\nto be\nsein\nVerbs\nto have\nhaben\n";
    let parsed = read(text);
    assert_eq!(found(&parsed), [(Code::W005, 5, 1), (Code::W005, 11, 1)]);
    assert_eq!(parsed.deck.unwrap().cards.len(), 2, "the cards are read as before");
}

#[test]
fn title_case_answer_line_after_a_question_without_mark_is_text() {
    // The back's first line is an answer, and a name in a list of names is not a heading.
    only_card("Deck\nHEAD\nWho painted the Mona Lisa\nLeonardo da Vinci\nin Florence\naround 1503\n");
    only_card("Deck\nHEAD\nName three cities of Germany\nBerlin\nHamburg\nMunich\nCologne\n");
}

#[test]
fn question_that_ends_on_the_back_is_warned() {
    // The question's first line stops mid-sentence, so the front ends there.
    for (text, line) in [
        ("Deck\nHEAD\nIn 1917,\nwho led the Bolsheviks?\nLenin.\n", 4),
        ("Deck\nHEAD\nTranslate:\nHow are you?\nComment allez-vous ?\n", 4),
    ] {
        let parsed = read(text);
        assert_eq!(found(&parsed), [(Code::W003, line, 1)], "{text}");
        assert!(
            parsed.diagnostics[0].message.contains("the front ends at line 3"),
            "{}",
            parsed.diagnostics[0]
        );
    }
    // A last line ending with `?` is the answer's own; `:` on the back introduces the answer.
    only_card("Deck\nHEAD\nWhat did the sign say\nWho goes there?\n");
    only_card("Deck\nHEAD\nThe three causes were\nas follows:\nmilitarism, alliances, empire.\n");
}

#[test]
fn title_case_line_that_ends_a_card_is_text() {
    let (_, back) = only_card("Deck\nHEAD\nWhich treaty ended the war?\nTreaty of Versailles\n");
    assert_eq!(back, ["Treaty of Versailles"]);
}

#[test]
fn escaped_heading_like_line_is_not_warned() {
    only_card("Deck\nHEAD\nAsk\nanswer.\n\n\\Cell Division\nmore\ntext.\n");
}

#[test]
fn looks_like_heading_accepts_titles_and_rejects_sentences() {
    use lint::tests_looks_like_heading as looks;
    for title in ["Cell Division", "The Treaty of Versailles", "GRÖßE", "Photosynthesis", "THE KIROV AFFAIr"]
    {
        assert!(looks(title), "{title}");
    }
    for text in [
        "these are the gulags",
        "A second group was led by",
        "In August 1936,",
        "what did it mean",
        "The End.",
        "1937",
        "Anna Karenina is a novel by Leo Tolstoy published in eight parts in 1878 as a book",
    ] {
        assert!(!looks(text), "{text}");
    }
}

#[test]
fn a_lone_cr_deep_in_a_large_file_is_a_line_break() {
    let mut lf = String::from("Deck\n");
    for i in 0..30_000 {
        lf.push_str(&format!("HEAD\nCard {i} asks something long enough to fill a chunk and\nanswers it.\n"));
    }
    assert!(lf.len() > 2 * CHUNK_BYTES);
    // One line ending of the third chunk is a lone CR: found by the chunk's scan, not the title's.
    let at = lf[2 * CHUNK_BYTES + 100..].find('\n').unwrap() + 2 * CHUNK_BYTES + 100;
    let mut cr = lf.clone().into_bytes();
    cr[at] = b'\r';
    let (plain, mixed) = (parse(Path::new(FILE), lf.as_bytes()), parse(Path::new(FILE), &cr));
    assert!(plain.diagnostics.is_empty() && mixed.diagnostics.is_empty(), "{:?}", mixed.diagnostics.first());
    assert_eq!(mixed.deck, plain.deck);
    assert_streams_alike(&cr, 1 << 16, Rules::default(), &plain);
}

// The reverse separator `<->`: a `---` that asks for the reverse card.

/// The cards of a deck that must read without diagnostics.
fn reverse_cards(text: &str) -> Vec<SourceCard> {
    read_clean(text).cards
}

#[test]
fn reverse_separator_splits_like_the_separator_and_asks_for_the_reverse_card() {
    let cards = reverse_cards(
        "Deck\nWORDS\nthe house\n<->\ndas Haus\n\nWORDS\nthe tree\n---\nder Baum\n\nWORDS\nthe dog is\nder Hund.\n",
    );
    let reverse: Vec<bool> = cards.iter().map(|c| c.reverse).collect();
    assert_eq!(reverse, [true, false, false]);
    assert_eq!((cards[0].front.as_str(), cards[0].back.as_str()), ("the house", "das Haus"));
    assert_eq!(cards[1], card(7, "WORDS", &["the tree"], &["der Baum"]));
}

#[test]
fn reverse_separator_wins_over_the_sentence_rule_and_may_have_surrounding_white_space() {
    let deck = reverse_cards("Deck\nHEAD\nOne.\n \t<->  \nTwo.\nThree.\n");
    assert_eq!(deck, [SourceCard { reverse: true, ..card(2, "HEAD", &["One."], &["Two.", "Three."]) }]);
    assert_eq!(REVERSE_SEPARATOR, "<->");
}

#[test]
fn escaped_or_longer_reverse_markers_are_text() {
    let (front, back) = only_card("Deck\nHEAD\nAsk\n\\<->\nAnswer.\n");
    assert_eq!((front, back), (vec!["Ask".to_string()], vec!["<->".to_string(), "Answer.".to_string()]));
    let deck = reverse_cards("Deck\nHEAD\nAsk\n<-->\nAnswer.\n\nHEAD\nAsk\n<-> x\nAnswer.\n");
    assert!(deck.iter().all(|c| !c.reverse), "{deck:#?}");
    assert_eq!(deck[0].back, "<-->\nAnswer.");
}

#[test]
fn reverse_separator_first_or_last_is_an_empty_side_error_naming_it() {
    let parsed = read("Deck\nHEAD\n<->\nAnswer one.\nAnswer two.\n\nNEXT\nAsk one\nAsk two\n<->\n");
    assert_eq!(found(&parsed), [(Code::E008, 3, 1), (Code::E008, 10, 1)]);
    for diagnostic in &parsed.diagnostics {
        assert!(diagnostic.hint.as_deref().unwrap().contains("`<->`"), "{diagnostic:?}");
    }
}

#[test]
fn a_card_with_both_separators_is_an_error_at_the_second_naming_both() {
    let parsed = read("Deck\nHEAD\nOne\n---\nTwo\n<->\nThree\n\nNEXT\nOne\n<->\nTwo\n<->\nThree\n");
    assert_eq!(found(&parsed), [(Code::E007, 6, 1), (Code::E007, 13, 1)]);
    assert_eq!(parsed.diagnostics[0].message, "a `<->` after a `---` in one card");
    assert_eq!(parsed.diagnostics[1].message, "a second `<->` in one card");
}

#[test]
fn a_separator_meant_as_text_is_told_how_to_write_it() {
    // An answer that is the text `<->` (or `---`): E008 or E007 at it, whose hint gives the `\`.
    for sep in ["<->", "---"] {
        let text = format!("Deck\nHEAD\nWhich arrow means if and only if?\n{sep}\n\nNEXT\nAsk\nAnswer.\n");
        let twice = format!("Deck\nHEAD\nWhich arrow means if and only if?\n---\n{sep}\n");
        for (parsed, code, line) in [(read(&text), Code::E008, 4), (read(&twice), Code::E007, 5)] {
            assert_eq!(found(&parsed), [(code, line, 1)], "{sep}");
            let hint = parsed.diagnostics[0].hint.as_deref().unwrap();
            assert!(hint.contains(&format!("is written `\\{sep}`")), "{hint}");
        }
    }
}

#[test]
fn a_card_of_one_line_with_a_reverse_separator_is_an_empty_side_error_not_a_lone_line() {
    let parsed = read("Deck\nHEAD\n<->\n");
    assert_eq!(found(&parsed), [(Code::E008, 3, 1)]);
}

#[test]
fn in_json_a_card_says_reverse_only_when_it_asks_for_the_reverse_card() {
    let cards = reverse_cards("Deck\nHEAD\nAsk\n<->\nAnswer\n\nHEAD\nAsk\n---\nAnswer\n");
    let json = serde_json::to_value(&cards).unwrap();
    assert_eq!(json[0]["reverse"], serde_json::json!(true));
    assert!(json[1].get("reverse").is_none(), "{json}");
}

// Rule 5 in a cloze deck: a card of one line holding a cloze deletion has an empty back.

const CLOZE: Rules = Rules { one_line_cloze: true, cloze_cards: false };

#[test]
fn in_a_cloze_deck_a_card_of_one_line_with_a_deletion_is_a_card_with_an_empty_back() {
    let text = "Capitals\nEUROPE\n{{c1::Paris}} is the capital of {{c2::France}}.\nEUROPE\n\\{{c1::ROME}}\n\
                EUROPE\nThe capital of Spain is\n{{c1::Madrid}}.\n";
    let parsed = read_by(text.as_bytes(), CLOZE);
    assert_eq!(found(&parsed), []);
    let cards = parsed.deck.unwrap().cards;
    assert_eq!(
        cards,
        [
            card(2, "EUROPE", &["{{c1::Paris}} is the capital of {{c2::France}}."], &[]),
            card(4, "EUROPE", &["{{c1::ROME}}"], &[]),
            card(6, "EUROPE", &["The capital of Spain is"], &["{{c1::Madrid}}."]),
        ]
    );
    // The same file in a deck of another note type: a card of one line is an error, as always
    // (here E011: the heading between two cards of one line reads as the first one's answer).
    let basic = read_by(text.as_bytes(), Rules::default());
    assert_eq!(found(&basic), [(Code::E011, 4, 1)]);
}

#[test]
fn in_a_cloze_deck_a_card_of_one_line_without_a_deletion_that_makes_a_card_is_still_e006() {
    for line in ["Paris is the capital.", "{{c0::Paris}} is the capital.", "{{c1:Paris}}", "{{c1::Paris"] {
        let text = format!("Capitals\nEUROPE\n{line}\nASIA\nAsk\nAnswer.\n");
        let parsed = read_by(text.as_bytes(), CLOZE);
        assert_eq!(found(&parsed), [(Code::E006, 3, 1)], "{line}");
        // The hint says how a cloze card of one line is written, in a cloze deck only.
        let hint = |parsed: &Parsed| parsed.diagnostics[0].hint.clone().unwrap();
        assert!(hint(&parsed).contains("mark a cloze deletion in it (`{{c1::…}}`)"), "{}", hint(&parsed));
        assert!(!hint(&read(&text)).contains("cloze"), "{}", hint(&read(&text)));
    }
    // The answer in capitals of a card of one line is still E011.
    let parsed = read_by(b"Capitals\nEUROPE\nThe police were the\nNKVD\nASIA\nAsk\nAnswer.\n", CLOZE);
    assert_eq!(found(&parsed), [(Code::E011, 4, 1)]);
}

#[test]
fn in_a_cloze_deck_a_card_ending_with_its_separator_after_a_deletion_has_an_empty_back() {
    // Two lines that each hide something: both belong in `Text`, and `---` last says so (the
    // sentence rule alone would put the second one in `Back Extra`, which hides nothing).
    let text = "Capitals\nEUROPE\n{{c1::Paris}} is the capital of France.\n{{c2::Berlin}} is the capital of Germany.\n---\n\
                ASIA\nAsk\nAnswer.\n";
    let parsed = read_by(text.as_bytes(), CLOZE);
    assert_eq!(found(&parsed), []);
    let cards = parsed.deck.unwrap().cards;
    let lines = ["{{c1::Paris}} is the capital of France.", "{{c2::Berlin}} is the capital of Germany."];
    assert_eq!(cards[0], card(2, "EUROPE", &lines, &[]));
    // Without a deletion, with `<->`, or in a deck of another note type, the back is still empty.
    let plain = text.replace("{{c1::Paris}}", "Paris").replace("{{c2::Berlin}}", "Berlin");
    let reverse = text.replace("\n---\n", "\n<->\n");
    for (text, rules) in [(&plain, CLOZE), (&reverse, CLOZE), (&text.to_string(), Rules::default())] {
        assert_eq!(found(&read_by(text.as_bytes(), rules)), [(Code::E008, 5, 1)], "{text}");
    }
}

#[test]
fn a_file_of_cloze_cards_ending_with_their_separator_is_read_in_chunks() {
    let mut text = String::from("Capitals\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "PART {}\n{{{{c1::City {i}}}}} is a capital.\nIt has a river.\n---\n",
            i / 100
        ));
    }
    let body = &text["Capitals\n".len()..];
    assert!(chunks_at_headings(body, 1, CLOZE).len() > 1);
    let whole = parse_with(Path::new(FILE), text.as_bytes(), CLOZE, |card| card.to_card());
    assert_eq!((found(&whole), whole.deck.as_ref().unwrap().cards.len()), (vec![], 20_000));
    assert_streams_alike(text.as_bytes(), 1 << 12, CLOZE, &whole);
}

#[test]
fn a_file_of_one_line_cloze_cards_is_read_in_blocks_and_chunks_that_start_at_its_headings() {
    let mut text = String::from("Capitals\n");
    for i in 0..50_000 {
        text.push_str(&format!("PART {}\n{{{{c1::City {i}}}}} is a capital.\n", i / 100));
    }
    // A chunk (and a streamed block) may end after a card of one line when it is a card.
    let body = &text["Capitals\n".len()..];
    assert!(chunks_at_headings(body, 1, CLOZE).len() > 1);
    assert_eq!(next_heading_start(body, 0, Rules::default()), None);
    let whole = parse_with(Path::new(FILE), text.as_bytes(), CLOZE, |card| card.to_card());
    assert_eq!((found(&whole), whole.deck.as_ref().unwrap().cards.len()), (vec![], 50_000));
    let mut pieces = 0;
    let (streamed, _) = parse_stream(
        Path::new(FILE),
        &mut text.as_bytes(),
        1 << 12,
        CLOZE,
        |c| c.line,
        |_| {
            pieces += 1;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(streamed.diagnostics, whole.diagnostics);
    assert!(pieces > 100, "read in blocks of 4 KiB, not whole: {pieces} pieces");
}
