//! The WhatsApp repositories on a SQLite file and, when `TEST_DATABASE_URL` is set, on
//! PostgreSQL: one active session per user, inbound dedupe under concurrent deliveries,
//! exclusive outbox claims, and the status lattice enforced by conditional updates.

mod support;

use adapter_seaorm::{SeaOrmMessageRepository, SeaOrmSessionRepository};
use chrono::{Duration, Utc};
use std::collections::BTreeSet;
use std::sync::Arc;
use support::TestDb;
use whatsapp::commands::Content;
use whatsapp::message::StatusUpdate;
use whatsapp::ports::{
    MessageKey, MessageRepository, NewInbound, NewOutbound, SessionRepository, StoredMedia,
};
use whatsapp::session::{SessionData, SessionStatus, Transition};
use whatsapp::{MessageStatus, MessageType};

fn inbound(session: i64, usuario: i64, id: &str) -> NewInbound {
    NewInbound {
        session,
        usuario,
        usuario_nome: String::new(),
        message_id: id.into(),
        message_type: MessageType::Text,
        chat_id: "5511".into(),
        contact_number: "5511".into(),
        contact_name: String::new(),
        peer_id: None,
        text_content: "oi".into(),
        media_url: String::new(),
        media_mime_type: String::new(),
        media_size: None,
        payload: serde_json::json!({}),
        raw_payload: serde_json::json!({}),
        protocol_version: "v1".into(),
        received_at: Utc::now(),
    }
}

fn outbound(session: i64, usuario: i64, id: &str) -> NewOutbound {
    NewOutbound {
        session,
        usuario,
        usuario_nome: String::new(),
        message_id: id.into(),
        client_message_id: String::new(),
        to: "5511".into(),
        content: Content::Text("oi".into()),
        payload: serde_json::json!({}),
        queued_at: Utc::now(),
    }
}

async fn setup(
    t: &TestDb,
) -> (
    SeaOrmSessionRepository,
    Arc<SeaOrmMessageRepository>,
    i64,
    i64,
) {
    let user = t.agent(&format!("wa{}", uuid_like())).await;
    let sessions = SeaOrmSessionRepository::new(t.db.clone());
    let s = sessions.get_or_create_active(user, "DX").await.unwrap();
    (
        sessions,
        Arc::new(SeaOrmMessageRepository::new(t.db.clone())),
        s.id,
        user,
    )
}

