use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn token_refresh_and_me() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/token/",
            None,
            Some(json!({"username":"admin","password":"admin123"})),
        )
        .await;
    let (s, pair) = read(r).await;
    assert_eq!(s, StatusCode::OK);
    let (access, refresh) = (
        pair["access"].as_str().unwrap(),
        pair["refresh"].as_str().unwrap(),
    );

    let claims: Value =
        serde_json::from_slice(&B64.decode(access.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["token_type"], "access");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);

    let (s, me) = app.get("/api/v1/me/", access).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        me,
        json!({"id": me["id"], "username":"admin","email":"admin@dxconnect.com","display_name":"Administrador"})
    );

    let (s, v) = app
        .anon_post("/api/v1/auth/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_object().unwrap().len(), 1);
    let (s, _) = app.get("/api/v1/me/", v["access"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);

    // refresh errors
    let (s, v) = app
        .anon_post("/api/v1/auth/refresh/", json!({"refresh": access}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail":"Token tem tipo errado","code":"token_not_valid"})
        )
    );
    let (s, v) = app
        .anon_post("/api/v1/auth/refresh/", json!({"refresh": "x.y.z"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail":"O token é inválido ou expirado","code":"token_not_valid"})
        )
    );
    let (s, v) = app.anon_post("/api/v1/auth/refresh/", json!({})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"refresh":["Este campo é obrigatório."]})
        )
    );

    // a refresh token is not an access token
    let (s, v) = app.get("/api/v1/me/", refresh).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["messages"][0]["message"], "Token tem tipo errado");
}

