//! Real-gateway use cases with mocked ports: the configured gateway's session, one identity
//! per customer (peer ids), inbound media into storage, the shared connection, the feed.

use crate::commands::InboundTarget;
use crate::feed::{FeedReport, GatewayFeed, GatewayUpdate};
use crate::intake::{InboundIntake, MEDIA_DIR};
use crate::message::{Direction, MessageStatus, MessageType};
use crate::ports::*;
use crate::service_tests::{deps, frames, inbound, message, recorder, session, t0};
use crate::session::SessionStatus;
use crate::sessions::{Deps, GatewayEventHandler};
use kernel::storage::MockFileStorage;
use kernel::{Audience, DomainError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    futures_executor::block_on(f)
}

#[test]
fn the_configured_gateway_stores_into_the_latest_active_session_when_none_is_ready() {
    let mut s = MockSessionRepository::new();
    s.expect_latest_ready().returning(|| Ok(None));
    s.expect_latest_active()
        .returning(|| Ok(Some(session(SessionStatus::Error))));
    let mut m = MockMessageRepository::new();
    m.expect_insert_inbound().returning(|n| {
        assert_eq!((n.session, n.usuario), (7, 3));
        Ok((
            message(1, Direction::Inbound, MessageStatus::Delivered),
            true,
        ))
    });
    let (p, seen) = recorder();
    let intake = InboundIntake::new(
        deps(s, m, MockWhatsAppGateway::new(), p),
        Arc::new(NoIntake),
    );
    let (row, new) = run(intake.receive(InboundTarget::ConfiguredGateway, inbound())).unwrap();
    assert_eq!((row.id, new), (1, true));
    assert_eq!(frames(&seen).len(), 1);

    let mut s = MockSessionRepository::new();
    s.expect_latest_ready().returning(|| Ok(None));
    s.expect_latest_active().returning(|| Ok(None));
    let (p, _) = recorder();
    let intake = InboundIntake::new(
        deps(
            s,
            MockMessageRepository::new(),
            MockWhatsAppGateway::new(),
            p,
        ),
        Arc::new(NoIntake),
    );
    let e = run(intake.receive(InboundTarget::ConfiguredGateway, inbound()));
    assert!(matches!(e, Err(DomainError::Unavailable(_))));
}

fn ready_sessions() -> MockSessionRepository {
    let mut s = MockSessionRepository::new();
    s.expect_latest_ready()
        .returning(|| Ok(Some(session(SessionStatus::Ready))));
    s
}

#[test]
fn a_message_named_only_by_its_lid_joins_the_number_it_was_seen_with() {
    for known in [true, false] {
        let mut m = MockMessageRepository::new();
        m.expect_chat_of_peer().returning(move |p| {
            assert_eq!(p, "99887766@lid");
            Ok(known.then(|| "5511987654321".to_string()))
        });
        m.expect_insert_inbound().returning(move |n| {
            let want = if known {
                "5511987654321"
            } else {
                "99887766@lid"
            };
            assert_eq!(
                (n.chat_id.as_str(), n.contact_number.as_str()),
                (want, want)
            );
            assert_eq!(n.peer_id.as_deref(), Some("99887766@lid"));
            Ok((
                message(1, Direction::Inbound, MessageStatus::Delivered),
                true,
            ))
        });
        let (p, _) = recorder();
        let intake = InboundIntake::new(
            deps(ready_sessions(), m, MockWhatsAppGateway::new(), p),
            Arc::new(NoIntake),
        );
        let mut msg = inbound();
        msg.from = "99887766@lid".into();
        msg.chat_id = "99887766@lid".into();
        msg.peer_id = Some("99887766@lid".into());
        run(intake.receive(InboundTarget::ConfiguredGateway, msg)).unwrap();
    }
}

