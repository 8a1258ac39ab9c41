//! Permissões e grupos, and agent management (contract §4.11, §4.13).

use crate::dto::authz as parse;
pub use crate::dto::authz::{AgentIn, GroupIdsIn, GroupIn};
use crate::http::auth::{ManageAuth, Perm};
use crate::http::middleware::Res;
use crate::http::page::{Paginated, page_request, paginate, query_pairs};
use crate::http::{ApiError, ApiResult, Auth, Body, created, no_content, ok, parse_id};
use actix_web::{HttpRequest, HttpResponse, web};
use authz::model::{Agent, Group};
use authz::permissions::{self, Permission};
use kernel::clock::format_local;
use kernel::{DomainError, FieldErrors};
use serde::Serialize;
use utoipa::ToSchema;

type State = web::Data<Area>;
type Manager = Perm<ManageAuth>;

/// What this area's handlers use.
pub struct Area {
    pub agents: std::sync::Arc<authz::agents::AgentService>,
    pub groups: std::sync::Arc<authz::groups::GroupService>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            agents: s.agents.clone(),
            groups: s.groups.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PermissionOut {
    pub id: i64,
    pub app_label: String,
    pub model: String,
    pub codename: String,
    pub name: String,
}

impl From<&Permission> for PermissionOut {
    fn from(p: &Permission) -> Self {
        Self {
            id: p.id,
            app_label: p.app_label.into(),
            model: p.model.into(),
            codename: p.codename.into(),
            name: p.name.into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GroupOut {
    pub id: i64,
    pub name: String,
    pub permissions: Vec<i64>,
}

impl From<Group> for GroupOut {
    fn from(g: Group) -> Self {
        Self {
            id: g.id,
            name: g.name,
            permissions: g.permissions,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AgentOut {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub phone_number: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub groups: Vec<i64>,
    pub criado_em: String,
}

impl From<Agent> for AgentOut {
    fn from(a: Agent) -> Self {
        Self {
            id: a.id,
            username: a.username,
            email: a.email,
            display_name: a.display_name,
            phone_number: a.phone_number,
            is_active: a.is_active,
            is_superuser: a.is_superuser,
            groups: a.groups,
            criado_em: format_local(a.criado_em),
        }
    }
}

/// The fixed permission table.
#[utoipa::path(get, operation_id = "authz_permissions_list", path = "/api/v1/authz/permissions/", tag = "Permissões e Grupos", security(("jwt" = [])),
    responses((status = 200, body = Vec<PermissionOut>), (status = 401)))]
pub async fn permissions_list(_auth: Auth) -> HttpResponse {
    ok(permissions::sorted()
        .into_iter()
        .map(PermissionOut::from)
        .collect::<Vec<_>>())
}

/// List groups.
#[utoipa::path(get, operation_id = "authz_groups_list", path = "/api/v1/authz/groups/", tag = "Permissões e Grupos", security(("jwt" = [])),
    responses((status = 200, body = Vec<GroupOut>), (status = 401), (status = 403)))]
pub async fn groups_list(_p: Manager, state: State) -> ApiResult<HttpResponse> {
    let groups = state.groups.list().await?;
    Ok(ok(groups
        .into_iter()
        .map(GroupOut::from)
        .collect::<Vec<_>>()))
}

/// Create a group.
#[utoipa::path(post, operation_id = "authz_groups_create", path = "/api/v1/authz/groups/", tag = "Permissões e Grupos", security(("jwt" = [])), request_body = GroupIn,
    responses((status = 201, body = GroupOut), (status = 400), (status = 401), (status = 403)))]
pub async fn groups_create(_p: Manager, state: State, body: Body) -> ApiResult<HttpResponse> {
    let cmd = parse::create_group(body.object()?).map_err(DomainError::Validation)?;
    let g = state.groups.create(cmd).await?;
    Ok(created(GroupOut::from(g)))
}

/// Group detail.
#[utoipa::path(get, operation_id = "authz_groups_detail", path = "/api/v1/authz/groups/{id}/", tag = "Permissões e Grupos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = GroupOut), (status = 401), (status = 403), (status = 404)))]
pub async fn groups_detail(
    _p: Manager,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(ok(GroupOut::from(state.groups.get(parse_id(&id)?).await?)))
}

/// Replace a group (permissions default to none).
#[utoipa::path(put, operation_id = "authz_groups_put", path = "/api/v1/authz/groups/{id}/", tag = "Permissões e Grupos", security(("jwt" = [])), request_body = GroupIn,
    params(("id" = i64, Path)), responses((status = 200, body = GroupOut), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn groups_put(
    _p: Manager,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let cmd = match parse::update_group(body.object()?, true) {
        Ok(cmd) => cmd,
        Err(errors) => return Err(invalid_group(&state, id, errors).await),
    };
    let g = state.groups.update(id, cmd).await?;
    Ok(ok(GroupOut::from(g)))
}

/// Partially update a group (permissions replace).
#[utoipa::path(patch, operation_id = "authz_groups_patch", path = "/api/v1/authz/groups/{id}/", tag = "Permissões e Grupos", security(("jwt" = [])), request_body = GroupIn,
    params(("id" = i64, Path)), responses((status = 200, body = GroupOut), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn groups_patch(
    _p: Manager,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let cmd = match parse::update_group(body.object()?, false) {
        Ok(cmd) => cmd,
        Err(errors) => return Err(invalid_group(&state, id, errors).await),
    };
    let g = state.groups.update(id, cmd).await?;
    Ok(ok(GroupOut::from(g)))
}

/// Delete a group.
#[utoipa::path(delete, operation_id = "authz_groups_delete", path = "/api/v1/authz/groups/{id}/", tag = "Permissões e Grupos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 403), (status = 404)))]
pub async fn groups_delete(
    _p: Manager,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.groups.delete(parse_id(&id)?).await?;
    Ok(no_content())
}

/// An agent's groups.
#[utoipa::path(get, operation_id = "authz_agent_groups", path = "/api/v1/authz/agents/{id}/groups/", tag = "Permissões e Grupos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<GroupOut>), (status = 401), (status = 403), (status = 404)))]
pub async fn agent_groups(
    _p: Manager,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let groups = state.groups.agent_groups(parse_id(&id)?).await?;
    Ok(ok(groups
        .into_iter()
        .map(GroupOut::from)
        .collect::<Vec<_>>()))
}

/// Replace an agent's group memberships (unknown ids ignored).
#[utoipa::path(patch, operation_id = "authz_agent_groups_set", path = "/api/v1/authz/agents/{id}/groups/", tag = "Permissões e Grupos", security(("jwt" = [])),
    request_body = GroupIdsIn, params(("id" = i64, Path)),
    responses((status = 200, body = Vec<GroupOut>), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn agent_groups_set(
    _p: Manager,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let cmd = match parse::set_agent_groups(body.object()?) {
        Ok(cmd) => cmd,
        Err(errors) => {
            // A missing agent is a 404 whatever the body.
            state.agents.get(id).await?;
            return Err(DomainError::Validation(errors).into());
        }
    };
    let groups = state.groups.set_agent_groups(id, cmd).await?;
    Ok(ok(groups
        .into_iter()
        .map(GroupOut::from)
        .collect::<Vec<_>>()))
}

/// List agents.
#[utoipa::path(get, operation_id = "authz_agents_list", path = "/api/v1/authz/agents/", tag = "Permissões e Grupos", security(("jwt" = [])),
    params(("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<AgentOut>), (status = 401), (status = 403), (status = 404, description = "Página inválida")))]
pub async fn agents_list(req: HttpRequest, _p: Manager, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let page = state.agents.list(page_request(&q)?).await?;
    Ok(ok(paginate(&req, &q, page, AgentOut::from)))
}

/// Create an agent.
#[utoipa::path(post, operation_id = "authz_agents_create", path = "/api/v1/authz/agents/", tag = "Permissões e Grupos", security(("jwt" = [])), request_body = AgentIn,
    responses((status = 201, body = AgentOut), (status = 400), (status = 401), (status = 403)))]
pub async fn agents_create(_p: Manager, state: State, body: Body) -> ApiResult<HttpResponse> {
    let cmd = match parse::create_agent(body.object()?) {
        Ok(cmd) => cmd,
        Err(bad) => {
            let e = state
                .agents
                .invalid(None, bad.errors, bad.group_ids.as_deref())
                .await;
            return Err(e.into());
        }
    };
    let a = state.agents.create(cmd).await?;
    Ok(created(AgentOut::from(a)))
}

/// Agent detail.
#[utoipa::path(get, operation_id = "authz_agents_detail", path = "/api/v1/authz/agents/{id}/", tag = "Permissões e Grupos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = AgentOut), (status = 401), (status = 403), (status = 404)))]
pub async fn agents_detail(
    _p: Manager,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(ok(AgentOut::from(state.agents.get(parse_id(&id)?).await?)))
}

/// Update an agent (password re-hashed when given).
#[utoipa::path(patch, operation_id = "authz_agents_patch", path = "/api/v1/authz/agents/{id}/", tag = "Permissões e Grupos", security(("jwt" = [])), request_body = AgentIn,
    params(("id" = i64, Path)), responses((status = 200, body = AgentOut), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn agents_patch(
    _p: Manager,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let cmd = match parse::update_agent(body.object()?) {
        Ok(cmd) => cmd,
        Err(bad) => {
            let e = state
                .agents
                .invalid(Some(id), bad.errors, bad.group_ids.as_deref())
                .await;
            return Err(e.into());
        }
    };
    let a = state.agents.update(id, cmd).await?;
    Ok(ok(AgentOut::from(a)))
}

/// Deactivate an agent (its tokens stop working). The last active superuser cannot be
/// deactivated (400 `{"detail": …}`), nor demoted or deactivated through `PATCH`.
#[utoipa::path(delete, operation_id = "authz_agents_delete", path = "/api/v1/authz/agents/{id}/", tag = "Permissões e Grupos", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 400, description = "the last active superuser"), (status = 401), (status = 403), (status = 404)))]
pub async fn agents_delete(
    _p: Manager,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.agents.deactivate(parse_id(&id)?).await?;
    Ok(no_content())
}

/// The error for a group body that did not parse: a missing group is a 404 first.
async fn invalid_group(state: &State, id: i64, errors: FieldErrors) -> ApiError {
    match state.groups.get(id).await {
        Err(e) => e.into(),
        Ok(_) => DomainError::Validation(errors).into(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/authz/permissions/", true)
            .get(permissions_list)
            .build(),
    )
    .service(
        Res::new("/api/v1/authz/groups/", true)
            .get(groups_list)
            .post(groups_create)
            .build(),
    )
    .service(
        Res::new("/api/v1/authz/groups/{id}/", true)
            .get(groups_detail)
            .put(groups_put)
            .patch(groups_patch)
            .delete(groups_delete)
            .build(),
    )
    .service(
        Res::new("/api/v1/authz/agents/", true)
            .get(agents_list)
            .post(agents_create)
            .build(),
    )
    .service(
        Res::new("/api/v1/authz/agents/{id}/", true)
            .get(agents_detail)
            .patch(agents_patch)
            .delete(agents_delete)
            .build(),
    )
    .service(
        Res::new("/api/v1/authz/agents/{id}/groups/", true)
            .get(agent_groups)
            .patch(agent_groups_set)
            .build(),
    );
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        permissions_list, groups_list, groups_create, groups_detail, groups_put, groups_patch,
        groups_delete, agent_groups, agent_groups_set, agents_list, agents_create, agents_detail,
        agents_patch, agents_delete,
    ),
    components(schemas(
        PermissionOut, GroupOut, GroupIn, GroupIdsIn, AgentOut, AgentIn, Paginated<AgentOut>,
    ))
)]
pub struct AreaDoc;
