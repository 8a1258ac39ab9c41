//! Clientes, grupos de empresa and the chat-intake endpoints (contract §4.2).

use crate::dto;
use crate::dto::cliente_form;
use crate::dto::clientes::{ClienteIn, ClienteListOut, ClienteOut, ContatoOut, GrupoIn, GrupoOut};
use crate::dto::media_link;
use crate::http::middleware::Res;
use crate::http::page::{Paginated, page_request, paginate, query_pairs};
use crate::http::{ApiError, ApiResult, Auth, Body, MaybeAuth, created, no_content, ok, parse_id};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use clientes::chat::{Cadastro, NOT_FOUND_MSG};
use kernel::DomainError;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;

type State = web::Data<Area>;

/// What this area's handlers use.
pub struct Area {
    pub clientes: std::sync::Arc<clientes::service::ClienteService>,
    pub chat: std::sync::Arc<clientes::chat::ChatIntakeService>,
    pub documentos: std::sync::Arc<documentos::DocumentoService>,
    pub links: std::sync::Arc<crate::routes::media::MediaFiles>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            clientes: s.clientes.clone(),
            chat: s.chat.clone(),
            documentos: s.documentos.clone(),
            links: s.media.clone(),
        }
    }
}

/// List clientes (paginated, scoped, searchable, filterable).
#[utoipa::path(get, operation_id = "clientes_list", path = "/api/v1/clientes/", tag = "Clientes", security(("jwt" = [])),
    params(("page" = Option<String>, Query, description = "1-based page or `last`"),
           ("page_size" = Option<u32>, Query, description = "1..100"),
           ("search" = Option<String>, Query, description = "razao_social, nome_fantasia, cnpj, email_principal"),
           ("ordering" = Option<String>, Query, description = "razao_social, criado_em, atualizado_em, status (prefix - for desc)"),
           ("status" = Option<String>, Query), ("regime_tributario" = Option<String>, Query), ("estado" = Option<String>, Query),
           ("cidade" = Option<String>, Query), ("criado_apos" = Option<String>, Query), ("criado_antes" = Option<String>, Query),
           ("busca_geral" = Option<String>, Query)),
    responses((status = 200, body = Paginated<ClienteListOut>), (status = 400), (status = 401), (status = 404, description = "Página inválida")))]
pub async fn list(req: HttpRequest, auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let page = page_request(&q)?;
    let query = cliente_form::cliente_query(&q)?;
    let page = state
        .clientes
        .list_resumo(query, auth.owner_scope(), page)
        .await?;
    Ok(ok(paginate(&req, &q, page, ClienteListOut::from)))
}

/// Create a cliente.
#[utoipa::path(post, operation_id = "clientes_create", path = "/api/v1/clientes/", tag = "Clientes", security(("jwt" = [])), request_body = ClienteIn,
    responses((status = 201, body = ClienteOut), (status = 400), (status = 401)))]
pub async fn create(
    req: HttpRequest,
    auth: Auth,
    state: State,
    body: Body,
) -> ApiResult<HttpResponse> {
    let changes = match cliente_form::cliente_changes(body.object().map(|_| &body)?) {
        Ok(changes) => changes,
        Err(bad) => return Err(state.clientes.invalid(None, *bad).await.into()),
    };
    let c = state.clientes.create(changes, auth.id).await?;
    Ok(created(ClienteOut::from(c, |p| {
        media_link(&state.links, Some(&req), p)
    })))
}

/// Cliente detail.
#[utoipa::path(get, operation_id = "clientes_detail", path = "/api/v1/clientes/{id}/", tag = "Clientes", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ClienteOut), (status = 401), (status = 404)))]
pub async fn detail(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let c = state
        .clientes
        .get(parse_id(&id)?, auth.owner_scope())
        .await?;
    Ok(ok(ClienteOut::from(c, |p| {
        media_link(&state.links, Some(&req), p)
    })))
}

/// Update a cliente (every field optional, as PATCH).
#[utoipa::path(put, operation_id = "clientes_update", path = "/api/v1/clientes/{id}/", tag = "Clientes", security(("jwt" = [])), request_body = ClienteIn,
    params(("id" = i64, Path)), responses((status = 200, body = ClienteOut), (status = 400), (status = 401), (status = 404)))]
pub async fn update(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    // A cliente the caller cannot see is a 404 whatever the body.
    state.clientes.get(id, auth.owner_scope()).await?;
    let changes = match cliente_form::cliente_changes(body.object().map(|_| &body)?) {
        Ok(changes) => changes,
        Err(bad) => return Err(state.clientes.invalid(Some(id), *bad).await.into()),
    };
    let c = state
        .clientes
        .update(id, changes, auth.id, auth.owner_scope())
        .await?;
    Ok(ok(ClienteOut::from(c, |p| {
        media_link(&state.links, Some(&req), p)
    })))
}

