//! The agents' main screen, `GET /api/v1/chats/`, answered from the serialized pages of
//! earlier requests while the database says nothing they show has changed.
//!
//! Correctness rule: a page is stored under the list version
//! ([`atendimento::chats::ChatService::list_version`]) read *before* the page was queried, and
//! served only while the database still answers that version. The version moves inside every
//! transaction that writes anything a page shows, so a stored page is never older than the
//! version it is stored under: the first request after any committed write, by any process on
//! the database, misses and reads the page again. The key is the filter *with the caller's
//! scope applied*, so an agent is only ever served pages of its own scope.
//!
//! A store that keeps no version (PostgreSQL) caches nothing.

use actix_web::web::Bytes;
use atendimento::commands::ChatFilter;
use moka::policy::EvictionPolicy;

/// Total size of the pages kept (bytes).
const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Pages larger than this (a whole list of thousands of rows, asked without `limit`) are not
/// kept: they would push out the pages the agents' screens keep asking for.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// Serialized list pages by scoped filter, each with the version it was read under.
pub struct ChatPages {
    pages: moka::sync::Cache<ChatFilter, (i64, Bytes)>,
}

impl Default for ChatPages {
    fn default() -> Self {
        Self {
            pages: moka::sync::Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(|_: &ChatFilter, (_, body): &(i64, Bytes)| {
                    u32::try_from(body.len()).unwrap_or(u32::MAX)
                })
                .eviction_policy(EvictionPolicy::lru())
                .build(),
        }
    }
}

impl ChatPages {
    /// The page stored for `filter` when it was read under `version`.
    pub fn get(&self, filter: &ChatFilter, version: i64) -> Option<Bytes> {
        let (v, body) = self.pages.get(filter)?;
        (v == version).then_some(body)
    }

    /// Keeps `body` as the page of `filter` read under `version` (unless it is too large).
    /// A page read under an older version than the one stored is dropped.
    pub fn put(&self, filter: ChatFilter, version: i64, body: Bytes) {
        if body.len() > MAX_PAGE_BYTES {
            return;
        }
        if let Some((stored, _)) = self.pages.get(&filter)
            && stored > version
        {
            return;
        }
        self.pages.insert(filter, (version, body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atendimento::commands::ChatSort;

    fn filter(scope: Option<i64>) -> ChatFilter {
        ChatFilter {
            sort: ChatSort::LastMessage,
            descending: true,
            scope,
            ..Default::default()
        }
    }

    #[test]
    fn a_page_is_served_only_under_the_version_it_was_read_with() {
        let pages = ChatPages::default();
        pages.put(filter(None), 7, Bytes::from_static(b"[1]"));
        assert_eq!(pages.get(&filter(None), 7).as_deref(), Some(&b"[1]"[..]));
        assert_eq!(pages.get(&filter(None), 8), None);
        assert_eq!(pages.get(&filter(None), 6), None);
    }

    #[test]
    fn scopes_never_share_pages() {
        let pages = ChatPages::default();
        pages.put(filter(None), 1, Bytes::from_static(b"[\"all\"]"));
        assert_eq!(pages.get(&filter(Some(2)), 1), None);
        pages.put(filter(Some(2)), 1, Bytes::from_static(b"[\"mine\"]"));
        assert_eq!(
            pages.get(&filter(Some(2)), 1).as_deref(),
            Some(&b"[\"mine\"]"[..])
        );
        assert_eq!(pages.get(&filter(Some(3)), 1), None);
        assert_eq!(
            pages.get(&filter(None), 1).as_deref(),
            Some(&b"[\"all\"]"[..])
        );
    }

    #[test]
    fn a_late_older_page_does_not_replace_a_newer_one() {
        let pages = ChatPages::default();
        pages.put(filter(None), 5, Bytes::from_static(b"new"));
        pages.put(filter(None), 4, Bytes::from_static(b"old"));
        assert_eq!(pages.get(&filter(None), 5).as_deref(), Some(&b"new"[..]));
        assert_eq!(pages.get(&filter(None), 4), None);
    }

    #[test]
    fn whole_lists_too_large_are_not_kept() {
        let pages = ChatPages::default();
        pages.put(filter(None), 1, Bytes::from(vec![b' '; MAX_PAGE_BYTES + 1]));
        assert_eq!(pages.get(&filter(None), 1), None);
    }
}
