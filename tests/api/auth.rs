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
