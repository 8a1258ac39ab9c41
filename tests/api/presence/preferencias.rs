//! Notification preferences (§3 **Preferencias**, §4.8): defaults, field-by-field patches,
//! DRF field errors, the do-not-disturb window; and real parallel first reads of presence and
//! preferences, which must create one row each.

use super::is_local_iso;
use crate::common::{read, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn preferences_are_created_with_defaults_and_patched_field_by_field() {
    let app = spawn_app().await;
    let (id, token) = app.agent("hugo", json!({})).await;
    let path = "/api/v1/me/preferencias-notificacao/";
    let (s, v) = app.get(path, &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["usuario"], id);
    for k in [
        "som_nova_mensagem",
        "som_novo_atendimento",
        "som_transferencia",
        "desktop_nova_mensagem",
        "desktop_novo_atendimento",
        "desktop_transferencia",
        "mostrar_badge_mensagens",
        "mostrar_badge_atendimentos",
    ] {
        assert_eq!(v[k], true, "{k}");
    }
    assert_eq!(v["modo_nao_perturbe"], false);
    assert_eq!(
        (
            v["nao_perturbe_inicio"].clone(),
            v["nao_perturbe_fim"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_eq!(v["esta_em_nao_perturbe"], false);
    assert!(is_local_iso(&v["criado_em"]) && is_local_iso(&v["atualizado_em"]));
    let row = v["id"].clone();

    // Read-only keys are ignored; only the sent fields change.
    let (s, v) = app
        .patch(
            path,
            &token,
            json!({"som_nova_mensagem": false, "nao_perturbe_inicio": "22:00",
                   "id": 999, "usuario": 1, "esta_em_nao_perturbe": true, "criado_em": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["id"].clone(), v["usuario"].clone()),
        (row.clone(), json!(id))
    );
    assert_eq!(v["som_nova_mensagem"], false);
    assert_eq!(v["som_transferencia"], true);
    assert_eq!(v["nao_perturbe_inicio"], "22:00:00");
    assert_eq!(v["esta_em_nao_perturbe"], false, "mode off");

    // A window of the whole day (and one wrapping midnight) is on whatever the hour.
    for (inicio, fim) in [("00:00", "23:59:59.999999"), ("12:00", "11:59:59.999999")] {
        let (s, v) = app
            .patch(
                path,
                &token,
                json!({"modo_nao_perturbe": true, "nao_perturbe_inicio": inicio,
                       "nao_perturbe_fim": fim}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["nao_perturbe_fim"], fim);
        assert_eq!(v["esta_em_nao_perturbe"], true, "{inicio}–{fim}");
    }
    // Without an end time it is off again.
    let (_, v) = app
        .patch(path, &token, json!({"nao_perturbe_fim": null}))
        .await;
    assert_eq!(
        (
            v["nao_perturbe_fim"].clone(),
            v["esta_em_nao_perturbe"].clone()
        ),
        (Value::Null, json!(false))
    );
    assert_eq!(v["som_nova_mensagem"], false, "earlier patches stay");

    // Field errors, all at once, nothing written.
    let (s, v) = app
        .patch(
            path,
            &token,
            json!({"som_transferencia": "talvez", "nao_perturbe_inicio": "25:00",
                   "nao_perturbe_fim": 7, "modo_nao_perturbe": null, "som_nova_mensagem": true}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let time = "Formato inválido para Tempo. Use um dos formatos a seguir: hh:mm[:ss[.uuuuuu]].";
    assert_eq!(
        v,
        json!({"som_transferencia": ["Must be a valid boolean."],
               "nao_perturbe_inicio": [time], "nao_perturbe_fim": [time],
               "modo_nao_perturbe": ["Este campo não pode ser nulo."]})
    );
    let (_, v) = app.get(path, &token).await;
    assert_eq!(v["som_nova_mensagem"], false);
    // A body that is not an object: the DRF 400.
    let (s, v) = app.patch(path, &token, json!([1])).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["non_field_errors"].is_array(), "{v}");
    // Form bodies: strings parsed, an empty time is null.
    let r = app
        .client
        .patch(app.url(path))
        .bearer_auth(&token)
        .form(&[
            ("desktop_transferencia", "false"),
            ("nao_perturbe_inicio", ""),
        ])
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["desktop_transferencia"].clone(),
            v["nao_perturbe_inicio"].clone()
        ),
        (json!(false), Value::Null)
    );
    // Each agent has their own.
    let (_, v) = app.get(path, &app.admin_token).await;
    assert_ne!(v["id"], row);
    assert_eq!(v["som_nova_mensagem"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_first_reads_create_one_row_each() {
    let app = std::sync::Arc::new(spawn_app().await);
    let (_, token) = app.agent("ivo", json!({})).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (app, token) = (app.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let path = if i % 2 == 0 {
                "/api/v1/presence/me/"
            } else {
                "/api/v1/me/preferencias-notificacao/"
            };
            let (s, v) = app.get(path, &token).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            (i % 2, v["id"].as_i64().expect("id"))
        }));
    }
    let mut presence = Vec::new();
    let mut prefs = Vec::new();
    for t in tasks {
        let (kind, id) = t.await.unwrap();
        if kind == 0 {
            presence.push(id)
        } else {
            prefs.push(id)
        }
    }
    presence.dedup();
    prefs.dedup();
    assert_eq!(presence.len(), 1, "one presence row: {presence:?}");
    assert_eq!(prefs.len(), 1, "one preferences row: {prefs:?}");
}
