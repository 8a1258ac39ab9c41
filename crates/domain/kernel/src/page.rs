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
        let page_size = match page_size.and_then(|s| s.trim().parse::<i64>().ok()) {
            Some(n) if n >= 1 => (n as u64).min(MAX_PAGE_SIZE),
            _ => DEFAULT_PAGE_SIZE,
        };
        let page = match page.map(str::trim) {
            None | Some("") => Some(1),
            Some("last") => None,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n >= 1 => Some(n),
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

    pub fn offset(&self, page: u64) -> u64 {
        (page - 1) * self.page_size
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

/// The contract's `404 {"detail":"Página inválida."}`.
pub fn invalid_page() -> crate::DomainError {
    crate::DomainError::rejected(404, serde_json::json!({"detail": "Página inválida."}))
}

/// Splits a `?search=` value into lowercase terms (all must match). NUL characters are
/// dropped first, as DRF's `SearchFilter` does: no stored text holds one, and neither
/// PostgreSQL parameters nor FTS5 queries accept them.
pub fn search_terms(raw: Option<&str>) -> Vec<String> {
    raw.map(|s| {
        s.replace('\0', "")
            .split_whitespace()
            .map(|t| t.to_lowercase())
            .collect()
    })
    .unwrap_or_default()
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
        assert_eq!(p.offset(2), 20);
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

    #[test]
    fn search_terms_split() {
        assert_eq!(search_terms(Some(" Foo  bAr ")), vec!["foo", "bar"]);
        assert_eq!(search_terms(Some("ab\0cd \0")), vec!["abcd"]);
        assert!(search_terms(None).is_empty());
    }
}
