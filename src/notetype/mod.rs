//! Note types: the built-in ones (`builtin`), the user's own (`custom`), Anki's template syntax
//! (`template`), the cards Anki generates for a note (`cardgen`, `cloze`), and the schema-11 JSON
//! a package carries. A note type's id and the ids of its fields and templates never change for
//! the same definition, so every build updates the user's copy in place instead of forking it
//! (`rslib/src/notetype/merge.rs` compares fields and templates by id when both sides have one).
//!
//! For the build: `Notetype::builtin(name, ankideck_css)` or `Notetype::custom(&definition)`
//! gives the note type; `card_ords(field values, has_tags)` the cards Anki makes for a note (one
//! card id per ordinal), `stray_cloze_fields` what to warn about, `to_schema11` and
//! `definition_hash` what the package and the lock hold, and `Schema` what Anki will do when
//! the fields or templates changed since the last build. Nothing here reads files or knows the
//! pipeline. Not here: rendering a card (a preview can walk `template::ParsedTemplate` later).

mod builtin;
mod cardgen;
mod cloze;
mod custom;
#[cfg(test)]
mod custom_tests;
#[cfg(test)]
mod fixture_tests;
mod schema;
pub mod template;

pub use builtin::{BUILTIN_NAMES, FLASHCARD_ID, FLASHCARD_NAME};
pub use cardgen::{CardOrds, MAX_CLOZE_ORD};
pub use cloze::add_cloze_numbers;
pub use custom::{CustomNotetype, CustomTemplate, NotetypeError, SourceText, custom_notetype_id};
pub use schema::{ListChange, Schema, SchemaChange};

use crate::ids::NotetypeId;
use serde_json::{Value, json};
use template::{ParseError, ParsedTemplate};
use xxhash_rust::xxh3::xxh3_64;

/// A field of a note type, with its stable id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub id: i64,
}

/// A card template, with its stable id and its parsed question (what card generation reads).
/// The texts are read-only so the parsed question always matches the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub id: i64,
    question: String,
    answer: String,
    parsed_question: ParsedTemplate,
}

impl Template {
    /// A template; fails if the question does not parse (the answer is checked by `custom`).
    pub fn new(name: &str, id: i64, question: &str, answer: &str) -> Result<Template, ParseError> {
        Ok(Template {
            name: name.to_string(),
            id,
            question: question.to_string(),
            answer: answer.to_string(),
            parsed_question: ParsedTemplate::parse(question)?,
        })
    }

    /// The question side (`qfmt`).
    pub fn question(&self) -> &str {
        &self.question
    }

    /// The answer side (`afmt`).
    pub fn answer(&self) -> &str {
        &self.answer
    }

    /// The parsed question side.
    pub fn parsed_question(&self) -> &ParsedTemplate {
        &self.parsed_question
    }
}

/// Anki's two kinds of note type: a card per template, or a card per cloze number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotetypeKind {
    Normal,
    Cloze,
}

/// The note types of one deck's notes, by [`crate::model::NoteKind`]: the deck's own, and the
/// built-in `cloze` of its cloze cards when its own is not cloze.
#[derive(Debug, Clone, Copy)]
pub struct NoteTypes<'a> {
    pub own: &'a Notetype,
    pub cloze: Option<&'a Notetype>,
}

impl<'a> NoteTypes<'a> {
    /// A deck whose notes are all of its own note type.
    pub fn only(own: &'a Notetype) -> NoteTypes<'a> {
        NoteTypes { own, cloze: None }
    }

    /// The note type of a note of kind `kind`.
    pub fn of(&self, kind: crate::model::NoteKind) -> &'a Notetype {
        match kind {
            crate::model::NoteKind::Own => self.own,
            // A deck has cloze cards only when its own type is not cloze, and then the build
            // gives it the built-in cloze.
            crate::model::NoteKind::Cloze => self.cloze.unwrap_or(self.own),
        }
    }
}

/// A note type as ankideck defines it; `mod` comes from the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notetype {
    pub id: NotetypeId,
    pub name: String,
    pub kind: NotetypeKind,
    pub fields: Vec<Field>,
    pub templates: Vec<Template>,
    pub css: String,
}

impl Notetype {
    /// The fields identity matching compares as a note's question side and answer side: Front
    /// and Back for the basic family, Text and Back Extra for cloze, the first two fields of a
    /// custom note type (which names its own fields).
    pub fn sides(&self) -> crate::model::SideFields {
        let builtin = Notetype::all_builtin(None).iter().any(|b| b.id == self.id);
        let named = |question: &str, answer: &str| {
            let index = |name: &str| self.fields.iter().position(|f| f.name == name);
            Some(crate::model::SideFields { question: index(question)?, answer: index(answer)? })
        };
        let sides = match (builtin, self.kind) {
            (false, _) => None,
            (true, NotetypeKind::Normal) => named("Front", "Back"),
            (true, NotetypeKind::Cloze) => named("Text", "Back Extra"),
        };
        sides.unwrap_or(crate::model::SideFields::FIRST_TWO)
    }

    /// A hash of everything Anki compares when it updates a note type: names, ids, templates and
    /// CSS. When it changes, the note type's `mod` must move forward.
    pub fn definition_hash(&self) -> u64 {
        let mut text = format!("{}\x1f{}\x1f{}", self.id.0, self.name, self.css);
        // Normal types hash as they did before the kind existed, so `basic`'s hash (and `mod`)
        // is unchanged for existing users.
        if self.kind == NotetypeKind::Cloze {
            text.push_str("\x1ecloze");
        }
        for f in &self.fields {
            text.push_str(&format!("\x1e{}\x1f{}", f.name, f.id));
        }
        for t in &self.templates {
            text.push_str(&format!("\x1e{}\x1f{}\x1f{}\x1f{}", t.name, t.id, t.question, t.answer));
        }
        xxh3_64(text.as_bytes())
    }

