//! Message inserts as a kind of job of the database's group-commit writer
//! ([`crate::writer`]): the inbound (and outbound) messages of one batch are inserted in one
//! transaction, each `ON CONFLICT (message_id) DO NOTHING`, and counted on their sessions with
//! one update per session.

use super::messages::{C, insert_statement};
use crate::entities::{whatsapp_message as wm, whatsapp_session as ws};
use crate::support::db_err;
use crate::writer::{BatchInsert, own_fault};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, TryInsertResult};
use std::collections::HashMap;

/// One message to insert unless its `message_id` is stored.
pub(crate) struct InsertJob {
    pub row: wm::ActiveModel,
    pub message_id: String,
    pub session: i64,
    pub inbound: bool,
    pub at: DateTime<Utc>,
}

#[async_trait]
impl BatchInsert for InsertJob {
    type Output = (wm::Model, bool);

    async fn run(
        txn: &DatabaseTransaction,
        jobs: &[Self],
    ) -> std::result::Result<Vec<Result<(wm::Model, bool)>>, DbErr> {
        let mut outcome: Vec<Result<bool>> = Vec::with_capacity(jobs.len());
        // (session, inbound) → (messages, latest time)
        let mut counts: HashMap<(i64, bool), (i64, DateTime<Utc>)> = HashMap::new();
        for j in jobs {
            match insert_statement(j.row.clone()).exec(txn).await {
                Ok(TryInsertResult::Inserted(_)) => {
                    let e = counts.entry((j.session, j.inbound)).or_insert((0, j.at));
                    e.0 += 1;
                    e.1 = e.1.max(j.at);
                    outcome.push(Ok(true));
                }
                Ok(_) => outcome.push(Ok(false)),
                // A statement that fails on its own data (an unknown session) is undone alone.
                Err(e) if own_fault(&e) => outcome.push(Err(db_err(e))),
                Err(e) => return Err(e),
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
