//! Atendimento (contract §4.7): departamentos, the queue (`filas`, with auto-distribution)
//! and atendimentos (CRUD, `meus-atendimentos`, finalize, rating, transfer). Non-superusers
//! only reach the atendimentos they attend.

use crate::dto::atendimento::{
    AtendimentoIn, AtendimentoListOut, AtendimentoOut, AtendimentoTransferidoOut, AvaliadoOut,
    AvaliarIn, DepartamentoIn, DepartamentoOut, DistribuidosOut, DistribuirIn, FilaIn, FilaOut,
    FinalizadoOut, FinalizarIn, TransferenciaOut, TransferirIn,
};
use crate::dto::atendimento_form as form;
use crate::http::middleware::Res;
use crate::http::page::{Paginated, page_request, paginate, query_pairs};
use crate::http::{ApiResult, Auth, Body, created, no_content, ok, parse_id};
use crate::routes::whatsapp::caller;
use actix_web::{HttpRequest, HttpResponse, web};
use atendimento::atendimentos::AtendimentoService;
use atendimento::departamentos::{DepartamentoService, FilaService};
use std::sync::Arc;

type State = web::Data<Area>;

/// What this area's handlers use.
pub struct Area {
    pub departamentos: Arc<DepartamentoService>,
    pub filas: Arc<FilaService>,
    pub atendimentos: Arc<AtendimentoService>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            departamentos: s.atendimento.departamentos.clone(),
            filas: s.atendimento.filas.clone(),
            atendimentos: s.atendimento.atendimentos.clone(),
        }
    }
}

/// List departamentos (by `nome`).
#[utoipa::path(get, operation_id = "atendimento_departamentos_list", path = "/api/v1/atendimento/departamentos/", tag = "Atendimento", security(("jwt" = [])),
    params(("ativo" = Option<bool>, Query), ("search" = Option<String>, Query, description = "nome, descricao"),
           ("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<DepartamentoOut>), (status = 400), (status = 401), (status = 404)))]
pub async fn departamentos_list(
    req: HttpRequest,
    _auth: Auth,
    state: State,
) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let filter = form::departamento_filter(&q)?;
    let page = state.departamentos.list(filter, page_request(&q)?).await?;
    Ok(ok(paginate(&req, &q, page, |d| DepartamentoOut::from(&d))))
}

/// Create a departamento.
#[utoipa::path(post, operation_id = "atendimento_departamentos_create", path = "/api/v1/atendimento/departamentos/", tag = "Atendimento", security(("jwt" = [])),
    request_body = DepartamentoIn, responses((status = 201, body = DepartamentoOut), (status = 400), (status = 401)))]
pub async fn departamentos_create(
    _auth: Auth,
    state: State,
    body: Body,
) -> ApiResult<HttpResponse> {
    let c = form::departamento_changes(body.object()?, true)?;
    let d = state.departamentos.create(c).await?;
    Ok(created(DepartamentoOut::from(&d)))
}

/// Departamento detail.
#[utoipa::path(get, operation_id = "atendimento_departamentos_detail", path = "/api/v1/atendimento/departamentos/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = DepartamentoOut), (status = 401), (status = 404)))]
pub async fn departamentos_detail(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let d = state.departamentos.get(parse_id(&id)?).await?;
    Ok(ok(DepartamentoOut::from(&d)))
}

async fn departamento_update(
    state: State,
    id: &str,
    body: Body,
    full: bool,
) -> ApiResult<HttpResponse> {
    let id = parse_id(id)?;
    state.departamentos.get(id).await?;
    let c = form::departamento_changes(body.object()?, full)?;
    let d = state.departamentos.update(id, c).await?;
    Ok(ok(DepartamentoOut::from(&d)))
}

