//! Reports (`GET /api/v1/atendimento/relatorios/`, ours): validation, scope and figures
//! computed from chats that went through intake, accept, rating and close.

use crate::common::spawn_app;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn report_validates_its_period_and_scopes_agents_to_themselves() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let base = "/api/v1/atendimento/relatorios/";
    let (s, v) = app.get(base, &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({"inicio":["Este campo é obrigatório."],"fim":["Este campo é obrigatório."]})
    );
    let (s, v) = app
        .get(
            &format!("{base}?inicio=2026-13-01&fim=x&atendente=a"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["inicio"][0],
        "Formato inválido para data. Use um dos formatos a seguir: YYYY-MM-DD."
    );
    assert_eq!(v["atendente"][0], "Um número inteiro válido é exigido.");
    let (s, v) = app
        .get(&format!("{base}?inicio=2026-02-01&fim=2026-01-01"), &admin)
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"fim":["fim deve ser igual ou posterior a inicio"]})
        )
    );

    let (s, v) = app
        .get(&format!("{base}?inicio=01/01/2026&fim=2026-01-31"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["periodo"]["inicio"], "2026-01-01");
    assert_eq!(v["geral"]["abertos"], 0);
    assert_eq!(v["geral"]["espera_media_segundos"], json!(null));
    assert_eq!(
        v["geral"]["csat_distribuicao"],
        json!({"1":0,"2":0,"3":0,"4":0,"5":0})
    );
    assert_eq!(v["por_dia"], json!([]));

    let (id, token) = app.agent("relatorio_agent", json!({})).await;
    let (s, v) = app
        .get(
            &format!("{base}?inicio=2026-01-01&fim=2026-01-31&atendente=1"),
            &token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["periodo"]["atendente"], id,
        "an agent sees only themselves"
    );
    let r = app.call(reqwest::Method::GET, base, None, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
