use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn trailing_slash_rules() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/v1/clientes?page=2"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(r.headers()["location"], "/api/v1/clientes/?page=2");
    // non-GET methods are handled as the slashed route
    let (s, v) = read(
        app.call(
            Method::POST,
            "/api/v1/clientes",
            Some(&app.admin_token),
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn json_404_405_and_allow() {
    let app = spawn_app().await;
    let (s, v) = app.get("/api/v1/nada/", &app.admin_token).await;
    assert_eq!(
        (s, v),
        (StatusCode::NOT_FOUND, json!({"detail":"Não encontrado."}))
    );
    let (s, v) = app.get("/api/v1/clientes/abc/", &app.admin_token).await;
    assert_eq!(
        (s, v),
        (StatusCode::NOT_FOUND, json!({"detail":"Não encontrado."}))
    );
    let (s, v) = app.get("/api/v1/clientes/999/", &app.admin_token).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail":"No Cliente matches the given query."})
        )
    );

    let r = app
        .call(Method::DELETE, "/api/v1/me/", Some(&app.admin_token), None)
        .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET, HEAD, OPTIONS");
    let (_, v) = read(r).await;
    assert_eq!(v, json!({"detail":"Método \"DELETE\" não é permitido."}));
    // anonymous wrong method on an authenticated route: 401 first
    let r = app.call(Method::DELETE, "/api/v1/me/", None, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn request_id_echo_or_generation() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/v1/health/"))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app
        .client
        .get(app.url("/api/v1/health/"))
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let (s, v) = read(r).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"status":"ok"})));
}

#[tokio::test]
async fn body_media_types_and_errors() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/api/v1/clientes/"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/plain")
        .body("oi")
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"detail":"Tipo de mídia  \"text/plain\" no pedido não é suportado."})
        )
    );

    let r = app
        .client
        .post(app.url("/api/v1/clientes/"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/json")
        .body("{\"razao_social\": ")
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - "),
        "{v}"
    );

    let big = format!("{{\"observacoes\": \"{}\"}}", "x".repeat(1_100_000));
    let r = app
        .client
        .post(app.url("/api/v1/clientes/"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"detail":"Corpo da requisição muito grande."})
        )
    );

    // non-object JSON
    let (s, v) = app
        .post("/api/v1/clientes/", &app.admin_token, json!([1, 2]))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["non_field_errors"][0],
        "Dados inválidos. Esperado um dicionário, mas recebido list."
    );

    // form bodies are accepted
    let r = app
        .client
        .post(app.url("/api/v1/clientes/"))
        .bearer_auth(&app.admin_token)
        .form(&[("razao_social", "Via Form"), ("cnpj", "11.222.333/0001-81")])
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v["razao_social"].clone(), v["cnpj"].clone()),
        (
            StatusCode::CREATED,
            json!("Via Form"),
            json!("11222333000181")
        )
    );

    // multipart bodies too
    let form = reqwest::multipart::Form::new()
        .text("razao_social", "Via Multipart")
        .text("status", "inativo");
    let r = app
        .client
        .post(app.url("/api/v1/clientes/"))
        .bearer_auth(&app.admin_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v["status"].clone()),
        (StatusCode::CREATED, json!("inativo"))
    );
}

