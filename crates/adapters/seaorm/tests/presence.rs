//! Presence, typing and preferences repositories on a SQLite file and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL: one row per agent under racing get-or-creates,
//! old and new status from one transaction, the conditional heartbeat and timeout, the
//! advisory lock of the timeout tick, and patches that write only what they set.

mod support;

use adapter_seaorm::{PRESENCE_TICK_LOCK, SeaOrmPresenceRepository};
use atendimento::presenca::ports::{PreferenciasRepository, PresenceRepository, TypingRepository};
use atendimento::presenca::{ChatId, PreferenciasPatch, PresenceStatus, StatusMessage};
use chrono::{DateTime, Duration, NaiveTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use std::sync::Arc;
use support::TestDb;

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn msg(s: &str) -> StatusMessage {
    StatusMessage::parse(s).unwrap()
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    let row =
        t.db.query_one_raw(Statement::from_string(t.db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_first_reads_create_one_presence_and_one_preferences_row() {
    for t in TestDb::all().await {
        let agent = t.agent("corrida").await;
        let repo = Arc::new(SeaOrmPresenceRepository::new(t.db.clone()));
        let at = now();
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let r = repo.clone();
            tasks.push(tokio::spawn(async move {
                let p = PresenceRepository::get_or_create(&*r, agent, at)
                    .await
                    .unwrap();
                let n = PreferenciasRepository::get_or_create(&*r, agent, at)
                    .await
                    .unwrap();
                (p.id, n.id)
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{}: every call saw the same rows", t.name());
        let q = format!("SELECT COUNT(*) FROM agent_presence WHERE agent_id = {agent}");
        assert_eq!(count(&t, &q).await, 1, "{}", t.name());
        let q = format!("SELECT COUNT(*) FROM preferencias_notificacao WHERE usuario_id = {agent}");
        assert_eq!(count(&t, &q).await, 1, "{}", t.name());
        t.finish().await;
    }
}

#[tokio::test]
async fn a_new_presence_is_offline_and_names_its_agent() {
    for t in TestDb::all().await {
        let agent = t.agent("nova").await;
        let repo = SeaOrmPresenceRepository::new(t.db.clone());
        let at = now();
        let p = PresenceRepository::get_or_create(&repo, agent, at)
            .await
            .unwrap();
        assert_eq!(p.agent, agent);
        assert_eq!(p.agent_username, "nova");
        assert_eq!(p.status, PresenceStatus::Offline);
        assert_eq!(p.status_message, "");
        assert_eq!(
            (p.last_heartbeat, p.status_changed_at, p.updated_at),
            (at, at, at)
        );
        // A later read returns the stored row.
        let again = PresenceRepository::get_or_create(&repo, agent, at + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(again, p);
        let e = PresenceRepository::get_or_create(&repo, agent + 1000, at)
            .await
            .unwrap_err();
        assert!(matches!(e, kernel::DomainError::NotFound("Agent")), "{e:?}");
        t.finish().await;
    }
}

#[tokio::test]
async fn set_status_returns_the_old_status_and_moves_the_change_time_only_on_a_change() {
    for t in TestDb::all().await {
        let agent = t.agent("status").await;
        let repo = SeaOrmPresenceRepository::new(t.db.clone());
        let t1 = now();
        // No row yet: created, then changed.
        let c = repo
            .set_status(agent, PresenceStatus::Busy, &msg("Almoço"), t1)
            .await
            .unwrap();
        assert_eq!(c.old, PresenceStatus::Offline);
        assert_eq!(c.presence.status, PresenceStatus::Busy);
        assert_eq!(c.presence.status_message, "Almoço");
        assert_eq!(c.presence.status_changed_at, t1);
        // Same status, empty message: the change time and the message stay.
        let t2 = t1 + Duration::seconds(30);
        let c = repo
            .set_status(agent, PresenceStatus::Busy, &msg(""), t2)
            .await
            .unwrap();
        assert_eq!(c.old, PresenceStatus::Busy);
        assert_eq!(c.presence.status_changed_at, t1);
        assert_eq!(c.presence.status_message, "Almoço");
        assert_eq!(c.presence.updated_at, t2);
        let t3 = t2 + Duration::seconds(30);
        let c = repo
            .set_status(agent, PresenceStatus::Away, &msg("Volto já"), t3)
            .await
            .unwrap();
        assert_eq!(c.old, PresenceStatus::Busy);
        assert_eq!(c.presence.status_changed_at, t3);
        assert_eq!(c.presence.status_message, "Volto já");
        t.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_status_changes_each_see_the_status_they_replaced() {
    for t in TestDb::all().await {
        let agent = t.agent("paralelo").await;
        let repo = Arc::new(SeaOrmPresenceRepository::new(t.db.clone()));
        let at = now();
        PresenceRepository::get_or_create(&*repo, agent, at)
            .await
            .unwrap();
        let statuses = [
            PresenceStatus::Online,
            PresenceStatus::Busy,
            PresenceStatus::Away,
        ];
        let mut tasks = Vec::new();
        for i in 0..12 {
            let r = repo.clone();
            let s = statuses[i % 3];
            tasks.push(tokio::spawn(async move {
                let c = r.set_status(agent, s, &msg(""), at).await.unwrap();
                (c.old, c.presence.status)
            }));
        }
        let mut changes = Vec::new();
        for task in tasks {
            changes.push(task.await.unwrap());
        }
        // Serialized: the writes form one chain offline → … → final, each `old` being the
        // `new` of exactly one other write (or the initial offline).
        let finals = PresenceRepository::get_or_create(&*repo, agent, at)
            .await
            .unwrap()
            .status;
        let mut olds: Vec<_> = changes.iter().map(|c| c.0.as_str()).collect();
        let mut news: Vec<_> = changes.iter().map(|c| c.1.as_str()).collect();
        news.retain({
            let mut dropped = false;
            move |s| {
                if !dropped && *s == finals.as_str() {
                    dropped = true;
                    false
                } else {
                    true
                }
            }
        });
        news.push("offline");
        olds.sort_unstable();
        news.sort_unstable();
        assert_eq!(olds, news, "{}", t.name());
        t.finish().await;
    }
}

#[tokio::test]
async fn a_heartbeat_brings_an_offline_agent_online_only_when_connected() {
    for t in TestDb::all().await {
        let agent = t.agent("pulso").await;
        let repo = SeaOrmPresenceRepository::new(t.db.clone());
        let t1 = now();
        // Not connected: heartbeat recorded, still offline.
        assert_eq!(repo.heartbeat(agent, t1, false).await.unwrap(), None);
        let p = PresenceRepository::get_or_create(&repo, agent, t1)
            .await
            .unwrap();
        assert_eq!((p.status, p.last_heartbeat), (PresenceStatus::Offline, t1));
        // Connected: online, changed now.
        let t2 = t1 + Duration::seconds(10);
        let p = repo
            .heartbeat(agent, t2, true)
            .await
            .unwrap()
            .expect("came online");
        assert_eq!(p.status, PresenceStatus::Online);
        assert_eq!((p.status_changed_at, p.last_heartbeat), (t2, t2));
        // Already online: just the heartbeat.
        let t3 = t2 + Duration::seconds(10);
        assert_eq!(repo.heartbeat(agent, t3, true).await.unwrap(), None);
        let p = PresenceRepository::get_or_create(&repo, agent, t3)
            .await
            .unwrap();
        assert_eq!((p.status_changed_at, p.last_heartbeat), (t2, t3));
        // Busy stays busy.
        repo.set_status(agent, PresenceStatus::Busy, &msg(""), t3)
            .await
            .unwrap();
        assert_eq!(repo.heartbeat(agent, t3, true).await.unwrap(), None);
        let q = format!(
            "SELECT COUNT(*) FROM agent_presence WHERE agent_id = {agent} AND websocket_connected"
        );
        assert_eq!(count(&t, &q).await, 1, "the observed socket state is kept");
        t.finish().await;
    }
}

#[tokio::test]
async fn the_timeout_expires_only_stale_agents_that_are_not_offline_and_only_once() {
    for t in TestDb::all().await {
        let repo = SeaOrmPresenceRepository::new(t.db.clone());
        let old = now() - Duration::minutes(5);
        let fresh = now();
        let mut ids = Vec::new();
        for (name, status, heartbeat) in [
            ("online-velho", PresenceStatus::Online, old),
            ("busy-velho", PresenceStatus::Busy, old),
            ("away-velho", PresenceStatus::Away, old),
            ("online-novo", PresenceStatus::Online, fresh),
            ("offline-velho", PresenceStatus::Offline, old),
        ] {
            let a = t.agent(name).await;
            PresenceRepository::get_or_create(&repo, a, heartbeat)
                .await
                .unwrap();
            repo.set_status(a, status, &msg("x"), heartbeat)
                .await
                .unwrap();
            ids.push(a);
        }
        let at = now();
        let cutoff = at - Duration::minutes(2);
        assert_eq!(
            repo.expire_stale(cutoff, at).await.unwrap(),
            ids[..3].to_vec()
        );
        for a in &ids[..3] {
            let p = PresenceRepository::get_or_create(&repo, *a, at)
                .await
                .unwrap();
            assert_eq!(
                (p.status, p.status_changed_at),
                (PresenceStatus::Offline, at)
            );
            assert_eq!(p.status_message, "x", "the message is kept");
        }
        let p = PresenceRepository::get_or_create(&repo, ids[3], at)
            .await
            .unwrap();
        assert_eq!(p.status, PresenceStatus::Online);
        // Conditional: a second tick finds nobody.
        assert!(repo.expire_stale(cutoff, at).await.unwrap().is_empty());
        t.finish().await;
    }
}

#[tokio::test]
async fn on_postgres_a_tick_is_skipped_while_another_process_holds_the_lock() {
    for t in TestDb::all().await {
        if t.db.get_database_backend() != DbBackend::Postgres {
            t.finish().await;
            continue;
        }
        let repo = SeaOrmPresenceRepository::new(t.db.clone());
        let a = t.agent("travado").await;
        let old = now() - Duration::minutes(5);
        repo.set_status(a, PresenceStatus::Online, &msg(""), old)
            .await
            .unwrap();
        // Another "process": a transaction holding the tick's lock.
        let other = t.db.begin().await.unwrap();
        other
            .execute_unprepared(&format!(
                "SELECT pg_advisory_xact_lock({PRESENCE_TICK_LOCK}, hashtext(current_schema()::text))"
            ))
            .await
            .unwrap();
        let at = now();
        let cutoff = at - Duration::minutes(2);
        assert!(
            repo.expire_stale(cutoff, at).await.unwrap().is_empty(),
            "skipped"
        );
        assert_eq!(
            PresenceRepository::get_or_create(&repo, a, at)
                .await
                .unwrap()
                .status,
            PresenceStatus::Online
        );
        other.commit().await.unwrap();
        assert_eq!(repo.expire_stale(cutoff, at).await.unwrap(), vec![a]);
        t.finish().await;
    }
}

#[tokio::test]
async fn typing_indicators_are_one_per_agent_and_chat() {
    for t in TestDb::all().await {
        let agent = t.agent("digita").await;
        let repo = SeaOrmPresenceRepository::new(t.db.clone());
        let chat = ChatId::parse("5511999999999").unwrap();
        let at = now();
        assert!(
            !repo.stop(agent, &chat, at).await.unwrap(),
            "no indicator yet"
        );
        repo.start(agent, &chat, at).await.unwrap();
        repo.start(agent, &chat, at + Duration::seconds(1))
            .await
            .unwrap();
        let q = format!(
            "SELECT COUNT(*) FROM typing_indicators WHERE agent_id = {agent} AND is_typing"
        );
        assert_eq!(count(&t, &q).await, 1);
        assert!(repo.stop(agent, &chat, at).await.unwrap());
        assert_eq!(count(&t, &q).await, 0);
        // Stopping again still finds the row.
        assert!(repo.stop(agent, &chat, at).await.unwrap());
        let other = ChatId::parse("5511888888888").unwrap();
        assert!(!repo.stop(agent, &other, at).await.unwrap());
        t.finish().await;
    }
}

#[tokio::test]
async fn a_preferences_patch_writes_only_what_it_sets() {
    for t in TestDb::all().await {
        let agent = t.agent("prefs").await;
        let repo = SeaOrmPresenceRepository::new(t.db.clone());
        let t1 = now();
        let p = PreferenciasRepository::get_or_create(&repo, agent, t1)
            .await
            .unwrap();
        assert!(p.som_nova_mensagem && p.mostrar_badge_atendimentos);
        assert!(!p.modo_nao_perturbe);
        assert_eq!((p.nao_perturbe_inicio, p.nao_perturbe_fim), (None, None));
        assert_eq!((p.criado_em, p.atualizado_em), (t1, t1));
        let inicio = NaiveTime::from_hms_micro_opt(22, 0, 0, 0).unwrap();
        let fim = NaiveTime::from_hms_micro_opt(6, 30, 15, 250_000).unwrap();
        let t2 = t1 + Duration::seconds(5);
        let a = PreferenciasPatch {
            som_nova_mensagem: Some(false),
            nao_perturbe_inicio: Some(Some(inicio)),
            nao_perturbe_fim: Some(Some(fim)),
            ..Default::default()
        };
        let p = PreferenciasRepository::update(&repo, agent, &a, t2)
            .await
            .unwrap();
        assert!(!p.som_nova_mensagem);
        assert_eq!(
            (p.nao_perturbe_inicio, p.nao_perturbe_fim),
            (Some(inicio), Some(fim))
        );
        assert_eq!((p.criado_em, p.atualizado_em), (t1, t2));
        // Another patch of other fields leaves these alone.
        let b = PreferenciasPatch {
            modo_nao_perturbe: Some(true),
            nao_perturbe_fim: Some(None),
            ..Default::default()
        };
        let p = PreferenciasRepository::update(&repo, agent, &b, t2)
            .await
            .unwrap();
        assert!(p.modo_nao_perturbe && !p.som_nova_mensagem);
        assert_eq!(
            (p.nao_perturbe_inicio, p.nao_perturbe_fim),
            (Some(inicio), None)
        );
        // An empty patch only touches the update time; a patch creates the row if needed.
        let p = repo
            .update(agent, &PreferenciasPatch::default(), t2)
            .await
            .unwrap();
        assert!(p.modo_nao_perturbe);
        let other = t.agent("prefs2").await;
        let p = PreferenciasRepository::update(&repo, other, &b, t2)
            .await
            .unwrap();
        assert!(p.modo_nao_perturbe && p.som_nova_mensagem);
        t.finish().await;
    }
}

#[tokio::test]
async fn the_rows_go_with_their_agent() {
    for t in TestDb::all().await {
        let agent = t.agent("efemero").await;
        let repo = SeaOrmPresenceRepository::new(t.db.clone());
        let at = now();
        PresenceRepository::get_or_create(&repo, agent, at)
            .await
            .unwrap();
        PreferenciasRepository::get_or_create(&repo, agent, at)
            .await
            .unwrap();
        repo.start(agent, &ChatId::parse("1").unwrap(), at)
            .await
            .unwrap();
        t.db.execute_unprepared(&format!("DELETE FROM agents WHERE id = {agent}"))
            .await
            .unwrap();
        for table in ["agent_presence", "typing_indicators"] {
            let q = format!("SELECT COUNT(*) FROM {table} WHERE agent_id = {agent}");
            assert_eq!(count(&t, &q).await, 0, "{table}");
        }
        let q = format!("SELECT COUNT(*) FROM preferencias_notificacao WHERE usuario_id = {agent}");
        assert_eq!(count(&t, &q).await, 0);
        t.finish().await;
    }
}
