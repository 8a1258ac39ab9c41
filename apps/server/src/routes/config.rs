//! Configurações (contract §4.9): lazy defaults, per-section permissions, merged validation,
//! secrets never in clear, appearance file upload/delete.

use crate::dto::config::{
    AppearanceIn, ChatSettingsIn, CompanyDataIn, ConfigPutIn, EmailSettingsIn, WhatsappIn,
};
use crate::dto::config_form as form;
use crate::http::body::{Body, media_type};
use crate::http::middleware::Res;
use crate::http::{ApiError, ApiResult, Auth, no_content, ok};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use configuracoes::{AppearanceFile, Section};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

type State = web::Data<Area>;

/// Form and multipart bodies carry every value as text, so integers are parsed from text
/// there; JSON bodies need JSON integers (§9).
fn is_form(req: &HttpRequest) -> bool {
    matches!(
        media_type(req).as_deref(),
        Some("application/x-www-form-urlencoded") | Some("multipart/form-data")
    )
}

/// What this area's handlers use.
pub struct Area {
    pub config: std::sync::Arc<configuracoes::ConfigService>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            config: s.config.clone(),
        }
    }
}

/// Every section except appearance and whatsapp (no `smtp_senha`).
#[utoipa::path(get, operation_id = "config_get_all", path = "/api/v1/config/", tag = "Configurações", security(("jwt" = [])),
    responses((status = 200, body = Object), (status = 401)))]
pub async fn get_all(_auth: Auth, state: State) -> ApiResult<HttpResponse> {
    Ok(ok(state.config.get_all().await?.to_json()))
}

/// Replace company, chat and email sections at once (full validation; each section needs its permission).
#[utoipa::path(put, operation_id = "config_put_all", path = "/api/v1/config/", tag = "Configurações", security(("jwt" = [])), request_body = ConfigPutIn,
    responses((status = 200, body = Object), (status = 400), (status = 401), (status = 403)))]
pub async fn put_all(
    req: HttpRequest,
    auth: Auth,
    state: State,
    body: Body,
) -> ApiResult<HttpResponse> {
    for s in [Section::Company, Section::Chat, Section::Email] {
        auth.require(s.permission())?;
    }
    let put = form::config_put(form::object(&body.value())?, is_form(&req))?;
    Ok(ok(state.config.put_all(put).await?.to_json()))
}

/// GET and PATCH of one section: `$read`/`$write` are the use cases, `$parse` the body's
/// parser into the section's patch, `$body` its request type.
macro_rules! section_routes {
    ($get:ident, $patch:ident, $section:expr, $path:literal, $what:literal,
     $body:ident, $parse:path, $read:ident, $write:ident) => {
        #[doc = concat!("The ", $what, " section.")]
        #[utoipa::path(get, operation_id = concat!("config_", stringify!($get)), path = $path, tag = "Configurações", security(("jwt" = [])),
            responses((status = 200, body = Object), (status = 401)))]
        pub async fn $get(_auth: Auth, state: State) -> ApiResult<HttpResponse> {
            Ok(ok(state.config.$read().await?.to_json()))
        }

        #[doc = concat!("Update the ", $what, " section (sent keys validated, shallow merge, merged section validated).")]
        #[utoipa::path(patch, operation_id = concat!("config_", stringify!($patch)), path = $path, tag = "Configurações", security(("jwt" = [])), request_body = $body,
            responses((status = 200, body = Object), (status = 400), (status = 401), (status = 403)))]
        pub async fn $patch(req: HttpRequest, auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
            auth.require($section.permission())?;
            let patch = $parse(form::object(&body.value())?, is_form(&req))?;
            Ok(ok(state.config.$write(patch).await?.to_json()))
        }
    };
}

