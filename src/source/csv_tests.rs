//! Tests of the CSV/TSV reader: each layout (header row, `build --csv`'s, Anki's export), each
//! diagnostic, and that reading a byte at a time gives what reading from memory does.

use super::*;
use crate::diagnostic::Code;

fn basic() -> Layout {
    layout("basic", "ankideck Flashcard", &["Front", "Back", "Section"])
}

fn layout(setting: &str, anki_name: &str, fields: &[&str]) -> Layout {
    Layout {
        setting: setting.to_string(),
        anki_name: anki_name.to_string(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        html: false,
        tags: Vec::new(),
        known: vec![
            ("ankideck Flashcard".into(), "basic".into()),
            ("ankideck Cloze".into(), "cloze".into()),
            ("Basic".into(), "basic".into()),
            ("Cloze".into(), "cloze".into()),
        ],
        // As the build makes it: a deck of another note type than cloze reads cloze rows.
        cloze: (setting != "cloze").then(|| ["Text", "Back Extra", "Section"].map(String::from).to_vec()),
    }
}

/// A reader that gives one byte per read: a record cut anywhere reads the same.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.is_empty()) {
            (Some((first, rest)), false) => {
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// Reads `text` as the file `name`, from memory and a byte at a time (which must agree), and
/// gives the notes and the diagnostics.
fn read_as(name: &str, text: &str, layout: &Layout) -> (Vec<Note>, Vec<Diagnostic>) {
    let file = Path::new(name);
    let mut notes = Vec::new();
    let (parsed, digest) = read(file, text.as_bytes(), layout, |n| {
        notes.push(n);
        Ok(())
    })
    .unwrap();
    let mut trickled = Vec::new();
    let (again, again_digest) = read(file, Trickle(text.as_bytes()), layout, |n| {
        trickled.push(n);
        Ok(())
    })
    .unwrap();
    assert_eq!(notes, trickled);
    assert_eq!(parsed.diagnostics, again.diagnostics);
    assert_eq!(digest, xxhash_rust::xxh3::xxh3_128(text.as_bytes()));
    assert_eq!(digest, again_digest);
    assert_eq!(parsed.deck.unwrap().cards.len(), notes.len());
    (notes, parsed.diagnostics)
}

fn said(diagnostics: &[Diagnostic]) -> Vec<(u32, Code, &str)> {
    diagnostics.iter().map(|d| (d.line, d.code, d.message.as_str())).collect()
}

#[test]
fn a_header_row_names_fields_in_any_case_and_order_with_section_tags_and_guid() {
    let text = "\u{feff}tags,BACK,guid,front,Section\n\
                fr noun,the apple,,la pomme,Food & drink\n\
                ,\"a, b \"\"c\"\"\",G1,\"x < y\r\nz\",\n";
    let (notes, diagnostics) = read_as("deck.csv", text, &basic());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(notes[0].flds(), "la pomme\x1fthe apple\x1fFood &amp; drink");
    assert_eq!(notes[0].tags_text(), "Food_&_drink fr noun");
    assert_eq!((notes[0].pinned(), notes[0].line), (None, 2));
    assert_eq!(notes[1].flds(), "x &lt; y<br>z\x1fa, b \"c\"\x1f");
    assert_eq!((notes[1].pinned(), notes[1].line), (Some("G1"), 3));
}

#[test]
fn a_tsv_is_separated_by_tabs_and_an_html_deck_keeps_its_cells() {
    let html = Layout { html: true, tags: vec!["extra".into()], ..basic() };
    let (notes, diagnostics) = read_as("deck.TSV", "Front\tBack\n<b>a,b</b>\tc &amp; d\n", &html);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(notes[0].flds(), "<b>a,b</b>\x1fc &amp; d\x1f");
    assert_eq!(notes[0].tags_text(), "extra");
}

#[test]
fn an_unknown_column_is_e020_naming_the_fields_it_could_be() {
    let (notes, diagnostics) = read_as("deck.csv", "Front,Bak\nx,y\n", &basic());
    assert!(notes.is_empty());
    assert_eq!(said(&diagnostics), [(1, Code::E020, "`Bak` is not a column of a `basic` deck")]);
    assert_eq!(
        diagnostics[0].hint.as_deref(),
        Some("name each column after a field of the note type (Front, Back), or section, tags, guid")
    );
}

#[test]
fn a_header_in_the_other_separator_is_e020_saying_so() {
    let (_, diagnostics) = read_as("deck.tsv", "front,back\nx,y\n", &basic());
    assert_eq!(diagnostics[0].code, Code::E020);
    assert!(diagnostics[0].hint.as_deref().unwrap().contains("`.tsv` file's by tabs"), "{diagnostics:?}");
}

#[test]
fn no_first_field_column_and_a_column_named_twice_are_e020() {
    let (_, diagnostics) = read_as("deck.csv", "back,tags,Tags\nx,y,z\n", &basic());
    assert_eq!(
        said(&diagnostics),
        [
            (1, Code::E020, "the column `Tags` is named twice"),
            (1, Code::E020, "no column is the note type's first field `Front`"),
        ]
    );
}

#[test]
fn a_row_of_the_wrong_length_a_row_without_front_and_broken_quotes_are_errors_at_their_lines() {
    let text = "front,back\nok,fine\nshort\n ,no front\nalso,\"fine\"\n";
    let (notes, diagnostics) = read_as("deck.csv", text, &basic());
    assert_eq!(notes.len(), 2);
    assert_eq!(
        said(&diagnostics),
        [
            (3, Code::E021, "the row has 1 cells, and the header names 2 columns"),
            (4, Code::E022, "the note has no `Front`"),
        ]
    );
}

#[test]
fn an_empty_file_is_e002_and_a_header_alone_is_e003() {
    assert_eq!(read_as("deck.csv", "", &basic()).1[0].code, Code::E002);
    assert_eq!(read_as("deck.csv", "front,back\n", &basic()).1[0].code, Code::E003);
}

#[test]
fn invalid_utf8_is_e001_at_its_row() {
    let file = Path::new("deck.csv");
    let (parsed, _) = read(file, &b"front,back\nok,fine\nbad \xff,x\n"[..], &basic(), |_| Ok(())).unwrap();
    assert_eq!(said(&parsed.diagnostics), [(3, Code::E001, "the row is not valid UTF-8")]);
}

#[test]
fn ankideck_build_csv_output_reads_back_to_the_same_notes_and_guids() {
    // What `build --csv` writes for a basic deck (emit/csv.rs): HTML cells, the section both a
    // field and a tag already.
    let text = "#separator:comma\n#html:true\n#notetype:ankideck Flashcard\n#deck:History::Rome\n\
                #columns:guid,Front,Back,Section,tags\n#guid column:1\n#tags column:5\n\
                #if matches:update current\n#match scope:notetype\n\
                \"a,#b\",x &lt; y<br>z,<b>w</b>,A &amp; B,A_&_B fr\n";
    let (parsed, _) = read(Path::new("rome.csv"), text.as_bytes(), &basic(), |_| Ok(())).unwrap();
    assert_eq!(parsed.deck.unwrap().name, "History::Rome");
    let (notes, diagnostics) = read_as("rome.csv", text, &basic());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(notes[0].flds(), "x &lt; y<br>z\x1f<b>w</b>\x1fA &amp; B");
    assert_eq!(notes[0].tags_text(), "A_&_B fr");
    assert_eq!((notes[0].pinned(), notes[0].line), (Some("a,#b"), 10));
}

#[test]
fn an_anki_notes_in_plain_text_export_is_read_by_position() {
    // As Anki's exporter writes it (export.rs): tab-separated, no labels, guid, note type and
    // deck columns first, the fields padded to the largest note type's, the tags last.
    let text = "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n\
                Gx1\tBasic\tDefault\tla <i>pomme</i>\tthe apple\tfr\n\
                Gx2\tBasic\tDefault\t\"two\nlines\"\tb\t\n";
    let (notes, diagnostics) = read_as("export.tsv", text, &basic());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(notes.len(), 2);
    assert_eq!(
        (notes[0].flds(), notes[0].tags_text(), notes[0].pinned()),
        ("la <i>pomme</i>\x1fthe apple\x1f", "fr", Some("Gx1"))
    );
    assert_eq!((notes[1].flds(), notes[1].pinned(), notes[1].line), ("two\nlines\x1fb\x1f", Some("Gx2"), 8));
}

#[test]
fn a_file_of_another_note_type_is_e023_saying_what_to_set() {
    let text = "#separator:tab\n#html:true\n#notetype:Cloze\n#guid column:1\nG\t{{c1::a}}\tb\n";
    let (notes, diagnostics) = read_as("mixed.tsv", text, &basic());
    assert!(notes.is_empty());
    assert_eq!(
        said(&diagnostics),
        [(3, Code::E023, "the notes are of note type `Cloze`, and this deck's note type is `basic`")]
    );
    assert!(
        diagnostics[0].hint.as_deref().unwrap().starts_with("set `notetype = \"cloze\"` in `[decks.mixed]`")
    );
    // The same file in a cloze deck reads.
    let cloze = layout("cloze", "ankideck Cloze", &["Text", "Back Extra", "Section"]);
    assert_eq!(read_as("mixed.tsv", text, &cloze).0.len(), 1);
    // A notetype column naming another type than the deck's or cloze, row by row.
    let text = "#separator:tab\n#notetype column:1\nBasic\ta\tb\nBasic (type in the answer)\ta\tb\n";
    let (notes, diagnostics) = read_as("mixed.tsv", text, &basic());
    assert_eq!(notes.len(), 1);
    assert_eq!(
        said(&diagnostics),
        [(
            4,
            Code::E023,
            "the notes are of note type `Basic (type in the answer)`, and this deck's note type is `basic`"
        )]
    );
}

#[test]
fn a_notetype_column_naming_cloze_makes_cloze_cards_of_a_deck_of_another_type() {
    // Anki's export of Basic and Cloze notes: guid, note type, the fields (padded), tags.
    let text = "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#tags column:5\n\
                G1\tBasic\ta\tb\tt1\nG2\tCloze\t{{c1::x}} y\textra\tt2\nG3\tankideck Cloze\t{{c2::z}}\t\t\n";
    let (notes, diagnostics) = read_as("mixed.tsv", text, &basic());
    assert!(diagnostics.is_empty(), "{:?}", said(&diagnostics));
    let kinds: Vec<NoteKind> = notes.iter().map(|n| n.kind()).collect();
    assert_eq!(kinds, [NoteKind::Own, NoteKind::Cloze, NoteKind::Cloze]);
    assert_eq!(notes[1].flds(), "{{c1::x}} y\x1fextra\x1f");
    assert_eq!((notes[1].pinned(), notes[1].tags_text()), (Some("G2"), "t2"));
    // A deck of a type of four fields reads a cloze row into the cloze's three.
    let four = layout(
        "optional-reversed",
        "ankideck Optional Reversed",
        &["Front", "Back", "Add Reverse", "Section"],
    );
    let text4 = text.replace("\tBasic\t", "\toptional-reversed\t");
    let (notes, _) = read_as("mixed.tsv", &text4, &four);
    assert_eq!((notes[0].flds(), notes[1].flds()), ("a\x1fb\x1f\x1f", "{{c1::x}} y\x1fextra\x1f"));
    // In a cloze deck, a `Cloze` row is of the deck's own type, and `Basic` is another.
    let cloze = layout("cloze", "ankideck Cloze", &["Text", "Back Extra", "Section"]);
    let (notes, diagnostics) = read_as("mixed.tsv", text, &cloze);
    assert!(notes.iter().all(|n| n.kind() == NoteKind::Own), "{notes:?}");
    assert_eq!(said(&diagnostics).iter().map(|d| d.1).collect::<Vec<_>>(), [Code::E023]);
}

#[test]
fn a_cell_past_the_note_types_fields_is_e021_and_an_empty_one_is_padding() {
    let two = layout("basic", "ankideck Flashcard", &["Front", "Back"]);
    let text = "#separator:comma\n#guid column:1\nG1,a,b,\nG2,a,b,c\n";
    let (notes, diagnostics) = read_as("pad.csv", text, &two);
    assert_eq!(notes.len(), 1);
    assert_eq!(
        said(&diagnostics),
        [(4, Code::E021, "the row has a field 3, and the note type `basic` has 2")]
    );
}

#[test]
fn a_bad_separator_line_is_e020() {
    let (_, diagnostics) = read_as("deck.csv", "#separator:semi\nfront,back\n", &basic());
    assert_eq!(said(&diagnostics)[0], (1, Code::E020, "`#separator:semi`: an unknown separator"));
}

#[test]
fn a_header_row_after_hash_lines_is_labels_not_a_note() {
    let (notes, diagnostics) = read_as("deck.csv", "#html:true\nBack,Front\n<b>b</b>,a\n", &basic());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].flds(), notes[0].line), ("a\x1f<b>b</b>\x1f", 3));
}

