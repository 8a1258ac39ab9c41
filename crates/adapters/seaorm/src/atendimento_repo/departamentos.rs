//! Departamentos with their members (`departamento_atendentes`) and live counters.

use super::sql::{Sql, col};
use super::{exec, insert_returning_id, lock, rows, scalar, text_value, violates};
use crate::support::{db_err, window};
use async_trait::async_trait;
use atendimento::commands::{DEFAULT_COR, DepartamentoChanges, DepartamentoFilter};
use atendimento::model::Departamento;
use atendimento::ports::{DepartamentoRepository, NOME_TAKEN};
use chrono::{DateTime, Utc};
use kernel::{DomainError, FieldErrors, Page, PageRequest, Result, messages as m};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, QueryResult, TransactionTrait, Value};
use std::collections::HashMap;

const SELECT: &str = "SELECT d.*, \
     (SELECT COUNT(*) FROM filas_atendimento f WHERE f.departamento_id = d.id AND f.atribuido_em IS NULL) AS em_fila, \
     (SELECT COUNT(*) FROM atendimentos a WHERE a.departamento_id = d.id AND a.status = 'em_atendimento') AS em_atendimento \
     FROM departamentos d";

pub struct SeaOrmDepartamentoRepository {
    db: DatabaseConnection,
}

impl SeaOrmDepartamentoRepository {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
        }
    }
}

fn of(r: &QueryResult, atendentes: Vec<i64>) -> Result<Departamento, DbErr> {
    Ok(Departamento {
        id: col(r, "id")?,
        nome: col(r, "nome")?,
        descricao: col(r, "descricao")?,
        cor: col(r, "cor")?,
        atendentes,
        max_atendimentos_simultaneos: col(r, "max_atendimentos_simultaneos")?,
        tempo_resposta_esperado_minutos: col(r, "tempo_resposta_esperado_minutos")?,
        ativo: col(r, "ativo")?,
        total_em_fila: col(r, "em_fila")?,
        total_em_atendimento: col(r, "em_atendimento")?,
        criado_em: col(r, "criado_em")?,
        atualizado_em: col(r, "atualizado_em")?,
    })
}

/// Members of the given departments, ascending.
pub(crate) async fn members<D: ConnectionTrait>(
    db: &D,
    deps: &[i64],
) -> Result<HashMap<i64, Vec<i64>>> {
    let mut q = Sql::new("SELECT departamento_id, agent_id FROM departamento_atendentes WHERE ");
    q.in_list(
        "departamento_id",
        deps.iter().map(|d| Value::from(*d)).collect(),
    )
    .push(" ORDER BY departamento_id, agent_id");
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in rows(db, &q).await? {
        let d: i64 = col(&r, "departamento_id").map_err(DomainError::internal)?;
        let a: i64 = col(&r, "agent_id").map_err(DomainError::internal)?;
        out.entry(d).or_default().push(a);
    }
    Ok(out)
}

async fn load<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<Vec<Departamento>> {
    let rs = rows(db, q).await?;
    let ids: Vec<i64> = rs
        .iter()
        .map(|r| col::<i64>(r, "id"))
        .collect::<Result<_, _>>()
        .map_err(DomainError::internal)?;
    let mut members = members(db, &ids).await?;
    rs.iter()
        .zip(ids)
        .map(|(r, id)| {
            of(r, members.remove(&id).unwrap_or_default()).map_err(DomainError::internal)
        })
        .collect()
}

async fn get_one<D: ConnectionTrait>(db: &D, id: i64) -> Result<Option<Departamento>> {
    let mut q = Sql::new(SELECT);
    q.bind1(" WHERE d.id = ?", id);
    Ok(load(db, &q).await?.into_iter().next())
}

/// Unknown member ids as the contract's field error on `atendentes`.
async fn check_members<D: ConnectionTrait>(db: &D, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new("SELECT id FROM agents WHERE ");
    q.in_list("id", ids.iter().map(|i| Value::from(*i)).collect());
    let found = super::ids(db, &q).await?;
    let mut e = FieldErrors::new();
    if let Some(missing) = ids.iter().find(|i| !found.contains(i)) {
        e.add("atendentes", m::invalid_pk(&missing.to_string()));
    }
    e.into_result()
}

async fn set_members<D: ConnectionTrait>(db: &D, dep: i64, ids: &[i64]) -> Result<()> {
    exec(
        db,
        Sql::new("DELETE FROM departamento_atendentes").bind1(" WHERE departamento_id = ?", dep),
    )
    .await?;
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    for a in unique {
        exec(
            db,
            Sql::new("INSERT INTO departamento_atendentes (departamento_id, agent_id)")
                .bind(" VALUES (?, ?)", [dep.into(), a.into()]),
        )
        .await?;
    }
    Ok(())
}

fn nome_conflict(e: DomainError) -> DomainError {
    if violates(&e, &["departamentos.nome", "departamentos_nome", "nome"]) {
        DomainError::Conflict(NOME_TAKEN.into())
    } else {
        e
    }
}

