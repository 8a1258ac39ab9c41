//! Pagination and ordering primitives shared by every list.

/// Default and maximum page sizes (contract §1.5, §9).
pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Which page to return. `page` is 1-based; `None` means "the last page".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: Option<u64>,
    pub page_size: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: Some(1),
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl PageRequest {
    /// Parses the raw `page` and `page_size` query values. `Err(())` when `page` is not a
    /// positive integer or `last` (the caller answers `404 Página inválida.`).
    #[allow(clippy::result_unit_err)]
    pub fn parse(page: Option<&str>, page_size: Option<&str>) -> Result<Self, ()> {
        let page_size = match page_size.map(str::trim).map(parse_positive) {
            Some(Positive::Fits(n)) => n.min(MAX_PAGE_SIZE),
            // An integer too large for u64 is still "more than 100": capped, not the default.
            Some(Positive::TooLarge) => MAX_PAGE_SIZE,
            _ => DEFAULT_PAGE_SIZE,
        };
        let page = match page.map(str::trim) {
            None | Some("") => Some(1),
            Some("last") => None,
            Some(s) => match parse_positive(s) {
                Positive::Fits(n) => Some(n),
                _ => return Err(()),
            },
        };
        Ok(Self { page, page_size })
    }

    /// Resolves the page number against the total count. `None` = out of range.
    pub fn resolve(&self, count: u64) -> Option<u64> {
        let pages = Self::num_pages(count, self.page_size);
        let n = self.page.unwrap_or(pages);
        (n >= 1 && n <= pages).then_some(n)
    }

    pub fn num_pages(count: u64, page_size: u64) -> u64 {
        if count == 0 {
            1
        } else {
            count.div_ceil(page_size)
        }
    }

    /// Row offset of the 1-based `page`. `None` when it overflows or does not fit in the
    /// database's signed 64-bit `OFFSET` (no table holds that many rows, so such a page can
    /// never exist: the caller answers `404 Página inválida.`).
    pub fn offset(&self, page: u64) -> Option<u64> {
        page.checked_sub(1)?
            .checked_mul(self.page_size)
            .filter(|o| i64::try_from(*o).is_ok())
    }
}

enum Positive {
    Fits(u64),
    TooLarge,
    Invalid,
}

/// A positive decimal integer (ASCII digits, optional `+`); `TooLarge` past `u64::MAX`.
fn parse_positive(s: &str) -> Positive {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Positive::Invalid;
    }
    match digits.parse::<u64>() {
        Ok(0) => Positive::Invalid,
        Ok(n) => Positive::Fits(n),
        Err(_) => Positive::TooLarge,
    }
}

/// One page of results, as returned by repositories.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub count: u64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> Page<T> {
    pub fn has_next(&self) -> bool {
        self.page < PageRequest::num_pages(self.count, self.page_size)
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            count: self.count,
            page: self.page,
            page_size: self.page_size,
        }
    }
}

/// One ordering key: a whitelisted field name and direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    pub field: &'static str,
    pub desc: bool,
}

impl OrderBy {
    /// Parses `?ordering=a,-b` keeping only names in `allowed` (unknown names are ignored).
    /// Falls back to `default` when nothing valid remains.
    pub fn parse(raw: Option<&str>, allowed: &[&'static str], default: &[OrderBy]) -> Vec<OrderBy> {
        let mut out = Vec::new();
        if let Some(raw) = raw {
            for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (desc, name) = match part.strip_prefix('-') {
                    Some(n) => (true, n),
                    None => (false, part),
                };
                if let Some(field) = allowed.iter().find(|a| **a == name)
                    && !out.iter().any(|o: &OrderBy| o.field == *field)
                {
                    out.push(OrderBy { field, desc });
                }
            }
        }
        if out.is_empty() {
            default.to_vec()
        } else {
            out
        }
    }

    pub const fn asc(field: &'static str) -> Self {
        Self { field, desc: false }
    }

    pub const fn desc(field: &'static str) -> Self {
        Self { field, desc: true }
    }
}

/// The requested page does not exist (the contract's `404 {"detail":"Página inválida."}`).
pub fn invalid_page() -> crate::DomainError {
    crate::DomainError::InvalidPage
}

/// Most terms one `?search=` (or `?q=`) value may hold: every term adds a condition, and a few
/// hundred of them exceed SQLite's expression-depth limit.
pub const MAX_SEARCH_TERMS: usize = 20;
/// Longest search term, in characters (longer than any short text column of a list).
pub const MAX_SEARCH_TERM_CHARS: usize = 100;

pub fn too_many_search_terms() -> String {
    format!("Informe no máximo {MAX_SEARCH_TERMS} termos de busca.")
}

pub fn search_term_too_long() -> String {
    format!("Cada termo de busca pode ter no máximo {MAX_SEARCH_TERM_CHARS} caracteres.")
}

