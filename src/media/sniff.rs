//! What a file is, from its first bytes (not its name), and the content-derived name it gets in
//! Anki's media folder.
//!
//! Anki's media folder is flat and keeps the first file of a name
//! (`rslib/src/import_export/package/apkg/import/media.rs`), so a file is named by its content:
//! `<stem>-<first 12 hex digits of its SHA-1>.<ext>`. Two different `img/1.png` and `other/1.png`
//! get two names, and an edited image a new one (so its notes change and are updated on import).
//! The name keeps only characters that Anki's `normalize_filename` (`rslib/src/media/files.rs`)
//! leaves as they are, and at most 120 bytes, so Anki never renames it.

use super::Kind;
use unicode_normalization::UnicodeNormalization;

/// A recognised media format: its kind, the extensions it is known by (the first is used when
/// the file's own extension is not one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub kind: Kind,
    pub extensions: &'static [&'static str],
}

const fn format(kind: Kind, extensions: &'static [&'static str]) -> Format {
    Format { kind, extensions }
}

/// Anki's longest media file name, in bytes (`MAX_MEDIA_FILENAME_LENGTH`).
pub const MAX_NAME_BYTES: usize = 120;

/// How many bytes of a file's head [`sniff`] looks at, at most.
pub const SNIFFED: usize = 4096;

/// The format of a file from its first bytes; `None` for anything that is not an image or
/// audio (or video, which Anki plays with `[sound:…]` too).
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    use Kind::{Audio, Image};
    let at = |from: usize, magic: &[u8]| bytes.get(from..from + magic.len()) == Some(magic);
    Some(match () {
        _ if at(0, b"\x89PNG\r\n\x1a\n") => format(Image, &["png"]),
        _ if at(0, b"\xff\xd8\xff") => format(Image, &["jpg", "jpeg", "jpe"]),
        _ if at(0, b"GIF87a") || at(0, b"GIF89a") => format(Image, &["gif"]),
        _ if at(0, b"RIFF") && at(8, b"WEBP") => format(Image, &["webp"]),
        _ if at(0, b"II*\0") || at(0, b"MM\0*") => format(Image, &["tif", "tiff"]),
        _ if at(0, b"\0\0\x01\0") => format(Image, &["ico"]),
        _ if at(4, b"ftyp") && (at(8, b"avif") || at(8, b"avis")) => format(Image, &["avif"]),
        _ if at(0, b"RIFF") && at(8, b"WAVE") => format(Audio, &["wav"]),
        _ if at(0, b"RIFF") && at(8, b"AVI ") => format(Audio, &["avi"]),
        _ if at(0, b"OggS") => format(Audio, &["ogg", "oga", "ogv", "opus", "spx", "ogx"]),
        _ if at(0, b"fLaC") => format(Audio, &["flac"]),
        _ if at(0, b"ID3") => format(Audio, &["mp3"]),
        _ if at(4, b"ftyp") && at(8, b"M4A ") => format(Audio, &["m4a", "mp4"]),
        _ if at(4, b"ftyp") && at(8, b"qt  ") => format(Audio, &["mov", "mp4"]),
        _ if at(4, b"ftyp") && at(8, b"3g") => format(Audio, &["3gp", "3g2", "mp4"]),
        _ if at(4, b"ftyp") => format(Audio, &["mp4", "m4a", "m4b", "m4v", "mov", "3gp"]),
        _ if at(0, b"\x1a\x45\xdf\xa3") => format(Audio, &["webm", "mkv", "mka"]),
        _ if at(0, b"FLV\x01") => format(Audio, &["flv"]),
        _ if at(0, b"\0\0\x01\xba") || at(0, b"\0\0\x01\xb3") => format(Audio, &["mpg", "mpeg"]),
        // An MPEG audio frame without a tag: 11 sync bits; AAC (ADTS) has layer bits 00.
        _ if bytes.len() >= 2 && bytes[0] == 0xff && bytes[1] & 0xe0 == 0xe0 => match bytes[1] & 0x06 {
            0 => format(Audio, &["aac"]),
            _ => format(Audio, &["mp3"]),
        },
        _ if is_svg(bytes) => format(Image, &["svg"]),
        _ => return None,
    })
}

/// Whether a text file is an SVG image: its first element (after an XML declaration, comments
/// and a doctype) is `<svg`.
fn is_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SNIFFED)];
    let Ok(text) = std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
    else {
        return false;
    };
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    loop {
        rest = rest.trim_start();
        let skip_to = |open: &str, close: &str| {
            rest.strip_prefix(open).and_then(|r| r.find(close).map(|i| &r[i + close.len()..]))
        };
        if let Some(after) = skip_to("<?", "?>").or_else(|| skip_to("<!--", "-->")) {
            rest = after;
        } else if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case("<!doctype") {
            match rest.find('>') {
                Some(end) => rest = &rest[end + 1..],
                None => return false,
            }
        } else {
            return rest.starts_with("<svg")
                && rest[4..].starts_with(|c: char| c.is_whitespace() || c == '>');
        }
    }
}

