//! Use-case tests with mocked ports and a fixed clock.

use crate::commands::{Caller, Content, InboundMessage, InboundTarget, SendMessage};
use crate::intake::InboundIntake;
use crate::message::{Direction, Message, MessageStatus, MessageType};
use crate::messages::MessageService;
use crate::outbox::{Outbox, OutboxConfig};
use crate::ports::*;
use crate::session::{Session, SessionStatus};
use crate::sessions::{Deps, GatewayEventHandler, SessionService};
use chrono::{DateTime, Duration, Utc};
use kernel::clock::MockClock;
use kernel::events::MockEventPublisher;
use kernel::{Audience, DomainError, Event};
use std::sync::{Arc, Mutex};

pub(crate) fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_760_000_000, 0).unwrap()
}

pub(crate) fn clock() -> Arc<MockClock> {
    let mut c = MockClock::new();
    c.expect_now().returning(t0);
    Arc::new(c)
}

/// Records every published event as (audience, frame).
pub(crate) type Seen = Arc<Mutex<Vec<(Audience, Event)>>>;

pub(crate) fn recorder() -> (Arc<MockEventPublisher>, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let mut p = MockEventPublisher::new();
    p.expect_publish()
        .returning(move |a, e| s.lock().unwrap().push((a, e)));
    (Arc::new(p), seen)
}

pub(crate) fn session(status: SessionStatus) -> Session {
    Session {
        usuario: 3,
        usuario_nome: "ana".into(),
        connected_at: None,
        ..Session::fixture(7, status, t0())
    }
}

pub(crate) fn message(id: i64, direction: Direction, status: MessageStatus) -> Message {
    Message {
        id,
        session: 7,
        usuario: 3,
        usuario_nome: "ana".into(),
        message_id: format!("m{id}"),
        client_message_id: String::new(),
        provider_message_id: None,
        direction,
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
        status,
        created_at: t0(),
        queued_at: t0(),
        sent_at: None,
        delivered_at: None,
        read_at: None,
        error_message: String::new(),
        is_from_me: direction == Direction::Outbound,
        latency_to_sent_ms: None,
        latency_to_delivered_ms: None,
        latency_to_read_ms: None,
    }
}

pub(crate) fn deps(
    sessions: MockSessionRepository,
    messages: MockMessageRepository,
    gateway: MockWhatsAppGateway,
    events: Arc<MockEventPublisher>,
) -> Deps {
    Deps {
        sessions: Arc::new(sessions),
        messages: Arc::new(messages),
        gateway: Arc::new(gateway),
        events,
        clock: clock(),
        files: Arc::new(kernel::storage::MockFileStorage::new()),
    }
}

pub(crate) fn frames(seen: &Mutex<Vec<(Audience, Event)>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|(_, e)| e.frame().to_string())
        .collect()
}

const ANA: Caller = Caller {
    id: 3,
    is_superuser: false,
};

#[test]
fn start_connects_a_disconnected_session_and_leaves_a_live_one_alone() {
    for (live, expect_connect) in [
        (SessionStatus::Disconnected, true),
        (SessionStatus::Error, true),
        (SessionStatus::Qrcode, false),
        (SessionStatus::Ready, false),
    ] {
        let mut s = MockSessionRepository::new();
        s.expect_get_or_create_active()
            .returning(|_, _| Ok(session(SessionStatus::Disconnected)));
        // The gateway decides whether a connection is already live (its contract).
        let mut g = MockWhatsAppGateway::new();
        g.expect_connect().times(1).returning(move |_| {
            Ok(if expect_connect {
                SessionStatus::Connecting
            } else {
                live
            })
        });
        let (p, _) = recorder();
        let svc = SessionService::new(deps(s, MockMessageRepository::new(), g, p));
        let started = futures_executor::block_on(svc.start(ANA)).unwrap();
        assert_eq!(started.session_id, 7);
        let want = if expect_connect {
            SessionStatus::Connecting
        } else {
            live
        };
        assert_eq!(started.status, want, "from {live:?}");
    }
}

