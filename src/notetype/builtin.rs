//! The built-in note types. Every id here (note type, field, template) is fixed forever: Anki
//! matches a note type, its fields and its templates by id on import, so a changed id forks the
//! user's note type. `basic` is the flashcard type ankideck always wrote, byte for byte.
//!
//! Every type keeps ankideck's `Section` field (the heading a card sits under in its source
//! file), last, and shows it above the question. A card whose question would show only the
//! section is not generated: each new type's question sits inside `{{#Front}}` (`{{#Back}}` for
//! a reverse card), so an empty side makes no card. `basic` keeps its historical question, where
//! the section alone makes card 1 (Anki makes card 1 of every note anyway).

use super::{Field, Notetype, NotetypeKind, Template};
use crate::ids::NotetypeId;

/// The names `notetype = "…"` accepts, in the order the docs list them.
pub const BUILTIN_NAMES: [&str; 5] = ["basic", "reversed", "optional-reversed", "type-in", "cloze"];

/// The id of the flashcard (`basic`) note type. Never change it: users' notes hang on it.
pub const FLASHCARD_ID: NotetypeId = NotetypeId(1_732_999_311_601);
/// The name users see in Anki.
pub const FLASHCARD_NAME: &str = "ankideck Flashcard";

const SECTION: &str = "{{#Section}}<div class=\"section\">{{Section}}</div>{{/Section}}\n";

/// `basic`'s question, unchanged since the first release.
const QUESTION: &str = "<div class=\"ankideck\">\n\
{{#Section}}<div class=\"section\">{{Section}}</div>{{/Section}}\n\
<div class=\"front\">{{Front}}</div>\n\
</div>";

/// The Front→Back card of the new types: `basic`'s question inside `{{#Front}}`.
fn front_question() -> String {
    format!("{{{{#Front}}}}{QUESTION}{{{{/Front}}}}")
}

const ANSWER: &str = "{{FrontSide}}\n\n<hr id=answer>\n\n<div class=\"ankideck back\">{{Back}}</div>";

/// The Back→Front card, inside `{{#Back}}` (see the module docs).
fn reverse_question(condition: Option<&str>) -> String {
    let card = format!(
        "{{{{#Back}}}}<div class=\"ankideck\">\n{SECTION}<div class=\"front\">{{{{Back}}}}</div>\n</div>{{{{/Back}}}}"
    );
    match condition {
        Some(field) => format!("{{{{#{field}}}}}{card}{{{{/{field}}}}}"),
        None => card,
    }
}

const REVERSE_ANSWER: &str =
    "{{FrontSide}}\n\n<hr id=answer>\n\n<div class=\"ankideck back\">{{Front}}</div>";

/// `{{type:Back}}` on both sides; the answer repeats the front instead of `{{FrontSide}}`,
/// because Anki shows the typed-answer comparison only where the answer side has its own
/// `{{type:Back}}` (as Anki's stock "Basic (type in the answer)").
const TYPE_IN_QUESTION: &str = "{{#Front}}<div class=\"ankideck\">\n\
{{#Section}}<div class=\"section\">{{Section}}</div>{{/Section}}\n\
<div class=\"front\">{{Front}}</div>\n\
</div>\n\n{{type:Back}}{{/Front}}";

const TYPE_IN_ANSWER: &str = "<div class=\"ankideck\">\n\
{{#Section}}<div class=\"section\">{{Section}}</div>{{/Section}}\n\
<div class=\"front\">{{Front}}</div>\n\
</div>\n\n<hr id=answer>\n\n<div class=\"ankideck back\">{{type:Back}}</div>";

const CLOZE_QUESTION: &str = "<div class=\"ankideck\">\n\
{{#Section}}<div class=\"section\">{{Section}}</div>{{/Section}}\n\
<div class=\"front\">{{cloze:Text}}</div>\n\
</div>";

const CLOZE_ANSWER: &str = "<div class=\"ankideck\">\n\
{{#Section}}<div class=\"section\">{{Section}}</div>{{/Section}}\n\
<div class=\"front\">{{cloze:Text}}</div>\n\
</div>{{#Back Extra}}\n\n<hr id=answer>\n\n<div class=\"ankideck back\">{{Back Extra}}</div>{{/Back Extra}}";

const CSS: &str = include_str!("flashcard.css");
/// Added to the stylesheet of the cloze type only (basic's stays byte-identical).
const CLOZE_CSS: &str = include_str!("cloze.css");

fn fields(list: &[(&str, i64)]) -> Vec<Field> {
    list.iter().map(|&(name, id)| Field { name: name.to_string(), id }).collect()
}

