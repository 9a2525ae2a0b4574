//! The note type ankideck writes for flashcard decks: fields `Front`, `Back`, `Section`, one card
//! template and a stylesheet. Its id and the ids of its fields and template are fixed forever, so
//! every build updates the user's copy in place instead of forking it (`rslib/src/notetype/merge.rs`
//! compares fields and templates by id when both sides have one).

use crate::ids::NotetypeId;
use serde_json::{Value, json};
use xxhash_rust::xxh3::xxh3_64;

/// The id of the flashcard note type. Never change it: users' notes hang on it.
pub const FLASHCARD_ID: NotetypeId = NotetypeId(1_732_999_311_601);
/// The name users see in Anki.
pub const FLASHCARD_NAME: &str = "ankideck Flashcard";

/// A field of a note type, with its stable id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub id: i64,
}

/// A card template, with its stable id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: &'static str,
    pub id: i64,
    pub question: &'static str,
    pub answer: &'static str,
}

/// A note type as ankideck defines it; `mod` comes from the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notetype {
    pub id: NotetypeId,
    pub name: &'static str,
    pub fields: Vec<Field>,
    pub templates: Vec<Template>,
    pub css: String,
}

const QUESTION: &str = "<div class=\"ankideck\">\n\
{{#Section}}<div class=\"section\">{{Section}}</div>{{/Section}}\n\
<div class=\"front\">{{Front}}</div>\n\
</div>";

const ANSWER: &str = "{{FrontSide}}\n\n<hr id=answer>\n\n<div class=\"ankideck back\">{{Back}}</div>";

const CSS: &str = include_str!("flashcard.css");

impl Notetype {
    /// The flashcard note type; `extra_css` (the project's `ankideck.css`) is appended to the
    /// built-in stylesheet.
    pub fn flashcard(extra_css: Option<&str>) -> Notetype {
        let mut css = CSS.to_string();
        if let Some(extra) = extra_css {
            css.push_str("\n/* ankideck.css */\n");
            css.push_str(extra.trim_end());
            css.push('\n');
        }
        Notetype {
            id: FLASHCARD_ID,
            name: FLASHCARD_NAME,
            fields: vec![
                Field { name: "Front", id: 6_148_830_574_118_373_151 },
                Field { name: "Back", id: -2_305_402_617_911_085_743 },
                Field { name: "Section", id: 4_470_215_062_781_964_402 },
            ],
            templates: vec![Template {
                name: "Card 1",
                id: -7_216_534_871_622_901_236,
                question: QUESTION,
                answer: ANSWER,
            }],
            css,
        }
    }

    /// A hash of everything Anki compares when it updates a note type: names, ids, templates and
    /// CSS. When it changes, the note type's `mod` must move forward.
    pub fn definition_hash(&self) -> u64 {
        let mut text = format!("{}\x1f{}\x1f{}", self.id.0, self.name, self.css);
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
        json!({
            "id": self.id.0, "name": self.name, "type": 0, "mod": mtime_secs, "usn": -1,
            "sortf": 0, "did": null, "tmpls": templates, "flds": fields, "css": self.css,
            "latexPre": LATEX_PRE, "latexPost": "\\end{document}", "latexsvg": false,
            // Front or Section alone makes the question non-empty (rslib/src/template.rs).
            "req": [[0, "any", [0, 2]]], "tags": [], "vers": [],
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
