//! `tests/anki/cardgen_cases.json`: every built-in note type and two custom ones as schema-11
//! JSON (generated here; this test fails when the file is stale, and rewrites it when
//! `ANKIDECK_UPDATE_FIXTURES=1`), plus hand-written cases: a note's field values and the card
//! ordinals Anki creates for it. The same cases are checked against real Anki by
//! `tests/anki/cardgen.py`, so the expected ordinals are Anki's, not ours.

use super::*;
use serde_json::{Map, Value};
use std::path::PathBuf;

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/anki/cardgen_cases.json")
}

/// The note types of the fixture, by the key the cases use.
fn fixture_notetypes() -> Vec<(String, Notetype)> {
    let mut out: Vec<(String, Notetype)> =
        BUILTIN_NAMES.iter().map(|name| (name.to_string(), Notetype::builtin(name, None).unwrap())).collect();
    for def in custom_definitions() {
        out.push((def.name.clone(), Notetype::custom(&def).unwrap()));
    }
    out
}

/// The fixture's two custom note types.
fn custom_definitions() -> [CustomNotetype; 2] {
    let template = |name: &str, front: &str, back: &str| CustomTemplate {
        name: name.into(),
        front: SourceText::new(format!("templates/{name}-front.html"), front),
        back: SourceText::new(format!("templates/{name}-back.html"), back),
    };
    let vocab = CustomNotetype {
        name: "fixture-vocab".into(),
        kind: NotetypeKind::Normal,
        fields: vec!["Word".into(), "Meaning".into(), "Example".into(), "Note".into()],
        css: ".card { font-size: 22px; }\n".into(),
        templates: vec![
            template("Recognise", "{{Word}}", "{{FrontSide}}<hr id=answer>{{Meaning}}"),
            template("Recall", "{{#Example}}{{Meaning}}{{/Example}}", "{{FrontSide}}<hr id=answer>{{Word}}"),
            template(
                "Unless",
                "{{^Note}}{{Word}} (no note){{/Note}}",
                "{{FrontSide}}<hr id=answer>{{Meaning}}",
            ),
            template(
                "Tagged",
                "{{#Tags}}{{Example}} [{{Tags}}]{{/Tags}}",
                "{{FrontSide}}<hr id=answer>{{Word}}",
            ),
        ],
    };
    let cloze = CustomNotetype {
        name: "fixture-cloze".into(),
        kind: NotetypeKind::Cloze,
        fields: vec!["Text".into(), "Text2".into(), "Source".into()],
        css: ".cloze { color: green; }\n".into(),
        templates: vec![template(
            "Cloze",
            "{{cloze:Text}}<br>{{cloze:Text2}}",
            "{{cloze:Text}}<br>{{cloze:Text2}}<hr id=answer>{{Source}}",
        )],
    };
    [vocab, cloze]
}

fn generated_notetypes() -> Value {
    let map: Map<String, Value> =
        fixture_notetypes().into_iter().map(|(key, nt)| (key, nt.to_schema11(0))).collect();
    Value::Object(map)
}

fn read_fixture() -> Value {
    let text = std::fs::read_to_string(fixture_path()).expect("tests/anki/cardgen_cases.json is readable");
    serde_json::from_str(&text).expect("tests/anki/cardgen_cases.json is JSON")
}

#[test]
fn the_fixture_note_types_are_the_rust_definitions() {
    let mut fixture = read_fixture();
    let generated = generated_notetypes();
    if fixture["notetypes"] == generated {
        return;
    }
    if std::env::var_os("ANKIDECK_UPDATE_FIXTURES").is_some() {
        fixture["notetypes"] = generated;
        let text = serde_json::to_string_pretty(&fixture).unwrap() + "\n";
        std::fs::write(fixture_path(), text).unwrap();
        return;
    }
    panic!(
        "tests/anki/cardgen_cases.json's note types differ from the Rust definitions; rerun with \
         ANKIDECK_UPDATE_FIXTURES=1 to regenerate them, then run tests/anki/cardgen.py"
    );
}

#[test]
fn card_generation_matches_every_fixture_case() {
    let fixture = read_fixture();
    let notetypes = fixture_notetypes();
    let cases = fixture["cases"].as_array().expect("cases is a list");
    assert!(cases.len() >= 30, "the fixture lost its cases");
    let mut failures = Vec::new();
    for case in cases {
        let key = case["notetype"].as_str().unwrap();
        let (_, nt) =
            notetypes.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no note type {key}"));
        let given = case["fields"].as_object().expect("fields is an object");
        for name in given.keys() {
            assert!(nt.fields.iter().any(|f| &f.name == name), "{key} has no field {name}");
        }
        let values: Vec<&str> =
            nt.fields.iter().map(|f| given.get(&f.name).and_then(Value::as_str).unwrap_or("")).collect();
        let has_tags = case.get("tags").and_then(Value::as_array).is_some_and(|t| !t.is_empty());
        let expected: Vec<u16> =
            case["expect"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap() as u16).collect();
        let blank = case.get("blank").and_then(Value::as_bool).unwrap_or(false);
        let got = nt.card_ords(&values, has_tags);
        let hides_nothing = case.get("hides_nothing").is_some();
        if hides_nothing == nt.stray_cloze_fields(&values).is_empty() {
            failures.push(format!("{}: stray cloze fields not reported as the fixture says", case["why"]));
        }
        if got.ords != expected || got.none_rendered != blank {
            failures.push(format!(
                "{}: expected {expected:?} (blank: {blank}), got {:?} (blank: {})",
                case["why"], got.ords, got.none_rendered
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fixture's `refusals`: a custom note type with one template side replaced, which Anki
/// refuses to add (checked by cardgen.py) and `Notetype::custom` refuses with the given message.
#[test]
fn custom_types_anki_refuses_are_refused() {
    let fixture = read_fixture();
    let refusals = fixture["refusals"].as_array().expect("refusals is a list");
    assert!(refusals.len() >= 5, "the fixture lost its refusals");
    for refusal in refusals {
        let base = refusal["notetype"].as_str().unwrap();
        let mut def = custom_definitions().into_iter().find(|d| d.name == base).expect("a custom base");
        let template = &mut def.templates[refusal["template"].as_u64().unwrap() as usize];
        let text = refusal["text"].as_str().unwrap().to_string();
        match refusal["side"].as_str().unwrap() {
            "qfmt" => template.front.text = text,
            "afmt" => template.back.text = text,
            other => panic!("side {other}"),
        }
        let error = refusal["error"].as_str().unwrap();
        match Notetype::custom(&def) {
            Ok(_) => panic!("{}: accepted", refusal["why"]),
            Err(e) => assert!(e.to_string().contains(error), "{}: {e}", refusal["why"]),
        }
    }
}