#[tokio::test]
async fn cors_preflight() {
    let app = spawn_app().await;
    let r = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/clientes/"))
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "PATCH")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let methods = r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_string();
    for m in ["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"] {
        assert!(methods.contains(m), "{methods}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/health/"))
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn pagination_envelope() {
    let app = spawn_app().await;
    for i in 0..25 {
        let (s, _) = app
            .post(
                "/api/v1/clientes/",
                &app.admin_token,
                json!({"razao_social": format!("Empresa {i:02}")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (s, v) = app
        .get(
            "/api/v1/clientes/?ordering=razao_social&status=ativo",
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["count"], 25);
    assert_eq!(v["results"].as_array().unwrap().len(), 20);
    assert_eq!(v["results"][0]["razao_social"], "Empresa 00");
    assert_eq!(v["previous"], json!(null));
    let next = v["next"].as_str().unwrap();
    assert!(
        next.starts_with(&app.base)
            && next.contains("page=2")
            && next.contains("ordering=razao_social"),
        "{next}"
    );

    let (_, v) = app
        .get(
            "/api/v1/clientes/?ordering=razao_social&page=2",
            &app.admin_token,
        )
        .await;
    assert_eq!(v["results"].as_array().unwrap().len(), 5);
    assert_eq!(v["next"], json!(null));
    let prev = v["previous"].as_str().unwrap();
    assert!(!prev.contains("page="), "{prev}");

    let (_, v) = app
        .get(
            "/api/v1/clientes/?page=last&page_size=10&ordering=-razao_social",
            &app.admin_token,
        )
        .await;
    assert_eq!(v["results"].as_array().unwrap().len(), 5);
    assert_eq!(v["results"][0]["razao_social"], "Empresa 04");
    assert!(v["previous"].as_str().unwrap().contains("page=2"));

    let (_, v) = app
        .get("/api/v1/clientes/?page_size=1000", &app.admin_token)
        .await;
    assert_eq!(v["results"].as_array().unwrap().len(), 25);
    let (_, v) = app
        .get("/api/v1/clientes/?page_size=abc", &app.admin_token)
        .await;
    assert_eq!(v["results"].as_array().unwrap().len(), 20);

    for bad in ["3", "0", "x"] {
        let (s, v) = app
            .get(&format!("/api/v1/clientes/?page={bad}"), &app.admin_token)
            .await;
        assert_eq!(
            (s, v),
            (StatusCode::NOT_FOUND, json!({"detail":"Página inválida."}))
        );
    }
    // unknown ordering fields are ignored
    let (s, _) = app
        .get("/api/v1/clientes/?ordering=senha", &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK);
}

/// U+0000 anywhere in a request is a 4xx or simply matches nothing, never a 500: PostgreSQL
/// refuses it in parameters and FTS5 in queries. Body fields answer DRF's message; `?search=`
/// drops it, as DRF's `SearchFilter` does.
#[tokio::test]
async fn null_characters_never_reach_the_database() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    for path in [
        "/api/v1/clientes/?search=ab%00cd",
        "/api/v1/clientes/?q=%00",
        "/api/v1/clientes/?estado=s%00p",
        "/api/v1/clientes/?cidade=s%00p",
        "/api/v1/clientes/?busca_geral=a%00b",
        "/api/v1/clientes/search/?q=a%00b%25",
        "/api/v1/contatos/?nome=a%00b",
        "/api/v1/contatos/?search=a%00b",
        "/api/v1/documentos/?search=a%00b",
        "/api/v1/documentos/?nome=a%00b",
        "/api/v1/grupos-empresa/?search=a%00b",
    ] {
        let (s, v) = app.get(path, t).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
    }
    let msg = "Caracteres nulos não são permitidos.";
    let (s, v) = app
        .post(
            "/api/v1/clientes/",
            t,
            json!({"razao_social": "Padaria\u{0}Central"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, json!({"razao_social": [msg]}))
    );
    let (s, v) = app
        .anon_post(
            "/api/v1/auth/token/",
            json!({"username": "ad\u{0}min", "password": "admin123"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, json!({"username": [msg]}))
    );
}

/// As DRF's `CharField`: numbers are taken as text, booleans and composites are not.
#[tokio::test]
async fn booleans_are_not_strings() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let not_a_string = json!(["Not a valid string."]);
    let (s, v) = app
        .post("/api/v1/grupos-empresa/", t, json!({"nome": false}))
        .await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, json!({"nome": not_a_string}))
    );
    let (s, v) = app
        .post(
            "/api/v1/authz/groups/",
            t,
            json!({"name": true, "permissions": []}),
        )
        .await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, json!({"name": not_a_string}))
    );
    let (s, v) = app
        .post("/api/v1/grupos-empresa/", t, json!({"nome": 2026}))
        .await;
    assert_eq!((s, v["nome"].clone()), (StatusCode::CREATED, json!("2026")));
}