    /// The schema-11 JSON Anki reads from `col.models` (`rslib/src/notetype/schema11.rs`), with
    /// the keys legacy clients need (`req`, `tags`, `vers`).
    pub fn to_schema11(&self, mtime_secs: i64) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .enumerate()
            .map(|(ord, f)| {
                json!({
                    "name": f.name, "ord": ord, "id": f.id, "sticky": false, "rtl": false,
                    "font": "Arial", "size": 20, "description": "", "plainText": false,
                    "collapsed": false, "excludeFromSearch": false, "media": [],
                })
            })
            .collect();
        let templates: Vec<Value> = self
            .templates
            .iter()
            .enumerate()
            .map(|(ord, t)| {
                json!({
                    "name": t.name, "ord": ord, "id": t.id, "qfmt": t.question, "afmt": t.answer,
                    "bqfmt": "", "bafmt": "", "did": null, "bfont": "", "bsize": 0,
                })
            })
            .collect();
        let kind = match self.kind {
            NotetypeKind::Normal => 0,
            NotetypeKind::Cloze => 1,
        };
        json!({
            "id": self.id.0, "name": self.name, "type": kind, "mod": mtime_secs, "usn": -1,
            "sortf": 0, "did": null, "tmpls": templates, "flds": fields, "css": self.css,
            "latexPre": LATEX_PRE, "latexPost": "\\end{document}", "latexsvg": false,
            // Anki recomputes `req` when it imports; older clients read it as written.
            "req": self.requirements(), "tags": [], "vers": [],
        })
    }
}

/// Anki's default LaTeX header (`rslib/src/notetype/header.tex`).
const LATEX_PRE: &str = "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_css_changes_the_definition_hash() {
        let plain = Notetype::flashcard(None);
        let styled = Notetype::flashcard(Some(".front { color: red; }"));
        assert_ne!(plain.definition_hash(), styled.definition_hash());
        assert_eq!(plain.definition_hash(), Notetype::flashcard(None).definition_hash());
        assert!(styled.css.ends_with(".front { color: red; }\n"));
    }

    /// `basic` is the flashcard note type every existing user has: the same hash (so `mod`
    /// does not move, see the seed lock snapshot) and the same JSON as before note types existed.
    #[test]
    fn basic_is_todays_flashcard_note_type_unchanged() {
        let basic = Notetype::builtin("basic", None).unwrap();
        assert_eq!(basic, Notetype::flashcard(None));
        assert_eq!(basic.definition_hash(), 0xf787_3897_d7b8_f3d9);
        let question = "<div class=\"ankideck\">\n{{#Section}}<div class=\"section\">{{Section}}</div>{{/Section}}\n<div class=\"front\">{{Front}}</div>\n</div>";
        let answer = "{{FrontSide}}\n\n<hr id=answer>\n\n<div class=\"ankideck back\">{{Back}}</div>";
        let field = |name: &str, ord: usize, id: i64| {
            json!({
                "name": name, "ord": ord, "id": id, "sticky": false, "rtl": false,
                "font": "Arial", "size": 20, "description": "", "plainText": false,
                "collapsed": false, "excludeFromSearch": false, "media": [],
            })
        };
        let old = json!({
            "id": 1_732_999_311_601_i64, "name": "ankideck Flashcard", "type": 0, "mod": 5, "usn": -1,
            "sortf": 0, "did": null,
            "tmpls": [{
                "name": "Card 1", "ord": 0, "id": -7_216_534_871_622_901_236_i64, "qfmt": question,
                "afmt": answer, "bqfmt": "", "bafmt": "", "did": null, "bfont": "", "bsize": 0,
            }],
            "flds": [
                field("Front", 0, 6_148_830_574_118_373_151),
                field("Back", 1, -2_305_402_617_911_085_743),
                field("Section", 2, 4_470_215_062_781_964_402),
            ],
            "css": include_str!("flashcard.css"),
            "latexPre": LATEX_PRE, "latexPost": "\\end{document}", "latexsvg": false,
            "req": [[0, "any", [0, 2]]], "tags": [], "vers": [],
        });
        assert_eq!(basic.to_schema11(5).to_string(), old.to_string());
    }

    #[test]
    fn every_builtin_has_distinct_ids_and_parses() {
        let all = Notetype::all_builtin(None);
        assert_eq!(all.len(), BUILTIN_NAMES.len());
        let mut ids: Vec<i64> = all.iter().map(|nt| nt.id.0).collect();
        for nt in &all {
            ids.extend(nt.fields.iter().map(|f| f.id));
            ids.extend(nt.templates.iter().map(|t| t.id));
            assert_eq!(nt.fields.last().unwrap().name, "Section", "{}", nt.name);
            assert!(
                nt.css.contains(".nightMode") && nt.css.contains(".night_mode") && nt.css.contains("@media")
            );
            for t in &nt.templates {
                template::ParsedTemplate::parse(t.answer()).unwrap();
            }
        }
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "an id is used twice");
        assert!(Notetype::builtin("Basic", None).is_none());
        let cloze = Notetype::builtin("cloze", None).unwrap();
        assert_eq!(cloze.to_schema11(0)["type"], 1);
        assert_ne!(
            cloze.definition_hash(),
            Notetype { kind: NotetypeKind::Normal, ..cloze.clone() }.definition_hash()
        );
    }

    #[test]
    fn schema11_json_has_the_required_keys() {
        let json = Notetype::flashcard(None).to_schema11(5);
        for key in ["id", "name", "type", "mod", "usn", "sortf", "did", "tmpls", "flds", "css"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["flds"][0]["name"], "Front");
        assert_eq!(json["mod"], 5);
    }
}
