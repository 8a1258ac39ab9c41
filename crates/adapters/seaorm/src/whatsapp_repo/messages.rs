//! `MessageRepository` on sea-orm: messages, their status lattice and the outbox.

use super::json_of;
use crate::Database;
use crate::entities::{whatsapp_message as wm, whatsapp_session as ws};
use crate::support::{db_err, icontains};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{DomainError, OrderBy, Page, PageRequest, Result};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait, TryInsertResult,
};
use whatsapp::commands::MessageFilter;
use whatsapp::message::{
    ACCEPTABLE_LATENCY_MS, Direction, Message, MessageStatus, MessageType, StatusUpdate, latency_ms,
};
use whatsapp::ports::{
    Claimed, MessageAggregates, MessageKey, MessageRepository, NewInbound, NewOutbound, StoredMedia,
};

pub(crate) use wm::Column as C;

pub struct SeaOrmMessageRepository {
    db: DatabaseConnection,
    /// Inserts go through its group-commit writer (SQLite) when it has one.
    database: Database,
}

impl SeaOrmMessageRepository {
    pub fn new(database: impl Into<Database>) -> Self {
        let database = database.into();
        Self {
            db: database.connection().clone(),
            database,
        }
    }

    /// Inserts `row` unless its `message_id` is stored, counting it on its session: through
    /// the writer (one transaction per batch) when there is one, else in a transaction of its
    /// own.
    #[allow(clippy::too_many_arguments)]
    async fn insert_once(
        &self,
        row: wm::ActiveModel,
        message_id: &str,
        session: i64,
        (usuario, usuario_nome): (i64, &str),
        counter: ws::Column,
        at: DateTime<Utc>,
    ) -> Result<(Message, bool)> {
        match self.database.writer() {
            // The batch itself tells a stored id (no read first: the hot path).
            Some(w) => {
                let job = super::batch::InsertJob {
                    row,
                    message_id: message_id.to_string(),
                    session,
                    inbound: matches!(counter, ws::Column::TotalMessagesReceived),
                    at,
                };
                let (m, inserted) = w.submit(job).await?;
                let name = if m.usuario_id == usuario {
                    usuario_nome.to_string()
                } else {
                    super::usernames(&self.db, [m.usuario_id])
                        .await?
                        .remove(&m.usuario_id)
                        .unwrap_or_default()
                };
                Ok((to_domain(m, name), inserted))
            }
            None => {
                if let Some(existing) = by_message_id(&self.db, message_id).await? {
                    return Ok((one(&self.db, Some(existing)).await?.expect("row"), false));
                }
                insert_once(&self.db, row, message_id, session, counter, at).await
            }
        }
    }
}

/// The insert of one message, doing nothing if its `message_id` is stored.
pub(crate) fn insert_statement(row: wm::ActiveModel) -> sea_orm::TryInsert<wm::ActiveModel> {
    wm::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(C::MessageId)
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
}

pub(crate) fn to_domain(r: wm::Model, usuario_nome: String) -> Message {
    Message {
        id: r.id,
        session: r.session_id,
        usuario: r.usuario_id,
        usuario_nome,
        message_id: r.message_id,
        client_message_id: r.client_message_id,
        provider_message_id: r.provider_message_id,
        direction: Direction::parse(&r.direction).unwrap_or(Direction::Inbound),
        message_type: MessageType::parse(&r.message_type).unwrap_or(MessageType::Text),
        chat_id: r.chat_id,
        contact_number: r.contact_number,
        contact_name: r.contact_name,
        peer_id: r.peer_id,
        text_content: r.text_content,
        media_url: r.media_url,
        media_mime_type: r.media_mime_type,
        media_size: r.media_size,
        payload: json_of(&r.payload),
        raw_payload: json_of(&r.raw_payload),
        protocol_version: r.protocol_version,
        status: MessageStatus::parse(&r.status).unwrap_or(MessageStatus::Queued),
        created_at: r.created_at,
        queued_at: r.queued_at,
        sent_at: r.sent_at,
        delivered_at: r.delivered_at,
        read_at: r.read_at,
        error_message: r.error_message,
        is_from_me: r.is_from_me,
        latency_to_sent_ms: r.latency_to_sent_ms,
        latency_to_delivered_ms: r.latency_to_delivered_ms,
        latency_to_read_ms: r.latency_to_read_ms,
    }
}

