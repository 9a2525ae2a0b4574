//! Stylesheet assets: the files a note type's CSS uses (fonts, mostly), listed in the settings.
//!
//! Anki treats a media file whose name starts with `_` as static: an import copies it though no
//! note references it (a file without `_` is copied only if a note does), and skips it if the
//! collection has a file of that name, whatever its bytes (`MediaUseMap` in
//! `rslib/src/import_export/package/apkg/import/media.rs`). So an asset
//! is packed as `_STEM-HHHHHHHHHHHH.EXT` (the first 12 hex digits of its SHA-1): an edited font
//! gets a new name, and the stylesheet's `url(...)` references to it are rewritten to that name.
//! A reference is matched by its file name (`url("fonts/Inter.woff2")`, `url(Inter.woff2)` and
//! `url('../fonts/Inter.woff2?v=2')` all name `Inter.woff2`), since a stylesheet's folder is not
//! the folder its text ends up in: Anki reads it from the note type.

use super::MediaFile;
use super::sniff::safe_stem;
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};

/// Why an asset cannot be packed.
#[derive(Debug, thiserror::Error)]
pub enum AssetProblem {
    /// Not there, or a folder (a wrong path in the settings).
    #[error("is not there")]
    Missing(std::io::Error),
    /// A symbolic link to a file outside the project folder.
    #[error("{} is outside the project folder {}", path.display(), root.display())]
    Outside { path: PathBuf, root: PathBuf },
    /// There, but it cannot be read (exit 2).
    #[error("cannot read {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
}

/// Reads the asset at `path` (in the project folder `root`, its symbolic links resolved):
/// packed under its versioned name, named in messages and state by `source`.
pub fn read_asset(root: &Path, path: &Path, source: &str) -> Result<MediaFile, AssetProblem> {
    let resolved = match std::fs::canonicalize(path) {
        Ok(resolved) => resolved,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AssetProblem::Missing(e)),
        Err(source) => return Err(AssetProblem::Unreadable { path: path.to_path_buf(), source }),
    };
    if !resolved.starts_with(root) {
        return Err(AssetProblem::Outside { path: path.to_path_buf(), root: root.to_path_buf() });
    }
    if resolved.is_dir() {
        return Err(AssetProblem::Missing(std::io::ErrorKind::IsADirectory.into()));
    }
    let bytes = std::fs::read(&resolved)
        .map_err(|source| AssetProblem::Unreadable { path: path.to_path_buf(), source })?;
    let sha1: [u8; 20] = Sha1::digest(&bytes).into();
    let file_name = source.rsplit('/').next().unwrap_or(source);
    Ok(MediaFile {
        name: asset_name(file_name, &sha1),
        path: resolved,
        source: source.to_string(),
        sha1,
        len: bytes.len() as u64,
    })
}

/// The name an asset gets in Anki's media folder: `_`, its stem made safe, `-` and the first 12
/// hex digits of its SHA-1, then its extension in lower case (`_Inter-3b37538efb87.woff2`).
pub fn asset_name(file_name: &str, sha1: &[u8; 20]) -> String {
    let (stem, ext) = match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, ext.to_ascii_lowercase()),
        _ => (file_name, String::new()),
    };
    let ext: String = ext.chars().filter(char::is_ascii_alphanumeric).collect();
    let hash: String = sha1[..6].iter().map(|b| format!("{b:02x}")).collect();
    let mut stem = safe_stem(stem.trim_start_matches('_'));
    // Well within Anki's limit on a name (`MAX_NAME_BYTES`).
    let room = super::MAX_NAME_BYTES - hash.len() - ext.len() - 3;
    if stem.len() > room {
        let mut cut = room;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    if stem.is_empty() {
        stem.push_str("asset");
    }
    match ext.is_empty() {
        true => format!("_{stem}-{hash}"),
        false => format!("_{stem}-{hash}.{ext}"),
    }
}