/// Replace a departamento (`nome` required).
#[utoipa::path(put, operation_id = "atendimento_departamentos_put", path = "/api/v1/atendimento/departamentos/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = DepartamentoIn,
    responses((status = 200, body = DepartamentoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn departamentos_put(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    departamento_update(state, &id, body, true).await
}

/// Update some of a departamento's fields.
#[utoipa::path(patch, operation_id = "atendimento_departamentos_patch", path = "/api/v1/atendimento/departamentos/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = DepartamentoIn,
    responses((status = 200, body = DepartamentoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn departamentos_patch(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    departamento_update(state, &id, body, false).await
}

/// Delete a departamento with its queue rows and atendimentos.
#[utoipa::path(delete, operation_id = "atendimento_departamentos_delete", path = "/api/v1/atendimento/departamentos/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn departamentos_delete(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.departamentos.delete(parse_id(&id)?).await?;
    Ok(no_content())
}

/// The queue, assigned rows included (default: priority rank desc, then oldest first).
#[utoipa::path(get, operation_id = "atendimento_filas_list", path = "/api/v1/atendimento/filas/", tag = "Atendimento", security(("jwt" = [])),
    params(("departamento" = Option<i64>, Query), ("prioridade" = Option<String>, Query),
           ("ordering" = Option<String>, Query, description = "entrou_na_fila_em, prioridade (by rank)"),
           ("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<FilaOut>), (status = 400), (status = 401), (status = 404)))]
pub async fn filas_list(req: HttpRequest, _auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let filter = form::fila_filter(&q)?;
    let page = state.filas.list(filter, page_request(&q)?).await?;
    let now = state.filas.now();
    Ok(ok(paginate(&req, &q, page, |f| FilaOut::of(&f, now))))
}

/// Add a queue row (a plain insert, no distribution).
#[utoipa::path(post, operation_id = "atendimento_filas_create", path = "/api/v1/atendimento/filas/", tag = "Atendimento", security(("jwt" = [])),
    request_body = FilaIn, responses((status = 201, body = FilaOut), (status = 400), (status = 401)))]
pub async fn filas_create(_auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let c = form::fila_changes(body.object()?, true)?;
    let f = state.filas.create(c).await?;
    Ok(created(FilaOut::of(&f, state.filas.now())))
}

/// Queue row detail.
#[utoipa::path(get, operation_id = "atendimento_filas_detail", path = "/api/v1/atendimento/filas/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = FilaOut), (status = 401), (status = 404)))]
pub async fn filas_detail(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let f = state.filas.get(parse_id(&id)?).await?;
    Ok(ok(FilaOut::of(&f, state.filas.now())))
}

async fn fila_update(state: State, id: &str, body: Body, full: bool) -> ApiResult<HttpResponse> {
    let id = parse_id(id)?;
    state.filas.get(id).await?;
    let c = form::fila_changes(body.object()?, full)?;
    let f = state.filas.update(id, c).await?;
    Ok(ok(FilaOut::of(&f, state.filas.now())))
}

/// Replace a queue row's writable fields.
#[utoipa::path(put, operation_id = "atendimento_filas_put", path = "/api/v1/atendimento/filas/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = FilaIn,
    responses((status = 200, body = FilaOut), (status = 400), (status = 401), (status = 404)))]
pub async fn filas_put(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    fila_update(state, &id, body, true).await
}

/// Update some of a queue row's fields.
#[utoipa::path(patch, operation_id = "atendimento_filas_patch", path = "/api/v1/atendimento/filas/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = FilaIn,
    responses((status = 200, body = FilaOut), (status = 400), (status = 401), (status = 404)))]
pub async fn filas_patch(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    fila_update(state, &id, body, false).await
}

/// Remove a queue row.
#[utoipa::path(delete, operation_id = "atendimento_filas_delete", path = "/api/v1/atendimento/filas/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn filas_delete(
    _auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.filas.delete(parse_id(&id)?).await?;
    Ok(no_content())
}

/// Hand the department's pending rows to its least-loaded available agents.
#[utoipa::path(post, operation_id = "atendimento_filas_distribuir", path = "/api/v1/atendimento/filas/distribuir/", tag = "Atendimento", security(("jwt" = [])),
    request_body = DistribuirIn,
    responses((status = 200, body = DistribuidosOut), (status = 400), (status = 401)))]
pub async fn filas_distribuir(_auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let departamento = form::distribuir(body.object()?)?;
    let n = state.filas.distribuir(departamento).await?;
    Ok(ok(DistribuidosOut {
        message: format!("{n} atendimentos distribuídos"),
        distribuidos: n,
    }))
}

