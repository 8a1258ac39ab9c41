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
        "Chats",
        "Atendimento",
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
        "Chats",
        "Atendimento",
    ];
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if !areas.contains(&cols[3]) || cols[0] == "WS" {
            continue;
        }
        let path = cols[1]
            .replace("{id}", "1")
            .replace("{status}", "ativo")
            .replace("{cep}", "01001000")
            .replace("{chat_id}", "5511999999999");
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

#[tokio::test]
async fn every_operation_has_a_unique_operation_id() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/schema/"))
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = r.json().await.unwrap();
    let mut seen = std::collections::BTreeMap::<String, String>::new();
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !methods.contains(&method.as_str()) {
                continue;
            }
            let here = format!("{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{here} has no operationId"))
                .to_string();
            if let Some(before) = seen.insert(id.clone(), here.clone()) {
                panic!("operationId {id} used by {before} and {here}");
            }
        }
    }
    assert!(seen.len() > 60, "{}", seen.len());
    assert_eq!(seen["clientes_list"], "get /api/v1/clientes/");
}

/// OpenAPI 3.1 requires a `description` on every response object: a handler that declares a
/// response without one still gets one (the status's reason phrase).
#[tokio::test]
async fn every_response_has_a_description() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/schema/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op.get("responses").and_then(|r| r.as_object()) else {
                continue;
            };
            for (status, response) in responses {
                if response.get("$ref").is_some() {
                    continue;
                }
                assert!(
                    response["description"].is_string(),
                    "{method} {path} {status} has no description"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked}");
    assert_eq!(
        doc["paths"]["/api/v1/clientes/{id}/"]["get"]["responses"]["404"]["description"],
        "Not Found"
    );
}

/// The top-level keys of a YAML document, in order.
fn top_level_keys(yaml: &str) -> Vec<&str> {
    yaml.lines()
        .filter(|l| !l.starts_with([' ', '-', '#']) && !l.is_empty())
        .filter_map(|l| l.split(':').next())
        .collect()
}

#[tokio::test]
async fn schema_keys_come_in_the_usual_order() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/schema/?format=yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let yaml = r.text().await.unwrap();
    assert!(yaml.starts_with("openapi:"), "{}", &yaml[..80]);
    assert_eq!(
        top_level_keys(&yaml),
        ["openapi", "info", "paths", "components"]
    );
    let r = app
        .client
        .get(app.url("/api/schema/"))
        .send()
        .await
        .unwrap();
    let json = r.text().await.unwrap();
    assert!(json.starts_with(r#"{"openapi":"#), "{}", &json[..80]);
    let at = |k: &str| json.find(&format!("\"{k}\":")).unwrap();
    assert!(at("openapi") < at("info") && at("info") < at("paths"));
    assert!(at("paths") < at("components"));
}

#[tokio::test]
async fn a_bad_token_is_refused_on_the_public_documents() {
    let app = spawn_app().await;
    for path in [
        "/api/schema/",
        "/api/schema/?format=yaml",
        "/api/v1/health/",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        let (_, v) = read(r).await;
        assert_eq!(v["code"], "token_not_valid", "{path}");
        // A good token and no token are both fine.
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

/// `https://` URLs in `text` that a browser would fetch as a page asset (image, script,
/// style, font, or anything on a CDN or font host). Links, schema ids and error-page URLs in
/// the bundles are not fetched and are left alone (Swagger UI's default validator URL is
/// turned off in its initializer, checked separately).
fn remote_assets(text: &str) -> Vec<String> {
    let url_char = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#@!$&*+,;=%".contains(c);
    let assets = [
        ".svg", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".js", ".mjs", ".css", ".woff",
        ".woff2", ".ttf", ".otf", ".eot",
    ];
    text.match_indices("https://")
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| url_char(*c))
                .collect::<String>()
        })
        .filter(|url| {
            let rest = &url["https://".len()..];
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let path = rest[host.len()..].split(['?', '#']).next().unwrap_or("");
            host.contains("cdn")
                || host.starts_with("fonts.")
                || assets.iter().any(|ext| path.ends_with(ext))
        })
        .collect()
}