/// Splits a `?search=` value into lowercase terms (all must match). NUL characters are
/// dropped first, as DRF's `SearchFilter` does: no stored text holds one, and neither
/// PostgreSQL parameters nor FTS5 queries accept them. More than [`MAX_SEARCH_TERMS`] terms,
/// or a term longer than [`MAX_SEARCH_TERM_CHARS`], is a 400 under `key` (no terms kept).
pub fn search_terms(key: &str, raw: Option<&str>, errors: &mut crate::FieldErrors) -> Vec<String> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    let cleaned = raw.replace('\0', "");
    let mut terms = Vec::new();
    for term in cleaned.split_whitespace() {
        if terms.len() == MAX_SEARCH_TERMS {
            errors.add(key, too_many_search_terms());
            return Vec::new();
        }
        if term.chars().count() > MAX_SEARCH_TERM_CHARS {
            errors.add(key, search_term_too_long());
            return Vec::new();
        }
        terms.push(term.to_lowercase());
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_request_parsing() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap(),
            PageRequest::default()
        );
        let p = PageRequest::parse(Some("3"), Some("500")).unwrap();
        assert_eq!((p.page, p.page_size), (Some(3), 100));
        let p = PageRequest::parse(Some("last"), Some("0")).unwrap();
        assert_eq!((p.page, p.page_size), (None, 20));
        let p = PageRequest::parse(None, Some("abc")).unwrap();
        assert_eq!(p.page_size, 20);
        assert!(PageRequest::parse(Some("0"), None).is_err());
        assert!(PageRequest::parse(Some("x"), None).is_err());
    }

    #[test]
    fn page_resolution() {
        let p = PageRequest {
            page: Some(2),
            page_size: 20,
        };
        assert_eq!(p.resolve(21), Some(2));
        assert_eq!(p.resolve(20), None);
        assert_eq!(
            PageRequest {
                page: Some(1),
                page_size: 20
            }
            .resolve(0),
            Some(1)
        );
        assert_eq!(
            PageRequest {
                page: None,
                page_size: 20
            }
            .resolve(41),
            Some(3)
        );
        assert_eq!(p.offset(2), Some(20));
    }

    #[test]
    fn huge_pages_have_no_offset() {
        let p = PageRequest::parse(Some("9223372036854775807"), Some("100")).unwrap();
        assert_eq!(p.resolve(1_000), None);
        assert_eq!(p.offset(p.page.unwrap()), None);
        let p = PageRequest {
            page: Some(u64::MAX),
            page_size: 1,
        };
        assert_eq!(p.offset(u64::MAX), None);
        assert_eq!(p.offset((i64::MAX as u64) + 1), Some(i64::MAX as u64));
        assert_eq!(p.offset((i64::MAX as u64) + 2), None);
        assert_eq!(p.offset(0), None);
        assert!(PageRequest::parse(Some("99999999999999999999999"), None).is_err());
        assert!(PageRequest::parse(Some("-1"), None).is_err());
        assert!(PageRequest::parse(Some("-9223372036854775808"), None).is_err());
    }

    #[test]
    fn huge_page_sizes_are_capped() {
        let p = PageRequest::parse(None, Some("99999999999999999999999")).unwrap();
        assert_eq!(p.page_size, MAX_PAGE_SIZE);
        let p = PageRequest::parse(None, Some("-99999999999999999999999")).unwrap();
        assert_eq!(p.page_size, DEFAULT_PAGE_SIZE);
        let p = PageRequest::parse(None, Some("+7")).unwrap();
        assert_eq!(p.page_size, 7);
        let p = PageRequest::parse(None, Some("1e3")).unwrap();
        assert_eq!(p.page_size, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn ordering_whitelist() {
        let d = [OrderBy::desc("criado_em")];
        let o = OrderBy::parse(
            Some("-status,bogus,razao_social"),
            &["status", "razao_social"],
            &d,
        );
        assert_eq!(
            o,
            vec![OrderBy::desc("status"), OrderBy::asc("razao_social")]
        );
        assert_eq!(OrderBy::parse(Some("bogus"), &["status"], &d), d.to_vec());
        assert_eq!(OrderBy::parse(None, &["status"], &d), d.to_vec());
    }

    fn terms(raw: Option<&str>) -> Result<Vec<String>, serde_json::Value> {
        let mut e = crate::FieldErrors::new();
        let t = search_terms("search", raw, &mut e);
        if e.is_empty() {
            Ok(t)
        } else {
            Err(e.into_json())
        }
    }

    #[test]
    fn search_terms_split() {
        assert_eq!(terms(Some(" Foo  bAr ")).unwrap(), vec!["foo", "bar"]);
        assert_eq!(terms(Some("ab\0cd \0")).unwrap(), vec!["abcd"]);
        assert!(terms(None).unwrap().is_empty());
    }

    #[test]
    fn search_terms_are_bounded() {
        let twenty = vec!["a"; MAX_SEARCH_TERMS].join(" ");
        assert_eq!(terms(Some(&twenty)).unwrap().len(), MAX_SEARCH_TERMS);
        assert_eq!(
            terms(Some(&format!("{twenty} b"))).unwrap_err(),
            serde_json::json!({"search": ["Informe no máximo 20 termos de busca."]})
        );
        let long = "é".repeat(MAX_SEARCH_TERM_CHARS);
        assert_eq!(terms(Some(&long)).unwrap(), vec![long.clone()]);
        assert_eq!(
            terms(Some(&format!("x {long}é"))).unwrap_err(),
            serde_json::json!({"search": ["Cada termo de busca pode ter no máximo 100 caracteres."]})
        );
    }
}