/// List atendimentos (non-superusers: their own).
#[utoipa::path(get, operation_id = "atendimento_atendimentos_list", path = "/api/v1/atendimento/atendimentos/", tag = "Atendimento", security(("jwt" = [])),
    params(("status" = Option<String>, Query), ("departamento" = Option<i64>, Query),
           ("atendente" = Option<i64>, Query), ("prioridade" = Option<String>, Query),
           ("search" = Option<String>, Query, description = "cliente razão social, numero_whatsapp, observacoes"),
           ("ordering" = Option<String>, Query, description = "criado_em, iniciado_em, finalizado_em (default -criado_em)"),
           ("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<AtendimentoListOut>), (status = 400), (status = 401), (status = 404)))]
pub async fn atendimentos_list(
    req: HttpRequest,
    auth: Auth,
    state: State,
) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let filter = form::atendimento_filter(&q)?;
    let page = state
        .atendimentos
        .list(caller(&auth), filter, page_request(&q)?)
        .await?;
    let now = state.atendimentos.now();
    Ok(ok(paginate(&req, &q, page, |a| {
        AtendimentoListOut::of(&a, now)
    })))
}

/// Create an atendimento.
#[utoipa::path(post, operation_id = "atendimento_atendimentos_create", path = "/api/v1/atendimento/atendimentos/", tag = "Atendimento", security(("jwt" = [])),
    request_body = AtendimentoIn, responses((status = 201, body = AtendimentoOut), (status = 400), (status = 401)))]
pub async fn atendimentos_create(_auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let c = form::atendimento_changes(body.object()?, true)?;
    let a = state.atendimentos.create(c).await?;
    Ok(created(AtendimentoOut::of(&a, state.atendimentos.now())))
}

/// The caller's open atendimentos, newest first.
#[utoipa::path(get, operation_id = "atendimento_atendimentos_meus", path = "/api/v1/atendimento/atendimentos/meus-atendimentos/", tag = "Atendimento", security(("jwt" = [])),
    responses((status = 200, body = Vec<AtendimentoOut>), (status = 401)))]
pub async fn atendimentos_meus(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let list = state.atendimentos.meus(caller(&auth)).await?;
    let now = state.atendimentos.now();
    Ok(ok(list
        .iter()
        .map(|a| AtendimentoOut::of(a, now))
        .collect::<Vec<_>>()))
}

/// Atendimento detail (outside the caller's scope: 404).
#[utoipa::path(get, operation_id = "atendimento_atendimentos_detail", path = "/api/v1/atendimento/atendimentos/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = AtendimentoOut), (status = 401), (status = 404)))]
pub async fn atendimentos_detail(
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let a = state
        .atendimentos
        .get(caller(&auth), parse_id(&id)?)
        .await?;
    Ok(ok(AtendimentoOut::of(&a, state.atendimentos.now())))
}

async fn atendimento_update(
    auth: Auth,
    state: State,
    id: &str,
    body: Body,
    full: bool,
) -> ApiResult<HttpResponse> {
    let id = parse_id(id)?;
    state.atendimentos.get(caller(&auth), id).await?;
    let c = form::atendimento_changes(body.object()?, full)?;
    let a = state.atendimentos.update(caller(&auth), id, c).await?;
    Ok(ok(AtendimentoOut::of(&a, state.atendimentos.now())))
}

