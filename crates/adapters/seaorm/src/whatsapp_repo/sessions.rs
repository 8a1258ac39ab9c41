//! `SessionRepository` on sea-orm.

use super::json_of;
use crate::entities::{agent, whatsapp_session as ws};
use crate::support::{db_err, icontains, now, only_changed};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{DomainError, FieldErrors, Page, PageRequest, Result, messages as m};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use whatsapp::commands::{ImportSession, SessionFilter};
use whatsapp::ports::SessionRepository;
use whatsapp::session::{Session, SessionData, SessionStatus, Transition};

use ws::Column as C;

pub struct SeaOrmSessionRepository {
    db: DatabaseConnection,
}

impl SeaOrmSessionRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_domain(r: ws::Model, usuario_nome: String) -> Session {
    Session {
        id: r.id,
        usuario: r.usuario_id,
        usuario_nome,
        status: SessionStatus::parse(&r.status).unwrap_or_default(),
        device_name: r.device_name,
        phone_number: r.phone_number,
        qr_code: r.qr_code,
        created_at: r.created_at,
        updated_at: r.updated_at,
        connected_at: r.connected_at,
        disconnected_at: r.disconnected_at,
        last_error: r.last_error,
        error_count: r.error_count,
        is_active: r.is_active,
        total_messages_sent: r.total_messages_sent,
        total_messages_received: r.total_messages_received,
        last_message_at: r.last_message_at,
        session_data: json_of(&r.session_data),
        auto_reconnect: r.auto_reconnect,
        proxy_enabled: r.proxy_enabled,
        proxy_url: r.proxy_url,
        reconnect_attempts: r.reconnect_attempts,
        last_reconnect_at: r.last_reconnect_at,
    }
}

async fn with_names<D: ConnectionTrait>(db: &D, rows: Vec<ws::Model>) -> Result<Vec<Session>> {
    super::named(db, rows, |r| r.usuario_id, to_domain).await
}

async fn one<D: ConnectionTrait>(db: &D, row: Option<ws::Model>) -> Result<Option<Session>> {
    Ok(match row {
        Some(r) => with_names(db, vec![r]).await?.pop(),
        None => None,
    })
}

fn order_column(field: &str) -> Option<C> {
    Some(match field {
        "created_at" => C::CreatedAt,
        "updated_at" => C::UpdatedAt,
        "connected_at" => C::ConnectedAt,
        _ => return None,
    })
}

fn active_model(d: &SessionData) -> ws::ActiveModel {
    ws::ActiveModel {
        usuario_id: Set(d.usuario),
        status: Set(d.status.as_str().to_string()),
        device_name: Set(d.device_name.clone()),
        phone_number: Set(d.phone_number.clone()),
        qr_code: Set(d.qr_code.clone()),
        last_error: Set(d.last_error.clone()),
        is_active: Set(d.is_active),
        ..Default::default()
    }
}

/// A new row with every column's default (§3) and `d`'s values.
fn new_row(d: &SessionData, t: DateTime<Utc>) -> ws::ActiveModel {
    let mut a = active_model(d);
    a.created_at = Set(t);
    a.updated_at = Set(t);
    a.connected_at = Set(None);
    a.disconnected_at = Set(None);
    a.error_count = Set(0);
    a.total_messages_sent = Set(0);
    a.total_messages_received = Set(0);
    a.last_message_at = Set(None);
    a.session_data = Set("{}".to_string());
    a.auto_reconnect = Set(true);
    a.proxy_enabled = Set(false);
    a.proxy_url = Set(String::new());
    a.reconnect_attempts = Set(0);
    a.last_reconnect_at = Set(None);
    a
}

async fn agent_exists<D: ConnectionTrait>(db: &D, id: i64) -> Result<bool> {
    Ok(agent::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_err)?
        .is_some())
}

fn unknown_usuario(id: i64) -> DomainError {
    DomainError::Validation(FieldErrors::single(
        "usuario",
        m::invalid_pk(&id.to_string()),
    ))
}

/// Deactivates the user's active rows other than `except` (one active session per user).
async fn deactivate_others<D: ConnectionTrait>(
    db: &D,
    usuario: i64,
    except: Option<i64>,
) -> Result<()> {
    let mut q = ws::Entity::update_many()
        .col_expr(C::IsActive, Expr::value(false))
        .filter(C::UsuarioId.eq(usuario))
        .filter(C::IsActive.eq(true));
    if let Some(id) = except {
        q = q.filter(C::Id.ne(id));
    }
    q.exec(db).await.map_err(db_err)?;
    Ok(())
}