#[test]
fn gateway_reports_update_the_row_and_reach_only_the_owner_in_order() {
    let mut s = MockSessionRepository::new();
    let written = Arc::new(Mutex::new(Vec::new()));
    let w = written.clone();
    s.expect_apply_transition().returning(move |u, t| {
        w.lock().unwrap().push((u, t.status, t.connected_at));
        Ok(None)
    });
    let (p, seen) = recorder();
    let h = GatewayEventHandler::new(deps(
        s,
        MockMessageRepository::new(),
        MockWhatsAppGateway::new(),
        p,
    ));
    futures_executor::block_on(async {
        h.connection_changed(3, SessionStatus::Connecting, None)
            .await;
        h.connection_changed(3, SessionStatus::Qrcode, Some("c3R1Yi1xcg==".into()))
            .await;
        h.connection_changed(3, SessionStatus::Ready, None).await;
    });
    let f = frames(&seen);
    assert_eq!(f.len(), 4);
    assert!(f[0].contains(r#""status":"connecting""#));
    assert!(f[1].contains(r#""status":"qrcode""#));
    assert!(f[2].contains(r#""type":"qrcode","image_b64":"c3R1Yi1xcg==""#));
    assert!(f[3].contains(r#""status":"ready""#));
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .all(|(a, _)| *a == Audience::User(3))
    );
    let w = written.lock().unwrap();
    assert_eq!(w[2], (3, SessionStatus::Ready, Some(t0())));
}

pub(crate) fn inbound() -> InboundMessage {
    InboundMessage {
        from: "5511".into(),
        chat_id: "5511".into(),
        message_type: MessageType::Text,
        text: "oi".into(),
        media_url: String::new(),
        media_mime_type: String::new(),
        media_size: None,
        contact_name: String::new(),
        message_id: Some("dup".into()),
        timestamp: None,
        payload: serde_json::json!({}),
        raw_payload: serde_json::json!({}),
        protocol_version: "v1".into(),
        peer_id: None,
        media: None,
    }
}

#[test]
fn a_duplicate_inbound_is_answered_with_the_stored_row_without_event_or_intake() {
    for inserted in [true, false] {
        let mut s = MockSessionRepository::new();
        s.expect_latest_ready()
            .returning(|| Ok(Some(session(SessionStatus::Ready))));
        let mut m = MockMessageRepository::new();
        m.expect_insert_inbound().returning(move |n| {
            assert_eq!(n.message_id, "dup");
            Ok((
                message(1, Direction::Inbound, MessageStatus::Delivered),
                inserted,
            ))
        });
        let mut handler = MockInboundMessageHandler::new();
        handler
            .expect_handle()
            .times(usize::from(inserted))
            .returning(|_| Ok(()));
        let (p, seen) = recorder();
        let intake =
            InboundIntake::new(deps(s, m, MockWhatsAppGateway::new(), p), Arc::new(handler));
        let (row, new) =
            futures_executor::block_on(intake.receive(InboundTarget::AnyReadySession, inbound()))
                .unwrap();
        assert_eq!((row.id, new), (1, inserted));
        let f = frames(&seen);
        assert_eq!(f.len(), usize::from(inserted));
        if inserted {
            assert!(f[0].starts_with(r#"{"event":"message_received","data":{"from":"5511","message":"oi","message_id":"m1""#));
            assert_eq!(seen.lock().unwrap()[0].0, Audience::User(3));
        }
    }
}

#[test]
fn the_webhook_without_a_ready_session_is_unavailable() {
    let mut s = MockSessionRepository::new();
    s.expect_latest_ready().returning(|| Ok(None));
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
    let e = futures_executor::block_on(intake.receive(InboundTarget::AnyReadySession, inbound()));
    assert!(matches!(e, Err(DomainError::Unavailable(_))));
}

struct Signal(Mutex<usize>);
impl OutboxSignal for Signal {
    fn notify(&self) {
        *self.0.lock().unwrap() += 1;
    }
}

#[test]
fn send_needs_a_ready_session_then_queues_and_wakes_the_sender() {
    for status in [SessionStatus::Connecting, SessionStatus::Ready] {
        let mut s = MockSessionRepository::new();
        s.expect_current_of()
            .returning(move |_| Ok(Some(session(status))));
        let mut m = MockMessageRepository::new();
        m.expect_insert_outbound().returning(|n| {
            assert_eq!(n.message_id, "c1");
            Ok((message(5, Direction::Outbound, MessageStatus::Queued), true))
        });
        let (p, seen) = recorder();
        let signal = Arc::new(Signal(Mutex::new(0)));
        let svc = MessageService::new(deps(s, m, MockWhatsAppGateway::new(), p), signal.clone());
        let r = futures_executor::block_on(svc.send(
            ANA,
            SendMessage {
                to: "5511".into(),
                content: Content::Text("oi".into()),
                client_message_id: Some("c1".into()),
            },
        ));
        if status == SessionStatus::Ready {
            assert_eq!(r.unwrap().id, 5);
            let f = frames(&seen);
            assert!(f[0].contains(r#""event":"message_sent""#));
            assert!(
                f[1].contains(r#""type":"message_status","message_id":"m5","status":"queued""#)
            );
            assert_eq!(*signal.0.lock().unwrap(), 1);
        } else {
            assert!(matches!(r, Err(DomainError::Locked(_))));
            assert!(frames(&seen).is_empty());
        }
    }
}

fn claimed(attempts: u32) -> Vec<Claimed> {
    vec![Claimed {
        message: message(9, Direction::Outbound, MessageStatus::Queued),
        attempts,
    }]
}

fn outbox(m: MockMessageRepository, g: MockWhatsAppGateway, p: Arc<MockEventPublisher>) -> Outbox {
    let d = deps(MockSessionRepository::new(), m, g, p);
    Outbox::new(
        d.clone(),
        Arc::new(GatewayEventHandler::new(d)),
        OutboxConfig::default(),
    )
}

#[test]
fn the_outbox_records_sent_with_the_provider_id() {
    let mut m = MockMessageRepository::new();
    m.expect_claim_due().returning(|_, lease, _| {
        assert_eq!(lease, t0() + Duration::seconds(60));
        Ok(claimed(0))
    });
    m.expect_mark_sent()
        .withf(|id, pid, at| *id == 9 && pid == "wamid.1" && *at == t0())
        .returning(|_, _, _| Ok(true));
    let mut g = MockWhatsAppGateway::new();
    g.expect_send().returning(|r, msg| {
        assert_eq!(
            (r.usuario, r.session, msg.to.as_str()),
            (3, Some(7), "5511")
        );
        Ok("wamid.1".into())
    });
    let (p, seen) = recorder();
    let round = futures_executor::block_on(outbox(m, g, p).run_once()).unwrap();
    assert_eq!(round.sent, 1);
    assert!(frames(&seen)[0].contains(r#""message_id":"m9","status":"sent""#));
}

#[test]
fn transient_failures_are_retried_with_growing_backoff_then_fail() {
    let cfg = OutboxConfig::default();
    assert_eq!(cfg.backoff(1), Duration::seconds(1));
    assert_eq!(cfg.backoff(3), Duration::seconds(4));
    assert_eq!(cfg.backoff(30), Duration::seconds(300));
    // Attempt 2 of 8: back in the queue, due after the backoff, counted.
    let mut m = MockMessageRepository::new();
    m.expect_claim_due().returning(|_, _, _| Ok(claimed(2)));
    m.expect_retry_later()
        .withf(|id, due, e, counted| {
            *id == 9 && *due == t0() + Duration::seconds(4) && e == "timeout" && *counted
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut g = MockWhatsAppGateway::new();
    g.expect_send()
        .returning(|_, _| Err(SendError::Transient("timeout".into())));
    let (p, seen) = recorder();
    let round = futures_executor::block_on(outbox(m, g, p).run_once()).unwrap();
    assert_eq!(round.retried, 1);
    assert!(frames(&seen).is_empty());
    // The last attempt: failed, with the reason and the events.
    let mut m = MockMessageRepository::new();
    m.expect_claim_due().returning(|_, _, _| Ok(claimed(7)));
    m.expect_apply_status()
        .withf(|k, u| {
            *k == MessageKey::Id(9)
                && u.status == MessageStatus::Failed
                && u.error_message
                    .as_deref()
                    .is_some_and(|e| e.contains("8 tentativas"))
        })
        .returning(|_, _| Ok(Some(message(9, Direction::Outbound, MessageStatus::Failed))));
    let mut g = MockWhatsAppGateway::new();
    g.expect_send()
        .returning(|_, _| Err(SendError::Transient("timeout".into())));
    let (p, seen) = recorder();
    let round = futures_executor::block_on(outbox(m, g, p).run_once()).unwrap();
    assert_eq!(round.failed, 1);
    let f = frames(&seen);
    assert!(f[0].contains(r#""status":"failed""#));
    assert!(f[1].contains(r#""event":"message_sent""#) && f[1].contains("8 tentativas"));
}

#[test]
fn permanent_failures_are_never_retried_and_not_connected_costs_no_attempt() {
    let mut m = MockMessageRepository::new();
    m.expect_claim_due().returning(|_, _, _| Ok(claimed(0)));
    m.expect_retry_later().never();
    m.expect_apply_status()
        .withf(|_, u| u.error_message.as_deref() == Some("número inválido"))
        .returning(|_, _| Ok(Some(message(9, Direction::Outbound, MessageStatus::Failed))));
    let mut g = MockWhatsAppGateway::new();
    g.expect_send()
        .times(1)
        .returning(|_, _| Err(SendError::Permanent("número inválido".into())));
    let (p, _) = recorder();
    assert_eq!(
        futures_executor::block_on(outbox(m, g, p).run_once())
            .unwrap()
            .failed,
        1
    );

    let mut m = MockMessageRepository::new();
    m.expect_claim_due().returning(|_, _, _| Ok(claimed(5)));
    m.expect_retry_later()
        .withf(|_, due, _, counted| *due == t0() + Duration::seconds(2) && !*counted)
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut g = MockWhatsAppGateway::new();
    g.expect_send()
        .returning(|_, _| Err(SendError::NotConnected));
    let (p, _) = recorder();
    assert_eq!(
        futures_executor::block_on(outbox(m, g, p).run_once())
            .unwrap()
            .retried,
        1
    );
}

#[test]
fn a_status_reported_before_the_provider_id_is_recorded_is_applied_afterwards() {
    let mut m = MockMessageRepository::new();
    let known = Arc::new(Mutex::new(false));
    let k = known.clone();
    m.expect_apply_status().returning(move |key, u| {
        assert_eq!(*key, MessageKey::Provider("p1".into()));
        Ok((*k.lock().unwrap()).then(|| message(9, Direction::Outbound, u.status)))
    });
    let (p, seen) = recorder();
    let h = GatewayEventHandler::new(deps(
        MockSessionRepository::new(),
        m,
        MockWhatsAppGateway::new(),
        p,
    ));
    futures_executor::block_on(async {
        h.delivery_status("p1".into(), MessageStatus::Delivered, t0(), None)
            .await;
        assert!(frames(&seen).is_empty());
        *known.lock().unwrap() = true;
        // Arrives while the delivered one still waits: it queues behind it.
        h.delivery_status("p1".into(), MessageStatus::Read, t0(), None)
            .await;
        assert!(frames(&seen).is_empty());
        h.provider_id_recorded("p1").await;
        // Once recorded, receipts apply at once.
        h.delivery_status("p1".into(), MessageStatus::Read, t0(), None)
            .await;
    });
    let f = frames(&seen);
    assert_eq!(f.len(), 3);
    assert!(f[0].contains(r#""status":"delivered""#));
    assert!(f[1].contains(r#""status":"read""#));
}
