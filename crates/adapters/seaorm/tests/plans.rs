//! The hot paths of atendimento read through their indexes on both databases: the queue a
//! distribution cuts, and a chat's message window. Plans are checked with `EXPLAIN` (scans
//! priced out on PostgreSQL, where a handful of rows would rightly be scanned), so a test
//! fails when an index stops serving its query.

use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

mod support;
use support::TestDb;

/// The plan of `sql` as text (SQLite's `EXPLAIN QUERY PLAN` details or PostgreSQL's
/// `EXPLAIN`).
async fn plan(t: &TestDb, sql: &str) -> String {
    let backend = t.db.get_database_backend();
    let txn = t.db.begin().await.unwrap();
    let explain = match backend {
        DbBackend::Sqlite => "EXPLAIN QUERY PLAN",
        _ => {
            for knob in ["enable_seqscan", "enable_sort"] {
                txn.execute_unprepared(&format!("SET LOCAL {knob} = off"))
                    .await
                    .unwrap();
            }
            "EXPLAIN"
        }
    };
    let rows = txn
        .query_all_raw(Statement::from_string(backend, format!("{explain} {sql}")))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|r| {
            r.try_get::<String>("", "detail")
                .or_else(|_| r.try_get::<String>("", "QUERY PLAN"))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_queue_a_distribution_cuts_is_read_in_index_order() {
    for t in TestDb::all().await {
        // The statement `distribuir` reads its pending rows with (atendimento_repo/distribuir.rs).
        let text = plan(
            &t,
            "SELECT id, cliente_id, chat_id, numero_whatsapp, mensagem_inicial, prioridade, \
             entrou_na_fila_em FROM filas_atendimento WHERE departamento_id = 7 \
             AND atribuido_em IS NULL ORDER BY prioridade_rank DESC, entrou_na_fila_em, id \
             LIMIT 400",
        )
        .await;
        assert!(text.contains("ix_filas_pending"), "{}: {text}", t.name());
        for bad in ["TEMP B-TREE", "Sort", "Seq Scan", "SCAN filas_atendimento"] {
            assert!(!text.contains(bad), "{}: {bad} in {text}", t.name());
        }
        t.finish().await;
    }
}

#[tokio::test]
async fn a_chats_message_window_is_read_from_its_index() {
    for t in TestDb::all().await {
        // The window of `GET /chats/{chat_id}/` (atendimento_repo/chats.rs `messages`): its
        // count and its newest page.
        let window = "FROM whatsapp_messages WHERE chat_id = '5511999990000' \
                      AND created_at >= '2026-01-01T00:00:00Z'";
        for sql in [
            format!("SELECT COUNT(*) {window}"),
            format!("SELECT * {window} ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 0"),
        ] {
            let text = plan(&t, &sql).await;
            assert!(
                text.contains("ix_whatsapp_messages_chat"),
                "{}: {sql}: {text}",
                t.name()
            );
            for bad in [
                "Seq Scan",
                "SCAN whatsapp_messages\n",
                "USE TEMP B-TREE FOR ORDER BY",
            ] {
                assert!(!text.contains(bad), "{}: {bad} in {text}", t.name());
            }
            // PostgreSQL's index has no id: at most an incremental sort of one timestamp's ties.
            if t.db.get_database_backend() == DbBackend::Postgres {
                assert!(
                    !text
                        .lines()
                        .map(|l| l.trim_start().trim_start_matches("->  "))
                        .any(|node| node.starts_with("Sort  (")),
                    "{}: a full sort in {text}",
                    t.name()
                );
            }
        }
        t.finish().await;
    }
}