/// The SET list of an update from the given fields.
fn assignments(c: &DepartamentoChanges, q: &mut Sql) {
    if let Some(v) = &c.nome {
        q.bind1(", nome = ?", text_value(v));
    }
    if let Some(v) = &c.descricao {
        q.bind1(", descricao = ?", text_value(v));
    }
    if let Some(v) = &c.cor {
        q.bind1(", cor = ?", text_value(v));
    }
    if let Some(v) = c.max_atendimentos_simultaneos {
        q.bind1(", max_atendimentos_simultaneos = ?", v);
    }
    if let Some(v) = c.tempo_resposta_esperado_minutos {
        q.bind1(", tempo_resposta_esperado_minutos = ?", v);
    }
    if let Some(v) = c.ativo {
        q.bind1(", ativo = ?", v);
    }
}

/// Inserts a department (used by the intake too, for the default "Suporte").
pub(crate) async fn insert_row<D: ConnectionTrait>(
    db: &D,
    c: &DepartamentoChanges,
    now: DateTime<Utc>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO departamentos (nome, descricao, cor, max_atendimentos_simultaneos, \
         tempo_resposta_esperado_minutos, ativo, criado_em, atualizado_em)",
    );
    q.bind(
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            text_value(c.nome.as_deref().unwrap_or("")),
            text_value(c.descricao.as_deref().unwrap_or("")),
            text_value(c.cor.as_deref().unwrap_or(DEFAULT_COR)),
            c.max_atendimentos_simultaneos.unwrap_or(5).into(),
            c.tempo_resposta_esperado_minutos.unwrap_or(15).into(),
            c.ativo.unwrap_or(true).into(),
            now.into(),
            now.into(),
        ],
    );
    insert_returning_id(db, &q).await.map_err(nome_conflict)
}

#[async_trait]
impl DepartamentoRepository for SeaOrmDepartamentoRepository {
    async fn list(
        &self,
        f: &DepartamentoFilter,
        page: PageRequest,
    ) -> Result<Option<Page<Departamento>>> {
        let backend = self.db.get_database_backend();
        let mut cond = Sql::new(" WHERE 1 = 1");
        if let Some(a) = f.ativo {
            cond.bind1(" AND d.ativo = ?", a);
        }
        for term in &f.search {
            cond.icontains_any(&["d.nome", "d.descricao"], term, backend);
        }
        let mut count_q = Sql::new("SELECT COUNT(*) FROM departamentos d");
        count_q.append(&cond);
        let total = scalar(&self.db, &count_q).await?.max(0) as u64;
        let Some(w) = window(page, total) else {
            return Ok(None);
        };
        let mut q = Sql::new(SELECT);
        q.append(&cond);
        q.bind(
            " ORDER BY d.nome, d.id LIMIT ? OFFSET ?",
            [(w.limit as i64).into(), (w.offset as i64).into()],
        );
        Ok(Some(Page {
            items: load(&self.db, &q).await?,
            count: total,
            page: w.page,
            page_size: w.limit,
        }))
    }

    async fn get(&self, id: i64) -> Result<Option<Departamento>> {
        get_one(&self.db, id).await
    }

    async fn insert(&self, c: &DepartamentoChanges, now: DateTime<Utc>) -> Result<Departamento> {
        let txn = self.db.begin().await.map_err(db_err)?;
        lock(&txn).await?;
        if let Some(ids) = &c.atendentes {
            check_members(&txn, ids).await?;
        }
        let id = insert_row(&txn, c, now).await?;
        if let Some(ids) = &c.atendentes {
            set_members(&txn, id, ids).await?;
        }
        let d = get_one(&txn, id).await?;
        txn.commit().await.map_err(db_err)?;
        d.ok_or_else(|| DomainError::internal("inserted departamento vanished"))
    }

    async fn update(
        &self,
        id: i64,
        c: &DepartamentoChanges,
        now: DateTime<Utc>,
    ) -> Result<Option<Departamento>> {
        let txn = self.db.begin().await.map_err(db_err)?;
        lock(&txn).await?;
        if let Some(ids) = &c.atendentes {
            check_members(&txn, ids).await?;
        }
        let mut q = Sql::new("UPDATE departamentos SET");
        q.bind1(" atualizado_em = ?", now);
        assignments(c, &mut q);
        q.bind1(" WHERE id = ?", id);
        if exec(&txn, &q).await.map_err(nome_conflict)? == 0 {
            return Ok(None);
        }
        if let Some(ids) = &c.atendentes {
            set_members(&txn, id, ids).await?;
        }
        let d = get_one(&txn, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn delete(&self, id: i64) -> Result<bool> {
        Ok(exec(
            &self.db,
            Sql::new("DELETE FROM departamentos").bind1(" WHERE id = ?", id),
        )
        .await?
            > 0)
    }
}
