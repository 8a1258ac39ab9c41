//! Rules that must hold under concurrency: two concurrent PATCHes of different fields of the
//! same row both survive (each writes only the columns it changes).

use crate::common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const ROUNDS: usize = 25;

/// `ROUNDS` rounds of two PATCHes of `path` sent together, each setting one field to a value
/// of its round; after each round, a GET shows both.
async fn both_survive(
    app: &TestApp,
    path: &str,
    a: &str,
    b: &str,
    value: impl Fn(&str, usize) -> Value,
) {
    let t = &app.admin_token;
    for round in 0..ROUNDS {
        let (va, vb) = (value(a, round), value(b, round));
        let (ra, rb) = tokio::join!(
            app.patch(path, t, json!({ a: va.clone() })),
            app.patch(path, t, json!({ b: vb.clone() })),
        );
        assert_eq!(ra.0, StatusCode::OK, "{path} round {round}: {}", ra.1);
        assert_eq!(rb.0, StatusCode::OK, "{path} round {round}: {}", rb.1);
        let (s, v) = app.get(path, t).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!((&v[a], &v[b]), (&va, &vb), "{path} round {round}");
    }
}

fn text(field: &str, round: usize) -> Value {
    json!(format!("{field} {round}"))
}

#[tokio::test]
async fn concurrent_patches_of_different_fields_both_survive() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social": "ACME"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cliente = format!("/api/v1/clientes/{}/", c["id"]);
    both_survive(&app, &cliente, "razao_social", "observacoes", text).await;
    // The status endpoint against a PATCH of another field.
    let status = format!("/api/v1/clientes/{}/status/", c["id"]);
    for round in 0..ROUNDS {
        let st = if round % 2 == 0 { "inativo" } else { "ativo" };
        let nome = text("nome_fantasia", round);
        let (ra, rb) = tokio::join!(
            app.patch(&status, t, json!({"status": st})),
            app.patch(&cliente, t, json!({"nome_fantasia": nome.clone()})),
        );
        assert_eq!(
            (ra.0, rb.0),
            (StatusCode::OK, StatusCode::OK),
            "{ra:?} {rb:?}"
        );
        let (_, v) = app.get(&cliente, t).await;
        assert_eq!(
            (&v["status"], &v["nome_fantasia"]),
            (&json!(st), &nome),
            "round {round}"
        );
    }
    // The search text follows both changes.
    let (_, v) = app
        .get(
            &format!(
                "/api/v1/clientes/?search={}",
                urlencode(&format!("razao_social {}", ROUNDS - 1))
            ),
            t,
        )
        .await;
    assert_eq!(v["count"], 1, "{v}");

    let (s, k) = app
        .post(
            "/api/v1/contatos/",
            t,
            json!({"cliente": c["id"], "nome": "Ana", "whatsapp": "+5511999990001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    let contato = format!("/api/v1/contatos/{}/", k["id"]);
    both_survive(&app, &contato, "nome", "cargo", text).await;

    let (s, g) = app
        .post("/api/v1/grupos-empresa/", t, json!({"nome": "Grupo"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let grupo = format!("/api/v1/grupos-empresa/{}/", g["id"]);
    both_survive(&app, &grupo, "nome", "descricao", text).await;

    let form = Form::new()
        .text("cliente", c["id"].to_string())
        .text("nome", "Contrato")
        .text("tipo_documento", "contrato")
        .part(
            "arquivo",
            Part::bytes(b"a".to_vec())
                .file_name("a.txt")
                .mime_str("text/plain")
                .unwrap(),
        );
    let (s, d) = read(
        app.client
            .post(app.url("/api/v1/documentos/"))
            .bearer_auth(t)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let documento = format!("/api/v1/documentos/{}/", d["id"]);
    both_survive(&app, &documento, "nome", "descricao", text).await;

    let (id, _) = app.agent("paralelo", json!({})).await;
    let agent = format!("/api/v1/authz/agents/{id}/");
    both_survive(&app, &agent, "display_name", "email", |f, round| {
        if f == "email" {
            json!(format!("a{round}@example.com"))
        } else {
            text(f, round)
        }
    })
    .await;
}

fn urlencode(s: &str) -> String {
    s.replace(' ', "%20")
}

/// A burst of wrong passwords for one user from one address, sent together: at most the
/// limit (10) reach the password check and get 401; the rest get 429.
#[tokio::test]
async fn a_parallel_burst_of_wrong_passwords_stops_at_the_limit() {
    let app = spawn_app().await;
    app.agent("alvo", json!({})).await;
    let url = app.url("/api/v1/auth/token/");
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (client, url) = (app.client.clone(), url.clone());
        tries.spawn(async move {
            client
                .post(url)
                .json(&json!({"username": "alvo", "password": "errada-1"}))
                .send()
                .await
                .expect("login")
                .status()
        });
    }
    let statuses: Vec<StatusCode> = tries.join_all().await;
    let unauthorized = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((unauthorized, throttled), (10, 30), "{statuses:?}");
}
