//! The OpenAPI document, generated from the handlers and DTOs.

use crate::routes::{
    atendimento, auth, authz, automacoes, chats, clientes, config, contatos, docs, documentos,
    integrations, media, presence, relatorios, whatsapp, whatsapp_webhooks, ws,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct JwtScheme;

impl Modify for JwtScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        components.add_security_scheme("jwt", SecurityScheme::Http(http));
    }
}

/// The document's head; the paths and schemas come from each area's `AreaDoc`.
#[derive(OpenApi)]
#[openapi(
    info(title = "DX Connect API", version = "1.0.0",
         description = "Atendimento via WhatsApp: clientes, contatos, documentos, filas e atendimentos."),
    modifiers(&JwtScheme),
)]
pub struct ApiDoc;

/// Adds the documentation pages themselves (served outside utoipa's handlers).
fn with_doc_pages(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::{ResponseBuilder, Responses};
    for (path, id, summary) in [
        (
            "/api/schema/",
            "docs_schema",
            "OpenAPI 3 document (JSON; ?format=yaml for YAML)",
        ),
        ("/api/docs/", "docs_swagger_ui", "Swagger UI"),
        ("/api/redoc/", "docs_redoc", "ReDoc"),
    ] {
        let mut responses = Responses::new();
        responses.responses.insert(
            "200".into(),
            ResponseBuilder::new().description("OK").build().into(),
        );
        let op = OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .tag("Documentação")
            .responses(responses)
            .build();
        doc.paths
            .paths
            .insert(path.into(), PathItem::new(HttpMethod::Get, op));
    }
    doc
}

/// Every area's document. A new area adds its `AreaDoc` here.
fn areas() -> Vec<utoipa::openapi::OpenApi> {
    vec![
        auth::AreaDoc::openapi(),
        clientes::AreaDoc::openapi(),
        authz::AreaDoc::openapi(),
        contatos::AreaDoc::openapi(),
        integrations::AreaDoc::openapi(),
        documentos::AreaDoc::openapi(),
        config::AreaDoc::openapi(),
        media::AreaDoc::openapi(),
        docs::AreaDoc::openapi(),
        whatsapp::AreaDoc::openapi(),
        whatsapp_webhooks::AreaDoc::openapi(),
        presence::AreaDoc::openapi(),
        ws::AreaDoc::openapi(),
        chats::AreaDoc::openapi(),
        atendimento::AreaDoc::openapi(),
        relatorios::AreaDoc::openapi(),
        automacoes::AreaDoc::openapi(),
    ]
}

/// Gives every response without a description its status's reason phrase ("OK", "Not Found").
/// OpenAPI 3.1 requires the field, and utoipa 6 leaves an empty description out of the
/// document (utoipa 5 wrote `""`), so a response declared without one would make the document
/// invalid.
fn describe_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in operations.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|n| actix_web::http::StatusCode::from_u16(n).ok())
                        .and_then(|code| code.canonical_reason())
                        .unwrap_or("Response")
                        .to_string();
                }
            }
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for area in areas() {
        doc.merge(area);
    }
    describe_responses(&mut doc);
    with_doc_pages(doc)
}

pub fn json() -> serde_json::Value {
    static DOC: std::sync::LazyLock<serde_json::Value> =
        std::sync::LazyLock::new(|| serde_json::to_value(document()).unwrap_or_default());
    DOC.clone()
}

/// The document as JSON text, serialized from the document itself (not from a
/// `serde_json::Value`, whose maps sort their keys) so the top-level keys keep the usual order:
/// `openapi`, `info`, `paths`, `components`.
pub fn json_text(pretty: bool) -> Result<String, serde_json::Error> {
    if pretty {
        serde_json::to_string_pretty(&document())
    } else {
        serde_json::to_string(&document())
    }
}

/// The document as YAML, in the usual key order (see [`json_text`]).
pub fn yaml() -> Result<String, serde_yaml::Error> {
    serde_yaml::to_string(&document())
}

/// The served JSON text, built once.
pub fn served_json() -> Result<&'static str, String> {
    static TEXT: std::sync::LazyLock<Result<String, String>> =
        std::sync::LazyLock::new(|| json_text(false).map_err(|e| e.to_string()));
    TEXT.as_deref().map_err(Clone::clone)
}

/// The served YAML text, built once.
pub fn served_yaml() -> Result<&'static str, String> {
    static TEXT: std::sync::LazyLock<Result<String, String>> =
        std::sync::LazyLock::new(|| yaml().map_err(|e| e.to_string()));
    TEXT.as_deref().map_err(Clone::clone)
}
