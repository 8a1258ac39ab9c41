//! Contatos (contract §4.3): active rows only; non-superusers see contatos of active clientes.

use crate::dto::clientes::{ContatoIn, ContatoOut};
use crate::dto::contatos::{self as parse, InvalidContato};
use crate::http::middleware::Res;
use crate::http::page::{Paginated, page_request, paginate, query_pairs};
use crate::http::{ApiError, ApiResult, Auth, Body, created, no_content, ok, parse_id};
use actix_web::{HttpRequest, HttpResponse, web};

type State = web::Data<Area>;

/// What this area's handlers use.
pub struct Area {
    pub contatos: std::sync::Arc<clientes::service::ContatoService>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            contatos: s.contatos.clone(),
        }
    }
}

/// List contatos.
#[utoipa::path(get, operation_id = "contatos_list", path = "/api/v1/contatos/", tag = "Contatos", security(("jwt" = [])),
    params(("search" = Option<String>, Query, description = "nome, whatsapp, email, cliente razão social"),
           ("ordering" = Option<String>, Query, description = "nome, criado_em, ativo"),
           ("cliente" = Option<i64>, Query), ("nome" = Option<String>, Query), ("whatsapp" = Option<String>, Query),
           ("email" = Option<String>, Query), ("cargo" = Option<String>, Query), ("ativo" = Option<bool>, Query),
           ("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<ContatoOut>), (status = 400), (status = 401), (status = 404, description = "Página inválida")))]
pub async fn list(req: HttpRequest, auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let query = parse::contato_query(&q)?;
    let page = state
        .contatos
        .list(query, auth.is_superuser, page_request(&q)?)
        .await?;
    Ok(ok(paginate(&req, &q, page, ContatoOut::from)))
}

/// Create a contato.
#[utoipa::path(post, operation_id = "contatos_create", path = "/api/v1/contatos/", tag = "Contatos", security(("jwt" = [])), request_body = ContatoIn,
    responses((status = 201, body = ContatoOut), (status = 400), (status = 401)))]
pub async fn create(_auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let cmd = match parse::create_contato(body.object()?) {
        Ok(cmd) => cmd,
        Err(bad) => {
            let e = state.contatos.invalid(None, bad.errors, bad.cliente).await;
            return Err(e.into());
        }
    };
    Ok(created(ContatoOut::from(state.contatos.create(cmd).await?)))
}

/// Contato detail.
#[utoipa::path(get, operation_id = "contatos_detail", path = "/api/v1/contatos/{id}/", tag = "Contatos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ContatoOut), (status = 401), (status = 404)))]
pub async fn detail(auth: Auth, state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(ok(ContatoOut::from(
        state
            .contatos
            .get(parse_id(&id)?, auth.is_superuser)
            .await?,
    )))
}

/// Replace a contato (`cliente`, `nome`, `whatsapp` required).
#[utoipa::path(put, operation_id = "contatos_put", path = "/api/v1/contatos/{id}/", tag = "Contatos", security(("jwt" = [])), request_body = ContatoIn,
    params(("id" = i64, Path)), responses((status = 200, body = ContatoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn put(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let cmd = match parse::update_contato(body.object()?, true) {
        Ok(cmd) => cmd,
        Err(bad) => return Err(invalid(&state, id, bad, auth.is_superuser).await),
    };
    let c = state.contatos.update(id, cmd, auth.is_superuser).await?;
    Ok(ok(ContatoOut::from(c)))
}

/// Partially update a contato.
#[utoipa::path(patch, operation_id = "contatos_patch", path = "/api/v1/contatos/{id}/", tag = "Contatos", security(("jwt" = [])), request_body = ContatoIn,
    params(("id" = i64, Path)), responses((status = 200, body = ContatoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn patch(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let cmd = match parse::update_contato(body.object()?, false) {
        Ok(cmd) => cmd,
        Err(bad) => return Err(invalid(&state, id, bad, auth.is_superuser).await),
    };
    let c = state.contatos.update(id, cmd, auth.is_superuser).await?;
    Ok(ok(ContatoOut::from(c)))
}

/// Soft-delete a contato (`ativo=false`; later lookups 404).
#[utoipa::path(delete, operation_id = "contatos_delete", path = "/api/v1/contatos/{id}/", tag = "Contatos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn delete(auth: Auth, state: State, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state
        .contatos
        .delete(parse_id(&id)?, auth.is_superuser)
        .await?;
    Ok(no_content())
}

/// The error for a contato body that did not parse: a contato the caller cannot see is a
/// 404 first.
async fn invalid(state: &State, id: i64, bad: InvalidContato, superuser: bool) -> ApiError {
    state
        .contatos
        .invalid(Some((id, superuser)), bad.errors, bad.cliente)
        .await
        .into()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/contatos/", true)
            .get(list)
            .post(create)
            .build(),
    )
    .service(
        Res::new("/api/v1/contatos/{id}/", true)
            .get(detail)
            .put(put)
            .patch(patch)
            .delete(delete)
            .build(),
    );
}

use crate::dto::clientes as dc;

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list, create, detail, put, patch, delete,
    ),
    components(schemas(
        dc::ContatoOut, dc::ContatoIn, Paginated<dc::ContatoOut>,
    ))
)]
pub struct AreaDoc;