/// `css` with each `url(...)` that names the file of an asset (by its file name, the last part
/// of the path `source`) naming its packed name instead; a `?query` or `#fragment` after it is
/// kept. Web addresses and `data:` URLs are left alone.
pub fn rewrite_css(css: &str, assets: &[MediaFile]) -> String {
    if assets.is_empty() {
        return css.to_string();
    }
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(at) = find_url(rest) {
        let (before, after) = rest.split_at(at + 4);
        out.push_str(before);
        let Some((value, end)) = url_value(after) else {
            rest = after;
            continue;
        };
        let (path, suffix) = value.split_at(value.find(['?', '#']).unwrap_or(value.len()));
        let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let asset = (!path.contains(':'))
            .then(|| assets.iter().find(|a| a.source.rsplit('/').next() == Some(file_name)))
            .flatten();
        match asset {
            Some(asset) => {
                let start = value.as_ptr() as usize - after.as_ptr() as usize;
                out.push_str(&after[..start]);
                out.push_str(&asset.name);
                out.push_str(suffix);
                out.push_str(&after[start + value.len()..end]);
            }
            None => out.push_str(&after[..end]),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Where the next `url(` is, in any case.
fn find_url(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(3)).find(|&i| bytes[i..i + 4].eq_ignore_ascii_case(b"url("))
}

/// The value of a `url(` whose text follows `after` (quotes and spaces around it removed), and
/// where its `)` ends; `None` if it is not closed.
fn url_value(after: &str) -> Option<(&str, usize)> {
    let trimmed = after.trim_start();
    let lead = after.len() - trimmed.len();
    let (value, close_from) = match trimmed.chars().next()? {
        quote @ ('"' | '\'') => {
            let inner = &trimmed[1..];
            let len = inner.find(quote)?;
            (&inner[..len], lead + 1 + len + 1)
        }
        _ => {
            let len = trimmed.find(')')?;
            (trimmed[..len].trim_end(), lead)
        }
    };
    let close = close_from + after[close_from..].find(')')?;
    Some((value, close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(source: &str, name: &str) -> MediaFile {
        MediaFile { name: name.into(), path: PathBuf::new(), source: source.into(), sha1: [0; 20], len: 0 }
    }

    #[test]
    fn an_asset_is_named_with_a_leading_underscore_and_its_hash() {
        let sha1 = [0xab; 20];
        assert_eq!(asset_name("Inter.WOFF2", &sha1), "_Inter-abababababab.woff2");
        assert_eq!(asset_name("_icons.ttf", &sha1), "_icons-abababababab.ttf");
        assert_eq!(asset_name("font", &sha1), "_font-abababababab");
        assert_ne!(asset_name("Inter.woff2", &[0xcd; 20]), asset_name("Inter.woff2", &sha1));
    }

    #[test]
    fn every_url_naming_the_asset_file_is_rewritten_whatever_its_folder_and_quotes() {
        let assets = [asset("fonts/Inter.woff2", "_Inter-0123456789ab.woff2")];
        let css = "@font-face { src: url(\"fonts/Inter.woff2\") format(\"woff2\"), URL( '../Inter.woff2?v=2#x' ), url(Inter.woff2); }";
        assert_eq!(
            rewrite_css(css, &assets),
            "@font-face { src: url(\"_Inter-0123456789ab.woff2\") format(\"woff2\"), URL( '_Inter-0123456789ab.woff2?v=2#x' ), url(_Inter-0123456789ab.woff2); }"
        );
    }

    #[test]
    fn other_urls_web_addresses_and_unclosed_urls_are_left_as_written() {
        let assets = [asset("fonts/Inter.woff2", "_Inter-0123456789ab.woff2")];
        for css in [
            "a { background: url(img/Inter.woff2x) }",
            "a { src: url(https://example.com/Inter.woff2) }",
            "a { src: url(data:font/woff2;base64,AAAA) }",
            "a { src: url(\"Inter.woff2 }",
            "no url at all, Inter.woff2",
        ] {
            assert_eq!(rewrite_css(css, &assets), css);
        }
    }
}