async fn active_row<D: ConnectionTrait>(db: &D, usuario: i64) -> Result<Option<ws::Model>> {
    ws::Entity::find()
        .filter(C::UsuarioId.eq(usuario))
        .filter(C::IsActive.eq(true))
        .one(db)
        .await
        .map_err(db_err)
}

#[async_trait]
impl SessionRepository for SeaOrmSessionRepository {
    async fn list(&self, f: &SessionFilter, page: PageRequest) -> Result<Option<Page<Session>>> {
        let backend = self.db.get_database_backend();
        let mut cond = Condition::all();
        if let Some(u) = f.usuario {
            cond = cond.add(C::UsuarioId.eq(u));
        }
        if let Some(s) = f.status {
            cond = cond.add(C::Status.eq(s.as_str()));
        }
        if let Some(a) = f.is_active {
            cond = cond.add(C::IsActive.eq(a));
        }
        for term in &f.search {
            cond = cond.add(
                Condition::any()
                    .add(icontains((ws::Entity, C::PhoneNumber), term, backend))
                    .add(icontains((ws::Entity, C::DeviceName), term, backend)),
            );
        }
        let newest = kernel::OrderBy {
            field: "updated_at",
            desc: true,
        };
        let Some((w, count, rows)) = super::page_rows::<ws::Entity, _>(
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

    async fn get(&self, id: i64, owner: Option<i64>) -> Result<Option<Session>> {
        let row = super::owned_row::<ws::Entity, _>(&self.db, id, C::UsuarioId, owner).await?;
        one(&self.db, row).await
    }

    async fn current_of(&self, usuario: i64) -> Result<Option<Session>> {
        let row = ws::Entity::find()
            .filter(C::UsuarioId.eq(usuario))
            .order_by_desc(C::IsActive)
            .order_by_desc(C::UpdatedAt)
            .order_by_desc(C::Id)
            .one(&self.db)
            .await
            .map_err(db_err)?;
        one(&self.db, row).await
    }

    async fn insert(&self, d: &SessionData) -> Result<Session> {
        let txn = self.db.begin().await.map_err(db_err)?;
        super::write_lock(&txn).await?;
        if !agent_exists(&txn, d.usuario).await? {
            return Err(unknown_usuario(d.usuario));
        }
        if d.is_active {
            deactivate_others(&txn, d.usuario, None).await?;
        }
        let row = new_row(d, now()).insert(&txn).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(one(&self.db, Some(row)).await?.expect("inserted row"))
    }

    async fn update(
        &self,
        id: i64,
        d: &SessionData,
        since: Option<SessionData>,
    ) -> Result<Session> {
        let txn = self.db.begin().await.map_err(db_err)?;
        super::write_lock(&txn).await?;
        if !agent_exists(&txn, d.usuario).await? {
            return Err(unknown_usuario(d.usuario));
        }
        let mut a = active_model(d);
        if let Some(before) = since {
            a = only_changed(a, &active_model(&before));
        }
        if d.is_active {
            deactivate_others(&txn, d.usuario, Some(id)).await?;
        }
        a.id = sea_orm::ActiveValue::Unchanged(id);
        a.updated_at = Set(now());
        a.update(&txn)
            .await
            .map_err(crate::support::update_err(whatsapp::sessions::NOT_FOUND))?;
        let row = ws::Entity::find_by_id(id).one(&txn).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        one(&self.db, row)
            .await?
            .ok_or(DomainError::NotFound(whatsapp::sessions::NOT_FOUND))
    }

    async fn delete(&self, id: i64) -> Result<()> {
        ws::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn get_or_create_active(&self, usuario: i64, device_name: &str) -> Result<Session> {
        if let Some(r) = active_row(&self.db, usuario).await? {
            return Ok(one(&self.db, Some(r)).await?.expect("row"));
        }
        let data = SessionData {
            usuario,
            status: SessionStatus::Disconnected,
            device_name: device_name.to_string(),
            phone_number: String::new(),
            qr_code: String::new(),
            last_error: String::new(),
            is_active: true,
        };
        match new_row(&data, now()).insert(&self.db).await {
            Ok(row) => Ok(one(&self.db, Some(row)).await?.expect("row")),
            // A concurrent start created it first (the partial unique index decided).
            Err(e) => match active_row(&self.db, usuario).await? {
                Some(r) => Ok(one(&self.db, Some(r)).await?.expect("row")),
                None => Err(db_err(e)),
            },
        }
    }

    async fn apply_transition(&self, usuario: i64, t: &Transition) -> Result<Option<Session>> {
        let mut q = ws::Entity::update_many()
            .col_expr(C::Status, Expr::value(t.status.as_str()))
            .col_expr(C::UpdatedAt, Expr::value(now()))
            .filter(C::UsuarioId.eq(usuario))
            .filter(C::IsActive.eq(true));
        if let Some(at) = t.connected_at {
            q = q.col_expr(C::ConnectedAt, Expr::value(at));
        }
        if let Some(at) = t.disconnected_at {
            q = q.col_expr(C::DisconnectedAt, Expr::value(at));
        }
        if let Some(qr) = &t.qr_code {
            q = q.col_expr(C::QrCode, Expr::value(qr.clone()));
        }
        q.exec(&self.db).await.map_err(db_err)?;
        let row = active_row(&self.db, usuario).await?;
        one(&self.db, row).await
    }

    async fn record_error(&self, usuario: i64, error: &str) -> Result<()> {
        ws::Entity::update_many()
            .col_expr(C::Status, Expr::value(SessionStatus::Error.as_str()))
            .col_expr(C::ErrorCount, Expr::col(C::ErrorCount).add(1))
            .col_expr(C::LastError, Expr::value(error.to_string()))
            .col_expr(C::UpdatedAt, Expr::value(now()))
            .filter(C::UsuarioId.eq(usuario))
            .filter(C::IsActive.eq(true))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn import(&self, usuario: i64, b: &ImportSession) -> Result<(Session, bool)> {
        let txn = self.db.begin().await.map_err(db_err)?;
        super::write_lock(&txn).await?;
        let t = now();
        let existing = active_row(&txn, usuario).await?;
        let created = existing.is_none();
        let mut a = match existing {
            Some(r) => {
                let mut a: ws::ActiveModel = r.into();
                a.status = Set(SessionStatus::Disconnected.as_str().to_string());
                a.is_active = Set(true);
                a.updated_at = Set(t);
                a
            }
            None => new_row(
                &SessionData {
                    usuario,
                    status: SessionStatus::Disconnected,
                    device_name: String::new(),
                    phone_number: String::new(),
                    qr_code: String::new(),
                    last_error: String::new(),
                    is_active: true,
                },
                t,
            ),
        };
        a.device_name = Set(b.device_name.clone());
        a.phone_number = Set(b.phone_number.clone());
        a.session_data = Set(b.session_data.to_string());
        a.auto_reconnect = Set(b.auto_reconnect);
        a.proxy_enabled = Set(b.proxy_enabled);
        a.proxy_url = Set(b.proxy_url.clone());
        let row = a.save(&txn).await.map_err(db_err)?;
        let id = match row.id {
            sea_orm::ActiveValue::Set(id) | sea_orm::ActiveValue::Unchanged(id) => id,
            sea_orm::ActiveValue::NotSet => {
                return Err(DomainError::internal("session id not set"));
            }
        };
        let row = ws::Entity::find_by_id(id).one(&txn).await.map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        let s = one(&self.db, row)
            .await?
            .ok_or(DomainError::NotFound(whatsapp::sessions::NOT_FOUND))?;
        Ok((s, created))
    }

    async fn record_reconnect(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        ws::Entity::update_many()
            .col_expr(C::ReconnectAttempts, Expr::col(C::ReconnectAttempts).add(1))
            .col_expr(C::LastReconnectAt, Expr::value(at))
            .col_expr(C::UpdatedAt, Expr::value(now()))
            .filter(C::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn latest_ready(&self) -> Result<Option<Session>> {
        let row = ws::Entity::find()
            .filter(C::IsActive.eq(true))
            .filter(C::Status.eq(SessionStatus::Ready.as_str()))
            .order_by_desc(C::UpdatedAt)
            .order_by_desc(C::Id)
            .one(&self.db)
            .await
            .map_err(db_err)?;
        one(&self.db, row).await
    }

    async fn latest_active(&self) -> Result<Option<Session>> {
        let row = ws::Entity::find()
            .filter(C::IsActive.eq(true))
            .order_by_desc(C::UpdatedAt)
            .order_by_desc(C::Id)
            .one(&self.db)
            .await
            .map_err(db_err)?;
        one(&self.db, row).await
    }

    async fn live(&self) -> Result<Vec<Session>> {
        let live: Vec<&str> = [
            SessionStatus::Connecting,
            SessionStatus::Qrcode,
            SessionStatus::Authenticated,
            SessionStatus::Ready,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect();
        let rows = ws::Entity::find()
            .filter(C::IsActive.eq(true))
            .filter(C::Status.is_in(live))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        with_names(&self.db, rows).await
    }
}
