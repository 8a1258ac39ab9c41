use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn schema_lists_every_served_endpoint() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/schema/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let tsv = include_str!("../fixtures/endpoints.tsv");
    let areas = [
        "Autenticação",
        "Clientes",
        "Permissões e Grupos",
        "Documentação",
        "Contatos",
        "Documentos",
        "Configurações",
        "Integrações",
    ];
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if !areas.contains(&cols[3]) {
            continue;
        }
        let op = doc["paths"][cols[1]][cols[0].to_lowercase()].clone();
        assert!(
            op.is_object(),
            "{} {} missing from the OpenAPI document",
            cols[0],
            cols[1]
        );
    }
    for path in ["/api/v1/authz/agents/", "/api/v1/authz/agents/{id}/"] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert!(doc["components"]["schemas"]["ClienteOut"].is_object());

    let r = app
        .client
        .get(app.url("/api/schema/?format=yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("openapi:"));
}

#[tokio::test]
async fn docs_pages_are_self_contained() {
    let app = spawn_app().await;
    for page in ["/api/docs/", "/api/redoc/"] {
        let r = app.client.get(app.url(page)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{page}");
        let html = r.text().await.unwrap();
        assert!(
            !html.contains("cdn.") && !html.contains("https://"),
            "{page} loads an external asset"
        );
    }
    let r = app
        .client
        .get(app.url("/api/redoc/redoc.standalone.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().len() > 100_000);
    let r = app
        .client
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Other methods: the JSON 405 with `Allow`, like every other resource.
    for path in ["/api/docs/", "/api/docs/swagger-ui-bundle.js"] {
        let r = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(r.headers()["allow"], "GET, HEAD, OPTIONS");
    }
}

#[tokio::test]
async fn every_endpoint_refuses_anonymous_calls_or_serves_the_public() {
    let app = spawn_app().await;
    let tsv = include_str!("../fixtures/endpoints.tsv");
    let areas = [
        "Autenticação",
        "Clientes",
        "Permissões e Grupos",
        "Documentação",
        "Contatos",
        "Documentos",
        "Configurações",
        "Integrações",
    ];
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if !areas.contains(&cols[3]) || cols[0] == "WS" {
            continue;
        }
        let path = cols[1]
            .replace("{id}", "1")
            .replace("{status}", "ativo")
            .replace("{cep}", "01001000");
        let method = reqwest::Method::from_bytes(cols[0].as_bytes()).unwrap();
        let body = matches!(cols[0], "POST" | "PUT" | "PATCH").then(|| serde_json::json!({}));
        let r = app.call(method, &path, None, body).await;
        let status = r.status();
        if cols[2] == "yes" {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {}", cols[0], cols[1]);
        } else {
            assert!(
                !status.is_server_error()
                    && status != StatusCode::METHOD_NOT_ALLOWED
                    && status != StatusCode::NOT_FOUND,
                "{} {} answered {status}",
                cols[0],
                cols[1]
            );
        }
    }
}