#[test]
fn a_deck_line_naming_default_is_e009() {
    let (_, diagnostics) = read_as("deck.csv", "#deck: Default \n#columns:front,back\na,b\n", &basic());
    assert_eq!(said(&diagnostics), [(1, Code::E009, "a deck cannot be named `Default`")]);
}

#[test]
fn rows_of_several_decks_in_anki_are_one_deck_and_w020_says_so_once() {
    let text = "#separator:tab\n#deck column:1\nA\ta\t1\nA\tb\t2\nB\tc\t3\nC\td\t4\n";
    let (notes, diagnostics) = read_as("decks.tsv", text, &basic());
    assert_eq!(notes.len(), 4);
    assert_eq!(
        said(&diagnostics),
        [(
            5,
            Code::W020,
            "this row is of the deck `B` in Anki, an earlier one of `A`: every row of this file goes to its one deck"
        )]
    );
}

#[test]
fn control_characters_are_removed_with_w002_at_the_row_and_a_tab_is_text() {
    let (notes, diagnostics) =
        read_as("deck.csv", "front,back\n\"a\u{1f}b\u{7}\",\"c\td\"\nok,fine\n", &basic());
    assert_eq!(notes[0].flds(), "ab\x1fc\td\x1f");
    assert_eq!(said(&diagnostics), [(2, Code::W002, "control characters were removed from the text")]);
}

