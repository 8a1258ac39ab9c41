//! The OpenAPI document, generated from the handlers and DTOs.

use crate::dto::clientes as dc;
use crate::dto::documentos as dd;
use crate::http::page::Paginated;
use crate::routes::{
    auth, authz, clientes, config, contatos, docs, documentos, integrations, media,
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

#[derive(OpenApi)]
#[openapi(
    info(title = "DX Connect API", version = "1.0.0",
         description = "Atendimento via WhatsApp: clientes, contatos, documentos, filas e atendimentos."),
    modifiers(&JwtScheme),
    paths(
        auth::token, auth::refresh, auth::me,
        clientes::list, clientes::create, clientes::detail, clientes::update, clientes::partial_update,
        clientes::delete, clientes::search, clientes::by_status, clientes::set_status, clientes::stats,
        clientes::grupos_list, clientes::grupos_create, clientes::grupos_detail, clientes::grupos_put,
        clientes::grupos_patch, clientes::grupos_delete,
        clientes::buscar_contato, clientes::dados_capturados, clientes::cadastro_manual,
        authz::permissions_list, authz::groups_list, authz::groups_create, authz::groups_detail,
        authz::groups_put, authz::groups_patch, authz::groups_delete, authz::agent_groups,
        authz::agent_groups_set, authz::agents_list, authz::agents_create, authz::agents_detail,
        authz::agents_patch, authz::agents_delete,
        contatos::list, contatos::create, contatos::detail, contatos::put, contatos::patch, contatos::delete,
        integrations::cep,
        documentos::list, documentos::create, documentos::detail, documentos::put, documentos::patch,
        documentos::delete, documentos::gerar_contrato, documentos::gerar_boleto,
        config::get_all, config::put_all, config::company_get, config::company_patch, config::chat_get,
        config::chat_patch, config::email_get, config::email_patch, config::appearance_get,
        config::appearance_patch, config::upload, config::upload_delete, config::whatsapp_get,
        config::whatsapp_patch,
        media::serve,
        docs::health,
    ),
    components(schemas(
        auth::TokenRequest, auth::TokenPairOut, auth::RefreshRequest, auth::AccessOut, auth::MeOut,
        dc::ClienteOut, dc::ClienteListOut, dc::ClienteIn, dc::GrupoOut, dc::GrupoIn, dc::ContatoOut, dc::ContatoIn,
        Paginated<dc::ClienteListOut>, Paginated<dc::ClienteOut>, Paginated<dc::GrupoOut>, Paginated<dc::ContatoOut>,
        clientes::StatusIn, clientes::StatsOut, clientes::BuscarContatoIn, clientes::BuscarContatoOut,
        clientes::DadosCapturadosIn, clientes::DadosCapturadosOut, clientes::CadastroOut,
        authz::PermissionOut, authz::GroupOut, authz::GroupIn, authz::GroupIdsIn, authz::AgentOut, authz::AgentIn,
        Paginated<authz::AgentOut>, docs::HealthOut,
        dd::DocumentoOut, dd::DocumentoListOut, dd::DocumentoUpload, dd::GerarContratoIn, dd::GerarBoletoIn,
        dd::GeradoOut, Paginated<dd::DocumentoListOut>, config::UploadOut,
    ))
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

pub fn document() -> utoipa::openapi::OpenApi {
    with_doc_pages(ApiDoc::openapi())
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
