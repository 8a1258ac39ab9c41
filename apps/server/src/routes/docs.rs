//! Documentation (OpenAPI JSON/YAML, Swagger UI, ReDoc — all assets served locally) and health.

use crate::http::MaybeAuth;
use crate::http::middleware::Res;
use crate::openapi;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use std::sync::LazyLock;
use utoipa::ToSchema;
use utoipa_swagger_ui::SwaggerUi;

const REDOC_JS: &str = include_str!("../../assets/redoc.standalone.js");

/// Whether the service can answer (the database is reachable): the health check's port.
#[async_trait::async_trait]
pub trait Readiness: Send + Sync {
    async fn ping(&self) -> Result<(), String>;
}

/// What this area's handlers use.
pub struct Area {
    pub config: std::sync::Arc<configuracoes::ConfigService>,
    pub readiness: std::sync::Arc<dyn Readiness>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            config: s.config.clone(),
            readiness: s.readiness.clone(),
        }
    }
}

/// The "API docs by Redocly" logo, which the bundle would fetch from Redocly's CDN.
const REDOC_REMOTE_LOGO: &str = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const REDOC_LOCAL_LOGO: &str = "/api/redoc/logo-mini.svg";
const REDOC_LOGO_SVG: &str = include_str!("../../assets/logo-mini.svg");
/// The built-in favicon, served when the appearance settings have none.
const FAVICON_ICO: &[u8] = include_bytes!("../../assets/favicon.ico");

/// The ReDoc bundle with every remote asset pointed at this server.
static REDOC_JS_LOCAL: LazyLock<String> =
    LazyLock::new(|| REDOC_JS.replace(REDOC_REMOTE_LOGO, REDOC_LOCAL_LOGO));

const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html lang="pt-BR">
<head>
  <meta charset="utf-8">
  <title>DX Connect API — ReDoc</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <style>body { margin: 0; padding: 0; }</style>
</head>
<body>
  <redoc spec-url="/api/schema/"></redoc>
  <script src="/api/redoc/redoc.standalone.js"></script>
</body>
</html>
"#;

/// The OpenAPI document (JSON; `?format=yaml` for YAML). Public, but a present invalid token
/// is a 401 (§1.2).
pub async fn schema(req: HttpRequest, _who: MaybeAuth) -> HttpResponse {
    let wants_yaml = url::form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| k == "format" && (v == "yaml" || v == "openapi"));
    let (text, content_type) = if wants_yaml {
        (openapi::served_yaml(), "application/yaml; charset=utf-8")
    } else {
        (openapi::served_json(), "application/vnd.oai.openapi+json")
    };
    match text {
        Ok(t) => HttpResponse::Ok().content_type(content_type).body(t),
        Err(e) => {
            tracing::error!(error = %e, "openapi document");
            HttpResponse::InternalServerError()
                .json(serde_json::json!({"detail": crate::http::error::INTERNAL}))
        }
    }
}

pub async fn redoc() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(REDOC_HTML)
}

pub async fn redoc_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(REDOC_JS_LOCAL.as_str())
}

pub async fn redoc_logo() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(REDOC_LOGO_SVG)
}

/// A stored appearance file's URL (`/media/appearance/<name>`), when it is one.
fn local_appearance_url(url: &str) -> Option<&str> {
    let name = url.strip_prefix("/media/appearance/")?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    plain.then_some(url)
}

/// `/favicon.ico`: the favicon of the appearance settings (a redirect to the stored file) or
/// the built-in one.
pub async fn favicon(state: web::Data<Area>) -> HttpResponse {
    let configured = match state.config.appearance().await {
        Ok(section) => section
            .favicon_url
            .as_deref()
            .and_then(local_appearance_url)
            .map(str::to_string),
        Err(e) => {
            tracing::warn!(error = %e, "favicon: appearance settings unreadable");
            None
        }
    };
    match configured {
        Some(url) => HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .finish(),
        None => HttpResponse::Ok()
            .content_type("image/x-icon")
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(FAVICON_ICO),
    }
}

#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
}

/// Liveness and database check.
#[utoipa::path(get, operation_id = "docs_health", path = "/api/v1/health/", tag = "Documentação", responses((status = 200, body = HealthOut), (status = 503)))]
pub async fn health(_who: MaybeAuth, state: web::Data<Area>) -> HttpResponse {
    match state.readiness.ping().await {
        Ok(()) => HttpResponse::Ok().json(HealthOut {
            status: "ok".into(),
        }),
        Err(e) => {
            tracing::error!(error = %e, "health: database unreachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"}))
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(Res::new("/api/schema/", false).get(schema).build())
        .service(
            SwaggerUi::new("/api/docs/{_:.*}")
                // No badge from the public validator service: nothing is loaded from outside.
                .config(utoipa_swagger_ui::Config::new(["/api/schema/"]).validator_url("none")),
        )
        // Swagger UI only answers GET: other methods get the JSON 405 with `Allow`.
        .service(
            Res::new("/api/docs/{_:.*}", false)
                .served_elsewhere("GET")
                .build(),
        )
        .service(Res::new("/api/redoc/", false).get(redoc).build())
        .service(web::resource("/api/redoc/redoc.standalone.js").route(web::get().to(redoc_js)))
        .service(web::resource(REDOC_LOCAL_LOGO).route(web::get().to(redoc_logo)))
        .service(Res::new("/favicon.ico", false).get(favicon).build())
        .service(Res::new("/api/v1/health/", false).get(health).build());
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(health,), components(schemas(HealthOut,)))]
pub struct AreaDoc;
