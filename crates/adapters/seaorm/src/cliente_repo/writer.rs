//! Cliente inserts as a kind of job of the database's group-commit writer
//! ([`crate::writer`]): the clientes of one batch go as one multi-row insert, each item that
//! fails on its data rolling back alone; each batch also does a bounded step of the search
//! index's merge work ([`FTS_MERGE`]).

use super::{
    FTS_MERGE, active_model, insert_allocating, insert_model, mapping, next_seqs, with_grupo_nome,
};
use crate::entities::{cliente, grupo_empresa};
use crate::support::now;
use crate::writer::{BatchInsert, own_fault};
use async_trait::async_trait;
use clientes::ports::CNPJ_CONSTRAINT;
use clientes::service::{PLACEHOLDER_ATTEMPTS, placeholder_cnpj};
use clientes::{Cliente, ClienteData};
use kernel::{DomainError, Result};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryTrait};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use std::collections::HashMap;

/// One cliente insert.
pub(super) struct Job {
    pub(super) data: ClienteData,
    pub(super) criado_por: Option<i64>,
    /// An empty `cnpj` gets a placeholder allocated in the same transaction.
    pub(super) allocate: bool,
}

#[async_trait]
impl BatchInsert for Job {
    type Output = Cliente;

    async fn run(
        txn: &DatabaseTransaction,
        jobs: &[Self],
    ) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
        items(txn, jobs).await
    }

    async fn after(txn: &DatabaseTransaction) {
        // A failed merge step leaves the index as it was (the statement is undone alone)
        // and is taken up again by the next batch: no reason to fail the inserts.
        let _ = txn.execute_unprepared(FTS_MERGE).await;
    }
}

/// The batch as one multi-row `INSERT … ON CONFLICT (cnpj) DO NOTHING RETURNING *` (placeholders
/// allocated for the whole batch by one counter update); when that statement fails on an
/// item's data (a constraint other than uniqueness, e.g. an unknown group), its savepoint is
/// rolled back and the batch goes item by item, each in its own savepoint.
async fn items(
    txn: &DatabaseTransaction,
    jobs: &[Job],
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    txn.execute_unprepared("SAVEPOINT cliente_batch").await?;
    match together(txn, jobs).await {
        Ok(results) => {
            txn.execute_unprepared("RELEASE cliente_batch").await?;
            Ok(results)
        }
        Err(e) if own_fault(&e) => {
            txn.execute_unprepared("ROLLBACK TO cliente_batch").await?;
            txn.execute_unprepared("RELEASE cliente_batch").await?;
            one_by_one(txn, jobs).await
        }
        Err(e) => Err(e),
    }
}

/// New clientes under allocated placeholder CNPJs, in one multi-row statement per round
/// (inside a caller's batch, e.g. the chat intake's): one result per item, in order. `Err`
/// when the statement itself failed; the caller's savepoint undoes its work.
pub(crate) async fn insert_placeholders(
    txn: &DatabaseTransaction,
    data: Vec<ClienteData>,
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    let jobs: Vec<Job> = data
        .into_iter()
        .map(|mut data| {
            data.cnpj = String::new();
            Job {
                data,
                criado_por: None,
                allocate: true,
            }
        })
        .collect();
    together(txn, &jobs).await
}

fn allocates(job: &Job) -> bool {
    job.allocate && job.data.cnpj.is_empty()
}

