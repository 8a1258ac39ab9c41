//! Text folding for search: what a haystack is stored as and a needle is compared as, so that
//! `?search=` ignores case and accents alike on every database ("joao" finds "JOÃO").

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `s` lowercased with its diacritics removed: canonical decomposition (NFD), combining marks
/// dropped, then lowercase. Letters without a decomposition (`ß`, `ø`) are kept as they are.
pub fn search_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::search_fold;

    #[test]
    fn folds_case_and_portuguese_accents() {
        assert_eq!(search_fold("JOÃO Ação Ç é À ü"), "joao acao c e a u");
        assert_eq!(
            search_fold("Padaria São José LTDA"),
            "padaria sao jose ltda"
        );
        // Decomposed input (a + U+0303) folds like the precomposed letter.
        assert_eq!(search_fold("Sa\u{0303}o"), "sao");
        assert_eq!(search_fold("12.345.678/0001-90"), "12.345.678/0001-90");
        assert_eq!(search_fold("Straße"), "straße");
        assert_eq!(search_fold(""), "");
    }
}
