//! Documentos (contract §4.4, §4.13): streamed uploads to the file storage, signed file links,
//! PDF contracts and FEBRABAN boletos.

use crate::dto::documento_form::{DocumentoInput, InputMode};
use crate::dto::documentos::{
    DocumentoListOut, DocumentoOut, DocumentoUpload, GeradoOut, GerarBoletoIn, GerarContratoIn,
};
use crate::http::body::{self, Body, media_type, too_large};
use crate::http::middleware::Res;
use crate::http::page::{Paginated, page_request, paginate, query_pairs};
use crate::http::{ApiError, ApiResult, Auth, created, no_content, ok, parse_id};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use documentos::geracao::GerarRequest;
use documentos::{Documento, DocumentoFilter, DocumentoScope};
use futures_util::StreamExt;
use serde_json::{Map, Value};

type State = web::Data<Area>;

/// What this area's handlers use.
pub struct Area {
    pub documentos: std::sync::Arc<documentos::DocumentoService>,
    pub geracao: std::sync::Arc<documentos::GeracaoService>,
    pub storage: std::sync::Arc<dyn kernel::storage::FileStorage>,
    pub links: std::sync::Arc<crate::routes::media::MediaFiles>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            documentos: s.documentos.clone(),
            geracao: s.geracao.clone(),
            storage: s.files.clone(),
            links: s.media.clone(),
        }
    }
}

/// Upload limit (decided: 20 MiB).
pub const MAX_UPLOAD: u64 = 20 * 1024 * 1024;
const TOO_LARGE: &str = "Arquivo muito grande (máximo 20 MB).";

fn scope(auth: &Auth) -> DocumentoScope {
    DocumentoScope::for_user(auth.id, auth.is_superuser)
}

async fn out(state: &Area, req: Option<&HttpRequest>, d: Documento) -> DocumentoOut {
    let tamanho = state.documentos.tamanho_arquivo(&d).await;
    let arquivo = crate::dto::media_link(&state.links, req, &d.arquivo);
    DocumentoOut::new(d, arquivo, tamanho, state.documentos.hoje())
}

/// The body of a write: form fields plus, for multipart, the `arquivo` part streamed to the
/// storage (never held in memory; more than 20 MiB → 413 and the partial file is removed).
async fn read_upload(
    req: &HttpRequest,
    payload: web::Payload,
    state: &Area,
) -> ApiResult<(DocumentoInput, Option<String>)> {
    if media_type(req).as_deref() != Some("multipart/form-data") {
        let b = body::read(req, payload.into_inner()).await?;
        let input = b.object()?;
        let map = input.map.clone();
        return Ok((
            if input.form {
                DocumentoInput::form(map)
            } else {
                DocumentoInput::json(map)
            },
            None,
        ));
    }
    let bad = |_| ApiError::detail(StatusCode::BAD_REQUEST, "Erro de análise multipart.");
    let mut mp = Multipart::new(req.headers(), payload.into_inner());
    let mut fields = Map::new();
    let mut stored: Option<String> = None;
    let mut text_bytes = 0usize;
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(bad)?;
        let cd = field.content_disposition().cloned();
        let name = cd
            .as_ref()
            .and_then(|c| c.get_name())
            .unwrap_or("")
            .to_string();
        let filename = cd
            .as_ref()
            .and_then(|c| c.get_filename())
            .map(str::to_string);
        match filename {
            Some(filename) if name == "arquivo" && stored.is_none() => {
                let mut writer = state
                    .storage
                    .create(documentos::STORAGE_DIR, &filename)
                    .await?;
                let mut written = 0u64;
                while let Some(chunk) = field.next().await {
                    let chunk = match chunk {
                        Ok(c) => c,
                        Err(e) => {
                            writer.abort().await;
                            return Err(bad(e));
                        }
                    };
                    written += chunk.len() as u64;
                    if written > MAX_UPLOAD {
                        writer.abort().await;
                        return Err(too_large(TOO_LARGE));
                    }
                    if let Err(e) = writer.write(&chunk).await {
                        writer.abort().await;
                        return Err(e.into());
                    }
                }
                stored = Some(writer.commit().await?);
            }
            _ => {
                let mut data = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(bad)?;
                    text_bytes += chunk.len();
                    if text_bytes > body::JSON_LIMIT {
                        if let Some(p) = &stored {
                            let _ = state.storage.delete(p).await;
                        }
                        return Err(too_large(TOO_LARGE));
                    }
                    data.extend_from_slice(&chunk);
                }
                if filename.is_none() {
                    fields.insert(
                        name,
                        Value::String(String::from_utf8_lossy(&data).into_owned()),
                    );
                }
            }
        }
    }
    Ok((DocumentoInput::form(fields), stored))
}

