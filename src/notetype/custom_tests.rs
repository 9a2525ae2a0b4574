//! Custom note types: what is accepted, the ids, and every refusal with its file and line.

use super::*;

fn vocab(front: &str, back: &str) -> CustomNotetype {
    CustomNotetype {
        name: "vocab".into(),
        kind: NotetypeKind::Normal,
        fields: vec!["Word".into(), "Meaning".into(), "Example".into()],
        css: ".card { color: red; }".into(),
        templates: vec![CustomTemplate {
            name: "Recognise".into(),
            front: SourceText::new("templates/vocab-front.html", front),
            back: SourceText::new("templates/vocab-back.html", back),
        }],
    }
}

fn error(def: &CustomNotetype) -> String {
    Notetype::custom(def).unwrap_err().to_string()
}

#[test]
fn a_valid_custom_type_gets_ids_derived_from_its_names() {
    let def = vocab("{{Word}}", "{{FrontSide}}<hr id=answer>{{Meaning}}<br>{{Example}}");
    let nt = Notetype::custom(&def).unwrap();
    assert_eq!(nt.name, "vocab");
    assert_eq!(nt.id, custom_notetype_id("vocab"));
    assert!((1_i64 << 52..1_i64 << 53).contains(&nt.id.0));
    assert_eq!(nt.css, ".card { color: red; }");
    assert_eq!(nt.card_ords(&["w", "", ""], false).ords, vec![0]);

    // Reordering fields keeps each field's id; renaming the type changes every id.
    let mut reordered = def.clone();
    reordered.fields.swap(0, 2);
    let again = Notetype::custom(&reordered).unwrap();
    assert_eq!(again.id, nt.id);
    assert_eq!(again.fields[2], nt.fields[0]);
    assert_eq!(again.templates[0].id, nt.templates[0].id);
    let renamed = Notetype::custom(&CustomNotetype { name: "words".into(), ..def }).unwrap();
    assert_ne!(renamed.id, nt.id);
    assert_ne!(renamed.fields[0].id, nt.fields[0].id);
    assert_ne!(renamed.templates[0].id, nt.templates[0].id);
}

#[test]
fn a_template_naming_an_unknown_field_is_refused_with_file_and_line() {
    let msg = error(&vocab("{{Word}}", "{{FrontSide}}\n<hr id=answer>\n{{#Meaning}}{{Meanin}}{{/Meaning}}"));
    assert_eq!(
        msg,
        "templates/vocab-back.html:3: `Meanin` is not a field of note type `vocab` (its fields: Word, \
         Meaning, Example); fix the name or add the field"
    );
    assert!(
        error(&vocab("\n{{#Wort}}{{Word}}{{/Wort}}", "")).starts_with("templates/vocab-front.html:2: `Wort`")
    );
}

#[test]
fn unbalanced_sections_are_refused_where_they_open_or_close() {
    let msg = error(&vocab("{{Word}}\n{{#Example}}\n{{Example}}", ""));
    assert_eq!(
        msg,
        "templates/vocab-front.html:2: the section `Example` opened here is never closed; add `{{/Example}}`"
    );
    let msg = error(&vocab("{{Word}}", "{{#Word}}\n{{/Meaning}}"));
    assert!(
        msg.starts_with(
            "templates/vocab-back.html:2: `{{/Meaning}}` closes nothing: the open section is `Word`"
        ),
        "{msg}"
    );
}

#[test]
fn a_front_that_can_never_make_a_card_is_refused() {
    assert!(error(&vocab("<b>no field</b>", "")).contains("vocab-front.html:1: the front names no field"));
    assert!(error(&vocab("{{FrontSide}}", "")).contains("can never show a field"));
    assert!(
        error(&vocab("{{#Word}}{{^Word}}{{Meaning}}{{/Word}}{{/Word}}", ""))
            .contains("can never show a field")
    );
    // A section on one field showing another is fine: it renders when both are filled.
    assert!(Notetype::custom(&vocab("{{#Example}}{{Word}}{{/Example}}", "")).is_ok());
}

#[test]
fn a_cloze_type_needs_the_cloze_filter_on_both_sides_and_one_template() {
    let mut def = vocab("{{cloze:Word}}", "{{Meaning}}");
    def.kind = NotetypeKind::Cloze;
    assert_eq!(
        error(&def),
        "templates/vocab-back.html:1: a cloze note type needs `{{cloze:FIELD}}` on the back; add it"
    );
    def.templates[0].back.text = "{{cloze:Word}} {{Meaning}}".into();
    let nt = Notetype::custom(&def).unwrap();
    assert_eq!(nt.card_ords(&["{{c2::x}}", "{{c5::y}}", ""], false).ords, vec![1, 4]);
    def.templates.push(def.templates[0].clone());
    def.templates[1].name = "Second".into();
    assert!(error(&def).contains("cloze type with 2 templates"));
}

#[test]
fn names_anki_would_rewrite_or_confuse_are_refused() {
    for (field, reason) in [
        ("Wo:rd", "contains `:`"),
        ("#Word", "starts with `#`"),
        ("Word ", "starts or ends with a space"),
        ("", "is empty"),
        ("Tags", "fields Anki fills itself"),
        ("e\u{301}", "NFC"),
    ] {
        let mut def = vocab("{{Meaning}}", "");
        def.fields[0] = field.into();
        let msg = error(&def);
        assert!(msg.contains(reason) && msg.contains(&format!("{field:?}")), "{field:?}: {msg}");
    }
    let mut def = vocab("{{Word}}", "");
    def.fields[2] = "word".into();
    assert_eq!(
        error(&def),
        "note type `vocab`: two fields are named \"word\" (Anki ignores case); rename one"
    );
    def.fields.clear();
    assert!(error(&def).contains("has no field"));
    let taken = CustomNotetype { name: "Cloze".into(), ..vocab("{{Word}}", "") };
    assert!(error(&taken).contains("taken by a built-in note type"));
}

#[test]
fn two_templates_with_the_same_front_are_refused_unless_it_shows_the_card_name() {
    let mut def = vocab("{{Word}}", "");
    let mut second = def.templates[0].clone();
    second.name = "Again".into();
    second.front.path = "templates/again.html".into();
    def.templates.push(second);
    assert_eq!(
        error(&def),
        "templates/again.html:1: the front is the same as templates/vocab-front.html's, so both cards \
         would be the same; make them differ"
    );
    for t in &mut def.templates {
        t.front.text = "{{Word}} {{ Card }}".into();
    }
    assert_eq!(Notetype::custom(&def).unwrap().card_ords(&["w"], false).ords, vec![0, 1]);
}

#[test]
fn identity_compares_the_builtin_sides_by_name_and_a_custom_types_first_two_fields() {
    use crate::model::SideFields;
    for name in BUILTIN_NAMES {
        let nt = Notetype::builtin(name, None).unwrap();
        let (question, answer) = match nt.kind {
            NotetypeKind::Normal => ("Front", "Back"),
            NotetypeKind::Cloze => ("Text", "Back Extra"),
        };
        let sides = nt.sides();
        assert_eq!(
            (&*nt.fields[sides.question].name, &*nt.fields[sides.answer].name),
            (question, answer),
            "{name}"
        );
    }
    // A custom type's own names mean nothing to identity: its first two fields are the sides,
    // even when a later field is called "Front".
    let def = CustomNotetype {
        fields: vec!["Word".into(), "Back".into(), "Front".into()],
        ..vocab("{{Word}}", "{{FrontSide}}<hr id=answer>{{Back}}{{Front}}")
    };
    assert_eq!(Notetype::custom(&def).unwrap().sides(), SideFields::FIRST_TWO);
}
