//! The reports as two statements per grouping: the aggregates (one GROUP BY) and the p90
//! wait (nearest rank, with `CUME_DIST()` over each group). Both run on SQLite and
//! PostgreSQL; durations are stored seconds and days the stored `criado_dia`.

use super::rows;
use super::sql::{Sql, col};
use async_trait::async_trait;
use atendimento::relatorios::{
    Agrupamento, Grupo, Linha, Metricas, RelatorioQuery, RelatorioRepository,
};
use chrono::NaiveDate;
use kernel::{DomainError, Result};
use sea_orm::{DatabaseConnection, DbErr, QueryResult};
use std::collections::HashMap;

pub struct SeaOrmRelatorioRepository {
    db: DatabaseConnection,
}

impl SeaOrmRelatorioRepository {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
        }
    }
}

/// (group key expression, name expression, extra join) of a grouping.
fn key(by: Agrupamento) -> (&'static str, &'static str, &'static str) {
    match by {
        Agrupamento::Geral => ("0", "NULL", ""),
        Agrupamento::Atendente => (
            "a.atendente_id",
            "MAX(CASE WHEN g.display_name <> '' THEN g.display_name ELSE g.username END)",
            " LEFT JOIN agents g ON g.id = a.atendente_id",
        ),
        Agrupamento::Departamento => (
            "a.departamento_id",
            "MAX(d.nome)",
            " JOIN departamentos d ON d.id = a.departamento_id",
        ),
        Agrupamento::Dia => ("a.criado_dia", "NULL", ""),
    }
}

fn filter(q: &RelatorioQuery) -> Sql {
    let mut w = Sql::new(" WHERE a.criado_dia >= ?");
    w.bind("", [q.inicio.format("%Y-%m-%d").to_string().into()]);
    w.bind1(
        " AND a.criado_dia <= ?",
        q.fim.format("%Y-%m-%d").to_string(),
    );
    if let Some(d) = q.departamento {
        w.bind1(" AND a.departamento_id = ?", d);
    }
    if let Some(at) = q.atendente {
        w.bind1(" AND a.atendente_id = ?", at);
    }
    w
}

fn avg(expr: &str) -> String {
    format!("CAST(AVG({expr}) AS DOUBLE PRECISION)")
}

fn sum_if(cond: &str) -> String {
    format!("CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT)")
}

/// The group key of a row as text (integers and day strings alike).
fn key_text(r: &QueryResult, by: Agrupamento) -> Result<Option<String>, DbErr> {
    Ok(match by {
        Agrupamento::Geral => Some("0".into()),
        Agrupamento::Dia => col::<Option<String>>(r, "k")?,
        _ => col::<Option<i64>>(r, "k")?.map(|v| v.to_string()),
    })
}

fn grupo(by: Agrupamento, k: Option<&str>) -> Result<Grupo, DbErr> {
    let bad = || DbErr::Custom(format!("bad report key {k:?}"));
    Ok(match by {
        Agrupamento::Geral => Grupo::Geral,
        Agrupamento::Atendente => {
            Grupo::Atendente(k.map(|s| s.parse::<i64>().map_err(|_| bad())).transpose()?)
        }
        Agrupamento::Departamento => {
            Grupo::Departamento(k.ok_or_else(bad)?.parse::<i64>().map_err(|_| bad())?)
        }
        Agrupamento::Dia => Grupo::Dia(
            NaiveDate::parse_from_str(k.ok_or_else(bad)?, "%Y-%m-%d").map_err(|_| bad())?,
        ),
    })
}

#[async_trait]
impl RelatorioRepository for SeaOrmRelatorioRepository {
    async fn metricas(&self, q: &RelatorioQuery, by: Agrupamento) -> Result<Vec<Linha>> {
        let (k, nome, join) = key(by);
        let mut s = Sql::new(&format!(
            "SELECT {k} AS k, {nome} AS nome, COUNT(*) AS abertos, {fechados} AS fechados, \
             {auto} AS auto_encerrados, {transf} AS transferidos, {espera} AS espera, \
             {primeira} AS primeira, {total} AS total, {csat} AS csat, \
             {c1} AS c1, {c2} AS c2, {c3} AS c3, {c4} AS c4, {c5} AS c5 \
             FROM atendimentos a{join}",
            fechados = sum_if("a.status = 'finalizado'"),
            auto = sum_if("a.auto_encerrado"),
            transf =
                sum_if("EXISTS (SELECT 1 FROM transferencias t WHERE t.atendimento_id = a.id)"),
            espera = avg("a.tempo_espera_segundos"),
            primeira = avg("a.tempo_primeira_resposta_segundos"),
            total = avg("a.tempo_total_atendimento_segundos"),
            csat = avg("a.avaliacao"),
            c1 = sum_if("a.avaliacao = 1"),
            c2 = sum_if("a.avaliacao = 2"),
            c3 = sum_if("a.avaliacao = 3"),
            c4 = sum_if("a.avaliacao = 4"),
            c5 = sum_if("a.avaliacao = 5"),
        ));
        s.append(&filter(q));
        if by != Agrupamento::Geral {
            s.push(&format!(" GROUP BY {k} ORDER BY {k}"));
        }
        let mut p = Sql::new(&format!(
            "SELECT k, CAST(MIN(w) AS DOUBLE PRECISION) AS p90 FROM (SELECT {k} AS k, \
             a.tempo_espera_segundos AS w, CUME_DIST() OVER (PARTITION BY {k} \
             ORDER BY a.tempo_espera_segundos) AS cd FROM atendimentos a"
        ));
        let mut pf = filter(q);
        pf.push(" AND a.tempo_espera_segundos IS NOT NULL");
        p.append(&pf).push(") s WHERE cd >= 0.9 GROUP BY k");
        let mut p90: HashMap<Option<String>, f64> = HashMap::new();
        for r in rows(&self.db, &p).await? {
            let kt = key_text(&r, by).map_err(DomainError::internal)?;
            let v: Option<f64> = col(&r, "p90").map_err(DomainError::internal)?;
            if let Some(v) = v {
                p90.insert(kt, v);
            }
        }
        let mut out = Vec::new();
        for r in rows(&self.db, &s).await? {
            let line = (|| {
                let abertos: i64 = col(&r, "abertos")?;
                if abertos == 0 {
                    return Ok(None);
                }
                let kt = key_text(&r, by)?;
                let n = |c: &str| col::<Option<i64>>(&r, c).map(|v| v.unwrap_or(0));
                Ok::<_, DbErr>(Some(Linha {
                    grupo: grupo(by, kt.as_deref())?,
                    nome: col(&r, "nome")?,
                    metricas: Metricas {
                        abertos,
                        fechados: n("fechados")?,
                        auto_encerrados: n("auto_encerrados")?,
                        transferidos: n("transferidos")?,
                        espera_media_segundos: col(&r, "espera")?,
                        espera_p90_segundos: p90.get(&kt).copied(),
                        primeira_resposta_media_segundos: col(&r, "primeira")?,
                        atendimento_medio_segundos: col(&r, "total")?,
                        csat_media: col(&r, "csat")?,
                        csat_distribuicao: [n("c1")?, n("c2")?, n("c3")?, n("c4")?, n("c5")?],
                    },
                }))
            })()
            .map_err(DomainError::internal)?;
            out.extend(line);
        }
        Ok(out)
    }
}