#[tokio::test]
async fn login_errors() {
    let app = spawn_app().await;
    let (s, v) = app.anon_post("/api/v1/auth/token/", json!({})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"username":["Este campo é obrigatório."],"password":["Este campo é obrigatório."]})
        )
    );
    let (s, v) = app
        .anon_post(
            "/api/v1/auth/token/",
            json!({"username":"admin","password":"errada"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail":"Usuário e/ou senha incorreto(s)"})
        )
    );
    let (s, _) = app
        .anon_post(
            "/api/v1/auth/token/",
            json!({"username":"ninguem","password":"x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failures_are_throttled() {
    let app = spawn_app().await;
    for _ in 0..10 {
        let (s, _) = app
            .anon_post(
                "/api/v1/auth/token/",
                json!({"username":"alvo","password":"x"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/token/",
            None,
            Some(json!({"username":"alvo","password":"x"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 300);
}

#[tokio::test]
async fn invalid_credentials_bodies() {
    let app = spawn_app().await;
    let r = app.call(Method::GET, "/api/v1/me/", None, None).await;
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"api\"");
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail":"As credenciais de autenticação não foram fornecidas."})
        )
    );

    let (s, v) = app.get("/api/v1/me/", "not-a-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "token_not_valid");
    assert_eq!(
        v["messages"][0]["message"],
        "O token é inválido ou expirado"
    );

    // Bearer with zero or two values
    let r = app
        .client
        .get(app.url("/api/v1/me/"))
        .header("Authorization", "Bearer")
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("bad_authorization_header"))
    );
    let r = app
        .client
        .get(app.url("/api/v1/me/"))
        .header("Authorization", "Bearer a b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // another scheme is anonymous
    let r = app
        .client
        .get(app.url("/api/v1/me/"))
        .header("Authorization", "Token abc")
        .send()
        .await
        .unwrap();
    let (_, v) = read(r).await;
    assert_eq!(
        v["detail"],
        "As credenciais de autenticação não foram fornecidas."
    );
    // an invalid token on a public endpoint is still 401
    let r = app
        .client
        .post(app.url("/api/v1/clientes/chat/buscar-contato/"))
        .bearer_auth("bad")
        .json(&json!({"whatsapp":"5511999999999"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // alg none and a wrong signature are refused
    let payload = app.admin_token.split('.').nth(1).unwrap().to_string();
    let none = format!(
        "{}.{}.",
        B64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        payload
    );
    let (s, _) = app.get("/api/v1/me/", &none).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let mut forged = app.admin_token.clone();
    forged.push('x');
    let (s, _) = app.get("/api/v1/me/", &forged).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deactivated_agent_tokens_stop_working() {
    let app = spawn_app().await;
    let (id, token) = app.agent("maria", json!({})).await;
    let (s, _) = app.get("/api/v1/me/", &token).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .delete(&format!("/api/v1/authz/agents/{id}/"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get("/api/v1/me/", &token).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail":"Usuário está inativo","code":"user_inactive"})
        )
    );
    let (s, _) = app
        .anon_post(
            "/api/v1/auth/token/",
            json!({"username":"maria","password":"senha-forte-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn lifetimes_are_configurable_in_minutes() {
    let app = spawn_with(|c| c.access_ttl_secs = 60).await;
    let claims: Value = serde_json::from_slice(
        &B64.decode(app.admin_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        60
    );
}

/// A client whose connections come from `ip` (any 127.x.y.z reaches the server on Linux).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    client_builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .expect("client")
}

async fn login_from(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> StatusCode {
    client
        .post(app.url("/api/v1/auth/token/"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login")
        .status()
}

/// Ten wrong passwords for `admin` from ten addresses do not lock the real admin out of an
/// address that has not failed (the throttle counts per address and per (username, address));
/// an address that did fail for `admin` is blocked for it while the attack lasts.
#[tokio::test]
async fn failures_from_other_addresses_do_not_lock_the_admin_out() {
    let app = spawn_app().await;
    for i in 0..10u8 {
        let c = client_from([127, 0, 1, 10 + i]);
        let s = login_from(&app, &c, "admin", "errada").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(
        login_from(&app, &app.client, "admin", "admin123").await,
        StatusCode::OK
    );
    let clean = client_from([127, 0, 1, 200]);
    assert_eq!(
        login_from(&app, &clean, "admin", "admin123").await,
        StatusCode::OK
    );
    let attacker = client_from([127, 0, 1, 10]);
    assert_eq!(
        login_from(&app, &attacker, "admin", "admin123").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Failed logins with huge distinct usernames: a body over the login limit is a 413, and the
/// throttle keeps short keys and a bounded number of them for the rest.
#[tokio::test]
async fn huge_usernames_leave_the_login_throttle_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let cfg = config(url, dir.path());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = dx_connect_server::Application::build_with_listener(cfg, listener)
        .await
        .expect("start");
    let state = app.services().clone();
    tokio::spawn(app.run_until_stopped());
    let url = format!("{base}/api/v1/auth/token/");

    let c = client_builder().build().expect("client");
    let huge = "u".repeat(1_000_000);
    let r = c
        .post(&url)
        .json(&json!({"username": huge, "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Ten addresses, ten failures each (the per-address limit), 15 kB usernames.
    let big = "u".repeat(15_000);
    for a in 0..10u8 {
        let c = client_from([127, 0, 2, 10 + a]);
        for i in 0..10 {
            let r = c
                .post(&url)
                .json(&json!({"username": format!("{big}{a}-{i}"), "password": "x"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
    }
    assert!(state.auth.throttle_len() <= 10 + 2 * 100);
    assert!(
        state.auth.throttle_longest_key() <= 64,
        "{}",
        state.auth.throttle_longest_key()
    );
}

/// After a password change, the refresh and access tokens issued before it are refused, even
/// the access token the server had already verified and cached; a new login works.
#[tokio::test]
async fn a_password_change_refuses_earlier_tokens() {
    let app = spawn_app().await;
    let (id, _) = app.agent("maria", json!({})).await;
    let (s, pair) = app
        .anon_post(
            "/api/v1/auth/token/",
            json!({"username":"maria","password":"senha-forte-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (access, refresh) = (
        pair["access"].as_str().unwrap(),
        pair["refresh"].as_str().unwrap(),
    );
    assert_eq!(app.get("/api/v1/me/", access).await.0, StatusCode::OK);

    let (s, _) = app
        .patch(
            &format!("/api/v1/authz/agents/{id}/"),
            &app.admin_token,
            json!({"password": "outra-senha-2"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, v) = app
        .anon_post("/api/v1/auth/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail":"O token é inválido ou expirado","code":"token_not_valid"})
        )
    );
    let (s, v) = app.get("/api/v1/me/", access).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "token_not_valid");

    let (s, _) = app
        .anon_post(
            "/api/v1/auth/token/",
            json!({"username":"maria","password":"senha-forte-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, pair) = app
        .anon_post(
            "/api/v1/auth/token/",
            json!({"username":"maria","password":"outra-senha-2"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, me) = app
        .get("/api/v1/me/", pair["access"].as_str().unwrap())
        .await;
    assert_eq!(
        (s, me["username"].clone()),
        (StatusCode::OK, json!("maria"))
    );
    let (s, _) = app
        .anon_post("/api/v1/auth/refresh/", json!({"refresh": pair["refresh"]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Other agents' tokens are untouched.
    assert_eq!(
        app.get("/api/v1/me/", &app.admin_token).await.0,
        StatusCode::OK
    );
}