fn template(name: &str, id: i64, question: &str, answer: &str) -> Template {
    Template::new(name, id, question, answer).expect("built-in templates parse (tested)")
}

/// The base stylesheet plus the project's `ankideck.css`, as `basic` always wrote it.
fn stylesheet(base: &[&str], extra_css: Option<&str>) -> String {
    let mut css = base.concat();
    if let Some(extra) = extra_css {
        css.push_str("\n/* ankideck.css */\n");
        css.push_str(extra.trim_end());
        css.push('\n');
    }
    css
}

impl Notetype {
    /// The flashcard note type (`basic`); `extra_css` (the project's `ankideck.css`) is
    /// appended to the built-in stylesheet.
    pub fn flashcard(extra_css: Option<&str>) -> Notetype {
        Notetype {
            id: FLASHCARD_ID,
            name: FLASHCARD_NAME.to_string(),
            kind: NotetypeKind::Normal,
            fields: fields(&[
                ("Front", 6_148_830_574_118_373_151),
                ("Back", -2_305_402_617_911_085_743),
                ("Section", 4_470_215_062_781_964_402),
            ]),
            templates: vec![template("Card 1", -7_216_534_871_622_901_236, QUESTION, ANSWER)],
            css: stylesheet(&[CSS], extra_css),
        }
    }

    /// A built-in note type by the name settings use (`BUILTIN_NAMES`), with the project's
    /// `ankideck.css` appended to its stylesheet; `None` for any other name.
    pub fn builtin(name: &str, extra_css: Option<&str>) -> Option<Notetype> {
        let normal = |id, name: &str, flds: &[(&str, i64)], templates| Notetype {
            id: NotetypeId(id),
            name: name.to_string(),
            kind: NotetypeKind::Normal,
            fields: fields(flds),
            templates,
            css: stylesheet(&[CSS], extra_css),
        };
        Some(match name {
            "basic" => Notetype::flashcard(extra_css),
            "reversed" => normal(
                1_732_999_311_602,
                "ankideck Reversed",
                &[
                    ("Front", 394_019_937_301_542_919),
                    ("Back", -8_485_326_576_611_511_039),
                    ("Section", 2_105_532_263_498_801_062),
                ],
                vec![
                    template("Card 1", 9_209_640_132_468_941_347, &front_question(), ANSWER),
                    template("Card 2", -2_951_064_996_162_583_976, &reverse_question(None), REVERSE_ANSWER),
                ],
            ),
            "optional-reversed" => normal(
                1_732_999_311_603,
                "ankideck Optional Reversed",
                &[
                    ("Front", -4_407_312_140_672_408_208),
                    ("Back", 7_358_282_236_604_115_576),
                    ("Add Reverse", 5_560_751_453_907_247_658),
                    ("Section", -2_234_626_117_059_599_864),
                ],
                vec![
                    template("Card 1", 156_610_422_733_878_928, &front_question(), ANSWER),
                    template(
                        "Card 2",
                        -4_996_772_378_727_681_663,
                        &reverse_question(Some("Add Reverse")),
                        REVERSE_ANSWER,
                    ),
                ],
            ),
            "type-in" => normal(
                1_732_999_311_604,
                "ankideck Type-in",
                &[
                    ("Front", 6_269_141_800_796_060_894),
                    ("Back", -7_803_774_895_917_920_044),
                    ("Section", -5_214_068_357_401_862_919),
                ],
                vec![template("Card 1", -3_225_496_443_864_654_985, TYPE_IN_QUESTION, TYPE_IN_ANSWER)],
            ),
            "cloze" => Notetype {
                id: NotetypeId(1_732_999_311_605),
                name: "ankideck Cloze".to_string(),
                kind: NotetypeKind::Cloze,
                fields: fields(&[
                    ("Text", 7_684_254_253_015_185_557),
                    ("Back Extra", 3_049_508_114_275_067_422),
                    ("Section", 1_953_987_139_664_311_248),
                ]),
                templates: vec![template("Cloze", 3_848_021_764_476_370_205, CLOZE_QUESTION, CLOZE_ANSWER)],
                css: stylesheet(&[CSS, CLOZE_CSS], extra_css),
            },
            _ => return None,
        })
    }

    /// Every built-in note type, in `BUILTIN_NAMES` order.
    pub fn all_builtin(extra_css: Option<&str>) -> Vec<Notetype> {
        BUILTIN_NAMES.iter().filter_map(|name| Notetype::builtin(name, extra_css)).collect()
    }
}