#[test]
fn a_message_with_its_number_keeps_it_and_carries_the_peer_id() {
    let mut m = MockMessageRepository::new();
    m.expect_chat_of_peer().never();
    m.expect_insert_inbound().returning(|n| {
        assert_eq!(n.chat_id, "5511987654321");
        assert_eq!(n.peer_id.as_deref(), Some("BR.1502576394655843"));
        Ok((
            message(1, Direction::Inbound, MessageStatus::Delivered),
            true,
        ))
    });
    let (p, _) = recorder();
    let intake = InboundIntake::new(
        deps(ready_sessions(), m, MockWhatsAppGateway::new(), p),
        Arc::new(NoIntake),
    );
    let mut msg = inbound();
    msg.from = "5511987654321".into();
    msg.chat_id = "5511987654321".into();
    msg.peer_id = Some("BR.1502576394655843".into());
    run(intake.receive(InboundTarget::ConfiguredGateway, msg)).unwrap();
}

fn media_intake(
    fetch_ok: bool,
    files: MockFileStorage,
) -> (InboundIntake, crate::service_tests::Seen) {
    let mut m = MockMessageRepository::new();
    m.expect_insert_inbound().returning(|_| {
        let mut row = message(1, Direction::Inbound, MessageStatus::Delivered);
        row.message_type = MessageType::Image;
        Ok((row, true))
    });
    m.expect_set_media().returning(|id, media| {
        assert_eq!(id, 1);
        assert_eq!(media.url, "/media/whatsapp/media/m1.jpg");
        assert_eq!((media.mime_type.as_str(), media.size), ("image/jpeg", 4));
        let mut row = message(1, Direction::Inbound, MessageStatus::Delivered);
        row.media_url = media.url.clone();
        row.media_mime_type = media.mime_type.clone();
        row.media_size = Some(media.size);
        Ok(Some(row))
    });
    let mut g = MockWhatsAppGateway::new();
    g.expect_fetch_media().returning(move |r, media| {
        assert_eq!((r.usuario, r.session), (3, Some(7)));
        assert_eq!(media.provider_ref, "MEDIA-1");
        if fetch_ok {
            Ok(FetchedMedia {
                bytes: vec![1, 2, 3, 4],
                mime_type: "image/jpeg".into(),
            })
        } else {
            Err(DomainError::Unavailable("gateway fora".into()))
        }
    });
    let (p, seen) = recorder();
    let mut d: Deps = deps(ready_sessions(), m, g, p);
    d.files = Arc::new(files);
    (InboundIntake::new(d, Arc::new(NoIntake)), seen)
}

fn with_media() -> crate::commands::InboundMessage {
    let mut msg = inbound();
    msg.message_type = MessageType::Image;
    msg.media = Some(MediaRef {
        provider_ref: "MEDIA-1".into(),
        mime_type: "image/jpeg".into(),
        file_name: String::new(),
    });
    msg
}

