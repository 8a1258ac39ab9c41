//! Rules and use cases of presence with mocked ports and a fixed clock.

use super::events::DESCONECTADO_POR_INATIVIDADE;
use super::job::PresenceTimeout;
use super::model::*;
use super::ports::*;
use super::service::*;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use futures_executor::block_on;
use kernel::clock::MockClock;
use kernel::events::MockEventPublisher;
use kernel::{Audience, Event};
use serde_json::Value;
use std::sync::{Arc, Mutex};

fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_760_000_000, 0).unwrap()
}

fn clock_at(t: DateTime<Utc>) -> Arc<MockClock> {
    let mut c = MockClock::new();
    c.expect_now().returning(move || t);
    Arc::new(c)
}

type Seen = Arc<Mutex<Vec<(Audience, Event)>>>;

fn recorder() -> (Arc<MockEventPublisher>, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let mut p = MockEventPublisher::new();
    p.expect_publish()
        .returning(move |a, e| s.lock().unwrap().push((a, e)));
    (Arc::new(p), seen)
}

fn data(seen: &Seen) -> Vec<(Audience, &'static str, Value)> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|(a, e)| {
            let v: Value = serde_json::from_str(e.frame()).unwrap();
            (a.clone(), e.name(), v["data"].clone())
        })
        .collect()
}

fn sockets(n: usize) -> Arc<MockSocketPresence> {
    let mut s = MockSocketPresence::new();
    s.expect_open_sockets().returning(move |_| Ok(n));
    Arc::new(s)
}

fn presence(status: PresenceStatus) -> Presence {
    Presence {
        id: 1,
        agent: 3,
        agent_username: "ana".into(),
        status,
        status_message: "Em reunião".into(),
        last_heartbeat: t0(),
        status_changed_at: t0(),
        updated_at: t0(),
    }
}

struct Mocks {
    presences: MockPresenceRepository,
    typing: MockTypingRepository,
    preferencias: MockPreferenciasRepository,
    sockets: Arc<MockSocketPresence>,
}

impl Mocks {
    fn new() -> Self {
        Self {
            presences: MockPresenceRepository::new(),
            typing: MockTypingRepository::new(),
            preferencias: MockPreferenciasRepository::new(),
            sockets: sockets(0),
        }
    }

    fn deps(self, now: DateTime<Utc>, events: Arc<MockEventPublisher>) -> Deps {
        Deps {
            presences: Arc::new(self.presences),
            typing: Arc::new(self.typing),
            preferencias: Arc::new(self.preferencias),
            sockets: self.sockets,
            events,
            clock: clock_at(now),
            config: PresenceConfig::default(),
        }
    }
}

