//! Reports (ours, beyond the original): volumes, waits, response and handling times and CSAT
//! for a period, overall and per agent, department and day — computed by the database.
//!
//! The period selects a cohort: the atendimentos *opened* (`criado_em`, São Paulo calendar day)
//! from `inicio` to `fim` inclusive. Every figure is about that cohort: how many were opened,
//! how many of them are closed (and auto-closed), how many were transferred at least once,
//! their waits (queue → start), first responses, handling times and ratings.

use crate::commands::Caller;
use async_trait::async_trait;
use chrono::NaiveDate;
use kernel::{DomainError, FieldErrors, Result};

/// At most this many days per report.
pub const MAX_DIAS: i64 = 366;
pub const FIM_ANTES: &str = "fim deve ser igual ou posterior a inicio";
pub const PERIODO_LONGO: &str = "O período não pode passar de 366 dias";

#[derive(Debug, Clone, PartialEq)]
pub struct RelatorioQuery {
    pub inicio: NaiveDate,
    pub fim: NaiveDate,
    pub departamento: Option<i64>,
    pub atendente: Option<i64>,
}

/// The figures of one group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metricas {
    pub abertos: i64,
    pub fechados: i64,
    pub auto_encerrados: i64,
    pub transferidos: i64,
    pub espera_media_segundos: Option<f64>,
    pub espera_p90_segundos: Option<f64>,
    pub primeira_resposta_media_segundos: Option<f64>,
    pub atendimento_medio_segundos: Option<f64>,
    pub csat_media: Option<f64>,
    /// Ratings 1..5 (index 0 = grade 1).
    pub csat_distribuicao: [i64; 5],
}

impl Metricas {
    pub fn avaliacoes(&self) -> i64 {
        self.csat_distribuicao.iter().sum()
    }
}

/// What a group is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grupo {
    Geral,
    /// `None`: atendimentos without atendente.
    Atendente(Option<i64>),
    Departamento(i64),
    Dia(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agrupamento {
    Geral,
    Atendente,
    Departamento,
    Dia,
}

/// One group's figures with its name (agent display name/username, department name).
#[derive(Debug, Clone, PartialEq)]
pub struct Linha {
    pub grupo: Grupo,
    pub nome: Option<String>,
    pub metricas: Metricas,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Relatorio {
    pub query: RelatorioQuery,
    pub geral: Metricas,
    pub por_atendente: Vec<Linha>,
    pub por_departamento: Vec<Linha>,
    pub por_dia: Vec<Linha>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RelatorioRepository: Send + Sync {
    /// The figures of the cohort grouped as asked (one GROUP BY), ordered by group.
    async fn metricas(&self, q: &RelatorioQuery, by: Agrupamento) -> Result<Vec<Linha>>;
}

pub struct RelatorioService {
    repo: std::sync::Arc<dyn RelatorioRepository>,
}

impl RelatorioService {
    pub fn new(repo: std::sync::Arc<dyn RelatorioRepository>) -> Self {
        Self { repo }
    }

    /// Superusers see everything; agents only themselves (the `atendente` filter is forced
    /// to the caller).
    pub async fn gerar(&self, caller: Caller, mut q: RelatorioQuery) -> Result<Relatorio> {
        if q.fim < q.inicio {
            return Err(DomainError::Validation(FieldErrors::single(
                "fim", FIM_ANTES,
            )));
        }
        if (q.fim - q.inicio).num_days() >= MAX_DIAS {
            return Err(DomainError::Validation(FieldErrors::single(
                "fim",
                PERIODO_LONGO,
            )));
        }
        if !caller.is_superuser {
            q.atendente = Some(caller.id);
        }
        let geral = self
            .repo
            .metricas(&q, Agrupamento::Geral)
            .await?
            .into_iter()
            .next()
            .map(|l| l.metricas)
            .unwrap_or_default();
        Ok(Relatorio {
            por_atendente: self.repo.metricas(&q, Agrupamento::Atendente).await?,
            por_departamento: self.repo.metricas(&q, Agrupamento::Departamento).await?,
            por_dia: self.repo.metricas(&q, Agrupamento::Dia).await?,
            geral,
            query: q,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn q(inicio: &str, fim: &str, atendente: Option<i64>) -> RelatorioQuery {
        RelatorioQuery {
            inicio: d(inicio),
            fim: d(fim),
            departamento: None,
            atendente,
        }
    }

    #[test]
    fn agents_see_only_themselves_and_periods_are_checked() {
        let mut repo = MockRelatorioRepository::new();
        repo.expect_metricas()
            .withf(|q, _| q.atendente == Some(7))
            .times(4)
            .returning(|_, by| {
                Ok(match by {
                    Agrupamento::Geral => vec![Linha {
                        grupo: Grupo::Geral,
                        nome: None,
                        metricas: Metricas {
                            abertos: 3,
                            csat_distribuicao: [0, 0, 1, 0, 2],
                            ..Default::default()
                        },
                    }],
                    _ => vec![],
                })
            });
        let svc = RelatorioService::new(Arc::new(repo));
        let agent = Caller {
            id: 7,
            is_superuser: false,
        };
        let r =
            futures_executor::block_on(svc.gerar(agent, q("2026-01-01", "2026-01-31", Some(9))))
                .unwrap();
        assert_eq!(r.geral.abertos, 3);
        assert_eq!(r.geral.avaliacoes(), 3);
        assert_eq!(r.query.atendente, Some(7));

        let svc = RelatorioService::new(Arc::new(MockRelatorioRepository::new()));
        let admin = Caller {
            id: 1,
            is_superuser: true,
        };
        for (a, b, field_msg) in [
            ("2026-02-01", "2026-01-31", FIM_ANTES),
            ("2025-01-01", "2026-01-03", PERIODO_LONGO),
        ] {
            match futures_executor::block_on(svc.gerar(admin, q(a, b, None))) {
                Err(DomainError::Validation(fe)) => {
                    assert_eq!(fe.to_json(), serde_json::json!({"fim": [field_msg]}))
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
