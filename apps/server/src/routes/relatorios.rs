//! Reports (ours, contract §4.13): `GET /api/v1/atendimento/relatorios/` — the period's
//! volumes, waits, response and handling times and CSAT, overall and per agent, department
//! and day. Superusers see everything; agents only themselves.

use crate::http::middleware::Res;
use crate::http::page::query_pairs;
use crate::http::{ApiResult, Auth, ok};
use actix_web::{HttpRequest, HttpResponse, web};
use atendimento::relatorios::{Grupo, Linha, Metricas, RelatorioQuery, RelatorioService};
use chrono::NaiveDate;
use kernel::{DomainError, FieldErrors, messages as m};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

pub struct Area {
    pub relatorios: Arc<RelatorioService>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            relatorios: s.relatorios.clone(),
        }
    }
}

/// The figures of one group (durations in seconds; `null` when nothing to average).
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricasOut {
    pub abertos: i64,
    pub fechados: i64,
    pub auto_encerrados: i64,
    pub transferidos: i64,
    pub espera_media_segundos: Option<f64>,
    pub espera_p90_segundos: Option<f64>,
    pub primeira_resposta_media_segundos: Option<f64>,
    pub atendimento_medio_segundos: Option<f64>,
    pub csat_media: Option<f64>,
    pub csat_avaliacoes: i64,
    /// Ratings per grade, keys `"1"`…`"5"`.
    #[schema(value_type = Object)]
    pub csat_distribuicao: serde_json::Map<String, serde_json::Value>,
}

impl From<&Metricas> for MetricasOut {
    fn from(x: &Metricas) -> Self {
        let mut dist = serde_json::Map::new();
        for (i, n) in x.csat_distribuicao.iter().enumerate() {
            dist.insert((i + 1).to_string(), (*n).into());
        }
        Self {
            abertos: x.abertos,
            fechados: x.fechados,
            auto_encerrados: x.auto_encerrados,
            transferidos: x.transferidos,
            espera_media_segundos: x.espera_media_segundos,
            espera_p90_segundos: x.espera_p90_segundos,
            primeira_resposta_media_segundos: x.primeira_resposta_media_segundos,
            atendimento_medio_segundos: x.atendimento_medio_segundos,
            csat_media: x.csat_media,
            csat_avaliacoes: x.avaliacoes(),
            csat_distribuicao: dist,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PorAtendenteOut {
    /// `null`: atendimentos nobody took.
    pub atendente_id: Option<i64>,
    pub atendente_nome: Option<String>,
    #[serde(flatten)]
    pub metricas: MetricasOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PorDepartamentoOut {
    pub departamento_id: i64,
    pub departamento_nome: Option<String>,
    #[serde(flatten)]
    pub metricas: MetricasOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PorDiaOut {
    /// São Paulo calendar day, `YYYY-MM-DD`.
    pub dia: String,
    #[serde(flatten)]
    pub metricas: MetricasOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodoOut {
    pub inicio: String,
    pub fim: String,
    pub departamento: Option<i64>,
    pub atendente: Option<i64>,
}

/// The report. The period selects the atendimentos opened from `inicio` to `fim`
/// (inclusive, São Paulo days); every figure is about them.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatorioOut {
    pub periodo: PeriodoOut,
    pub geral: MetricasOut,
    pub por_atendente: Vec<PorAtendenteOut>,
    pub por_departamento: Vec<PorDepartamentoOut>,
    pub por_dia: Vec<PorDiaOut>,
}

/// `YYYY-MM-DD` or `DD/MM/YYYY` (§9).
fn date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .ok()
}

fn parse(q: &[(String, String)]) -> Result<RelatorioQuery, DomainError> {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    let mut e = FieldErrors::new();
    let day = |k: &str, e: &mut FieldErrors| match get(k) {
        None | Some("") => {
            e.add(k, m::REQUIRED);
            None
        }
        Some(raw) => date(raw).or_else(|| {
            e.add(k, m::DATE);
            None
        }),
    };
    let inicio = day("inicio", &mut e);
    let fim = day("fim", &mut e);
    let mut id = |k: &str| match get(k) {
        None | Some("") => None,
        Some(raw) => raw.parse::<i64>().ok().or_else(|| {
            e.add(k, m::INTEGER);
            None
        }),
    };
    let departamento = id("departamento");
    let atendente = id("atendente");
    e.into_result()?;
    match (inicio, fim) {
        (Some(inicio), Some(fim)) => Ok(RelatorioQuery {
            inicio,
            fim,
            departamento,
            atendente,
        }),
        _ => Err(DomainError::internal(
            "report dates missing after validation",
        )),
    }
}

fn out(r: &atendimento::relatorios::Relatorio) -> RelatorioOut {
    let line_metrics = |l: &Linha| MetricasOut::from(&l.metricas);
    RelatorioOut {
        periodo: PeriodoOut {
            inicio: r.query.inicio.format("%Y-%m-%d").to_string(),
            fim: r.query.fim.format("%Y-%m-%d").to_string(),
            departamento: r.query.departamento,
            atendente: r.query.atendente,
        },
        geral: MetricasOut::from(&r.geral),
        por_atendente: r
            .por_atendente
            .iter()
            .filter_map(|l| match l.grupo {
                Grupo::Atendente(id) => Some(PorAtendenteOut {
                    atendente_id: id,
                    atendente_nome: l.nome.clone(),
                    metricas: line_metrics(l),
                }),
                _ => None,
            })
            .collect(),
        por_departamento: r
            .por_departamento
            .iter()
            .filter_map(|l| match l.grupo {
                Grupo::Departamento(id) => Some(PorDepartamentoOut {
                    departamento_id: id,
                    departamento_nome: l.nome.clone(),
                    metricas: line_metrics(l),
                }),
                _ => None,
            })
            .collect(),
        por_dia: r
            .por_dia
            .iter()
            .filter_map(|l| match l.grupo {
                Grupo::Dia(d) => Some(PorDiaOut {
                    dia: d.format("%Y-%m-%d").to_string(),
                    metricas: line_metrics(l),
                }),
                _ => None,
            })
            .collect(),
    }
}

/// Atendimento report for a period.
#[utoipa::path(get, operation_id = "atendimento_relatorios", path = "/api/v1/atendimento/relatorios/", tag = "Atendimento", security(("jwt" = [])),
    params(("inicio" = String, Query, description = "YYYY-MM-DD (or DD/MM/YYYY), required"),
           ("fim" = String, Query, description = "YYYY-MM-DD (or DD/MM/YYYY), required, ≥ inicio, at most 366 days after it"),
           ("departamento" = Option<i64>, Query), ("atendente" = Option<i64>, Query, description = "ignored for non-superusers: they see only themselves")),
    responses((status = 200, body = RelatorioOut), (status = 400, description = "Bad dates or ids (field errors)"), (status = 401)))]
pub async fn relatorio(
    req: HttpRequest,
    auth: Auth,
    state: web::Data<Area>,
) -> ApiResult<HttpResponse> {
    let q = parse(&query_pairs(&req))?;
    let r = state
        .relatorios
        .gerar(crate::routes::whatsapp::caller(&auth), q)
        .await?;
    Ok(ok(out(&r)))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/atendimento/relatorios/", true)
            .get(relatorio)
            .build(),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(relatorio),
    components(schemas(
        RelatorioOut,
        MetricasOut,
        PorAtendenteOut,
        PorDepartamentoOut,
        PorDiaOut,
        PeriodoOut
    ))
)]
pub struct AreaDoc;