#[tokio::test]
async fn docs_load_nothing_from_outside() {
    let app = spawn_app().await;
    assert_eq!(
        remote_assets(r#"src:"https://cdn.redoc.ly/redoc/logo-mini.svg" href="https://x.org/a""#),
        ["https://cdn.redoc.ly/redoc/logo-mini.svg"]
    );
    let get = |path: &'static str| {
        let app = &app;
        async move {
            let r = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    // The pages and the Swagger UI initializer carry no remote URL at all.
    for path in [
        "/api/docs/",
        "/api/redoc/",
        "/api/docs/swagger-initializer.js",
    ] {
        let text = get(path).await;
        assert!(!text.contains("https://"), "{path} names a remote URL");
    }
    // No validator badge fetched from the public validator service.
    let init = get("/api/docs/swagger-initializer.js").await;
    assert!(init.contains(r#""validatorUrl": "none""#), "{init}");
    for path in [
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui-standalone-preset.js",
        "/api/docs/swagger-ui.css",
        "/api/docs/index.css",
        "/api/redoc/redoc.standalone.js",
    ] {
        let text = get(path).await;
        assert_eq!(remote_assets(&text), Vec::<String>::new(), "{path}");
    }
    // ReDoc's "powered by" logo is served here instead.
    let js = get("/api/redoc/redoc.standalone.js").await;
    assert!(js.contains(r#"src:"/api/redoc/logo-mini.svg""#));
    let r = app
        .client
        .get(app.url("/api/redoc/logo-mini.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().starts_with("<svg"));
}

#[tokio::test]
async fn favicon_is_the_configured_one_or_the_built_in_one() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let builtin = |r: reqwest::Response| async move {
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/x-icon");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(&[0, 0, 1, 0]), "an ICO file");
    };
    let favicon = || app.client.get(app.url("/favicon.ico")).send();
    builtin(favicon().await.unwrap()).await;

    let (s, v) = app
        .patch(
            "/api/v1/config/appearance/",
            t,
            serde_json::json!({"favicon_url": "/media/appearance/0123abcd.ico"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = favicon().await.unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["location"], "/media/appearance/0123abcd.ico");

    // Anything but a stored appearance file: the built-in one, never a redirect elsewhere.
    for url in [
        "https://evil.example/x.ico",
        "//evil.example/x.ico",
        "/media/appearance/../clientes/documentos/a.pdf",
        "/media/clientes/documentos/a.pdf",
    ] {
        let (s, v) = app
            .patch(
                "/api/v1/config/appearance/",
                t,
                serde_json::json!({ "favicon_url": url }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        builtin(favicon().await.unwrap()).await;
    }
}

#[tokio::test]
async fn security_headers_and_the_docs_csp() {
    let app = spawn_app().await;
    let check = |r: &reqwest::Response, what: &str| {
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(h["x-frame-options"], "DENY", "{what}");
    };
    for (path, token) in [
        ("/api/v1/clientes/", Some(app.admin_token.as_str())),
        ("/api/v1/clientes/", None),
        ("/api/v1/nada/", None),
        ("/api/v1/health/", None),
        ("/api/schema/", None),
    ] {
        let mut rb = app.client.get(app.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let r = rb.send().await.unwrap();
        check(&r, path);
        assert!(
            r.headers().get("content-security-policy").is_none(),
            "{path}"
        );
    }
    let r = app
        .client
        .post(app.url("/api/v1/auth/token/"))
        .json(&serde_json::json!({"username": "x", "password": "y"}))
        .send()
        .await
        .unwrap();
    check(&r, "login");
    for path in [
        "/api/docs/",
        "/api/docs/swagger-ui-bundle.js",
        "/api/redoc/",
        "/api/redoc/redoc.standalone.js",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        check(&r, path);
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "worker-src 'self' blob:",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        // Only our own origin: no remote host, no eval, no inline scripts.
        assert!(
            !csp.contains("http") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        let script = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script.contains("unsafe-inline"), "{csp}");
    }
}