#[test]
fn inbound_media_is_stored_before_the_message_is_announced() {
    let mut files = MockFileStorage::new();
    files.expect_save().times(1).returning(|dir, name, data| {
        assert_eq!(
            (dir, name, data),
            (MEDIA_DIR, "m1.jpg", &[1u8, 2, 3, 4][..])
        );
        Ok(format!("{dir}/{name}"))
    });
    let (intake, seen) = media_intake(true, files);
    let (row, _) = run(intake.receive(InboundTarget::ConfiguredGateway, with_media())).unwrap();
    assert_eq!(row.media_url, "/media/whatsapp/media/m1.jpg");
    assert_eq!(row.media_size, Some(4));
    let f = frames(&seen);
    assert!(
        f[0].contains(r#""media_url":"/media/whatsapp/media/m1.jpg""#),
        "{}",
        f[0]
    );
    assert!(f[0].contains(r#""media_type":"image/jpeg""#));
}

#[test]
fn a_failed_download_keeps_the_message_without_its_file() {
    let mut files = MockFileStorage::new();
    files.expect_save().never();
    let (intake, seen) = media_intake(false, files);
    let (row, new) = run(intake.receive(InboundTarget::ConfiguredGateway, with_media())).unwrap();
    assert!(new);
    assert_eq!(row.media_url, "");
    assert_eq!(frames(&seen).len(), 1);
}

/// Sessions 3 (showing the QR code) and 4 (ready) share the gateway's connection.
fn shared(written: Arc<Mutex<Vec<(i64, SessionStatus)>>>) -> MockSessionRepository {
    let mut s = MockSessionRepository::new();
    s.expect_live().returning(|| {
        let a = session(SessionStatus::Qrcode);
        let mut b = session(SessionStatus::Ready);
        b.usuario = 4;
        Ok(vec![a, b])
    });
    s.expect_apply_transition().returning(move |u, t| {
        written.lock().unwrap().push((u, t.status));
        Ok(None)
    });
    s
}

#[test]
fn every_live_session_follows_the_gateway_connection() {
    let written = Arc::new(Mutex::new(Vec::new()));
    let (p, seen) = recorder();
    let h = GatewayEventHandler::new(deps(
        shared(written.clone()),
        MockMessageRepository::new(),
        MockWhatsAppGateway::new(),
        p,
    ));
    run(h.gateway_state(SessionStatus::Ready, None));
    assert_eq!(
        *written.lock().unwrap(),
        vec![(3, SessionStatus::Authenticated), (3, SessionStatus::Ready)]
    );
    let f = frames(&seen);
    assert_eq!(f.len(), 2);
    assert!(f[1].contains(r#""status":"ready""#));
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .all(|(a, _)| *a == Audience::User(3))
    );

    // A renewed QR code replaces the image of the session already showing one.
    let written = Arc::new(Mutex::new(Vec::new()));
    let (p, seen) = recorder();
    let h = GatewayEventHandler::new(deps(
        shared(written.clone()),
        MockMessageRepository::new(),
        MockWhatsAppGateway::new(),
        p,
    ));
    run(h.gateway_state(SessionStatus::Qrcode, Some("UE5H".into())));
    let f = frames(&seen);
    assert_eq!(written.lock().unwrap()[0], (3, SessionStatus::Qrcode));
    assert!(
        f[0].starts_with(r#"{"type":"qrcode","image_b64":"UE5H""#),
        "{f:?}"
    );
    // The ready session 4 moves to qrcode (a new pairing was started).
    assert!(f.iter().any(|x| x.contains(r#""status":"qrcode""#)));
}

#[test]
fn a_lost_connection_puts_every_live_session_in_error_asking_for_a_new_qr() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e = errors.clone();
    let mut s = MockSessionRepository::new();
    s.expect_live()
        .returning(|| Ok(vec![session(SessionStatus::Ready)]));
    s.expect_record_error().returning(move |u, why| {
        e.lock().unwrap().push((u, why.to_string()));
        Ok(())
    });
    let (p, seen) = recorder();
    let h = GatewayEventHandler::new(deps(
        s,
        MockMessageRepository::new(),
        MockWhatsAppGateway::new(),
        p,
    ));
    run(h.gateway_lost("Desconectado no celular".into(), true));
    assert_eq!(
        *errors.lock().unwrap(),
        vec![(3, "Desconectado no celular".to_string())]
    );
    let f = frames(&seen);
    assert!(f[0].contains(r#""type":"session_status","status":"error""#));
    assert!(f[1].starts_with(
        r#"{"type":"session_error","error":"Desconectado no celular","needs_qrcode":true"#
    ));
}

#[derive(Default)]
struct Events(Mutex<Vec<String>>);

#[async_trait::async_trait]
impl GatewayEvents for Events {
    async fn connection_changed(&self, _: i64, _: SessionStatus, _: Option<String>) {}
    async fn connection_failed(&self, _: i64, _: String) {}
    async fn delivery_status(
        &self,
        id: String,
        s: MessageStatus,
        _: chrono::DateTime<chrono::Utc>,
        e: Option<String>,
    ) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{id}:{}:{}", s.as_str(), e.unwrap_or_default()));
    }
    async fn gateway_state(&self, s: SessionStatus, qr: Option<String>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("state:{}:{}", s.as_str(), qr.unwrap_or_default()));
    }
    async fn gateway_lost(&self, why: String, qr: bool) {
        self.0.lock().unwrap().push(format!("lost:{why}:{qr}"));
    }
}

#[test]
fn the_feed_applies_each_update_in_order() {
    let mut m = MockMessageRepository::new();
    let mut n = 0;
    m.expect_insert_inbound().returning(move |_| {
        n += 1;
        Ok((
            message(1, Direction::Inbound, MessageStatus::Delivered),
            n == 1,
        ))
    });
    let (p, _) = recorder();
    let intake = Arc::new(InboundIntake::new(
        deps(ready_sessions(), m, MockWhatsAppGateway::new(), p),
        Arc::new(NoIntake),
    ));
    let events = Arc::new(Events::default());
    let feed = GatewayFeed::new(intake, events.clone());
    let report = run(feed.apply(vec![
        GatewayUpdate::Connection {
            state: SessionStatus::Qrcode,
            qr_b64: Some("QR".into()),
        },
        GatewayUpdate::Inbound(Box::new(inbound())),
        GatewayUpdate::Inbound(Box::new(inbound())),
        GatewayUpdate::Status {
            provider_id: "wamid.1".into(),
            status: MessageStatus::Failed,
            at: t0(),
            error: Some("131026".into()),
        },
        GatewayUpdate::Ignored("group".into()),
        GatewayUpdate::ConnectionLost {
            reason: "401".into(),
            needs_qrcode: true,
        },
    ]))
    .unwrap();
    assert_eq!(
        report,
        FeedReport {
            stored: 1,
            duplicates: 1,
            statuses: 1,
            connection: 2,
            ignored: 1,
        }
    );
    assert_eq!(
        *events.0.lock().unwrap(),
        vec!["state:qrcode:QR", "wamid.1:failed:131026", "lost:401:true"]
    );
}

#[test]
fn reconnect_backoff_doubles_up_to_the_cap_and_never_spins() {
    let b = Backoff::from_seconds(5);
    assert_eq!(b.delay(1), Duration::from_secs(5));
    assert_eq!(b.delay(2), Duration::from_secs(10));
    assert_eq!(b.delay(4), Duration::from_secs(40));
    assert_eq!(b.delay(30), Backoff::CAP);
    assert_eq!(Backoff::from_seconds(0).delay(1), Backoff::MIN);
    assert_eq!(Backoff::default(), Backoff::from_seconds(5));
}

#[test]
fn start_leaves_a_live_session_on_a_live_connection_alone() {
    use crate::commands::Caller;
    use crate::sessions::SessionService;
    for (row, remote, connects) in [
        (SessionStatus::Qrcode, SessionStatus::Connecting, false),
        (SessionStatus::Ready, SessionStatus::Ready, false),
        (SessionStatus::Ready, SessionStatus::Disconnected, true),
        (SessionStatus::Error, SessionStatus::Ready, true),
    ] {
        let mut s = MockSessionRepository::new();
        s.expect_get_or_create_active()
            .returning(move |_, _| Ok(session(row)));
        let mut g = MockWhatsAppGateway::new();
        g.expect_state().returning(move |_| remote);
        g.expect_connect()
            .times(usize::from(connects))
            .returning(|_| Ok(SessionStatus::Connecting));
        let (p, _) = recorder();
        let svc = SessionService::new(deps(s, MockMessageRepository::new(), g, p));
        let caller = Caller {
            id: 3,
            is_superuser: false,
        };
        let started = run(svc.start(caller)).unwrap();
        let want = if connects {
            SessionStatus::Connecting
        } else {
            row
        };
        assert_eq!(started.status, want, "{row:?} on {remote:?}");
    }
}