/// Partially update a cliente.
#[utoipa::path(patch, operation_id = "clientes_partial_update", path = "/api/v1/clientes/{id}/", tag = "Clientes", security(("jwt" = [])), request_body = ClienteIn,
    params(("id" = i64, Path)), responses((status = 200, body = ClienteOut), (status = 400), (status = 401), (status = 404)))]
pub async fn partial_update(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    update(req, auth, state, id, body).await
}

/// Delete a cliente (cascades contatos, documentos, filas, atendimentos).
#[utoipa::path(delete, operation_id = "clientes_delete", path = "/api/v1/clientes/{id}/", tag = "Clientes", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn delete(auth: Auth, state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    // Its images and its documentos' files go with it (the service removes them).
    state
        .clientes
        .delete(parse_id(&id)?, auth.owner_scope())
        .await?;
    Ok(no_content())
}

/// Search clientes by `?q=` (plus every list filter); full representation.
#[utoipa::path(get, operation_id = "clientes_search", path = "/api/v1/clientes/search/", tag = "Clientes", security(("jwt" = [])),
    params(("q" = Option<String>, Query, description = "razao_social, nome_fantasia, cnpj, email_principal")),
    responses((status = 200, body = Paginated<ClienteOut>), (status = 400), (status = 401), (status = 404, description = "Página inválida")))]
pub async fn search(req: HttpRequest, auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let page = page_request(&q)?;
    let query = cliente_form::cliente_query(&q)?;
    let page = state.clientes.list(query, auth.owner_scope(), page).await?;
    Ok(ok(paginate(&req, &q, page, |c| {
        ClienteOut::from(c, |p| media_link(&state.links, Some(&req), p))
    })))
}

/// Clientes with a given status; full representation.
#[utoipa::path(get, operation_id = "clientes_by_status", path = "/api/v1/clientes/status/{status}/", tag = "Clientes", security(("jwt" = [])),
    params(("status" = String, Path, description = "ativo, inativo, suspenso, bloqueado")),
    responses((status = 200, body = Paginated<ClienteOut>), (status = 400), (status = 401), (status = 404, description = "Página inválida")))]
pub async fn by_status(
    req: HttpRequest,
    auth: Auth,
    state: State,
    status: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let page = page_request(&q)?;
    // An unknown status is reported before the query's filters.
    if !clientes::cliente::STATUS.contains(&status.as_str()) {
        return Err(clientes::cliente::invalid_status().into());
    }
    let query = cliente_form::cliente_query(&q)?;
    let page = state
        .clientes
        .list_by_status(&status, query, auth.owner_scope(), page)
        .await?;
    Ok(ok(paginate(&req, &q, page, |c| {
        ClienteOut::from(c, |p| media_link(&state.links, Some(&req), p))
    })))
}

#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct StatusIn {
    pub status: String,
}

/// Change a cliente's status.
#[utoipa::path(patch, operation_id = "clientes_set_status", path = "/api/v1/clientes/{id}/status/", tag = "Clientes", security(("jwt" = [])), request_body = StatusIn,
    params(("id" = i64, Path)), responses((status = 200, body = ClienteOut), (status = 400), (status = 401), (status = 404)))]
pub async fn set_status(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let c = state
        .clientes
        .set_status(
            id,
            &cliente_form::status(&body)?,
            auth.id,
            auth.owner_scope(),
        )
        .await?;
    Ok(ok(ClienteOut::from(c, |p| {
        media_link(&state.links, Some(&req), p)
    })))
}

#[derive(Serialize, ToSchema)]
pub struct StatsOut {
    pub total: u64,
    pub por_status: BTreeMap<String, u64>,
    pub por_regime_tributario: BTreeMap<String, u64>,
    #[schema(value_type = Object)]
    pub por_cidade: Map<String, Value>,
    #[schema(value_type = Object)]
    pub por_estado: Map<String, Value>,
    pub recentes: u64,
}

fn ranked(v: Vec<(String, u64)>) -> Map<String, Value> {
    v.into_iter().map(|(k, n)| (k, Value::from(n))).collect()
}

/// Statistics over the caller's clientes.
#[utoipa::path(get, operation_id = "clientes_stats", path = "/api/v1/clientes/stats/", tag = "Clientes", security(("jwt" = [])),
    responses((status = 200, body = StatsOut), (status = 401)))]
pub async fn stats(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let s = state.clientes.stats(auth.owner_scope()).await?;
    Ok(ok(StatsOut {
        total: s.total,
        por_status: s.por_status,
        por_regime_tributario: s.por_regime_tributario,
        por_cidade: ranked(s.por_cidade),
        por_estado: ranked(s.por_estado),
        recentes: s.recentes,
    }))
}

// ----- grupos de empresa -----