pub(crate) async fn with_names<D: ConnectionTrait>(
    db: &D,
    rows: Vec<wm::Model>,
) -> Result<Vec<Message>> {
    super::named(db, rows, |r| r.usuario_id, to_domain).await
}

async fn one<D: ConnectionTrait>(db: &D, row: Option<wm::Model>) -> Result<Option<Message>> {
    Ok(match row {
        Some(r) => with_names(db, vec![r]).await?.pop(),
        None => None,
    })
}

fn order_column(field: &str) -> Option<C> {
    Some(match field {
        "created_at" => C::CreatedAt,
        "sent_at" => C::SentAt,
        "delivered_at" => C::DeliveredAt,
        _ => return None,
    })
}

fn condition(f: &MessageFilter, backend: DbBackend) -> Condition {
    let mut c = Condition::all();
    if let Some(u) = f.usuario {
        c = c.add(C::UsuarioId.eq(u));
    }
    if let Some(d) = f.direction {
        c = c.add(C::Direction.eq(d.as_str()));
    }
    if let Some(t) = f.message_type {
        c = c.add(C::MessageType.eq(t.as_str()));
    }
    if let Some(s) = f.status {
        c = c.add(C::Status.eq(s.as_str()));
    }
    if let Some(chat) = &f.chat_id {
        c = c.add(C::ChatId.eq(chat.clone()));
    }
    if let Some(b) = f.is_from_me {
        c = c.add(C::IsFromMe.eq(b));
    }
    if let Some(s) = f.session {
        c = c.add(C::SessionId.eq(s));
    }
    for term in &f.search {
        c = c.add(
            Condition::any()
                .add(icontains((wm::Entity, C::TextContent), term, backend))
                .add(icontains((wm::Entity, C::ContactNumber), term, backend))
                .add(icontains((wm::Entity, C::ContactName), term, backend)),
        );
    }
    c
}

