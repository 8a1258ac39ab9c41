//! Cross-cutting middleware: request id + access log, canonical trailing slash, and the
//! resource helper that answers 405 with `Allow`.

use super::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{HttpServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, Handler, HttpRequest, HttpResponse, Responder, web};
use futures_util::Stream;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A fresh request id: a uuid4 as 32 lowercase hex characters (thread-local RNG, no syscall).
fn new_request_id() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    HeaderValue::from_str(id.simple().encode_lower(&mut uuid::Uuid::encode_buffer()))
        .unwrap_or(HeaderValue::from_static("0"))
}

/// Echoes or generates `X-Request-Id` and logs one line per request (no bodies, no tokens).
pub async fn request_id_and_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .cloned()
        .unwrap_or_else(new_request_id);
    let log = tracing::enabled!(tracing::Level::INFO);
    let started = log.then(|| (Instant::now(), req.method().clone(), req.path().to_string()));
    // Errors logged while the request runs (a 5xx's cause) carry its id.
    let span = tracing::error_span!("request", request_id = id.to_str().unwrap_or(""));
    let mut res = tracing::Instrument::instrument(next.call(req), span).await?;
    if let Some((at, method, path)) = started {
        tracing::info!(
            request_id = id.to_str().unwrap_or(""),
            %method,
            path,
            status = res.status().as_u16(),
            latency_us = at.elapsed().as_micros() as u64,
            "request"
        );
    }
    res.headers_mut().insert(REQUEST_ID, id);
    Ok(res)
}

/// Paths that are canonical without a trailing slash.
const LEGACY: [&str; 4] = [
    "/api/v1/whatsapp/messages",
    "/api/v1/whatsapp/session/start",
    "/api/v1/whatsapp/session",
    "/api/v1/whatsapp/session/status",
];