/// List grupos de empresa.
#[utoipa::path(get, operation_id = "clientes_grupos_list", path = "/api/v1/grupos-empresa/", tag = "Clientes", security(("jwt" = [])),
    params(("search" = Option<String>, Query), ("ordering" = Option<String>, Query, description = "nome, criado_em"),
           ("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<GrupoOut>), (status = 401), (status = 404, description = "Página inválida")))]
pub async fn grupos_list(req: HttpRequest, _auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let query = crate::dto::contatos::grupo_query(&q)?;
    let page = state.clientes.list_grupos(query, page_request(&q)?).await?;
    Ok(ok(paginate(&req, &q, page, GrupoOut::from)))
}

/// Create a grupo de empresa.
#[utoipa::path(post, operation_id = "clientes_grupos_create", path = "/api/v1/grupos-empresa/", tag = "Clientes", security(("jwt" = [])), request_body = GrupoIn,
    responses((status = 201, body = GrupoOut), (status = 400), (status = 401)))]
pub async fn grupos_create(_auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let cmd = crate::dto::contatos::create_grupo(body.object()?)
        .map_err(kernel::DomainError::Validation)?;
    Ok(created(GrupoOut::from(
        state.clientes.create_grupo(cmd).await?,
    )))
}

/// Grupo de empresa detail.
#[utoipa::path(get, operation_id = "clientes_grupos_detail", path = "/api/v1/grupos-empresa/{id}/", tag = "Clientes", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = GrupoOut), (status = 401), (status = 404)))]
pub async fn grupos_detail(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(ok(GrupoOut::from(
        state.clientes.get_grupo(parse_id(&id)?).await?,
    )))
}

/// Replace a grupo de empresa.
#[utoipa::path(put, operation_id = "clientes_grupos_put", path = "/api/v1/grupos-empresa/{id}/", tag = "Clientes", security(("jwt" = [])), request_body = GrupoIn,
    params(("id" = i64, Path)), responses((status = 200, body = GrupoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn grupos_put(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let cmd = match crate::dto::contatos::update_grupo(body.object()?, true) {
        Ok(cmd) => cmd,
        Err(errors) => {
            // A missing grupo is a 404 whatever the body.
            state.clientes.get_grupo(id).await?;
            return Err(kernel::DomainError::Validation(errors).into());
        }
    };
    Ok(ok(GrupoOut::from(
        state.clientes.update_grupo(id, cmd).await?,
    )))
}

/// Partially update a grupo de empresa.
#[utoipa::path(patch, operation_id = "clientes_grupos_patch", path = "/api/v1/grupos-empresa/{id}/", tag = "Clientes", security(("jwt" = [])), request_body = GrupoIn,
    params(("id" = i64, Path)), responses((status = 200, body = GrupoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn grupos_patch(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let cmd = match crate::dto::contatos::update_grupo(body.object()?, false) {
        Ok(cmd) => cmd,
        Err(errors) => {
            // A missing grupo is a 404 whatever the body.
            state.clientes.get_grupo(id).await?;
            return Err(kernel::DomainError::Validation(errors).into());
        }
    };
    Ok(ok(GrupoOut::from(
        state.clientes.update_grupo(id, cmd).await?,
    )))
}

/// Delete a grupo de empresa (its clientes lose the group).
#[utoipa::path(delete, operation_id = "clientes_grupos_delete", path = "/api/v1/grupos-empresa/{id}/", tag = "Clientes", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn grupos_delete(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.clientes.delete_grupo(parse_id(&id)?).await?;
    Ok(no_content())
}

// ----- chat intake -----

#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct BuscarContatoIn {
    pub whatsapp: String,
}

#[derive(Serialize, ToSchema)]
pub struct BuscarContatoOut {
    pub encontrado: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contatos: Option<Vec<ContatoOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Look up active contatos by WhatsApp number (public).
#[utoipa::path(post, operation_id = "clientes_buscar_contato", path = "/api/v1/clientes/chat/buscar-contato/", tag = "Clientes", request_body = BuscarContatoIn,
    responses((status = 200, body = BuscarContatoOut), (status = 400)))]
pub async fn buscar_contato(_who: MaybeAuth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let whatsapp = dto::chat::buscar_contato(body.object()?).map_err(DomainError::Validation)?;
    let found = state.chat.buscar_contato(&whatsapp).await?;
    Ok(ok(if found.is_empty() {
        BuscarContatoOut {
            encontrado: false,
            contatos: None,
            message: Some(NOT_FOUND_MSG.into()),
        }
    } else {
        BuscarContatoOut {
            encontrado: true,
            contatos: Some(found.into_iter().map(ContatoOut::from).collect()),
            message: None,
        }
    }))
}

#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DadosCapturadosIn {
    pub whatsapp: String,
    pub nome: String,
    pub cargo: Option<String>,
    pub email: Option<String>,
    pub empresa_nome: Option<String>,
    pub empresa_cnpj: Option<String>,
    pub grupo_empresa_id: Option<i64>,
    /// cadastro-manual only.
    pub empresa_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DadosCapturadosOut {
    pub message: String,
    #[schema(value_type = Object)]
    pub dados_capturados: Map<String, Value>,
    pub proximo_passo: String,
}

/// Validate data captured in the chat (persists nothing; public).
#[utoipa::path(post, operation_id = "clientes_dados_capturados", path = "/api/v1/clientes/chat/dados-capturados/", tag = "Clientes", request_body = DadosCapturadosIn,
    responses((status = 200, body = DadosCapturadosOut), (status = 400)))]