/// Sends raw bytes on a fresh connection and reads the answer until the server closes it (or
/// `limit` passes: then whatever arrived, marked as not closed).
async fn raw_exchange(app: &TestApp, request: &[u8], limit: Duration) -> (String, bool) {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut got = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

fn header_of<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn trailing_slash_redirects_stay_on_this_server() {
    let app = spawn_app().await;
    let base = reqwest::Url::parse(&app.base).unwrap();
    for (path, expected) in [
        ("//evil.example/login", "/evil.example/login/"),
        ("///evil.example/x", "/evil.example/x/"),
        ("/%2F%2Fevil.example/login", "/%2F%2Fevil.example/login/"),
        ("/%5C%5Cevil.example/x", "/%5C%5Cevil.example/x/"),
        ("/api/v1/clientes?page=2", "/api/v1/clientes/?page=2"),
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY, "{path}");
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(location, expected, "{path}");
        let followed = base.join(&location).unwrap();
        assert_eq!(
            followed.host_str(),
            Some("127.0.0.1"),
            "{path} → {location}"
        );
    }
    // A backslash is sent raw (a URL parser would turn it into `/`): browsers read `/\host`
    // as `//host`.
    for target in [
        "/\\evil.example/login",
        "/\\\\evil.example/x",
        "/\\/evil.example/x",
        "//\\evil.example/x",
        "/\\",
    ] {
        let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (answer, _) = raw_exchange(&app, request.as_bytes(), Duration::from_secs(10)).await;
        if !answer.starts_with("HTTP/1.1 301") {
            assert!(!answer.starts_with("HTTP/1.1 3"), "{target}: {answer}");
            continue;
        }
        let location = header_of(&answer, "location").unwrap();
        let followed = base.join(location).unwrap();
        assert_eq!(
            followed.host_str(),
            Some("127.0.0.1"),
            "{target} → {location}"
        );
        assert!(
            location.starts_with('/') && !location[1..].starts_with(['/', '\\']),
            "{target} → {location}"
        );
    }
}

#[tokio::test]
async fn gerar_needs_a_json_integer_cliente_id() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social": "Gerar"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    for path in [
        "/api/v1/documentos/gerar-contrato/",
        "/api/v1/documentos/gerar-boleto/",
    ] {
        for bad in [json!(id.to_string()), json!(1.5), json!(true)] {
            let (s, v) = app
                .post(path, t, json!({"cliente_id": bad, "dados_boleto": {}}))
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path} {bad}: {v}");
            assert_eq!(
                v,
                json!({"cliente_id": ["Um número inteiro válido é exigido."]}),
                "{path} {bad}"
            );
        }
    }
    // A form body carries the id as text.
    let r = app
        .client
        .post(app.url("/api/v1/documentos/gerar-contrato/"))
        .bearer_auth(t)
        .form(&[("cliente_id", id.to_string())])
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn form_bodies_must_be_utf8() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let r = app
        .client
        .post(app.url("/api/v1/grupos-empresa/"))
        .bearer_auth(t)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("nome=Grupo%FF")
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("UTF-8"), "{v}");

    let form = reqwest::multipart::Form::new().part(
        "nome",
        reqwest::multipart::Part::bytes(b"Grupo \xff\xfe".to_vec()),
    );
    let r = app
        .client
        .post(app.url("/api/v1/grupos-empresa/"))
        .bearer_auth(t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("UTF-8"), "{v}");

    // Nothing was stored; valid UTF-8 (also percent-encoded) still is.
    let (_, list) = app.get("/api/v1/grupos-empresa/", t).await;
    assert_eq!(list["count"], 0, "{list}");
    let r = app
        .client
        .post(app.url("/api/v1/grupos-empresa/"))
        .bearer_auth(t)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("nome=Grupo+S%C3%A3o+Paulo")
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v["nome"].clone()),
        (StatusCode::CREATED, json!("Grupo São Paulo"))
    );
}

/// The head of a POST whose body will arrive slowly.
fn slow_post_head(token: &str) -> String {
    format!(
        "POST /api/v1/clientes/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
    )
}