section_routes!(
    company_get,
    company_patch,
    Section::Company,
    "/api/v1/config/company/",
    "company",
    CompanyDataIn,
    form::company_patch,
    company,
    patch_company
);
section_routes!(
    chat_get,
    chat_patch,
    Section::Chat,
    "/api/v1/config/chat/",
    "chat",
    ChatSettingsIn,
    form::chat_patch,
    chat_settings,
    patch_chat
);
section_routes!(
    email_get,
    email_patch,
    Section::Email,
    "/api/v1/config/email/",
    "e-mail",
    EmailSettingsIn,
    form::email_patch,
    email_settings,
    patch_email
);
section_routes!(
    appearance_get,
    appearance_patch,
    Section::Appearance,
    "/api/v1/config/appearance/",
    "appearance",
    AppearanceIn,
    form::appearance_patch,
    appearance,
    patch_appearance
);
section_routes!(
    whatsapp_get,
    whatsapp_patch,
    Section::Whatsapp,
    "/api/v1/config/whatsapp/",
    "WhatsApp",
    WhatsappIn,
    form::whatsapp_patch,
    whatsapp,
    patch_whatsapp
);

#[derive(Serialize, ToSchema)]
pub struct UploadOut {
    pub url: String,
}

const UPLOAD_REQUIRED: &str = "file e kind={logo|favicon} são obrigatórios";
const KIND_REQUIRED: &str = "kind={logo|favicon} é obrigatório";

/// Upload the login logo or the favicon (multipart `file` + `kind`).
#[utoipa::path(post, operation_id = "config_upload", path = "/api/v1/config/appearance/upload/", tag = "Configurações", security(("jwt" = [])),
    request_body(content = Object, content_type = "multipart/form-data", description = "`file` (image) and `kind` (logo|favicon)"),
    responses((status = 200, body = UploadOut), (status = 400), (status = 401), (status = 413)))]
pub async fn upload(_auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let bad = || ApiError::detail(StatusCode::BAD_REQUEST, UPLOAD_REQUIRED);
    let kind = body
        .input
        .map
        .get("kind")
        .and_then(Value::as_str)
        .and_then(AppearanceFile::parse)
        .ok_or_else(bad)?;
    let file = body
        .file("file")
        .filter(|f| !f.data.is_empty())
        .ok_or_else(bad)?;
    let url = state
        .config
        .upload_appearance_file(kind, &file.filename, &file.data)
        .await?;
    Ok(ok(UploadOut { url }))
}

/// Remove the logo or favicon (`?kind=logo|favicon`).
#[utoipa::path(delete, operation_id = "config_upload_delete", path = "/api/v1/config/appearance/upload/", tag = "Configurações", security(("jwt" = [])),
    params(("kind" = String, Query, description = "logo | favicon")),
    responses((status = 204), (status = 400), (status = 401)))]
pub async fn upload_delete(req: HttpRequest, _auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let kind = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "kind")
        .and_then(|(_, v)| AppearanceFile::parse(&v))
        .ok_or_else(|| {
            ApiError::Status(StatusCode::BAD_REQUEST, json!({"detail": KIND_REQUIRED}))
        })?;
    state.config.remove_appearance_file(kind).await?;
    Ok(no_content())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/config/", true)
            .get(get_all)
            .put(put_all)
            .build(),
    )
    .service(
        Res::new("/api/v1/config/company/", true)
            .get(company_get)
            .patch(company_patch)
            .build(),
    )
    .service(
        Res::new("/api/v1/config/chat/", true)
            .get(chat_get)
            .patch(chat_patch)
            .build(),
    )
    .service(
        Res::new("/api/v1/config/email/", true)
            .get(email_get)
            .patch(email_patch)
            .build(),
    )
    .service(
        Res::new("/api/v1/config/appearance/", true)
            .get(appearance_get)
            .patch(appearance_patch)
            .build(),
    )
    .service(
        Res::new("/api/v1/config/appearance/upload/", true)
            .post(upload)
            .delete(upload_delete)
            .build(),
    )
    .service(
        Res::new("/api/v1/config/whatsapp/", true)
            .get(whatsapp_get)
            .patch(whatsapp_patch)
            .build(),
    );
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        get_all,
        put_all,
        company_get,
        company_patch,
        chat_get,
        chat_patch,
        email_get,
        email_patch,
        appearance_get,
        appearance_patch,
        upload,
        upload_delete,
        whatsapp_get,
        whatsapp_patch,
    ),
    components(schemas(
        UploadOut,
        CompanyDataIn,
        crate::dto::config::EnderecoIn,
        ChatSettingsIn,
        crate::dto::config::HorarioDiaIn,
        EmailSettingsIn,
        AppearanceIn,
        WhatsappIn,
        ConfigPutIn,
    ))
)]
pub struct AreaDoc;
