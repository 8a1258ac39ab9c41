//! Aggregates over a set of messages (session metrics, latency statistics), one query.

use super::messages::C;
use crate::entities::whatsapp_message as wm;
use crate::support::db_err;
use kernel::{DomainError, Result};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect,
};
use whatsapp::message::ACCEPTABLE_LATENCY_MS;
use whatsapp::ports::MessageAggregates;

#[derive(Debug, FromQueryResult)]
struct AggRow {
    total: Option<i64>,
    outbound: Option<i64>,
    inbound: Option<i64>,
    with_error: Option<i64>,
    avg_sent: Option<f64>,
    avg_delivered: Option<f64>,
    over_5s: Option<i64>,
    acceptable: Option<i64>,
    outbound_acceptable: Option<i64>,
}

fn sum(case: &str) -> SimpleExpr {
    Expr::cust(format!(
        "CAST(SUM(CASE WHEN {case} THEN 1 ELSE 0 END) AS BIGINT)"
    ))
}

fn avg(col: &str) -> SimpleExpr {
    Expr::cust(format!(
        "CAST(AVG(CASE WHEN direction = 'outbound' THEN {col} END) AS DOUBLE PRECISION)"
    ))
}

/// Aggregates over the messages of `session`, or of every session of `owner` (None: all).
pub(crate) async fn aggregates(
    db: &DatabaseConnection,
    session: Option<i64>,
    owner: Option<i64>,
) -> Result<MessageAggregates> {
    let mut cond = Condition::all();
    if let Some(s) = session {
        cond = cond.add(C::SessionId.eq(s));
    }
    if let Some(o) = owner {
        cond = cond.add(C::UsuarioId.eq(o));
    }
    let ok = ACCEPTABLE_LATENCY_MS;
    let inbound_ok = format!(
        "direction = 'inbound' AND COALESCE(latency_to_read_ms, latency_to_delivered_ms, latency_to_sent_ms, 0) < {ok}"
    );
    let outbound_ok = format!("direction = 'outbound' AND COALESCE(latency_to_sent_ms, 0) < {ok}");
    let q = wm::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "total")
        .column_as(sum("direction = 'outbound'"), "outbound")
        .column_as(sum("direction = 'inbound'"), "inbound")
        .column_as(sum("status IN ('failed', 'error')"), "with_error")
        .column_as(avg("latency_to_sent_ms"), "avg_sent")
        .column_as(avg("latency_to_delivered_ms"), "avg_delivered")
        .column_as(
            sum(&format!(
                "direction = 'outbound' AND latency_to_sent_ms > {ok}"
            )),
            "over_5s",
        )
        .column_as(
            sum(&format!("({inbound_ok}) OR ({outbound_ok})")),
            "acceptable",
        )
        .column_as(sum(&outbound_ok), "outbound_acceptable")
        .filter(cond)
        .into_model::<AggRow>()
        .one(db)
        .await
        .map_err(db_err)?;
    let r = q.ok_or_else(|| DomainError::internal("aggregate returned no row"))?;
    Ok(MessageAggregates {
        total: r.total.unwrap_or(0),
        outbound: r.outbound.unwrap_or(0),
        inbound: r.inbound.unwrap_or(0),
        with_error: r.with_error.unwrap_or(0),
        avg_latency_to_sent_ms: r.avg_sent,
        avg_latency_to_delivered_ms: r.avg_delivered,
        over_5s: r.over_5s.unwrap_or(0),
        acceptable: r.acceptable.unwrap_or(0),
        outbound_acceptable: r.outbound_acceptable.unwrap_or(0),
    })
}