/// All of `jobs` in one statement per round: a row the statement skipped (its CNPJ is taken,
/// by a stored row or an earlier item of the batch) is a `Conflict`, unless its CNPJ was an
/// allocated placeholder: that item gets the next number in the next round, up to
/// [`PLACEHOLDER_ATTEMPTS`] numbers, exactly as [`insert_allocating`] does.
async fn together(
    txn: &DatabaseTransaction,
    jobs: &[Job],
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    let mut cnpjs: Vec<String> = jobs.iter().map(|j| j.data.cnpj.clone()).collect();
    let mut stored: Vec<Option<Result<cliente::Model>>> = jobs.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = (0..jobs.len()).collect();
    for round in 0..=PLACEHOLDER_ATTEMPTS {
        let alloc: Vec<usize> = pending
            .iter()
            .copied()
            .filter(|&i| allocates(&jobs[i]))
            .collect();
        if round == PLACEHOLDER_ATTEMPTS {
            for &i in &alloc {
                stored[i] = Some(Err(DomainError::internal(
                    "could not allocate a placeholder CNPJ",
                )));
            }
            break;
        }
        if !alloc.is_empty() {
            let n =
                u32::try_from(alloc.len()).map_err(|_| DbErr::Custom("batch too large".into()))?;
            let first = next_seqs(txn, n).await? + 1 - n;
            for (k, &i) in (0u32..).zip(&alloc) {
                cnpjs[i] = placeholder_cnpj(first + k);
            }
        }
        let rows = insert_rows(txn, jobs, &cnpjs, &pending).await?;
        let mut by_cnpj: HashMap<String, cliente::Model> =
            rows.into_iter().map(|m| (m.cnpj.clone(), m)).collect();
        let mut retry = Vec::new();
        for &i in &pending {
            match by_cnpj.remove(&cnpjs[i]) {
                Some(m) => stored[i] = Some(Ok(m)),
                None if allocates(&jobs[i]) => retry.push(i),
                None => stored[i] = Some(Err(DomainError::Conflict(CNPJ_CONSTRAINT.into()))),
            }
        }
        pending = retry;
        if pending.is_empty() {
            break;
        }
    }
    let ids: Vec<i64> = stored
        .iter()
        .filter_map(|r| match r {
            Some(Ok(m)) => m.grupo_empresa_id,
            _ => None,
        })
        .collect();
    let nomes: HashMap<i64, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        grupo_empresa::Entity::find()
            .filter(grupo_empresa::Column::Id.is_in(ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|g| (g.id, g.nome))
            .collect()
    };
    Ok(stored
        .into_iter()
        .map(|r| match r {
            Some(Ok(m)) => {
                let nome = m.grupo_empresa_id.and_then(|g| nomes.get(&g).cloned());
                Ok(mapping::to_domain(m, nome))
            }
            Some(Err(e)) => Err(e),
            None => Err(DomainError::internal("cliente batch item left unanswered")),
        })
        .collect())
}

/// `INSERT INTO clientes … VALUES (…), (…) ON CONFLICT (cnpj) DO NOTHING RETURNING *` of the
/// `pending` jobs (with `cnpjs` in place of their data's).
async fn insert_rows(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    cnpjs: &[String],
    pending: &[usize],
) -> std::result::Result<Vec<cliente::Model>, DbErr> {
    let rows = pending.iter().map(|&i| {
        let t = now();
        let mut am = active_model(&jobs[i].data);
        am.cnpj = Set(cnpjs[i].clone());
        am.criado_em = Set(t);
        am.atualizado_em = Set(t);
        am.criado_por = Set(jobs[i].criado_por);
        am.atualizado_por = Set(None);
        am
    });
    // Only a taken CNPJ is skipped (and reported as such); any other constraint fails the
    // statement and the batch goes item by item, each item getting its own error.
    let mut q = cliente::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(cliente::Column::Cnpj)
                .do_nothing()
                .to_owned(),
        )
        .into_query();
    q.returning_all();
    let stmt = txn.get_database_backend().build(&q);
    txn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|r| cliente::Model::from_query_result(r, ""))
        .collect()
}

/// Item by item, each in its own savepoint: an item that fails on its data rolls back alone.
async fn one_by_one(
    txn: &DatabaseTransaction,
    jobs: &[Job],
) -> std::result::Result<Vec<Result<Cliente>>, DbErr> {
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        txn.execute_unprepared("SAVEPOINT cliente_item").await?;
        match item(txn, job).await {
            Ok(c) => {
                txn.execute_unprepared("RELEASE cliente_item").await?;
                results.push(Ok(c));
            }
            Err(e) if own_fault(&e) => {
                txn.execute_unprepared("ROLLBACK TO cliente_item").await?;
                txn.execute_unprepared("RELEASE cliente_item").await?;
                results.push(Err(super::cliente_err(e)));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(results)
}

async fn item(txn: &DatabaseTransaction, job: &Job) -> std::result::Result<Cliente, DbErr> {
    let m = if job.allocate && job.data.cnpj.is_empty() {
        insert_allocating(txn, &job.data, job.criado_por).await?
    } else {
        insert_model(txn, &job.data, job.criado_por).await?
    };
    with_grupo_nome(txn, m).await
}
