//! Message inserts as a kind of job of the database's group-commit writer
//! ([`crate::writer`]): the inbound (and outbound) messages of one batch are inserted in one
//! transaction, as one multi-row `ON CONFLICT (message_id) DO NOTHING`, and counted on their sessions with
//! one update per session.

use super::messages::{C, insert_statement};
use crate::entities::{whatsapp_message as wm, whatsapp_session as ws};
use crate::support::db_err;
use crate::writer::{BatchInsert, own_fault};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryTrait,
    TryInsertResult,
};
use std::collections::{HashMap, HashSet};

/// One message to insert unless its `message_id` is stored.
pub(crate) struct InsertJob {
    pub row: wm::ActiveModel,
    pub message_id: String,
    pub session: i64,
    pub inbound: bool,
    pub at: DateTime<Utc>,
}

/// The whole batch as one multi-row `INSERT … ON CONFLICT (message_id) DO NOTHING RETURNING
/// message_id`: a job whose id comes back was inserted (the first of duplicates in the batch).
async fn together(
    txn: &DatabaseTransaction,
    jobs: &[InsertJob],
) -> std::result::Result<Vec<Result<bool>>, DbErr> {
    let mut q = wm::Entity::insert_many(jobs.iter().map(|j| j.row.clone()))
        .on_conflict(OnConflict::column(C::MessageId).do_nothing().to_owned())
        .into_query();
    q.returning_col(C::MessageId);
    let stmt = txn.get_database_backend().build(&q);
    let mut inserted: HashSet<String> = HashSet::new();
    for r in txn.query_all_raw(stmt).await? {
        inserted.insert(r.try_get::<String>("", "message_id")?);
    }
    Ok(jobs
        .iter()
        .map(|j| Ok(inserted.remove(&j.message_id)))
        .collect())
}

/// Item by item: a statement that fails on its own data is undone alone.
async fn one_by_one(
    txn: &DatabaseTransaction,
    jobs: &[InsertJob],
) -> std::result::Result<Vec<Result<bool>>, DbErr> {
    let mut outcome = Vec::with_capacity(jobs.len());
    for j in jobs {
        match insert_statement(j.row.clone()).exec(txn).await {
            Ok(TryInsertResult::Inserted(_)) => outcome.push(Ok(true)),
            Ok(_) => outcome.push(Ok(false)),
            Err(e) if own_fault(&e) => outcome.push(Err(db_err(e))),
            Err(e) => return Err(e),
        }
    }
    Ok(outcome)
}

#[async_trait]
impl BatchInsert for InsertJob {
    type Output = (wm::Model, bool);

    async fn run(
        txn: &DatabaseTransaction,
        jobs: &[Self],
    ) -> std::result::Result<Vec<Result<(wm::Model, bool)>>, DbErr> {
        txn.execute_unprepared("SAVEPOINT message_batch").await?;
        let outcome = match together(txn, jobs).await {
            Ok(o) => {
                txn.execute_unprepared("RELEASE message_batch").await?;
                o
            }
            // A row that fails on its own data (an unknown session): item by item.
            Err(e) if own_fault(&e) => {
                txn.execute_unprepared("ROLLBACK TO message_batch").await?;
                txn.execute_unprepared("RELEASE message_batch").await?;
                one_by_one(txn, jobs).await?
            }
            Err(e) => return Err(e),
        };
        let mut counts: HashMap<(i64, bool), (i64, DateTime<Utc>)> = HashMap::new();
        for (j, o) in jobs.iter().zip(&outcome) {
            if matches!(o, Ok(true)) {
                let e = counts.entry((j.session, j.inbound)).or_insert((0, j.at));
                e.0 += 1;
                e.1 = Ord::max(e.1, j.at);
            }
        }
        for ((session, inbound), (n, at)) in counts {
            let col = if inbound {
                ws::Column::TotalMessagesReceived
            } else {
                ws::Column::TotalMessagesSent
            };
            ws::Entity::update_many()
                .col_expr(col, Expr::col(col).add(n))
                .col_expr(ws::Column::LastMessageAt, Expr::value(at))
                .col_expr(ws::Column::UpdatedAt, Expr::value(at))
                .filter(ws::Column::Id.eq(session))
                .exec(txn)
                .await?;
        }
        let ids: Vec<String> = jobs.iter().map(|j| j.message_id.clone()).collect();
        let stored: HashMap<String, wm::Model> = wm::Entity::find()
            .filter(C::MessageId.is_in(ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|m| (m.message_id.clone(), m))
            .collect();
        // Duplicates within the batch all answer the one stored row.
        let mut results = Vec::with_capacity(jobs.len());
        for (j, o) in jobs.iter().zip(outcome) {
            results.push(o.and_then(|inserted| {
                stored
                    .get(&j.message_id)
                    .cloned()
                    .map(|m| (m, inserted))
                    .ok_or_else(|| DomainError::internal("stored message vanished"))
            }));
        }
        Ok(results)
    }
}
