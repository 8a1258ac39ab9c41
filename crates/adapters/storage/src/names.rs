//! Pure path rules: safe file names, safe relative directories and paths.

/// Longest base name we produce (before a collision suffix), extension included.
pub const MAX_NAME_LEN: usize = 100;
/// Longest extension kept (without the dot); longer "extensions" stay part of the stem.
const MAX_EXT_LEN: usize = 16;
/// Name used when nothing usable remains of the original.
pub const FALLBACK_NAME: &str = "arquivo";

/// ASCII folding of the Latin letters found in Portuguese (and neighbours); `None` when the
/// character has no ASCII form.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'Á' | 'À' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' => "A",
        'é' | 'è' | 'ê' | 'ë' | 'ē' => "e",
        'É' | 'È' | 'Ê' | 'Ë' | 'Ē' => "E",
        'í' | 'ì' | 'î' | 'ï' | 'ī' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' | 'Ī' => "I",
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' => "O",
        'ú' | 'ù' | 'û' | 'ü' | 'ū' => "u",
        'Ú' | 'Ù' | 'Û' | 'Ü' | 'Ū' => "U",
        'ç' => "c",
        'Ç' => "C",
        'ñ' => "n",
        'Ñ' => "N",
        'ý' | 'ÿ' => "y",
        'Ý' => "Y",
        'ß' => "ss",
        'æ' => "ae",
        'Æ' => "AE",
        'œ' => "oe",
        'Œ' => "OE",
        'º' => "o",
        'ª' => "a",
        _ => return None,
    })
}

/// Keeps `[A-Za-z0-9._-]` after folding accents; everything else (spaces, symbols, other
/// scripts) becomes `_`, and runs of `_` collapse to one.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let push = |piece: &str, out: &mut String| {
        for ch in piece.chars() {
            let ch = if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_') {
                ch
            } else {
                '_'
            };
            if ch == '_' && out.ends_with('_') {
                continue;
            }
            out.push(ch);
        }
    };
    for c in s.chars() {
        if c.is_ascii() {
            let mut buf = [0u8; 4];
            push(c.encode_utf8(&mut buf), &mut out);
        } else if let Some(folded) = fold(c) {
            push(folded, &mut out);
        } else if !is_combining_mark(c) {
            push("_", &mut out);
        }
    }
    out
}

/// Combining diacritics (decomposed accents, e.g. `a` + U+0303): dropped so `ã` typed either way
/// folds to `a`.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

fn trim_edges(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, '.' | '_' | '-'))
}

/// Cuts `s` to at most `max` bytes (all ASCII here, so bytes = chars).
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max { s } else { &s[..max] }
}

/// Derives a safe file name from a client-supplied one: directory components (`/` or `\`)
/// and `..` are dropped, accents are folded, only `[A-Za-z0-9._-]` remain, no leading dot,
/// at most [`MAX_NAME_LEN`] characters keeping the extension, [`FALLBACK_NAME`] when the
/// name (before the extension) is empty: `".env"` → `"arquivo.env"`.
///
/// `"../../etc/passwd"` → `"passwd"`, `"Relatório de Ação (1).PDF"` → `"Relatorio_de_Acao_1.PDF"`.
pub fn sanitize_file_name(original: &str) -> String {
    let base = original.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned = clean(base);
    let (stem, ext) = match cleaned.rfind('.') {
        Some(i) => {
            let ext = &cleaned[i + 1..];
            if !ext.is_empty()
                && ext.len() <= MAX_EXT_LEN
                && ext.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                (&cleaned[..i], Some(ext))
            } else {
                (cleaned.as_str(), None)
            }
        }
        None => (cleaned.as_str(), None),
    };
    // Dots inside the stem are harmless, but `..` sequences look like traversal in logs.
    let mut stem = stem.replace("..", "_");
    while stem.contains("__") {
        stem = stem.replace("__", "_");
    }
    let stem = trim_edges(&stem);
    let stem = if stem.is_empty() { FALLBACK_NAME } else { stem };
    match ext {
        Some(ext) => {
            let room = MAX_NAME_LEN.saturating_sub(ext.len() + 1);
            let stem = trim_edges(cut(stem, room));
            let stem = if stem.is_empty() { FALLBACK_NAME } else { stem };
            format!("{stem}.{ext}")
        }
        None => {
            let stem = trim_edges(cut(stem, MAX_NAME_LEN));
            if stem.is_empty() {
                FALLBACK_NAME.to_string()
            } else {
                stem.to_string()
            }
        }
    }
}

