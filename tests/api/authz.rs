use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn perm_id(perms: &Value, code: &str) -> i64 {
    let (app, codename) = code.split_once('.').unwrap();
    perms
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["app_label"] == app && p["codename"] == codename)
        .unwrap_or_else(|| panic!("{code}"))["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn permissions_table() {
    let app = spawn_app().await;
    let (_, maria) = app.agent("maria", json!({})).await;
    let (s, perms) = app.get("/api/v1/authz/permissions/", &maria).await;
    assert_eq!(s, StatusCode::OK);
    let list = perms.as_array().unwrap();
    for code in [
        "core.manage_config_company",
        "core.manage_config_chat",
        "core.manage_config_email",
        "core.manage_config_appearance",
        "core.manage_config_whatsapp",
        "core.manage_config_documents",
        "accounts.manage_auth",
        "clientes.view_cliente",
        "accounts.add_agent",
        "core.view_config",
    ] {
        perm_id(&perms, code);
    }
    let keys: Vec<(String, String, String)> = list
        .iter()
        .map(|p| {
            (
                p["app_label"].as_str().unwrap().into(),
                p["model"].as_str().unwrap().into(),
                p["codename"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(perm_id(&perms, "accounts.add_agent"), 1, "ids are stable");
}

#[tokio::test]
async fn groups_crud_and_permission_guard() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (maria_id, maria) = app.agent("maria", json!({})).await;
    for (s, _) in [
        app.get("/api/v1/authz/groups/", &maria).await,
        app.post("/api/v1/authz/groups/", &maria, json!({"name":"X"}))
            .await,
        app.get("/api/v1/authz/agents/", &maria).await,
        app.get(&format!("/api/v1/authz/agents/{maria_id}/groups/"), &maria)
            .await,
    ] {
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, v) = app.get("/api/v1/authz/groups/", &maria).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::FORBIDDEN,
            json!({"detail":"Você não tem permissão para executar essa ação."})
        )
    );

    let (_, perms) = app.get("/api/v1/authz/permissions/", t).await;
    let manage = perm_id(&perms, "accounts.manage_auth");
    let (s, g) = app
        .post(
            "/api/v1/authz/groups/",
            t,
            json!({"name":"Supervisor","permissions":[manage]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert_eq!(g["permissions"], json!([manage]));
    let gid = g["id"].as_i64().unwrap();
    let (s, v) = app
        .post("/api/v1/authz/groups/", t, json!({"name":"Supervisor"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"name":["grupo com este nome já existe."]})
        )
    );
    let (s, v) = app
        .post(
            "/api/v1/authz/groups/",
            t,
            json!({"name":"Y","permissions":[99999]}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"permissions":["Pk inválido \"99999\" - objeto não existe."]})
        )
    );
    let (_, a) = app
        .post("/api/v1/authz/groups/", t, json!({"name":"Atendente"}))
        .await;
    let (_, list) = app.get("/api/v1/authz/groups/", t).await;
    assert_eq!(list[0]["name"], "Atendente");

    // membership grants the permission
    let (s, v) = app
        .patch(
            &format!("/api/v1/authz/agents/{maria_id}/groups/"),
            t,
            json!({"group_ids":[gid, 4242]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 1);
    let (s, _) = app.get("/api/v1/authz/groups/", &maria).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .get(&format!("/api/v1/authz/agents/{maria_id}/groups/"), &maria)
        .await;
    assert_eq!(
        (s, v[0]["name"].clone()),
        (StatusCode::OK, json!("Supervisor"))
    );
    let (s, _) = app
        .patch(
            &format!("/api/v1/authz/agents/{maria_id}/groups/"),
            t,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = app.get("/api/v1/authz/agents/9999/groups/", t).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail":"No Agent matches the given query."})
        )
    );

    // PUT replaces permissions; PATCH renames
    let (s, v) = app
        .put(
            &format!("/api/v1/authz/groups/{gid}/"),
            t,
            json!({"name":"Supervisores"}),
        )
        .await;
    assert_eq!((s, v["permissions"].clone()), (StatusCode::OK, json!([])));
    let (s, _) = app.get("/api/v1/authz/groups/", &maria).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "permission removed from the group takes effect"
    );
    let (s, v) = app
        .patch(
            &format!("/api/v1/authz/groups/{}/", a["id"]),
            t,
            json!({"name":"Atendentes"}),
        )
        .await;
    assert_eq!(
        (s, v["name"].clone()),
        (StatusCode::OK, json!("Atendentes"))
    );
    let (s, _) = app
        .put(&format!("/api/v1/authz/groups/{gid}/"), t, json!({}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.delete(&format!("/api/v1/authz/groups/{gid}/"), t).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/api/v1/authz/groups/{gid}/"), t).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail":"No Group matches the given query."})
        )
    );
}