fn ana() -> Caller {
    Caller {
        id: 3,
        username: "ana".into(),
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn hms(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).unwrap()
}

// --- do not disturb -----------------------------------------------------------------------

fn prefs(modo: bool, inicio: Option<NaiveTime>, fim: Option<NaiveTime>) -> Preferencias {
    Preferencias {
        id: 1,
        usuario: 3,
        som_nova_mensagem: true,
        som_novo_atendimento: true,
        som_transferencia: true,
        desktop_nova_mensagem: true,
        desktop_novo_atendimento: true,
        desktop_transferencia: true,
        mostrar_badge_mensagens: true,
        mostrar_badge_atendimentos: true,
        modo_nao_perturbe: modo,
        nao_perturbe_inicio: inicio,
        nao_perturbe_fim: fim,
        criado_em: t0(),
        atualizado_em: t0(),
    }
}

/// The UTC instant at which São Paulo's clock shows `local` on 2025-10-12 (UTC−3).
fn sao_paulo(local: NaiveTime) -> DateTime<Utc> {
    let d = chrono::NaiveDate::from_ymd_opt(2025, 10, 12).unwrap();
    kernel::clock::TZ
        .from_local_datetime(&d.and_time(local))
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn a_plain_window_holds_its_bounds_and_nothing_outside() {
    let (i, f) = (hm(12, 0), hm(14, 0));
    assert!(dentro_da_janela(hm(12, 0), i, f), "start included");
    assert!(dentro_da_janela(hm(13, 0), i, f));
    assert!(dentro_da_janela(hm(14, 0), i, f), "end included");
    assert!(!dentro_da_janela(hms(11, 59, 59), i, f));
    assert!(!dentro_da_janela(hms(14, 0, 1), i, f));
    assert!(!dentro_da_janela(hm(0, 0), i, f));
}

#[test]
fn a_window_ending_before_it_starts_wraps_midnight() {
    let (i, f) = (hm(22, 0), hm(6, 0));
    assert!(dentro_da_janela(hm(22, 0), i, f), "start included");
    assert!(dentro_da_janela(hm(23, 30), i, f));
    assert!(dentro_da_janela(hm(0, 0), i, f), "midnight");
    assert!(dentro_da_janela(hm(5, 0), i, f));
    assert!(dentro_da_janela(hm(6, 0), i, f), "end included");
    assert!(!dentro_da_janela(hms(6, 0, 1), i, f));
    assert!(!dentro_da_janela(hm(12, 0), i, f));
    assert!(!dentro_da_janela(hms(21, 59, 59), i, f));
}

#[test]
fn a_window_of_one_instant_holds_only_that_instant() {
    assert!(dentro_da_janela(hm(9, 0), hm(9, 0), hm(9, 0)));
    assert!(!dentro_da_janela(hms(9, 0, 1), hm(9, 0), hm(9, 0)));
    assert!(!dentro_da_janela(hms(8, 59, 59), hm(9, 0), hm(9, 0)));
}

#[test]
fn do_not_disturb_needs_the_mode_and_both_times() {
    let now = sao_paulo(hm(23, 0));
    let night = (Some(hm(22, 0)), Some(hm(6, 0)));
    assert!(prefs(true, night.0, night.1).esta_em_nao_perturbe(now));
    assert!(
        !prefs(false, night.0, night.1).esta_em_nao_perturbe(now),
        "mode off"
    );
    assert!(
        !prefs(true, None, night.1).esta_em_nao_perturbe(now),
        "no start"
    );
    assert!(
        !prefs(true, night.0, None).esta_em_nao_perturbe(now),
        "no end"
    );
    assert!(!prefs(true, None, None).esta_em_nao_perturbe(now));
    assert!(
        !prefs(true, Some(hm(8, 0)), Some(hm(18, 0))).esta_em_nao_perturbe(now),
        "outside"
    );
}

#[test]
fn do_not_disturb_reads_the_sao_paulo_clock_not_utc() {
    // 23:30 in São Paulo is 02:30 UTC of the next day.
    let now = sao_paulo(hm(23, 30));
    assert_eq!(now.format("%H:%M").to_string(), "02:30");
    assert!(prefs(true, Some(hm(23, 0)), Some(hm(23, 59))).esta_em_nao_perturbe(now));
    assert!(!prefs(true, Some(hm(2, 0)), Some(hm(3, 0))).esta_em_nao_perturbe(now));
    // Bounds, in local time.
    let p = prefs(true, Some(hm(9, 0)), Some(hm(17, 0)));
    assert!(p.esta_em_nao_perturbe(sao_paulo(hm(9, 0))));
    assert!(p.esta_em_nao_perturbe(sao_paulo(hm(17, 0))));
    assert!(!p.esta_em_nao_perturbe(sao_paulo(hms(17, 0, 1))));
}

// --- values ---------------------------------------------------------------------------------

#[test]
fn statuses_parse_exactly() {
    for s in PresenceStatus::ALL {
        assert_eq!(PresenceStatus::parse(s.as_str()), Some(s));
    }
    for bad in ["Online", " online", "", "ausente", "offline "] {
        assert_eq!(PresenceStatus::parse(bad), None, "{bad:?}");
    }
    assert_eq!(PresenceStatus::default(), PresenceStatus::Offline);
}

#[test]
fn times_parse_the_contract_formats_and_render_as_drf_does() {
    assert_eq!(parse_time("22:00"), Some(hm(22, 0)));
    assert_eq!(parse_time("7:5"), Some(hm(7, 5)));
    assert_eq!(parse_time("06:30:15"), Some(hms(6, 30, 15)));
    assert_eq!(
        parse_time("06:30:15.5"),
        NaiveTime::from_hms_micro_opt(6, 30, 15, 500_000)
    );
    for bad in [
        "",
        "22",
        "24:00",
        "12:60",
        "12:00:60",
        "12:00.5",
        "1200",
        "12:00:00.1234567",
        "a:b",
        "12:00:",
        "12::00",
        " 12:00",
        "12:00Z",
        "+1:00",
    ] {
        assert_eq!(parse_time(bad), None, "{bad:?}");
    }
    assert_eq!(format_time(hm(22, 0)), "22:00:00");
    assert_eq!(
        format_time(NaiveTime::from_hms_micro_opt(6, 30, 15, 500_000).unwrap()),
        "06:30:15.500000"
    );
}

#[test]
fn chat_ids_and_messages_are_bounded() {
    assert_eq!(ChatId::parse(""), Err(TextError::Empty));
    assert_eq!(ChatId::parse("a\0b"), Err(TextError::NullCharacter));
    assert!(ChatId::parse(&"9".repeat(CHAT_ID_MAX)).is_ok());
    assert_eq!(
        ChatId::parse(&"9".repeat(CHAT_ID_MAX + 1)),
        Err(TextError::TooLong(CHAT_ID_MAX))
    );
    assert!(StatusMessage::parse("").unwrap().is_empty());
    assert!(StatusMessage::parse(&"é".repeat(STATUS_MESSAGE_MAX)).is_ok());
    assert_eq!(
        StatusMessage::parse(&"é".repeat(STATUS_MESSAGE_MAX + 1)),
        Err(TextError::TooLong(STATUS_MESSAGE_MAX))
    );
}

#[test]
fn the_view_derives_availability_time_in_status_and_inactivity() {
    let limit = Duration::seconds(120);
    let mut p = presence(PresenceStatus::Online);
    p.status_changed_at = t0() - Duration::seconds(179);
    let v = PresenceView::of(p.clone(), true, t0(), limit);
    assert!(v.is_available && v.websocket_connected);
    assert_eq!(v.tempo_no_status_atual, 2, "whole minutes");
    assert!(!v.esta_inativo);
    assert!(!PresenceView::of(p.clone(), false, t0(), limit).is_available);
    p.status = PresenceStatus::Busy;
    assert!(!PresenceView::of(p.clone(), true, t0(), limit).is_available);
    // Inactive only past the limit.
    assert!(!PresenceView::of(p.clone(), true, t0() + limit, limit).esta_inativo);
    assert!(
        PresenceView::of(p.clone(), true, t0() + limit + Duration::seconds(1), limit).esta_inativo
    );
    // A clock behind the row never gives a negative time.
    assert_eq!(p.tempo_no_status_atual(t0() - Duration::hours(1)), 0);
}

// --- use cases ------------------------------------------------------------------------------

#[test]
fn me_gets_or_creates_and_asks_the_sockets() {
    let mut m = Mocks::new();
    m.presences
        .expect_get_or_create()
        .withf(|a, at| *a == 3 && *at == t0())
        .times(1)
        .returning(|_, _| Ok(presence(PresenceStatus::Online)));
    m.sockets = sockets(2);
    let (p, seen) = recorder();
    let svc = PresencaService::new(m.deps(t0(), p));
    let v = block_on(svc.me(&ana())).unwrap();
    assert!(v.websocket_connected && v.is_available);
    assert_eq!(v.presence.agent_username, "ana");
    assert!(seen.lock().unwrap().is_empty(), "reading announces nothing");
}

#[test]
fn set_status_announces_the_new_status_to_every_socket() {
    let mut m = Mocks::new();
    m.presences
        .expect_set_status()
        .withf(|a, s, msg, at| {
            *a == 3 && *s == PresenceStatus::Busy && msg.as_str() == "Almoço" && *at == t0()
        })
        .times(1)
        .returning(|_, _, _, _| {
            let mut p = presence(PresenceStatus::Busy);
            p.status_message = "Almoço".into();
            Ok(StatusChange {
                old: PresenceStatus::Online,
                presence: p,
            })
        });
    let (p, seen) = recorder();
    let svc = PresencaService::new(m.deps(t0(), p));
    let cmd = SetStatus {
        status: PresenceStatus::Busy,
        message: Some(StatusMessage::parse("Almoço").unwrap()),
    };
    let change = block_on(svc.set_status(&ana(), cmd)).unwrap();
    assert_eq!(change.old, PresenceStatus::Online);
    let d = data(&seen);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, Audience::Authenticated);
    assert_eq!(d[0].1, "agent_presence_changed");
    assert_eq!(
        d[0].2,
        serde_json::json!({"agent_id":3,"status":"busy","message":"Almoço",
                           "timestamp":"2025-10-09T08:53:20.000000+00:00"})
    );
}

#[test]
fn set_status_without_a_message_passes_the_empty_one() {
    let mut m = Mocks::new();
    m.presences
        .expect_set_status()
        .withf(|_, _, msg, _| msg.is_empty())
        .times(1)
        .returning(|_, _, _, _| {
            Ok(StatusChange {
                old: PresenceStatus::Online,
                presence: presence(PresenceStatus::Online),
            })
        });
    let (p, seen) = recorder();
    let svc = PresencaService::new(m.deps(t0(), p));
    let cmd = SetStatus {
        status: PresenceStatus::Online,
        message: None,
    };
    block_on(svc.set_status(&ana(), cmd)).unwrap();
    // Announced even though the status did not change; the stored message is kept.
    assert_eq!(data(&seen)[0].2["message"], "Em reunião");
}

#[test]
fn a_heartbeat_brings_an_agent_online_only_with_an_open_socket() {
    for (open, came_online) in [(0usize, false), (1, true), (1, false)] {
        let mut m = Mocks::new();
        m.sockets = sockets(open);
        m.presences
            .expect_heartbeat()
            .withf(move |a, at, connected| *a == 3 && *at == t0() && *connected == (open > 0))
            .times(1)
            .returning(move |_, _, _| Ok(came_online.then(|| presence(PresenceStatus::Online))));
        let (p, seen) = recorder();
        let svc = PresencaService::new(m.deps(t0(), p));
        block_on(svc.heartbeat(&ana())).unwrap();
        let d = data(&seen);
        if came_online {
            assert_eq!(d.len(), 1);
            assert_eq!(d[0].2["status"], "online");
            assert_eq!(d[0].0, Audience::Authenticated);
        } else {
            assert!(d.is_empty(), "open={open}");
        }
    }
}

#[test]
fn typing_is_announced_to_everyone_but_the_typist() {
    let mut m = Mocks::new();
    m.typing
        .expect_start()
        .withf(|a, c, _| *a == 3 && c.as_str() == "5511")
        .times(1)
        .returning(|_, _, _| Ok(()));
    m.typing
        .expect_stop()
        .withf(|a, c, _| *a == 3 && c.as_str() == "5511")
        .times(1)
        .returning(|_, _, _| Ok(true));
    let (p, seen) = recorder();
    let svc = PresencaService::new(m.deps(t0(), p));
    block_on(svc.start_typing(&ana(), ChatId::parse("5511").unwrap())).unwrap();
    assert!(block_on(svc.stop_typing(&ana(), ChatId::parse("5511").unwrap())).unwrap());
    let d = data(&seen);
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].1, d[1].1), ("typing_start", "typing_stop"));
    for (a, _, v) in &d {
        assert_eq!(*a, Audience::AuthenticatedExcept(3));
        assert_eq!(v["from"], "ana");
        assert_eq!(v["chat_id"], "5511");
    }
}

