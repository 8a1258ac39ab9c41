//! Every paginated list: hostile `page`, `page_size` and `search` values are a 4xx (or are
//! capped), never a panic or a 5xx (issue 7, items 6 and 8).

use crate::common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// Every paginated list endpoint, each holding at least one row after [`seed`].
const LISTS: [&str; 7] = [
    "/api/v1/clientes/",
    "/api/v1/clientes/search/",
    "/api/v1/clientes/status/ativo/",
    "/api/v1/grupos-empresa/",
    "/api/v1/contatos/",
    "/api/v1/documentos/",
    "/api/v1/authz/agents/",
];

/// The lists that take `?search=`.
const SEARCHABLE: [&str; 6] = [
    "/api/v1/clientes/",
    "/api/v1/clientes/search/",
    "/api/v1/clientes/status/ativo/",
    "/api/v1/grupos-empresa/",
    "/api/v1/contatos/",
    "/api/v1/documentos/",
];

/// One row in every list.
async fn seed(app: &TestApp) {
    let t = &app.admin_token;
    let (s, g) = app
        .post("/api/v1/grupos-empresa/", t, json!({"nome":"Grupo A"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let (s, c) = app
        .post(
            "/api/v1/clientes/",
            t,
            json!({"razao_social":"ACME","grupo_empresa":g["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, v) = app
        .post(
            "/api/v1/contatos/",
            t,
            json!({"cliente":c["id"],"nome":"Ana","whatsapp":"+5511999999999"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let form = Form::new()
        .text("cliente", c["id"].to_string())
        .text("nome", "Contrato")
        .text("tipo_documento", "contrato")
        .part(
            "arquivo",
            Part::bytes(b"ola".to_vec())
                .file_name("c.txt")
                .mime_str("text/plain")
                .expect("mime"),
        );
    let (s, v) = read(
        app.client
            .post(app.url("/api/v1/documentos/"))
            .bearer_auth(t)
            .multipart(form)
            .send()
            .await
            .expect("upload"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for list in LISTS {
        let (s, v) = app.get(list, t).await;
        assert_eq!(s, StatusCode::OK, "{list}: {v}");
        assert!(v["count"].as_u64().unwrap_or(0) >= 1, "{list}: {v}");
    }
}

fn invalid_page() -> (StatusCode, Value) {
    (StatusCode::NOT_FOUND, json!({"detail":"Página inválida."}))
}

/// `?page=` past the last page, however large (its offset overflowing u64 or i64), is 404
/// `Página inválida.` on every list; it used to panic in the SQLite binder.
#[tokio::test]
async fn pages_past_the_end_are_invalid_on_every_list() {
    let app = spawn_app().await;
    seed(&app).await;
    let t = &app.admin_token;
    let pages = [
        "2",
        "-1",
        "-9223372036854775808",
        "9223372036854775807",
        "9223372036854775808",
        "461168601842738791",
        "92233720368547759",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999999999",
    ];
    for list in LISTS {
        for page in pages {
            for size in ["", "&page_size=1", "&page_size=100", "&page_size=-5"] {
                let path = format!("{list}?page={page}{size}");
                let (s, v) = app.get(&path, t).await;
                assert_eq!((s, v), invalid_page(), "{path}");
            }
        }
        // Huge page sizes are capped at 100 (they are integers > 100), the first page exists.
        for size in [
            "9223372036854775807",
            "18446744073709551616",
            "99999999999999999999999999999999",
        ] {
            let path = format!("{list}?page_size={size}");
            let (s, v) = app.get(&path, t).await;
            assert_eq!(s, StatusCode::OK, "{path}: {v}");
            let (s, v) = app.get(&format!("{path}&page=last"), t).await;
            assert_eq!(s, StatusCode::OK, "{path}&page=last: {v}");
        }
    }
    // The capped size really is 100, not the default 20.
    for i in 0..21 {
        let (s, v) = app
            .post(
                "/api/v1/grupos-empresa/",
                t,
                json!({"nome":format!("G{i:02}")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (_, v) = app
        .get(
            "/api/v1/grupos-empresa/?page_size=99999999999999999999999",
            t,
        )
        .await;
    assert_eq!(v["results"].as_array().map(Vec::len), Some(22), "{v}");
}

/// `?search=` with hundreds of terms used to be SQLite's "Expression tree is too large" (500).
/// More than 20 terms, or a term over 100 characters, is a 400 on `search` (`q` on
/// `/clientes/search/`); 20 terms still search.
#[tokio::test]
async fn long_searches_are_a_400_on_every_list() {
    let app = spawn_app().await;
    seed(&app).await;
    let t = &app.admin_token;
    let too_many = json!({"search":["Informe no máximo 20 termos de busca."]});
    let too_long = json!({"search":["Cada termo de busca pode ter no máximo 100 caracteres."]});
    let twenty = vec!["a"; 20].join("+");
    for list in SEARCHABLE {
        let (s, v) = app.get(&format!("{list}?search={twenty}"), t).await;
        assert_eq!(s, StatusCode::OK, "{list} 20 terms: {v}");
        for n in [21, 500, 1_000, 2_000] {
            let terms = vec!["ab"; n].join("+");
            let (s, v) = app.get(&format!("{list}?search={terms}"), t).await;
            assert_eq!((s, &v), (StatusCode::BAD_REQUEST, &too_many), "{list} {n}");
        }
        let long = "a".repeat(101);
        let (s, v) = app.get(&format!("{list}?search=x+{long}"), t).await;
        assert_eq!((s, &v), (StatusCode::BAD_REQUEST, &too_long), "{list}");
        let (s, v) = app
            .get(&format!("{list}?search={}", "é".repeat(100)), t)
            .await;
        assert_eq!(s, StatusCode::OK, "{list} 100 characters: {v}");
    }
    let many = vec!["ab"; 500].join("+");
    let (s, v) = app
        .get(&format!("/api/v1/clientes/search/?q={many}"), t)
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"q":["Informe no máximo 20 termos de busca."]})
        )
    );
    // A match still works within the limits, and the last `search` is the one used.
    let (s, v) = app
        .get(&format!("/api/v1/clientes/?search={many}&search=acme"), t)
        .await;
    assert_eq!((s, v["count"].clone()), (StatusCode::OK, json!(1)), "{v}");
}

/// A filter parameter repeated hundreds of times keeps only its last value (as django-filter
/// does) instead of piling up one condition per repeat.
#[tokio::test]
async fn repeated_filters_keep_their_last_value() {
    let app = spawn_app().await;
    seed(&app).await;
    let t = &app.admin_token;
    for (list, key, hit) in [
        ("/api/v1/clientes/", "razao_social", "acm"),
        ("/api/v1/clientes/", "cidade", ""),
        ("/api/v1/contatos/", "nome", "an"),
    ] {
        // As many as fit in a request line (16 KiB; longer URIs are a 414).
        let mut qs = vec![format!("{key}=zz"); 900].join("&");
        if !hit.is_empty() {
            qs.push_str(&format!("&{key}={hit}"));
        }
        let (s, v) = app.get(&format!("{list}?{qs}"), t).await;
        assert_eq!(s, StatusCode::OK, "{list} {key}: {v}");
        let expected = if hit.is_empty() { 0 } else { 1 };
        assert_eq!(v["count"], json!(expected), "{list} {key}: {v}");
    }
}