/// The name a file gets in Anki's media folder: its stem, made safe, then `-` and the first 12
/// hex digits of the SHA-1 of its bytes, then the extension (the file's own if the format is
/// known by it, else the format's usual one).
pub fn media_name(file_name: &str, format: &Format, sha1: &[u8; 20]) -> String {
    let (stem, ext) = match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, ext.to_ascii_lowercase()),
        _ => (file_name, String::new()),
    };
    let ext = match format.extensions.contains(&ext.as_str()) {
        true => ext,
        false => format.extensions[0].to_string(),
    };
    let hash: String = sha1[..6].iter().map(|b| format!("{b:02x}")).collect();
    let mut stem = safe_stem(stem);
    let room = MAX_NAME_BYTES - hash.len() - ext.len() - 2;
    if stem.len() > room {
        let mut cut = room;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    if stem.is_empty() {
        stem.push_str("media");
    }
    format!("{stem}-{hash}.{ext}")
}

/// A stem with only what Anki keeps as it is in a name: letters and digits of any script, space
/// and `-_.,()+&=!@#~` (NFC; no leading `.`, which would hide the file). Not `%`: Anki's card
/// view percent-encodes a name's spaces but not its `%` (`encode_iri_paths` in
/// `rslib/src/text.rs`), so `a%20b.png` would be shown as `a b.png`.
pub(super) fn safe_stem(stem: &str) -> String {
    let kept: String = stem.nfc().filter(|&c| c.is_alphanumeric() || " -_.,()+&=!@#~".contains(c)).collect();
    kept.trim_start_matches('.').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn images_and_audio_are_recognised_by_their_bytes() {
        let cases: &[(&[u8], Kind, &str)] = &[
            (PNG, Kind::Image, "png"),
            (b"\xff\xd8\xff\xe0\0\x10JFIF", Kind::Image, "jpg"),
            (b"GIF89a\x01\0", Kind::Image, "gif"),
            (b"RIFF\0\0\0\0WEBPVP8 ", Kind::Image, "webp"),
            (
                b"<?xml version=\"1.0\"?>\n<!-- x -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
                Kind::Image,
                "svg",
            ),
            (b"\xef\xbb\xbf<!DOCTYPE svg>\n<svg>", Kind::Image, "svg"),
            (b"ID3\x04\0\0", Kind::Audio, "mp3"),
            (b"\xff\xfb\x90\x64", Kind::Audio, "mp3"),
            (b"OggS\0\x02", Kind::Audio, "ogg"),
            (b"RIFF\0\0\0\0WAVEfmt ", Kind::Audio, "wav"),
            (b"\0\0\0\x20ftypM4A \0\0", Kind::Audio, "m4a"),
            (b"\0\0\0\x18ftypisom\0\0", Kind::Audio, "mp4"),
            (b"fLaC\0\0\0\x22", Kind::Audio, "flac"),
        ];
        for (bytes, kind, ext) in cases {
            let format = sniff(bytes).unwrap_or_else(|| panic!("{ext} not recognised"));
            assert_eq!((format.kind, format.extensions[0]), (*kind, *ext));
        }
    }

    #[test]
    fn other_files_are_not_media() {
        for bytes in
            [&b"hello world"[..], b"", b"%PDF-1.7", b"PK\x03\x04", b"<html><svg></svg></html>", b"<svgx>"]
        {
            assert_eq!(sniff(bytes), None, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn name_is_stem_hash_and_extension() {
        let png = sniff(PNG).expect("png");
        let sha1 = [0xab; 20];
        assert_eq!(media_name("1.png", &png, &sha1), "1-abababababab.png");
        // The extension follows the bytes when the file's own does not fit them.
        assert_eq!(media_name("photo.JPG", &png, &sha1), "photo-abababababab.png");
        assert_eq!(media_name("noext", &png, &sha1), "noext-abababababab.png");
        let jpeg = sniff(b"\xff\xd8\xff\xe0").expect("jpeg");
        assert_eq!(media_name("photo.JPEG", &jpeg, &sha1), "photo-abababababab.jpeg");
    }

    #[test]
    fn name_keeps_only_what_anki_keeps_and_fits_in_120_bytes() {
        let png = sniff(PNG).expect("png");
        let sha1 = [1; 20];
        assert_eq!(media_name("a b&c.png", &png, &sha1), "a b&c-010101010101.png");
        assert_eq!(media_name(r#"a:b"c[d]<e>|f?*^.png"#, &png, &sha1), "abcdef-010101010101.png");
        assert_eq!(media_name(".hidden.png", &png, &sha1), "hidden-010101010101.png");
        assert_eq!(media_name("50%25 off$.png", &png, &sha1), "5025 off-010101010101.png");
        assert_eq!(media_name("'.png", &png, &sha1), "media-010101010101.png");
        // NFD input comes out NFC.
        assert_eq!(media_name("cafe\u{301}.png", &png, &sha1), "caf\u{e9}-010101010101.png");
        let long = "é".repeat(100) + ".png";
        let name = media_name(&long, &png, &sha1);
        assert!(name.len() <= MAX_NAME_BYTES && name.ends_with("-010101010101.png"), "{name}");
    }
}