/// Counts a message on its session: `total_messages_<column>` + 1, `last_message_at`.
async fn count_on_session<D: ConnectionTrait>(
    db: &D,
    session: i64,
    column: ws::Column,
    at: DateTime<Utc>,
) -> Result<()> {
    ws::Entity::update_many()
        .col_expr(column, Expr::col(column).add(1))
        .col_expr(ws::Column::LastMessageAt, Expr::value(at))
        .col_expr(ws::Column::UpdatedAt, Expr::value(at))
        .filter(ws::Column::Id.eq(session))
        .exec(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

async fn by_message_id<D: ConnectionTrait>(db: &D, message_id: &str) -> Result<Option<wm::Model>> {
    wm::Entity::find()
        .filter(C::MessageId.eq(message_id))
        .one(db)
        .await
        .map_err(db_err)
}

/// Inserts `row` unless its `message_id` is stored; then counts it on its session. One
/// transaction; the unique index decides between concurrent deliveries.
async fn insert_once(
    db: &DatabaseConnection,
    row: wm::ActiveModel,
    message_id: &str,
    session: i64,
    counter: ws::Column,
    at: DateTime<Utc>,
) -> Result<(Message, bool)> {
    let txn = db.begin().await.map_err(db_err)?;
    let r = insert_statement(row).exec(&txn).await.map_err(db_err)?;
    let inserted = matches!(r, TryInsertResult::Inserted(_));
    if inserted {
        count_on_session(&txn, session, counter, at).await?;
    }
    let stored = by_message_id(&txn, message_id).await?;
    txn.commit().await.map_err(db_err)?;
    let m = one(db, stored)
        .await?
        .ok_or_else(|| DomainError::internal("stored message vanished"))?;
    Ok((m, inserted))
}

fn base_row(session: i64, usuario: i64, message_id: &str, t: DateTime<Utc>) -> wm::ActiveModel {
    wm::ActiveModel {
        session_id: Set(session),
        usuario_id: Set(usuario),
        message_id: Set(message_id.to_string()),
        client_message_id: Set(String::new()),
        provider_message_id: Set(None),
        contact_name: Set(String::new()),
        media_mime_type: Set(String::new()),
        media_size: Set(None),
        protocol_version: Set("v1".to_string()),
        created_at: Set(t),
        queued_at: Set(t),
        sent_at: Set(None),
        delivered_at: Set(None),
        read_at: Set(None),
        error_message: Set(String::new()),
        latency_to_sent_ms: Set(None),
        latency_to_delivered_ms: Set(None),
        latency_to_read_ms: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(None),
        lease_until: Set(None),
        peer_id: Set(None),
        ..Default::default()
    }
}

/// Records the timestamp (and latency) of a report that came after a later status, if that
/// timestamp is still unset.
async fn stamp_late(
    db: &DatabaseConnection,
    row: &wm::Model,
    u: &StatusUpdate,
    lat: i64,
) -> Result<()> {
    let (at, latency, unset) = match u.status {
        MessageStatus::Sent => (C::SentAt, C::LatencyToSentMs, row.sent_at.is_none()),
        MessageStatus::Delivered => (
            C::DeliveredAt,
            C::LatencyToDeliveredMs,
            row.delivered_at.is_none(),
        ),
        _ => return Ok(()),
    };
    if !unset || row.status == MessageStatus::Queued.as_str() {
        return Ok(());
    }
    wm::Entity::update_many()
        .col_expr(at, Expr::value(u.at))
        .col_expr(latency, Expr::value(lat))
        .filter(C::Id.eq(row.id))
        .filter(at.is_null())
        .exec(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl MessageRepository for SeaOrmMessageRepository {
    async fn list(&self, f: &MessageFilter, page: PageRequest) -> Result<Option<Page<Message>>> {
        let cond = condition(f, self.db.get_database_backend());
        let newest = OrderBy {
            field: "created_at",
            desc: true,
        };
        let Some((w, count, rows)) = super::page_rows::<wm::Entity, _>(
            &self.db,
            cond,
            &f.ordering,
            newest,
            order_column,
            C::Id,
            page,
        )
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(Page {
            count,
            page: w.page,
            page_size: w.limit,
            items: with_names(&self.db, rows).await?,
        }))
    }

    async fn get(&self, id: i64, owner: Option<i64>) -> Result<Option<Message>> {
        let row = super::owned_row::<wm::Entity, _>(&self.db, id, C::UsuarioId, owner).await?;
        one(&self.db, row).await
    }

    async fn insert_inbound(&self, m: &NewInbound) -> Result<(Message, bool)> {
        let t = m.received_at;
        let mut row = base_row(m.session, m.usuario, &m.message_id, t);
        row.direction = Set(Direction::Inbound.as_str().to_string());
        row.message_type = Set(m.message_type.as_str().to_string());
        row.chat_id = Set(m.chat_id.clone());
        row.contact_number = Set(m.contact_number.clone());
        row.contact_name = Set(m.contact_name.clone());
        row.peer_id = Set(m.peer_id.clone());
        row.text_content = Set(m.text_content.clone());
        row.media_url = Set(m.media_url.clone());
        row.media_mime_type = Set(m.media_mime_type.clone());
        row.media_size = Set(m.media_size);
        row.payload = Set(m.payload.to_string());
        row.raw_payload = Set(m.raw_payload.to_string());
        row.protocol_version = Set(m.protocol_version.clone());
        row.status = Set(MessageStatus::Delivered.as_str().to_string());
        row.delivered_at = Set(Some(t));
        row.latency_to_delivered_ms = Set(Some(0));
        row.is_from_me = Set(false);
        self.insert_once(
            row,
            &m.message_id,
            m.session,
            (m.usuario, &m.usuario_nome),
            ws::Column::TotalMessagesReceived,
            t,
        )
        .await
    }

    async fn insert_outbound(&self, m: &NewOutbound) -> Result<(Message, bool)> {
        let t = m.queued_at;
        let mut row = base_row(m.session, m.usuario, &m.message_id, t);
        row.client_message_id = Set(m.client_message_id.clone());
        row.direction = Set(Direction::Outbound.as_str().to_string());
        row.message_type = Set(m.content.message_type().as_str().to_string());
        row.chat_id = Set(m.to.clone());
        row.contact_number = Set(m.to.clone());
        row.text_content = Set(m.content.text().to_string());
        row.media_url = Set(m.content.media_url().to_string());
        row.payload = Set(m.payload.to_string());
        row.raw_payload = Set("{}".to_string());
        row.status = Set(MessageStatus::Queued.as_str().to_string());
        row.is_from_me = Set(true);
        row.next_attempt_at = Set(Some(t));
        self.insert_once(
            row,
            &m.message_id,
            m.session,
            (m.usuario, &m.usuario_nome),
            ws::Column::TotalMessagesSent,
            t,
        )
        .await
    }

    async fn claim_due(
        &self,
        now_: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Claimed>> {
        let due = Condition::all()
            .add(C::Status.eq(MessageStatus::Queued.as_str()))
            .add(
                Condition::any()
                    .add(C::NextAttemptAt.is_null())
                    .add(C::NextAttemptAt.lte(now_)),
            )
            .add(
                Condition::any()
                    .add(C::LeaseUntil.is_null())
                    .add(C::LeaseUntil.lt(now_)),
            );
        // One transaction: pick the due ids, then claim each with a conditional update whose
        // affected-row count says whether this caller won it (a concurrent claimer that
        // waited for the row re-checks the condition on the row as the winner left it).
        let txn = self.db.begin().await.map_err(db_err)?;
        // Reads, then writes: the write lock first (see `write_lock`).
        super::write_lock(&txn).await?;
        let mut pick = wm::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(due.clone())
            .order_by_asc(C::Id)
            .limit(limit);
        if txn.get_database_backend() == DbBackend::Postgres {
            pick = pick.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let ids: Vec<i64> = pick.into_tuple().all(&txn).await.map_err(db_err)?;
        let mut won = Vec::with_capacity(ids.len());
        for id in ids {
            let r = wm::Entity::update_many()
                .col_expr(C::LeaseUntil, Expr::value(lease_until))
                .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
                .filter(C::Id.eq(id))
                .filter(due.clone())
                .exec(&txn)
                .await
                .map_err(db_err)?;
            if r.rows_affected == 1 {
                won.push(id);
            }
        }
        let rows = if won.is_empty() {
            Vec::new()
        } else {
            wm::Entity::find()
                .filter(C::Id.is_in(won))
                .order_by_asc(C::Id)
                .all(&txn)
                .await
                .map_err(db_err)?
        };
        txn.commit().await.map_err(db_err)?;
        let attempts: Vec<u32> = rows
            .iter()
            .map(|r| u32::try_from(r.attempts - 1).unwrap_or(0))
            .collect();
        let messages = with_names(&self.db, rows).await?;
        Ok(messages
            .into_iter()
            .zip(attempts)
            .map(|(message, attempts)| Claimed { message, attempts })
            .collect())
    }

    async fn retry_later(
        &self,
        id: i64,
        due: DateTime<Utc>,
        error: &str,
        count_attempt: bool,
    ) -> Result<()> {
        let mut q = wm::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::NextAttemptAt, Expr::value(due))
            .col_expr(C::ErrorMessage, Expr::value(error.to_string()))
            .filter(C::Id.eq(id))
            .filter(C::Status.eq(MessageStatus::Queued.as_str()));
        if !count_attempt {
            q = q.col_expr(C::Attempts, Expr::col(C::Attempts).sub(1));
        }
        q.exec(&self.db).await.map_err(db_err)?;
        Ok(())
    }

    async fn mark_sent(&self, id: i64, provider_id: &str, at: DateTime<Utc>) -> Result<bool> {
        let Some(row) = wm::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(false);
        };
        let r = wm::Entity::update_many()
            .col_expr(C::Status, Expr::value(MessageStatus::Sent.as_str()))
            .col_expr(C::ProviderMessageId, Expr::value(provider_id.to_string()))
            .col_expr(C::SentAt, Expr::value(row.sent_at.unwrap_or(at)))
            .col_expr(
                C::LatencyToSentMs,
                Expr::value(
                    row.latency_to_sent_ms
                        .unwrap_or(latency_ms(row.queued_at, at)),
                ),
            )
            .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::ErrorMessage, Expr::value(String::new()))
            .filter(C::Id.eq(id))
            .filter(C::Status.eq(MessageStatus::Queued.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected == 1)
    }

    async fn apply_status(&self, key: &MessageKey, u: &StatusUpdate) -> Result<Option<Message>> {
        // Read, decide with the lattice, then write only if the row still has the status
        // read (a conditional update): a concurrent report makes this one re-read.
        for _ in 0..5 {
            let q = match key {
                MessageKey::Id(id) => wm::Entity::find_by_id(*id),
                MessageKey::Provider(p) => {
                    wm::Entity::find().filter(C::ProviderMessageId.eq(p.clone()))
                }
            };
            let Some(row) = q.one(&self.db).await.map_err(db_err)? else {
                return Ok(None);
            };
            let current = MessageStatus::parse(&row.status).unwrap_or(MessageStatus::Queued);
            let lat = latency_ms(row.queued_at, u.at);
            if !current.may_become(u.status) {
                // A late report (delivered after read) does not move the status back, but
                // the moment it names is still recorded, once.
                stamp_late(&self.db, &row, u, lat).await?;
                return Ok(None);
            }
            let mut q = wm::Entity::update_many()
                .col_expr(C::Status, Expr::value(u.status.as_str()))
                .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(C::Id.eq(row.id))
                .filter(C::Status.eq(row.status.clone()));
            match u.status {
                MessageStatus::Sent if row.sent_at.is_none() => {
                    q = q
                        .col_expr(C::SentAt, Expr::value(u.at))
                        .col_expr(C::LatencyToSentMs, Expr::value(lat));
                }
                MessageStatus::Delivered if row.delivered_at.is_none() => {
                    q = q
                        .col_expr(C::DeliveredAt, Expr::value(u.at))
                        .col_expr(C::LatencyToDeliveredMs, Expr::value(lat));
                }
                MessageStatus::Read if row.read_at.is_none() => {
                    q = q
                        .col_expr(C::ReadAt, Expr::value(u.at))
                        .col_expr(C::LatencyToReadMs, Expr::value(lat));
                }
                _ => {}
            }
            if let Some(e) = &u.error_message {
                q = q.col_expr(C::ErrorMessage, Expr::value(e.clone()));
            }
            if q.exec(&self.db).await.map_err(db_err)?.rows_affected == 1 {
                let row = wm::Entity::find_by_id(row.id)
                    .one(&self.db)
                    .await
                    .map_err(db_err)?;
                return one(&self.db, row).await;
            }
        }
        Ok(None)
    }

    async fn high_latency(&self, owner: Option<i64>) -> Result<Vec<Message>> {
        let mut q = wm::Entity::find()
            .filter(C::Direction.eq(Direction::Outbound.as_str()))
            .filter(C::LatencyToSentMs.gt(ACCEPTABLE_LATENCY_MS));
        if let Some(o) = owner {
            q = q.filter(C::UsuarioId.eq(o));
        }
        let rows = q
            .order_by_desc(C::CreatedAt)
            .order_by_desc(C::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        with_names(&self.db, rows).await
    }

    async fn session_of_chat(&self, chat_id: &str) -> Result<Option<i64>> {
        wm::Entity::find()
            .select_only()
            .column(C::SessionId)
            .filter(C::ChatId.eq(chat_id))
            .filter(C::Direction.eq("inbound"))
            .order_by_desc(C::CreatedAt)
            .order_by_desc(C::Id)
            .into_tuple::<i64>()
            .one(&self.db)
            .await
            .map_err(db_err)
    }

    async fn set_media(&self, id: i64, media: &StoredMedia) -> Result<Option<Message>> {
        let row = super::identity::set_media(&self.db, id, media).await?;
        one(&self.db, row).await
    }

    async fn chat_of_peer(&self, peer_id: &str) -> Result<Option<String>> {
        super::identity::chat_of_peer(&self.db, peer_id).await
    }

    async fn has_media(&self, media_url: &str) -> Result<bool> {
        super::identity::has_media(&self.db, media_url).await
    }

    async fn aggregates(
        &self,
        session: Option<i64>,
        owner: Option<i64>,
    ) -> Result<MessageAggregates> {
        super::aggregates::aggregates(&self.db, session, owner).await
    }
}
