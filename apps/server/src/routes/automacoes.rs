//! Automations (ours, contract §4.13): `GET/PATCH /api/v1/config/automacoes/`, the switches
//! of the chat settings' automatic messages. GET: any authenticated user; PATCH:
//! `core.manage_config_chat`.

use crate::http::auth::{Perm, PermCode};
use crate::http::middleware::Res;
use crate::http::{ApiResult, Auth, Body, ok};
use actix_web::{HttpResponse, web};
use atendimento::automacoes::{Automacoes, AutomacoesPatch, Automations};
use kernel::FieldErrors;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

pub struct Area {
    pub automacoes: Arc<Automations>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            automacoes: s.automacoes.clone(),
        }
    }
}

/// `core.manage_config_chat`.
pub struct ManageChat;
impl PermCode for ManageChat {
    const CODE: &'static str = "core.manage_config_chat";
}

/// The switches (all false by default) and the survey's text.
#[derive(Debug, Serialize, ToSchema)]
pub struct AutomacoesOut {
    /// Greet every new chat with `mensagem_saudacao`.
    pub saudacao: bool,
    /// Answer messages outside `horario_funcionamento` (São Paulo) with
    /// `mensagem_fora_expediente`, at most once per chat per closed period.
    pub fora_expediente: bool,
    /// Send `mensagem_encerramento` when a chat is closed.
    pub encerramento: bool,
    /// Send `mensagem_inatividade` when a chat is closed for inactivity.
    pub inatividade: bool,
    /// After closing, ask for a grade 1..5; a reply "1".."5" within 24 h is recorded as
    /// `avaliacao`.
    pub pesquisa_satisfacao: bool,
    pub pesquisa_satisfacao_mensagem: String,
}

impl From<Automacoes> for AutomacoesOut {
    fn from(a: Automacoes) -> Self {
        Self {
            saudacao: a.saudacao,
            fora_expediente: a.fora_expediente,
            encerramento: a.encerramento,
            inatividade: a.inatividade,
            pesquisa_satisfacao: a.pesquisa_satisfacao,
            pesquisa_satisfacao_mensagem: a.pesquisa_satisfacao_mensagem,
        }
    }
}

/// `PATCH` body: any of the keys; unknown keys are ignored.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AutomacoesIn {
    pub saudacao: Option<bool>,
    pub fora_expediente: Option<bool>,
    pub encerramento: Option<bool>,
    pub inatividade: Option<bool>,
    pub pesquisa_satisfacao: Option<bool>,
    #[schema(max_length = 1000)]
    pub pesquisa_satisfacao_mensagem: Option<String>,
}

pub const MENSAGEM_MAX: usize = 1000;

fn patch_of(input: &kernel::input::Input) -> Result<AutomacoesPatch, kernel::DomainError> {
    let mut e = FieldErrors::new();
    let p = AutomacoesPatch {
        saudacao: input.boolean("saudacao", &mut e),
        fora_expediente: input.boolean("fora_expediente", &mut e),
        encerramento: input.boolean("encerramento", &mut e),
        inatividade: input.boolean("inatividade", &mut e),
        pesquisa_satisfacao: input.boolean("pesquisa_satisfacao", &mut e),
        pesquisa_satisfacao_mensagem: input.text(
            "pesquisa_satisfacao_mensagem",
            Some(MENSAGEM_MAX),
            false,
            &mut e,
        ),
    };
    e.into_result()?;
    Ok(p)
}

/// The automations' switches.
#[utoipa::path(get, operation_id = "config_automacoes_get", path = "/api/v1/config/automacoes/", tag = "Configurações", security(("jwt" = [])),
    responses((status = 200, body = AutomacoesOut), (status = 401)))]
pub async fn get(_auth: Auth, state: web::Data<Area>) -> ApiResult<HttpResponse> {
    Ok(ok(AutomacoesOut::from(state.automacoes.get().await?)))
}

/// Change some of the switches (`core.manage_config_chat`).
#[utoipa::path(patch, operation_id = "config_automacoes_patch", path = "/api/v1/config/automacoes/", tag = "Configurações", security(("jwt" = [])),
    request_body = AutomacoesIn,
    responses((status = 200, body = AutomacoesOut), (status = 400, description = "Field errors"), (status = 401), (status = 403)))]
pub async fn patch(
    _auth: Perm<ManageChat>,
    state: web::Data<Area>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let p = patch_of(body.object()?)?;
    Ok(ok(AutomacoesOut::from(state.automacoes.update(p).await?)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/config/automacoes/", true)
            .get(get)
            .patch(patch)
            .build(),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(get, patch), components(schemas(AutomacoesOut, AutomacoesIn)))]
pub struct AreaDoc;