#[tokio::test]
async fn agents_resource() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, v) = app.post("/api/v1/authz/agents/", t, json!({})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"username":["Este campo é obrigatório."],"password":["Este campo é obrigatório."]})
        )
    );
    let (s, v) = app
        .post(
            "/api/v1/authz/agents/",
            t,
            json!({"username":"joao","password":"curta"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["password"].is_array());
    let (s, a) = app
        .post("/api/v1/authz/agents/", t, json!({"username":"joao","password":"senha-boa-1","email":"j@x.com","display_name":"João","phone_number":"11999"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert!(a.get("password").is_none() && a.get("password_hash").is_none());
    assert_eq!(
        (
            a["is_active"].clone(),
            a["is_superuser"].clone(),
            a["groups"].clone()
        ),
        (json!(true), json!(false), json!([]))
    );
    let (s, v) = app
        .post(
            "/api/v1/authz/agents/",
            t,
            json!({"username":"joao","password":"senha-boa-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["username"].is_array());
    let id = a["id"].as_i64().unwrap();
    let (s, v) = app
        .patch(
            &format!("/api/v1/authz/agents/{id}/"),
            t,
            json!({"password":"outra-senha-2","display_name":"J."}),
        )
        .await;
    assert_eq!(
        (s, v["display_name"].clone()),
        (StatusCode::OK, json!("J."))
    );
    app.login("joao", "outra-senha-2").await;
    let (s, v) = app.get("/api/v1/authz/agents/?page_size=1", t).await;
    assert_eq!((s, v["count"].clone()), (StatusCode::OK, json!(2)));
    assert!(v["next"].as_str().unwrap().contains("page=2"));
    let (s, v) = app.get(&format!("/api/v1/authz/agents/{id}/"), t).await;
    assert_eq!((s, v["username"].clone()), (StatusCode::OK, json!("joao")));
    let (s, _) = app.get("/api/v1/authz/agents/999/", t).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.delete(&format!("/api/v1/authz/agents/{id}/"), t).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = app.get(&format!("/api/v1/authz/agents/{id}/"), t).await;
    assert_eq!(v["is_active"], false);
}

/// The instance never loses its last active superuser through the API: deactivating or
/// demoting it is a 400, and becomes possible once another active superuser exists.
#[tokio::test]
async fn the_last_active_superuser_stays() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, me) = app.get("/api/v1/me/", t).await;
    let admin = me["id"].as_i64().unwrap();
    let path = format!("/api/v1/authz/agents/{admin}/");
    let msg = "Não é possível desativar nem rebaixar o último superusuário ativo.";
    let (s, v) = app.delete(&path, t).await;
    assert_eq!((s, v), (StatusCode::BAD_REQUEST, json!({ "detail": msg })));
    let (s, v) = app.patch(&path, t, json!({"is_active": false})).await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, json!({ "is_active": [msg] }))
    );
    let (s, v) = app.patch(&path, t, json!({"is_superuser": false})).await;
    assert_eq!(
        (s, v),
        (StatusCode::BAD_REQUEST, json!({ "is_superuser": [msg] }))
    );
    // Nothing was changed, and the admin still works.
    let (s, v) = app.get(&path, t).await;
    assert_eq!(
        (s, v["is_active"].clone(), v["is_superuser"].clone()),
        (StatusCode::OK, json!(true), json!(true))
    );
    // With a second active superuser, the first one can go.
    let (s, _) = app
        .post(
            "/api/v1/authz/agents/",
            t,
            json!({"username":"chefe","password":"senha-boa-1","is_superuser":true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let chefe = app.login("chefe", "senha-boa-1").await;
    let (s, _) = app.delete(&path, &chefe).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/v1/me/", t).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// Concurrent removals of the last two active superusers (a DELETE of one and a PATCH
/// deactivating the other, or demoting it) never both succeed: the check is part of the write.
#[tokio::test]
async fn concurrent_removals_keep_an_active_superuser() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, perms) = app.get("/api/v1/authz/permissions/", t).await;
    let (s, g) = app
        .post(
            "/api/v1/authz/groups/",
            t,
            json!({"name":"gestores","permissions":[perm_id(&perms, "accounts.manage_auth")]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let (_, manager) = app.agent("gestor", json!({"group_ids": [g["id"]]})).await;
    let (_, me) = app.get("/api/v1/me/", t).await;
    let admin = me["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            "/api/v1/authz/agents/",
            t,
            json!({"username":"chefe","password":"senha-boa-1","is_superuser":true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let chefe = v["id"].as_i64().unwrap();
    let active_superusers = || async {
        let (s, v) = app
            .get("/api/v1/authz/agents/?page_size=100", &manager)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["is_active"] == true && a["is_superuser"] == true)
            .map(|a| a["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    for round in 0..30 {
        let (first, second) = if round % 2 == 0 {
            (admin, chefe)
        } else {
            (chefe, admin)
        };
        let patch = if round % 3 == 0 {
            json!({"is_superuser": false})
        } else {
            json!({"is_active": false})
        };
        let (first_path, second_path) = (
            format!("/api/v1/authz/agents/{first}/"),
            format!("/api/v1/authz/agents/{second}/"),
        );
        let (d, p) = tokio::join!(
            app.delete(&first_path, &manager),
            app.patch(&second_path, &manager, patch),
        );
        let left = active_superusers().await;
        assert_eq!(left.len(), 1, "round {round}: {d:?} {p:?}");
        let ok = [d.0, p.0].iter().filter(|s| s.is_success()).count();
        assert_eq!(ok, 1, "round {round}: {d:?} {p:?}");
        assert!(
            [d.0, p.0].contains(&StatusCode::BAD_REQUEST),
            "round {round}: {d:?} {p:?}"
        );
        // Restore both for the next round.
        for id in [admin, chefe] {
            let (s, v) = app
                .patch(
                    &format!("/api/v1/authz/agents/{id}/"),
                    &manager,
                    json!({"is_active": true, "is_superuser": true}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    }
}