#[test]
fn tags_of_a_tags_line_go_to_every_note_besides_its_own_as_anki_adds_them() {
    let text = "#separator:comma\n#tags:Global b::c\n#columns:front,back,tags\nx,y,own\nz,w,\n";
    let extra = Layout { tags: vec!["extra".into()], ..basic() };
    let (notes, diagnostics) = read_as("deck.csv", text, &extra);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(
        notes.iter().map(|n| n.tags_text()).collect::<Vec<_>>(),
        ["b::c extra Global own", "b::c extra Global"]
    );
    // Anki's older way: a first line `tags:` (after a byte-order mark), then the header row.
    let (notes, diagnostics) = read_as("deck.csv", "\u{feff}tags:old one\nfront,back\nx,y\n", &basic());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(notes[0].tags_text(), "old one");
    assert_eq!(notes[0].line, 3);
    // Only on the first line: later, `tags:` is a row (a note, in a table without labels).
    let (notes, _) = read_as("deck.csv", "#html:false\ntags:x,y\n", &basic());
    assert_eq!((notes[0].flds(), notes[0].tags_text()), ("tags:x\x1fy\x1f", ""));
}

#[test]
fn what_a_spreadsheet_adds_after_a_hash_line_value_is_cut_off_as_anki_does() {
    let text = "#separator:tab,,,\n#html:true\t\t\n#guid column:1\t\t\n#tags:a b,,\nG1\tx\ty\n";
    let (notes, diagnostics) = read_as("sheet.tsv", text, &basic());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!((notes[0].pinned(), notes[0].flds()), (Some("G1"), "x\x1fy\x1f"));
    // Tags are freeform: Anki keeps what follows them.
    assert_eq!(notes[0].tags_text(), "a b,,");
}

