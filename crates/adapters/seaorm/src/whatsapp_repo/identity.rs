//! One identity per customer and inbound media: the peer id a gateway gave with a number,
//! and the stored file of a message's media.

use super::messages::C;
use crate::entities::whatsapp_message as wm;
use crate::support::db_err;
use kernel::Result;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use whatsapp::message::Direction;
use whatsapp::ports::StoredMedia;

/// Records the stored file of message `id`; the row as it is now.
pub(crate) async fn set_media(
    db: &DatabaseConnection,
    id: i64,
    media: &StoredMedia,
) -> Result<Option<wm::Model>> {
    wm::Entity::update_many()
        .col_expr(C::MediaUrl, Expr::value(media.url.clone()))
        .col_expr(C::MediaMimeType, Expr::value(media.mime_type.clone()))
        .col_expr(C::MediaSize, Expr::value(media.size))
        .filter(C::Id.eq(id))
        .exec(db)
        .await
        .map_err(db_err)?;
    wm::Entity::find_by_id(id).one(db).await.map_err(db_err)
}

/// The chat id of the latest inbound message that carried `peer_id` with a number.
pub(crate) async fn chat_of_peer(db: &DatabaseConnection, peer_id: &str) -> Result<Option<String>> {
    wm::Entity::find()
        .select_only()
        .column(C::ChatId)
        .filter(C::PeerId.eq(peer_id))
        .filter(C::ChatId.ne(peer_id))
        .filter(C::Direction.eq(Direction::Inbound.as_str()))
        .order_by_desc(C::CreatedAt)
        .order_by_desc(C::Id)
        .into_tuple::<String>()
        .one(db)
        .await
        .map_err(db_err)
}

/// Whether some message's media is the file at `media_url`.
pub(crate) async fn has_media(db: &DatabaseConnection, media_url: &str) -> Result<bool> {
    let found = wm::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::MediaUrl.eq(media_url))
        .into_tuple::<i64>()
        .one(db)
        .await
        .map_err(db_err)?;
    Ok(found.is_some())
}
