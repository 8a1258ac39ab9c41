//! Documentation (OpenAPI JSON/YAML, Swagger UI, ReDoc — all assets served locally) and health.

use crate::http::middleware::Res;
use crate::openapi;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_swagger_ui::SwaggerUi;

const REDOC_JS: &[u8] = include_bytes!("../../assets/redoc.standalone.js");

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

/// The OpenAPI document (JSON; `?format=yaml` for YAML).
pub async fn schema(req: HttpRequest) -> HttpResponse {
    let wants_yaml = url::form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| k == "format" && (v == "yaml" || v == "openapi"));
    if wants_yaml {
        match openapi::yaml() {
            Ok(y) => HttpResponse::Ok()
                .content_type("application/yaml; charset=utf-8")
                .body(y),
            Err(e) => {
                tracing::error!(error = %e, "openapi yaml");
                HttpResponse::InternalServerError()
                    .json(serde_json::json!({"detail": crate::http::error::INTERNAL}))
            }
        }
    } else {
        HttpResponse::Ok()
            .content_type("application/vnd.oai.openapi+json")
            .body(openapi::json().to_string())
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
        .body(REDOC_JS)
}

#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    pub status: String,
}

/// Liveness and database check.
#[utoipa::path(get, path = "/api/v1/health/", tag = "Documentação", responses((status = 200, body = HealthOut), (status = 503)))]
pub async fn health(state: web::Data<crate::state::AppState>) -> HttpResponse {
    match state.db.ping().await {
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
                .config(utoipa_swagger_ui::Config::new(["/api/schema/"])),
        )
        // Swagger UI only answers GET: other methods get the JSON 405 with `Allow`.
        .service(
            Res::new("/api/docs/{_:.*}", false)
                .served_elsewhere("GET")
                .build(),
        )
        .service(Res::new("/api/redoc/", false).get(redoc).build())
        .service(web::resource("/api/redoc/redoc.standalone.js").route(web::get().to(redoc_js)))
        .service(Res::new("/api/v1/health/", false).get(health).build());
}