fn uuid_like() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn one_active_session_per_user() {
    for t in TestDb::all().await {
        let (sessions, _, first, user) = setup(&t).await;
        let again = sessions.get_or_create_active(user, "DX").await.unwrap();
        assert_eq!(again.id, first, "{}", t.name());
        let data = SessionData {
            usuario: user,
            status: SessionStatus::Disconnected,
            device_name: "B".into(),
            phone_number: String::new(),
            qr_code: String::new(),
            last_error: String::new(),
            is_active: true,
        };
        let second = sessions.insert(&data).await.unwrap();
        assert!(
            !sessions.get(first, None).await.unwrap().unwrap().is_active,
            "{}",
            t.name()
        );
        assert_eq!(
            sessions.current_of(user).await.unwrap().unwrap().id,
            second.id
        );
        // Transitions go to the active row.
        let at = Utc::now();
        let s = sessions
            .apply_transition(user, &Transition::to(SessionStatus::Ready, at))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((s.id, s.status), (second.id, SessionStatus::Ready));
        assert!(s.connected_at.is_some());
        assert_eq!(
            sessions.latest_ready().await.unwrap().unwrap().id,
            second.id
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn concurrent_deliveries_of_one_message_id_store_one_row_and_count_once() {
    for t in TestDb::all().await {
        let (sessions, messages, session, user) = setup(&t).await;
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let m = messages.clone();
            let n = inbound(session, user, "dup-1");
            tasks.push(tokio::spawn(
                async move { m.insert_inbound(&n).await.unwrap() },
            ));
        }
        let mut ids = BTreeSet::new();
        let mut inserted = 0;
        for task in tasks {
            let (m, new) = task.await.unwrap();
            ids.insert(m.id);
            inserted += usize::from(new);
        }
        assert_eq!((ids.len(), inserted), (1, 1), "{}", t.name());
        let s = sessions.get(session, None).await.unwrap().unwrap();
        assert_eq!(s.total_messages_received, 1, "{}", t.name());
        t.finish().await;
    }
}

#[tokio::test]
async fn two_senders_never_claim_the_same_message() {
    for t in TestDb::all().await {
        let (_, messages, session, user) = setup(&t).await;
        for i in 0..40 {
            messages
                .insert_outbound(&outbound(session, user, &format!("o-{i}")))
                .await
                .unwrap();
        }
        let now = Utc::now() + Duration::seconds(1);
        let lease = now + Duration::seconds(60);
        let (a, b) = tokio::join!(
            messages.claim_due(now, lease, 25),
            messages.claim_due(now, lease, 25)
        );
        let a: BTreeSet<i64> = a.unwrap().iter().map(|c| c.message.id).collect();
        let b: BTreeSet<i64> = b.unwrap().iter().map(|c| c.message.id).collect();
        assert!(a.is_disjoint(&b), "{}: {a:?} {b:?}", t.name());
        assert_eq!(a.len() + b.len(), 40, "{}", t.name());
        // Leased: nothing more now; after the lease, all again (a crashed sender's work).
        assert!(
            messages
                .claim_due(now, lease, 100)
                .await
                .unwrap()
                .is_empty()
        );
        let later = lease + Duration::seconds(1);
        let again = messages
            .claim_due(later, later + Duration::seconds(60), 100)
            .await
            .unwrap();
        assert_eq!(again.len(), 40);
        assert!(again.iter().all(|c| c.attempts == 1), "{}", t.name());
        t.finish().await;
    }
}

#[tokio::test]
async fn statuses_only_move_forward_and_stamp_each_time_once() {
    for t in TestDb::all().await {
        let (_, messages, session, user) = setup(&t).await;
        let (m, _) = messages
            .insert_outbound(&outbound(session, user, "lat-1"))
            .await
            .unwrap();
        let t0 = m.queued_at;
        assert!(
            messages
                .mark_sent(m.id, "p-1", t0 + Duration::milliseconds(40))
                .await
                .unwrap()
        );
        assert!(
            !messages.mark_sent(m.id, "p-1", t0).await.unwrap(),
            "only once"
        );
        let key = MessageKey::Provider("p-1".into());
        let upd = |s, ms| StatusUpdate {
            status: s,
            at: t0 + Duration::milliseconds(ms),
            error_message: None,
        };
        let read = messages
            .apply_status(&key, &upd(MessageStatus::Read, 150))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.status, MessageStatus::Read);
        assert_eq!(read.latency_to_read_ms, Some(150), "{}", t.name());
        // A late `delivered` keeps `read` but records its time; a failure never lands.
        assert!(
            messages
                .apply_status(&key, &upd(MessageStatus::Delivered, 100))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            messages
                .apply_status(&key, &upd(MessageStatus::Failed, 200))
                .await
                .unwrap()
                .is_none()
        );
        let m = messages.get(m.id, None).await.unwrap().unwrap();
        assert_eq!(m.status, MessageStatus::Read);
        assert_eq!(m.latency_to_sent_ms, Some(40));
        assert_eq!(m.latency_to_delivered_ms, Some(100), "{}", t.name());
        assert!(m.delivered_at.is_some());
        let agg = messages.aggregates(Some(session), None).await.unwrap();
        assert_eq!((agg.total, agg.outbound, agg.acceptable), (1, 1, 1));
        assert_eq!(agg.avg_latency_to_sent_ms, Some(40.0), "{}", t.name());
        t.finish().await;
    }
}

#[tokio::test]
async fn peers_lead_to_the_number_they_were_seen_with_and_media_is_recorded() {
    for t in TestDb::all().await {
        let (sessions, messages, session, user) = setup(&t).await;
        let name = t.name();
        // No session is ready: the configured gateway's messages go to the latest active one.
        assert!(sessions.latest_ready().await.unwrap().is_none(), "{name}");
        assert_eq!(
            sessions.latest_active().await.unwrap().map(|s| s.id),
            Some(session),
            "{name}"
        );
        let lid = "99887766@lid";
        assert_eq!(messages.chat_of_peer(lid).await.unwrap(), None, "{name}");
        // First seen by its lid only, then with its number, then by its lid again.
        let mut a = inbound(session, user, "p-1");
        (a.chat_id, a.contact_number, a.peer_id) = (lid.into(), lid.into(), Some(lid.into()));
        messages.insert_inbound(&a).await.unwrap();
        assert_eq!(messages.chat_of_peer(lid).await.unwrap(), None, "{name}");
        let mut b = inbound(session, user, "p-2");
        (b.chat_id, b.peer_id) = ("5511987654321".into(), Some(lid.into()));
        let (stored, _) = messages.insert_inbound(&b).await.unwrap();
        assert_eq!(stored.peer_id.as_deref(), Some(lid), "{name}");
        assert_eq!(
            messages.chat_of_peer(lid).await.unwrap().as_deref(),
            Some("5511987654321"),
            "{name}"
        );
        // Media.
        let url = "/media/whatsapp/media/p-2.jpg";
        assert!(!messages.has_media(url).await.unwrap(), "{name}");
        let m = messages
            .set_media(
                stored.id,
                &StoredMedia {
                    url: url.into(),
                    mime_type: "image/jpeg".into(),
                    size: 12,
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                m.media_url.as_str(),
                m.media_mime_type.as_str(),
                m.media_size
            ),
            (url, "image/jpeg", Some(12)),
            "{name}"
        );
        assert!(messages.has_media(url).await.unwrap(), "{name}");
        t.finish().await;
    }
}