#[test]
fn a_deck_line_is_trimmed_as_anki_names_decks_and_an_empty_part_or_a_number_is_said() {
    let name = |line: &str| {
        let text = format!("{line}\n#columns:front,back\na,b\n");
        let (parsed, _) = read(Path::new("deck.csv"), text.as_bytes(), &basic(), |_| Ok(())).unwrap();
        (
            parsed.deck.unwrap().name,
            said(&parsed.diagnostics).into_iter().map(|(l, c, _)| (l, c)).collect::<Vec<_>>(),
        )
    };
    assert_eq!(name("#deck: History :: :Rome: "), ("History::Rome".to_string(), vec![]));
    assert_eq!(name("#deck:History::::Rome"), ("deck".to_string(), vec![(1, Code::E020)]));
    assert_eq!(name("#deck:History::"), ("deck".to_string(), vec![(1, Code::E020)]));
    assert_eq!(name("#deck:History\tRome"), ("deck".to_string(), vec![(1, Code::E020)]));
    assert_eq!(name("#deck:1700000000123"), ("1700000000123".to_string(), vec![(1, Code::W021)]));
}

#[test]
fn a_notetype_line_that_is_an_id_is_e023_saying_to_write_its_name() {
    let (notes, diagnostics) = read_as("deck.csv", "#notetype:1700000000123\nfront,back\na,b\n", &basic());
    assert!(notes.is_empty());
    assert_eq!(
        said(&diagnostics),
        [(
            1,
            Code::E023,
            "`1700000000123` is the id of a note type in an Anki collection, which this build cannot look up"
        )]
    );
    assert!(diagnostics[0].hint.as_deref().unwrap().contains("`#notetype:Basic`"));
}

#[test]
fn import_options_a_package_does_not_follow_are_w021() {
    // `build --csv`'s own lines: what a package does for notes with guids.
    let own = "#if matches:update current\n#match scope:notetype\n#guid column:1\nG1,a,b\n";
    assert!(read_as("deck.csv", own, &basic()).1.is_empty());
    let (notes, diagnostics) =
        read_as("deck.csv", "#if matches:keep current\n#guid column:1\nG1,a,b\n", &basic());
    assert_eq!(notes.len(), 1);
    assert_eq!(said(&diagnostics).iter().map(|(l, c, _)| (*l, *c)).collect::<Vec<_>>(), [(1, Code::W021)]);
    // Without guids, Anki's text import would match the notes by first field.
    let (_, diagnostics) = read_as("deck.csv", "#match scope:notetype + deck\nfront,back\na,b\n", &basic());
    assert_eq!(said(&diagnostics).iter().map(|(l, c, _)| (*l, *c)).collect::<Vec<_>>(), [(1, Code::W021)]);
    assert!(diagnostics[0].message.contains("no guid column"), "{}", diagnostics[0].message);
}