/// List documentos.
#[utoipa::path(get, operation_id = "documentos_list", path = "/api/v1/documentos/", tag = "Documentos", security(("jwt" = [])),
    params(("cliente" = Option<i64>, Query), ("nome" = Option<String>, Query), ("tipo_documento" = Option<String>, Query),
           ("status" = Option<String>, Query), ("origem" = Option<String>, Query), ("template_usado" = Option<String>, Query),
           ("ativo" = Option<bool>, Query), ("data_upload_apos" = Option<String>, Query), ("data_upload_antes" = Option<String>, Query),
           ("data_vencimento_apos" = Option<String>, Query), ("data_vencimento_antes" = Option<String>, Query),
           ("search" = Option<String>, Query), ("ordering" = Option<String>, Query, description = "nome, data_upload, data_vencimento, status"),
           ("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<DocumentoListOut>), (status = 400), (status = 401), (status = 404, description = "Página inválida")))]
pub async fn list(req: HttpRequest, auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let filter =
        DocumentoFilter::from_query(&q, scope(&auth)).map_err(kernel::DomainError::Validation)?;
    let page = state.documentos.listar(&filter, page_request(&q)?).await?;
    Ok(ok(paginate(&req, &q, page, DocumentoListOut::from)))
}

/// Upload a documento (multipart, `arquivo` ≤ 20 MiB).
#[utoipa::path(post, operation_id = "documentos_create", path = "/api/v1/documentos/", tag = "Documentos", security(("jwt" = [])),
    request_body(content = DocumentoUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentoOut), (status = 400), (status = 401), (status = 413)))]
pub async fn create(
    req: HttpRequest,
    auth: Auth,
    state: State,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (input, arquivo) = read_upload(&req, payload, &state).await?;
    let d = state
        .documentos
        .criar(input.parse(InputMode::Create), arquivo, auth.id)
        .await?;
    Ok(created(out(&state, Some(&req), d).await))
}

/// Documento detail.
#[utoipa::path(get, operation_id = "documentos_detail", path = "/api/v1/documentos/{id}/", tag = "Documentos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = DocumentoOut), (status = 401), (status = 404)))]
pub async fn detail(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let d = state
        .documentos
        .obter(parse_id(&id)?, &scope(&auth))
        .await?;
    Ok(ok(out(&state, Some(&req), d).await))
}

async fn update(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
    payload: web::Payload,
    parcial: bool,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    state.documentos.obter(id, &scope(&auth)).await?;
    let (input, arquivo) = read_upload(&req, payload, &state).await?;
    let d = state
        .documentos
        .atualizar(
            id,
            &scope(&auth),
            input.parse(if parcial {
                InputMode::Patch
            } else {
                InputMode::Replace
            }),
            arquivo,
        )
        .await?;
    Ok(ok(out(&state, Some(&req), d).await))
}

/// Replace a documento (`cliente`, `nome` required; `arquivo` optional).
#[utoipa::path(put, operation_id = "documentos_put", path = "/api/v1/documentos/{id}/", tag = "Documentos", security(("jwt" = [])),
    request_body(content = DocumentoUpload, content_type = "multipart/form-data"), params(("id" = i64, Path)),
    responses((status = 200, body = DocumentoOut), (status = 400), (status = 401), (status = 404), (status = 413)))]