pub async fn dados_capturados(
    _who: MaybeAuth,
    state: State,
    body: Body,
) -> ApiResult<HttpResponse> {
    let c = match dto::chat::captured(body.object()?, false) {
        Ok(c) => c,
        Err(bad) => {
            return Err(state
                .chat
                .invalid(bad.errors, bad.grupo_empresa_id)
                .await
                .into());
        }
    };
    state.chat.dados_capturados(&c.dados).await?;
    Ok(ok(DadosCapturadosOut {
        message: "Dados capturados recebidos".into(),
        dados_capturados: c.echo,
        proximo_passo: "Atendente deve editar e salvar os dados".into(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CadastroOut {
    pub message: String,
    pub contato: ContatoOut,
}

/// Register a contato, resolving or creating its company.
#[utoipa::path(post, operation_id = "clientes_cadastro_manual", path = "/api/v1/clientes/cadastro-manual/", tag = "Clientes", security(("jwt" = [])), request_body = DadosCapturadosIn,
    responses((status = 201, body = CadastroOut), (status = 400), (status = 401)))]
pub async fn cadastro_manual(_auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let c = match dto::chat::captured(body.object()?, true) {
        Ok(c) => c,
        Err(bad) => {
            return Err(state
                .chat
                .invalid(bad.errors, bad.grupo_empresa_id)
                .await
                .into());
        }
    };
    match state.chat.cadastro_manual(c.dados).await? {
        Cadastro::Created(c) => Ok(created(CadastroOut {
            message: "Contato cadastrado com sucesso".into(),
            contato: c.into(),
        })),
        Cadastro::AlreadyRegistered(c) => Err(ApiError::Status(
            StatusCode::BAD_REQUEST,
            json!({"message": "WhatsApp já cadastrado", "contato": ContatoOut::from(c)}),
        )),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/clientes/", true)
            .get(list)
            .post(create)
            .build(),
    )
    .service(
        Res::new("/api/v1/clientes/search/", true)
            .get(search)
            .build(),
    )
    .service(Res::new("/api/v1/clientes/stats/", true).get(stats).build())
    .service(
        Res::new("/api/v1/clientes/status/{status}/", true)
            .get(by_status)
            .build(),
    )
    .service(
        Res::new("/api/v1/clientes/chat/buscar-contato/", false)
            .post(buscar_contato)
            .build(),
    )
    .service(
        Res::new("/api/v1/clientes/chat/dados-capturados/", false)
            .post(dados_capturados)
            .build(),
    )
    .service(
        Res::new("/api/v1/clientes/cadastro-manual/", true)
            .post(cadastro_manual)
            .build(),
    )
    .service(
        Res::new("/api/v1/clientes/{id}/", true)
            .get(detail)
            .put(update)
            .patch(partial_update)
            .delete(delete)
            .build(),
    )
    .service(
        Res::new("/api/v1/clientes/{id}/status/", true)
            .patch(set_status)
            .build(),
    )
    .service(
        Res::new("/api/v1/grupos-empresa/", true)
            .get(grupos_list)
            .post(grupos_create)
            .build(),
    )
    .service(
        Res::new("/api/v1/grupos-empresa/{id}/", true)
            .get(grupos_detail)
            .put(grupos_put)
            .patch(grupos_patch)
            .delete(grupos_delete)
            .build(),
    );
}

use crate::dto::clientes as dc;

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list, create, detail, update, partial_update, delete, search, by_status, set_status,
        stats, grupos_list, grupos_create, grupos_detail, grupos_put, grupos_patch, grupos_delete,
        buscar_contato, dados_capturados, cadastro_manual,
    ),
    components(schemas(
        dc::ClienteOut, dc::ClienteListOut, dc::ClienteIn, dc::GrupoOut, dc::GrupoIn,
        Paginated<dc::ClienteListOut>, Paginated<dc::ClienteOut>, Paginated<dc::GrupoOut>,
        StatusIn, StatsOut, BuscarContatoIn, BuscarContatoOut, DadosCapturadosIn,
        DadosCapturadosOut, CadastroOut,
    ))
)]
pub struct AreaDoc;