/// True for a component we accept verbatim in a stored path: non-empty, no leading dot (which
/// also excludes `.`, `..` and our hidden temporary files), only `[A-Za-z0-9._-]`.
fn is_safe_component(c: &str) -> bool {
    !c.is_empty()
        && !c.starts_with('.')
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Validates a relative directory such as `clientes/documentos`. Empty means the root. Absolute
/// paths, `..`, `.`, empty components, backslashes and unusual characters are refused (`None`).
/// A trailing `/` is tolerated.
pub fn sanitize_dir(dir: &str) -> Option<Vec<String>> {
    let dir = dir.strip_suffix('/').unwrap_or(dir);
    if dir.is_empty() {
        return Some(Vec::new());
    }
    dir.split('/')
        .map(|c| is_safe_component(c).then(|| c.to_string()))
        .collect()
}

/// Validates a stored path relative to the root (`clientes/documentos/x.pdf`): same rules as
/// [`sanitize_dir`] and it must name something (not empty, no trailing `/`).
pub fn sanitize_relative_path(path: &str) -> Option<Vec<String>> {
    if path.is_empty() || path.ends_with('/') {
        return None;
    }
    sanitize_dir(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_directories_and_traversal() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("/abs/x"), "x");
        assert_eq!(sanitize_file_name("a/../../b"), "b");
        assert_eq!(sanitize_file_name("C:\\Users\\x\\doc.pdf"), "doc.pdf");
        assert_eq!(sanitize_file_name(".."), FALLBACK_NAME);
        assert_eq!(sanitize_file_name("../"), FALLBACK_NAME);
        assert_eq!(sanitize_file_name("a..b.txt"), "a_b.txt");
    }

    #[test]
    fn folds_accents_and_replaces_symbols() {
        assert_eq!(
            sanitize_file_name("Relatório de Ação (1).PDF"),
            "Relatorio_de_Acao_1.PDF"
        );
        assert_eq!(
            sanitize_file_name("contrato_São_João.pdf"),
            "contrato_Sao_Joao.pdf"
        );
        assert_eq!(sanitize_file_name("ma\u{0303}e.txt"), "mae.txt");
        assert_eq!(sanitize_file_name("文件.pdf"), "arquivo.pdf");
        assert_eq!(sanitize_file_name("a   b.txt"), "a_b.txt");
    }

    #[test]
    fn no_leading_dot_and_fallbacks() {
        assert_eq!(sanitize_file_name(".htaccess"), "arquivo.htaccess");
        assert_eq!(sanitize_file_name("..pdf"), "arquivo.pdf");
        assert_eq!(sanitize_file_name(""), FALLBACK_NAME);
        assert_eq!(sanitize_file_name("   "), FALLBACK_NAME);
        assert_eq!(sanitize_file_name("###.pdf"), "arquivo.pdf");
        assert_eq!(sanitize_file_name("noext"), "noext");
        assert_eq!(sanitize_file_name("x.tar.gz"), "x.tar.gz");
    }

    #[test]
    fn length_is_limited_keeping_extension() {
        let long = format!("{}.pdf", "a".repeat(300));
        let name = sanitize_file_name(&long);
        assert_eq!(name.len(), MAX_NAME_LEN);
        assert!(name.ends_with(".pdf"));
        assert_eq!(sanitize_file_name(&"b".repeat(300)).len(), MAX_NAME_LEN);
    }

    #[test]
    fn dirs() {
        assert_eq!(
            sanitize_dir("clientes/documentos"),
            Some(vec!["clientes".into(), "documentos".into()])
        );
        assert_eq!(sanitize_dir(""), Some(vec![]));
        assert_eq!(sanitize_dir("appearance/"), Some(vec!["appearance".into()]));
        for bad in [
            "/abs", "a/../b", "..", "a//b", "./a", "a\\b", ".hidden", "a b",
        ] {
            assert_eq!(sanitize_dir(bad), None, "{bad}");
        }
        assert_eq!(sanitize_relative_path(""), None);
        assert_eq!(sanitize_relative_path("a/"), None);
        assert!(sanitize_relative_path("a/b.pdf").is_some());
    }
}