/// Opens a connection and sends `head`: the server has the request once this returns.
async fn open_slow(addr: &str, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Drips one byte of body every 200 ms until the server stops reading; returns what the
/// server answered and whether it closed the connection within `limit`.
async fn slow_body(stream: TcpStream, limit: Duration) -> (String, bool) {
    let (mut rd, mut wr) = stream.into_split();
    let drip = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if wr.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let mut got = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    drip.abort();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

#[tokio::test]
async fn a_slow_body_is_cut_off_with_a_408() {
    let app = spawn_with(|c| c.body_timeout = Duration::from_secs(1)).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let stream = open_slow(&addr, &slow_post_head(&app.admin_token)).await;
    let (answer, closed) = slow_body(stream, Duration::from_secs(20)).await;
    assert!(closed, "the connection is still open: {answer}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap(),
        json!({"detail": "Tempo esgotado aguardando o corpo da requisição."})
    );
    // Nothing was created, and a body that arrives in time still works.
    let (s, v) = app
        .post(
            "/api/v1/clientes/",
            &app.admin_token,
            json!({"razao_social": "A tempo"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, list) = app.get("/api/v1/clientes/", &app.admin_token).await;
    assert_eq!(list["count"], 1);
}

#[tokio::test]
async fn an_upload_that_keeps_arriving_is_not_cut_off() {
    let app = spawn_with(|c| c.body_timeout = Duration::from_secs(1)).await;
    let addr = app.base.trim_start_matches("http://");
    // 512 KiB at about 256 KiB/s: twice the base time, but every 64 KiB buys a second more.
    let body = format!(
        r#"{{"razao_social": "Upload lento", "x": "{}"}}"#,
        "a".repeat(512 * 1024)
    );
    let head = format!(
        "POST /api/v1/clientes/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.admin_token,
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    for chunk in body.as_bytes().chunks(32 * 1024) {
        stream.write_all(chunk).await.unwrap();
        tokio::time::sleep(Duration::from_millis(125)).await;
    }
    assert!(started.elapsed() > Duration::from_secs(1));
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

#[tokio::test]
async fn slow_clients_cannot_take_every_connection_for_long() {
    let timeout = Duration::from_secs(2);
    let app = spawn_with(|c| {
        c.body_timeout = timeout;
        c.workers = Some(1);
        c.max_connections = Some(2);
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..3 {
        // Connected (and queued by the kernel) in this order, before the health check.
        let stream = open_slow(&addr, &slow_post_head(&app.admin_token)).await;
        slow.push(tokio::spawn(slow_body(stream, Duration::from_secs(30))));
    }
    // A fresh client (a new connection) asks for the health check while the slow ones hold
    // every connection slot: it is served once their bodies time out, not never.
    let fresh = client_builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let r = fresh.get(app.url("/api/v1/health/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let waited = started.elapsed();
    for s in slow {
        let (answer, closed) = s.await.unwrap();
        assert!(closed && answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    // The limit held: no slot freed before a slow body's deadline.
    assert!(waited >= timeout, "health answered after {waited:?}");
}

#[tokio::test]
async fn overlong_uris_get_a_json_414() {
    let app = spawn_app().await;
    let path = format!("/api/v1/clientes/?search={}", "a".repeat(20 * 1024));
    let r = app
        .client
        .get(app.url(&path))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::URI_TOO_LONG);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let (_, v) = read(r).await;
    assert_eq!(v, json!({"detail": "URI muito longa."}));
    // Longer than any client library builds (the `http` crate stops at 64 KiB): raw bytes.
    for len in [64 * 1024, 200 * 1024] {
        let request = format!(
            "GET /api/v1/clientes/?search={} HTTP/1.1\r\nHost: x\r\n\r\n",
            "a".repeat(len)
        );
        let (answer, closed) =
            raw_exchange(&app, request.as_bytes(), Duration::from_secs(10)).await;
        assert!(closed, "{len}");
        assert!(answer.starts_with("HTTP/1.1 414"), "{len}: {answer}");
        assert!(
            answer.ends_with(r#"{"detail":"URI muito longa."}"#),
            "{len}: {answer}"
        );
    }
    // On a kept-alive connection too, after a request with a body.
    let long = "b".repeat(70_000);
    let body = r#"{"razao_social": "Antes"}"#;
    let request = format!(
        "POST /api/v1/clientes/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}\
         GET /api/v1/clientes/?q={long} HTTP/1.1\r\nHost: x\r\n\r\n",
        app.admin_token,
        body.len()
    );
    let (answer, closed) = raw_exchange(&app, request.as_bytes(), Duration::from_secs(10)).await;
    assert!(closed, "{answer}");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let second = &answer[answer.find("HTTP/1.1 414").expect(&answer)..];
    assert!(
        second.ends_with(r#"{"detail":"URI muito longa."}"#),
        "{second}"
    );
    // Ordinary requests still work on the same server.
    let (s, _) = app.get("/api/v1/clientes/", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
}