#[test]
fn stopping_without_an_indicator_announces_nothing() {
    let mut m = Mocks::new();
    m.typing.expect_stop().returning(|_, _, _| Ok(false));
    let (p, seen) = recorder();
    let svc = PresencaService::new(m.deps(t0(), p));
    assert!(!block_on(svc.stop_typing(&ana(), ChatId::parse("x").unwrap())).unwrap());
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn preferences_carry_the_do_not_disturb_state_of_now() {
    let now = sao_paulo(hm(23, 0));
    let mut m = Mocks::new();
    m.preferencias
        .expect_get_or_create()
        .withf(move |u, at| *u == 3 && *at == now)
        .returning(|_, _| Ok(prefs(true, Some(hm(22, 0)), Some(hm(6, 0)))));
    m.preferencias
        .expect_update()
        .withf(move |u, patch, at| *u == 3 && *at == now && patch.modo_nao_perturbe == Some(false))
        .returning(|_, _, _| Ok(prefs(false, Some(hm(22, 0)), Some(hm(6, 0)))));
    let (p, _) = recorder();
    let svc = PresencaService::new(m.deps(now, p));
    assert!(
        block_on(svc.preferencias(&ana()))
            .unwrap()
            .esta_em_nao_perturbe
    );
    let patch = PreferenciasPatch {
        modo_nao_perturbe: Some(false),
        ..Default::default()
    };
    let v = block_on(svc.update_preferencias(&ana(), patch)).unwrap();
    assert!(!v.esta_em_nao_perturbe);
}

#[test]
fn a_patch_lists_only_the_fields_it_sets() {
    let patch = PreferenciasPatch {
        som_transferencia: Some(false),
        mostrar_badge_atendimentos: Some(true),
        nao_perturbe_fim: Some(None),
        ..Default::default()
    };
    assert_eq!(
        patch.booleans(),
        vec![
            ("som_transferencia", false),
            ("mostrar_badge_atendimentos", true)
        ]
    );
    assert_eq!(patch.times(), vec![("nao_perturbe_fim", None)]);
    assert!(PreferenciasPatch::default().booleans().is_empty());
}

// --- the timeout job --------------------------------------------------------------------------

#[test]
fn the_timeout_expires_agents_silent_for_two_minutes_and_tells_everyone() {
    let now = t0() + Duration::minutes(10);
    let mut m = Mocks::new();
    m.presences
        .expect_expire_stale()
        .withf(move |cutoff, at| *cutoff == now - Duration::minutes(2) && *at == now)
        .times(1)
        .returning(|_, _| Ok(vec![3, 5]));
    let (p, seen) = recorder();
    let job = PresenceTimeout::new(m.deps(now, p));
    assert_eq!(block_on(job.run_presence_timeout()).unwrap(), vec![3, 5]);
    let d = data(&seen);
    assert_eq!(d.len(), 2);
    for ((a, name, v), agent) in d.iter().zip([3, 5]) {
        assert_eq!(*a, Audience::Authenticated);
        assert_eq!(*name, "agent_presence_changed");
        assert_eq!(v["agent_id"], agent);
        assert_eq!(v["status"], "offline");
        assert_eq!(v["message"], DESCONECTADO_POR_INATIVIDADE);
        assert_eq!(v["timestamp"], "2025-10-09T09:03:20.000000+00:00");
    }
}

#[test]
fn a_tick_with_nobody_stale_announces_nothing_and_follows_the_configured_limit() {
    let now = t0();
    let mut m = Mocks::new();
    m.presences
        .expect_expire_stale()
        .withf(move |cutoff, _| *cutoff == now - Duration::seconds(5))
        .times(1)
        .returning(|_, _| Ok(vec![]));
    let (p, seen) = recorder();
    let mut deps = m.deps(now, p);
    deps.config = PresenceConfig {
        inactive_after: Duration::seconds(5),
    };
    let job = PresenceTimeout::new(deps);
    assert!(block_on(job.run_presence_timeout()).unwrap().is_empty());
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_failing_tick_reports_the_error_and_announces_nothing() {
    let mut m = Mocks::new();
    m.presences
        .expect_expire_stale()
        .returning(|_, _| Err(kernel::DomainError::internal("database down")));
    let (p, seen) = recorder();
    let job = PresenceTimeout::new(m.deps(t0(), p));
    assert!(block_on(job.run_presence_timeout()).is_err());
    assert!(seen.lock().unwrap().is_empty());
}
