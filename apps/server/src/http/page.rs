//! The pagination envelope with absolute `next`/`previous` links (contract §1.5).

use super::error::{ApiError, ApiResult};
use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use kernel::{Page, PageRequest};
use serde::Serialize;
use utoipa::ToSchema;

/// `{"count","next","previous","results"}`.
#[derive(Serialize, ToSchema)]
pub struct Paginated<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// Query pairs of the request in order.
pub fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn get<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn invalid_page() -> ApiError {
    ApiError::detail(StatusCode::NOT_FOUND, "Página inválida.")
}

/// `?page=` / `?page_size=` of the request.
pub fn page_request(q: &[(String, String)]) -> ApiResult<PageRequest> {
    PageRequest::parse(get(q, "page"), get(q, "page_size")).map_err(|_| invalid_page())
}

fn link(req: &HttpRequest, q: &[(String, String)], page: Option<u64>) -> String {
    let info = req.connection_info();
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in q.iter().filter(|(k, _)| k != "page") {
        ser.append_pair(k, v);
    }
    if let Some(p) = page {
        ser.append_pair("page", &p.to_string());
    }
    let qs = ser.finish();
    let base = format!("{}://{}{}", info.scheme(), info.host(), req.path());
    if qs.is_empty() {
        base
    } else {
        format!("{base}?{qs}")
    }
}

/// Builds the envelope, mapping each item.
pub fn paginate<T, U>(
    req: &HttpRequest,
    q: &[(String, String)],
    page: Page<T>,
    f: impl FnMut(T) -> U,
) -> Paginated<U> {
    let next = page.has_next().then(|| link(req, q, Some(page.page + 1)));
    let previous = page
        .has_previous()
        .then(|| link(req, q, (page.page > 2).then_some(page.page - 1)));
    Paginated {
        count: page.count,
        next,
        previous,
        results: page.items.into_iter().map(f).collect(),
    }
}
