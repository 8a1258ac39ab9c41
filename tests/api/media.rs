//! `/media/…`: customer files follow the scope and `ativo` rule of the row they belong to;
//! appearance settings never delete customer files and only take real images.

use crate::common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

async fn status(app: &TestApp, url: &str, token: Option<&str>) -> StatusCode {
    let mut r = app.client.get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap().status()
}

/// The URL without its query (the bare `/media/…` path, which needs a token).
fn bare(url: &str) -> String {
    url.split('?').next().unwrap().to_string()
}

#[tokio::test]
async fn documento_files_follow_the_documento_scope_and_ativo() {
    let app = spawn_app().await;
    let (_, owner) = app.agent("dono", json!({})).await;
    let (_, other) = app.agent("outro", json!({})).await;
    let (s, c) = app
        .post(
            "/api/v1/clientes/",
            &owner,
            json!({"razao_social":"Segredo SA"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let form = Form::new()
        .text("cliente", c["id"].to_string())
        .text("nome", "Balanço")
        .part(
            "arquivo",
            Part::bytes(b"confidencial".to_vec()).file_name("balanco.txt"),
        );
    let (s, d) = app.multipart("/api/v1/documentos/", &owner, form).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let signed = d["arquivo"].as_str().unwrap().to_string();
    let path = bare(&signed);
    assert!(
        path.ends_with("/media/clientes/documentos/balanco.txt"),
        "{path}"
    );
    let detail = format!("/api/v1/documentos/{}/", d["id"]);

    // The other agent cannot see the documento, so not its file either.
    assert_eq!(app.get(&detail, &other).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        status(&app, &path, Some(&other)).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status(&app, &path, Some(&owner)).await, StatusCode::OK);
    assert_eq!(
        status(&app, &path, Some(&app.admin_token)).await,
        StatusCode::OK
    );
    assert_eq!(status(&app, &signed, None).await, StatusCode::OK);
    assert_eq!(status(&app, &path, None).await, StatusCode::UNAUTHORIZED);
    // A file under the documentos folder that no documento owns is not served.
    let stray = path.replace("balanco.txt", "nao-existe.txt");
    assert_eq!(
        status(&app, &stray, Some(&app.admin_token)).await,
        StatusCode::NOT_FOUND
    );

    // Deleted: nobody gets the file any more, not even by its signed link.
    assert_eq!(app.delete(&detail, &owner).await.0, StatusCode::NO_CONTENT);
    for token in [Some(owner.as_str()), Some(app.admin_token.as_str()), None] {
        let url = if token.is_some() { &path } else { &signed };
        assert_eq!(
            status(&app, url, token).await,
            StatusCode::NOT_FOUND,
            "{token:?}"
        );
    }
    // The file itself is kept (documentos are soft-deleted).
    assert!(
        app.media_files("clientes/documentos")
            .contains(&"balanco.txt".to_string())
    );
}

#[tokio::test]
async fn cliente_images_follow_the_cliente_scope() {
    let app = spawn_app().await;
    let (_, owner) = app.agent("dono", json!({})).await;
    let (_, other) = app.agent("outro", json!({})).await;
    let form = Form::new().text("razao_social", "Com Logo").part(
        "logo",
        Part::bytes(b"\x89PNG\r\n\x1a\nimagem".to_vec()).file_name("logo.png"),
    );
    let (s, c) = app.multipart("/api/v1/clientes/", &owner, form).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let signed = c["logo"].as_str().unwrap().to_string();
    let path = bare(&signed);
    assert_eq!(
        status(&app, &path, Some(&other)).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status(&app, &path, Some(&owner)).await, StatusCode::OK);
    assert_eq!(
        status(&app, &path, Some(&app.admin_token)).await,
        StatusCode::OK
    );
    assert_eq!(status(&app, &signed, None).await, StatusCode::OK);
    // Once the cliente no longer has that image, the old link is dead.
    let (s, _) = app
        .patch(
            &format!("/api/v1/clientes/{}/", c["id"]),
            &owner,
            json!({"logo": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(status(&app, &signed, None).await, StatusCode::NOT_FOUND);
    assert_eq!(
        status(&app, &path, Some(&app.admin_token)).await,
        StatusCode::NOT_FOUND
    );
}

fn appearance_upload(kind: &str, name: &str, data: &[u8]) -> Form {
    Form::new().text("kind", kind.to_string()).part(
        "file",
        Part::bytes(data.to_vec()).file_name(name.to_string()),
    )
}

#[tokio::test]
async fn appearance_settings_never_delete_customer_files() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"ACME"}))
        .await;
    let form = Form::new()
        .text("cliente", c["id"].to_string())
        .text("nome", "Contrato")
        .part(
            "arquivo",
            Part::bytes(b"%PDF-1.4".to_vec()).file_name("x.pdf"),
        );
    let (s, _) = app.multipart("/api/v1/documentos/", t, form).await;
    assert_eq!(s, StatusCode::CREATED);
    let keep = || {
        assert!(
            app.media_files("clientes/documentos")
                .contains(&"x.pdf".to_string())
        )
    };
    let png = b"\x89PNG\r\n\x1a\nlogo";
    for kind in ["logo", "favicon"] {
        let key = if kind == "logo" {
            "login_logo_url"
        } else {
            "favicon_url"
        };
        let (s, v) = app
            .patch(
                "/api/v1/config/appearance/",
                t,
                json!({key: "/media/clientes/documentos/x.pdf"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = app
            .multipart(
                "/api/v1/config/appearance/upload/",
                t,
                appearance_upload(kind, "novo.png", png),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        keep();
        app.patch(
            "/api/v1/config/appearance/",
            t,
            json!({key: "/media/appearance/../clientes/documentos/x.pdf"}),
        )
        .await;
        let r = app
            .client
            .delete(app.url(&format!("/api/v1/config/appearance/upload/?kind={kind}")))
            .bearer_auth(t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        keep();
    }
}

#[tokio::test]
async fn appearance_uploads_must_be_images() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    for (name, data) in [
        (
            "logo.png",
            &b"<html><script>alert(document.cookie)</script></html>"[..],
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>",
        ),
    ] {
        let (s, v) = app
            .multipart(
                "/api/v1/config/appearance/upload/",
                t,
                appearance_upload("logo", name, data),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{name}: {v}");
        assert!(v["detail"].as_str().is_some(), "{v}");
    }
    assert!(app.media_files("appearance").is_empty());
    // An icon is taken, stored and served as what it is.
    let ico = [0u8, 0, 1, 0, 1, 0, 16, 16, 0, 0];
    let (s, v) = app
        .multipart(
            "/api/v1/config/appearance/upload/",
            t,
            appearance_upload("favicon", "favicon.png", &ico),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let url = v["url"].as_str().unwrap();
    assert!(url.ends_with(".ico"), "{url}");
    let r = app.client.get(app.url(url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/x-icon");
}