/// Replace an atendimento's writable fields.
#[utoipa::path(put, operation_id = "atendimento_atendimentos_put", path = "/api/v1/atendimento/atendimentos/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = AtendimentoIn,
    responses((status = 200, body = AtendimentoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn atendimentos_put(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    atendimento_update(auth, state, &id, body, true).await
}

/// Update some of an atendimento's fields (no state-machine checks).
#[utoipa::path(patch, operation_id = "atendimento_atendimentos_patch", path = "/api/v1/atendimento/atendimentos/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = AtendimentoIn,
    responses((status = 200, body = AtendimentoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn atendimentos_patch(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    atendimento_update(auth, state, &id, body, false).await
}

/// Delete an atendimento.
#[utoipa::path(delete, operation_id = "atendimento_atendimentos_delete", path = "/api/v1/atendimento/atendimentos/{id}/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn atendimentos_delete(
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state
        .atendimentos
        .delete(caller(&auth), parse_id(&id)?)
        .await?;
    Ok(no_content())
}

/// Finalize (no status check; repeating moves `finalizado_em`).
#[utoipa::path(post, operation_id = "atendimento_atendimentos_finalizar", path = "/api/v1/atendimento/atendimentos/{id}/finalizar/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = FinalizarIn,
    responses((status = 200, body = FinalizadoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn atendimentos_finalizar(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    // The row first (404), then the body (400), as DRF's actions do.
    state.atendimentos.get(caller(&auth), id).await?;
    let observacoes = form::finalizar(body.object()?)?;
    let a = state
        .atendimentos
        .finalizar(caller(&auth), id, observacoes)
        .await?;
    Ok(ok(FinalizadoOut {
        message: "Atendimento finalizado",
        atendimento_id: a.id,
    }))
}

/// Rate an atendimento (1..5).
#[utoipa::path(post, operation_id = "atendimento_atendimentos_avaliar", path = "/api/v1/atendimento/atendimentos/{id}/avaliar/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = AvaliarIn,
    responses((status = 200, body = AvaliadoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn atendimentos_avaliar(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    // The row first (404), then the body (400), as DRF's actions do.
    state.atendimentos.get(caller(&auth), id).await?;
    let (nota, comentario) = form::avaliar(body.object()?)?;
    let a = state
        .atendimentos
        .avaliar(caller(&auth), id, nota, comentario)
        .await?;
    Ok(ok(AvaliadoOut {
        message: "Avaliação registrada",
        avaliacao: a.avaliacao.unwrap_or_default(),
    }))
}

/// Transfer an open atendimento to another agent (and department).
#[utoipa::path(post, operation_id = "atendimento_atendimentos_transferir", path = "/api/v1/atendimento/atendimentos/{id}/transferir/", tag = "Atendimento", security(("jwt" = [])),
    params(("id" = i64, Path)), request_body = TransferirIn,
    responses((status = 200, body = AtendimentoTransferidoOut), (status = 400), (status = 401), (status = 404)))]
pub async fn atendimentos_transferir(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    // The row first (404), then the body (400), as DRF's actions do.
    state.atendimentos.get(caller(&auth), id).await?;
    let cmd = form::transferir(body.object()?)?;
    let (a, t) = state
        .atendimentos
        .transferir(caller(&auth), id, cmd)
        .await?;
    Ok(ok(AtendimentoTransferidoOut {
        message: "Atendimento transferido com sucesso",
        transferencia: TransferenciaOut::from(&t),
        atendimento_id: a.id,
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let base = "/api/v1/atendimento";
    let res = |path: &str| Res::new(&format!("{base}/{path}"), true);
    cfg.service(
        res("departamentos/")
            .get(departamentos_list)
            .post(departamentos_create)
            .build(),
    )
    .service(
        res("departamentos/{id}/")
            .get(departamentos_detail)
            .put(departamentos_put)
            .patch(departamentos_patch)
            .delete(departamentos_delete)
            .build(),
    )
    .service(res("filas/").get(filas_list).post(filas_create).build())
    // Before `filas/{id}/`, which would take `distribuir` for an id.
    .service(res("filas/distribuir/").post(filas_distribuir).build())
    .service(
        res("filas/{id}/")
            .get(filas_detail)
            .put(filas_put)
            .patch(filas_patch)
            .delete(filas_delete)
            .build(),
    )
    .service(
        res("atendimentos/")
            .get(atendimentos_list)
            .post(atendimentos_create)
            .build(),
    )
    .service(
        res("atendimentos/meus-atendimentos/")
            .get(atendimentos_meus)
            .build(),
    )
    .service(
        res("atendimentos/{id}/")
            .get(atendimentos_detail)
            .put(atendimentos_put)
            .patch(atendimentos_patch)
            .delete(atendimentos_delete)
            .build(),
    )
    .service(
        res("atendimentos/{id}/finalizar/")
            .post(atendimentos_finalizar)
            .build(),
    )
    .service(
        res("atendimentos/{id}/avaliar/")
            .post(atendimentos_avaliar)
            .build(),
    )
    .service(
        res("atendimentos/{id}/transferir/")
            .post(atendimentos_transferir)
            .build(),
    );
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        departamentos_list, departamentos_create, departamentos_detail, departamentos_put,
        departamentos_patch, departamentos_delete, filas_list, filas_create, filas_detail,
        filas_put, filas_patch, filas_delete, filas_distribuir, atendimentos_list,
        atendimentos_create, atendimentos_meus, atendimentos_detail, atendimentos_put,
        atendimentos_patch, atendimentos_delete, atendimentos_finalizar, atendimentos_avaliar,
        atendimentos_transferir,
    ),
    components(schemas(
        DepartamentoOut, DepartamentoIn, FilaOut, FilaIn, AtendimentoListOut, AtendimentoOut,
        AtendimentoIn, TransferenciaOut, TransferirIn, AvaliarIn, DistribuirIn, FinalizarIn,
        AtendimentoTransferidoOut, DistribuidosOut, FinalizadoOut, AvaliadoOut,
        Paginated<DepartamentoOut>, Paginated<FilaOut>, Paginated<AtendimentoListOut>,
    ))
)]
pub struct AreaDoc;
