//! Cloze numbers in a field, exactly as `rslib/src/cloze.rs` finds them: `{{c` then digits and
//! commas then `::` opens a deletion (`{{c1,2::…}}` counts for 1 and 2; numbers that do not fit
//! a u16 are dropped, and an opener with no number left is text), `}}` closes the innermost one.
//! Deletions nest at most 10 deep (a deeper opener is ignored, but its `}}` still closes the one
//! around it); a deletion never closed is dropped with everything inside it; `c0` is a deletion
//! that counts for no card. A hint (`{{c1::text::hint}}`) changes nothing here.

/// Anki keeps at most this many open deletions.
const MAX_DEPTH: usize = 10;

/// Adds the cloze numbers of `text` to `out` (unsorted, may repeat).
pub fn add_cloze_numbers(text: &str, out: &mut Vec<u16>) {
    if !text.contains("{{c") {
        return;
    }
    // One frame per open deletion: its numbers and those of the deletions closed inside it.
    let mut open: Vec<Vec<u16>> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some((numbers, after)) = opener(rest) {
            if open.len() < MAX_DEPTH {
                open.push(numbers);
            }
            rest = after;
        } else if let Some(after) = rest.strip_prefix("}}") {
            if let Some(closed) = open.pop() {
                match open.last_mut() {
                    Some(outer) => outer.extend(closed),
                    None => out.extend(closed),
                }
            }
            rest = after;
        } else {
            // Text up to the next place a marker could start.
            let skip = rest.chars().next().map_or(1, char::len_utf8);
            let next = rest[skip..].find(['{', '}']).map_or(rest.len(), |i| i + skip);
            rest = &rest[next..];
        }
    }
    out.retain(|&n| n != 0);
}

/// `{{c<digits and commas>::` at the start of `s`: the numbers and the text after the opener.
fn opener(s: &str) -> Option<(Vec<u16>, &str)> {
    let after_c = s.strip_prefix("{{c")?;
    let len = after_c.bytes().take_while(|b| b.is_ascii_digit() || *b == b',').count();
    let numbers: Vec<u16> = after_c[..len].split(',').filter_map(|n| n.parse().ok()).collect();
    if numbers.is_empty() {
        return None;
    }
    let rest = after_c[len..].strip_prefix("::")?;
    Some((numbers, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<u16> {
        let mut out = Vec::new();
        add_cloze_numbers(text, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn numbers_match_ankis_own_examples() {
        assert_eq!(numbers("test"), Vec::<u16>::new());
        assert_eq!(numbers("{{c2::te}}{{c1::s}}t{{"), vec![1, 2]);
        assert_eq!(numbers("{{c0::te}}s{{c2::t}}s"), vec![2]);
    }

    #[test]
    fn several_numbers_hints_and_nesting_all_count() {
        assert_eq!(numbers("{{c1,3::a}} {{c2::b::hint}}"), vec![1, 2, 3]);
        assert_eq!(numbers("{{c1::outer {{c2::inner}} }}"), vec![1, 2]);
        assert_eq!(numbers("{{c1,,x::a}}"), Vec::<u16>::new());
        assert_eq!(numbers("{{c1,70000::a}} {{c70000::b}}"), vec![1]);
        assert_eq!(numbers("{{c::a}} {{c1:a}}"), Vec::<u16>::new());
    }

    #[test]
    fn an_unclosed_deletion_drops_what_it_holds() {
        assert_eq!(numbers("{{c1::a {{c2::b}}"), Vec::<u16>::new());
        assert_eq!(numbers("{{c1::a}} {{c2::b"), vec![1]);
        assert_eq!(numbers("}} {{c3::é}}"), vec![3]);
        assert_eq!(numbers("é{é{{c4::x}}"), vec![4]);
    }

    #[test]
    fn deletions_deeper_than_ten_are_ignored() {
        let mut text: String = (1..=11).map(|n| format!("{{{{c{n}::")).collect();
        text.push_str(&"}}".repeat(11));
        // The 11th opener is ignored; its `}}` closes the 10th, the last `}}` is stray text.
        assert_eq!(numbers(&text), (1..=10).collect::<Vec<u16>>());
    }
}