fn wants_slash(path: &str) -> bool {
    if path.ends_with('/') || LEGACY.contains(&path) || path.starts_with("/media/") {
        return false;
    }
    // File-like paths (documentation assets) keep their name.
    !path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// The redirect target for `path`: always a path on this server. A leading run of `/` or `\`
/// (which browsers read as a scheme-relative `//host/…`, off-site) collapses into one `/`.
fn local_target(path: &str, query: &str) -> String {
    let rest = path.trim_start_matches(['/', '\\']);
    let path = if rest.is_empty() {
        "/".to_string()
    } else {
        format!("/{rest}/")
    };
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

/// GET/HEAD without the trailing slash → 301 to the slashed path (on this server); other
/// methods are routed as if the slash were there.
pub async fn trailing_slash(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let path = req.path().to_string();
    if wants_slash(&path) {
        if matches!(*req.method(), Method::GET | Method::HEAD) {
            let resp = HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, local_target(&path, req.query_string())))
                .finish();
            return Ok(req.into_response(resp).map_into_right_body());
        }
        let query = req.query_string().to_string();
        let target = if query.is_empty() {
            format!("{path}/")
        } else {
            format!("{path}/?{query}")
        };
        let mut parts = req.head().uri.clone().into_parts();
        if let Ok(pq) = target.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The Content-Security-Policy of the documentation pages: our own assets only. ReDoc needs
/// inline styles (styled-components) and a `blob:` worker (its search index); both UIs use
/// `data:` images in their CSS. No remote host is allowed anywhere.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; \
    form-action 'self'; frame-ancestors 'none'";

fn is_docs_page(path: &str) -> bool {
    path.starts_with("/api/docs/") || path.starts_with("/api/redoc/")
}

/// `X-Content-Type-Options`, `Referrer-Policy` and `X-Frame-Options` on every response, and
/// the documentation pages' CSP. Headers a handler set itself are kept.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let docs = is_docs_page(req.path());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_FRAME_OPTIONS, "DENY");
    if docs {
        set(header::CONTENT_SECURITY_POLICY, DOCS_CSP);
    }
    Ok(res)
}

/// How long a request body may take to arrive: this base time, plus one second for every
/// [`BODY_RATE_CREDIT`] bytes received. An upload that keeps going at that rate or faster never
/// runs out; a body dripping a byte at a time is cut off after the base time, whatever the gaps
/// between its chunks. Registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// Bytes of body that buy one more second (64 KiB/s, a slow mobile uplink).
pub const BODY_RATE_CREDIT: u64 = 64 * 1024;

pub const BODY_TIMEOUT_MESSAGE: &str = "Tempo esgotado aguardando o corpo da requisição.";

/// A request payload that fails once its deadline has passed, and says so in `fired`.
struct DeadlinePayload {
    inner: actix_web::dev::Payload,
    started: tokio::time::Instant,
    base: Duration,
    received: u64,
    deadline: Pin<Box<tokio::time::Sleep>>,
    fired: Rc<Cell<bool>>,
    done: bool,
}

impl Stream for DeadlinePayload {
    type Item = Result<web::Bytes, actix_web::error::PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            match &item {
                None => self.done = true,
                Some(Ok(chunk)) => {
                    self.received += chunk.len() as u64;
                    let credit = Duration::from_millis(self.received * 1000 / BODY_RATE_CREDIT);
                    let at = self.started + self.base + credit;
                    self.deadline.as_mut().reset(at);
                }
                Some(Err(_)) => {}
            }
            return Poll::Ready(item);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.done = true;
            self.fired.set(true);
            return Poll::Ready(Some(Err(actix_web::error::PayloadError::Io(
                std::io::Error::new(std::io::ErrorKind::TimedOut, BODY_TIMEOUT_MESSAGE),
            ))));
        }
        Poll::Pending
    }
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// Puts a deadline on reading the request body ([`BodyTimeout`]). When it passes, the handler
/// sees a payload error and the client gets a JSON 408 on a connection that is then closed, so
/// a slow client cannot hold a connection (and its file descriptor) open.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let timeout = req.app_data::<BodyTimeout>().map(|t| t.0);
    let fired = Rc::new(Cell::new(false));
    if let Some(timeout) = timeout.filter(|_| has_body(&req)) {
        let started = tokio::time::Instant::now();
        let payload = DeadlinePayload {
            inner: actix_web::HttpMessage::take_payload(&mut req),
            started,
            base: timeout,
            received: 0,
            deadline: Box::pin(tokio::time::sleep_until(started + timeout)),
            fired: fired.clone(),
            done: false,
        };
        let boxed: Pin<Box<dyn Stream<Item = _>>> = Box::pin(payload);
        req.set_payload(actix_web::dev::Payload::from(boxed));
    }
    let res = next.call(req).await?;
    if fired.get() {
        let mut resp = HttpResponse::RequestTimeout()
            .json(serde_json::json!({"detail": BODY_TIMEOUT_MESSAGE}));
        resp.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(res.into_response(resp).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

/// A request whose target was too long to route ([`super::uri_guard`]) → JSON 414, and the
/// connection is closed.
pub async fn uri_too_long(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if req.path() == super::uri_guard::URI_TOO_LONG_PATH {
        let mut resp = HttpResponse::build(StatusCode::URI_TOO_LONG)
            .json(serde_json::json!({"detail": "URI muito longa."}));
        resp.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(req.into_response(resp).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Unknown route → JSON 404.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({"detail": super::error::NOT_FOUND}))
}

/// A resource that knows its methods, answering others with 405 + `Allow` (after
/// authentication, as the original does).
pub struct Res {
    resource: actix_web::Resource,
    methods: Vec<&'static str>,
    auth: bool,
}

macro_rules! method {
    ($name:ident, $route:ident, $label:literal) => {
        pub fn $name<F, Args>(mut self, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.resource = self.resource.route(web::$route().to(handler));
            self.methods.push($label);
            self
        }
    };
}

impl Res {
    /// `auth`: whether anonymous calls get 401 (also for wrong methods).
    pub fn new(path: &str, auth: bool) -> Self {
        Self {
            resource: web::resource(path),
            methods: Vec::new(),
            auth,
        }
    }

    method!(get, get, "GET");
    method!(post, post, "POST");
    method!(put, put, "PUT");
    method!(patch, patch, "PATCH");
    method!(delete, delete, "DELETE");

    /// A method answered by a service registered before this resource (Swagger UI's GET, say):
    /// it is only listed in `Allow`.
    pub fn served_elsewhere(mut self, label: &'static str) -> Self {
        self.methods.push(label);
        self
    }

    pub fn build(self) -> impl HttpServiceFactory {
        let mut allow: Vec<&str> = self.methods.clone();
        if allow.contains(&"GET") {
            allow.push("HEAD");
        }
        allow.push("OPTIONS");
        let allow = allow.join(", ");
        let auth = self.auth;
        self.resource
            .default_service(web::to(move |req: HttpRequest| {
                let allow = allow.clone();
                async move { method_not_allowed(req, allow, auth).await }
            }))
    }
}

async fn method_not_allowed(
    req: HttpRequest,
    allow: String,
    auth: bool,
) -> Result<HttpResponse, ApiError> {
    let mut payload = actix_web::dev::Payload::None;
    let who = super::auth::MaybeAuth::from_request(&req, &mut payload).await?;
    if auth && who.0.is_none() {
        return Err(ApiError::NoCredentials);
    }
    if req.method() == Method::OPTIONS {
        return Ok(HttpResponse::Ok()
            .insert_header((header::ALLOW, allow))
            .finish());
    }
    Ok(HttpResponse::build(StatusCode::METHOD_NOT_ALLOWED)
        .insert_header((header::ALLOW, allow))
        .json(
            serde_json::json!({"detail": format!("Método \"{}\" não é permitido.", req.method())}),
        ))
}