pub async fn put(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    update(req, auth, state, id, payload, false).await
}

/// Partially update a documento (JSON or multipart).
#[utoipa::path(patch, operation_id = "documentos_patch", path = "/api/v1/documentos/{id}/", tag = "Documentos", security(("jwt" = [])),
    request_body(content = DocumentoUpload, content_type = "multipart/form-data"), params(("id" = i64, Path)),
    responses((status = 200, body = DocumentoOut), (status = 400), (status = 401), (status = 404), (status = 413)))]
pub async fn patch(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    update(req, auth, state, id, payload, true).await
}

/// Soft-delete a documento.
#[utoipa::path(delete, operation_id = "documentos_delete", path = "/api/v1/documentos/{id}/", tag = "Documentos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn delete(auth: Auth, state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state
        .documentos
        .remover(parse_id(&id)?, &scope(&auth))
        .await?;
    Ok(no_content())
}

/// Generate a contract PDF from a template.
#[utoipa::path(post, operation_id = "documentos_gerar_contrato", path = "/api/v1/documentos/gerar-contrato/", tag = "Documentos", security(("jwt" = [])),
    request_body = GerarContratoIn,
    responses((status = 201, body = GeradoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn gerar_contrato(auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    gerar(
        &auth,
        &state,
        crate::dto::documentos::gerar_contrato(&body)?,
        Tipo::Contrato,
    )
    .await
}

/// Generate a FEBRABAN boleto PDF (barcode, linha digitável, optional PIX QR).
#[utoipa::path(post, operation_id = "documentos_gerar_boleto", path = "/api/v1/documentos/gerar-boleto/", tag = "Documentos", security(("jwt" = [])),
    request_body = GerarBoletoIn,
    responses((status = 201, body = GeradoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn gerar_boleto(auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    gerar(
        &auth,
        &state,
        crate::dto::documentos::gerar_boleto(&body)?,
        Tipo::Boleto,
    )
    .await
}

enum Tipo {
    Contrato,
    Boleto,
}

async fn gerar(
    auth: &Auth,
    state: &Area,
    req: GerarRequest,
    tipo: Tipo,
) -> ApiResult<HttpResponse> {
    // The cliente is read within the caller's scope: one they cannot see is a 404.
    let owner = auth.owner_scope();
    let (d, message) = match tipo {
        Tipo::Contrato => (
            state.geracao.contrato(&req, auth.id, owner).await?,
            "Contrato gerado com sucesso",
        ),
        Tipo::Boleto => (
            state.geracao.boleto(&req, auth.id, owner).await?,
            "Boleto gerado com sucesso",
        ),
    };
    let documento = out(state, None, d).await;
    Ok(created(GeradoOut {
        message: message.into(),
        documento,
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/documentos/", true)
            .get(list)
            .post(create)
            .build(),
    )
    .service(
        Res::new("/api/v1/documentos/gerar-contrato/", true)
            .post(gerar_contrato)
            .build(),
    )
    .service(
        Res::new("/api/v1/documentos/gerar-boleto/", true)
            .post(gerar_boleto)
            .build(),
    )
    .service(
        Res::new("/api/v1/documentos/{id}/", true)
            .get(detail)
            .put(put)
            .patch(patch)
            .delete(delete)
            .build(),
    );
}

use crate::dto::documentos as dd;

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list, create, detail, put, patch, delete, gerar_contrato, gerar_boleto,
    ),
    components(schemas(
        dd::DocumentoOut, dd::DocumentoListOut, dd::DocumentoUpload, dd::GerarContratoIn,
        dd::GerarBoletoIn, dd::GeradoOut, Paginated<dd::DocumentoListOut>,
    ))
)]
pub struct AreaDoc;
