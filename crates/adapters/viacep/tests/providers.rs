//! The real adapters against local fake servers speaking ViaCEP's and BrasilAPI's wire formats.

use std::sync::Arc;
use std::time::Duration;

use adapter_viacep::{
    BrasilApiLookup, CachedLookup, FallbackLookup, OfflineLookup, ViaCepLookup, build_from_env,
};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use kernel::Clock;
use kernel::cep::{CepError, CepLookup};
use serde_json::{Value, json};
use std::sync::Mutex;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SHORT: Duration = Duration::from_millis(300);

fn se_json() -> Value {
    json!({"cep":"01001-000","logradouro":"Praça da Sé","complemento":"lado ímpar","unidade":"",
        "bairro":"Sé","localidade":"São Paulo","uf":"SP","estado":"São Paulo","regiao":"Sudeste",
        "ibge":"3550308","gia":"1004","ddd":"11","siafi":"7107"})
}

async fn viacep_answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ws/01001000/json/"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn viacep(server: &MockServer) -> ViaCepLookup {
    ViaCepLookup::with_base(server.uri(), SHORT)
}

#[tokio::test]
async fn viacep_success_returns_provider_object() {
    let server = viacep_answering(ResponseTemplate::new(200).set_body_json(se_json())).await;
    let addr = viacep(&server).lookup("01001000").await.expect("found");
    assert_eq!(Value::Object(addr), se_json());
}

#[tokio::test]
async fn viacep_base_with_trailing_slash() {
    let server = viacep_answering(ResponseTemplate::new(200).set_body_json(se_json())).await;
    let l = ViaCepLookup::with_base(format!("{}/", server.uri()), SHORT);
    assert!(l.lookup("01001000").await.is_ok());
}

#[tokio::test]
async fn viacep_erro_string_is_not_found() {
    // What ViaCEP answers today for an unknown CEP.
    let server =
        viacep_answering(ResponseTemplate::new(200).set_body_json(json!({"erro": "true"}))).await;
    assert_eq!(
        viacep(&server).lookup("01001000").await,
        Err(CepError::NotFound)
    );
}

#[tokio::test]
async fn viacep_erro_bool_is_not_found() {
    let server =
        viacep_answering(ResponseTemplate::new(200).set_body_json(json!({"erro": true}))).await;
    assert_eq!(
        viacep(&server).lookup("01001000").await,
        Err(CepError::NotFound)
    );
}

#[tokio::test]
async fn viacep_http_400_is_not_found() {
    let body = "<!DOCTYPE HTML><html><head><title>ViaCEP 400</title></head><body>Bad Request</body></html>";
    let server = viacep_answering(ResponseTemplate::new(400).set_body_string(body)).await;
    assert_eq!(
        viacep(&server).lookup("01001000").await,
        Err(CepError::NotFound)
    );
}

#[tokio::test]
async fn viacep_bad_json_is_unavailable() {
    let server = viacep_answering(ResponseTemplate::new(200).set_body_string("<html>oops")).await;
    let r = viacep(&server).lookup("01001000").await;
    assert!(matches!(r, Err(CepError::Unavailable(_))), "{r:?}");
    let server = viacep_answering(ResponseTemplate::new(200).set_body_json(json!([1, 2]))).await;
    let r = viacep(&server).lookup("01001000").await;
    assert!(matches!(r, Err(CepError::Unavailable(_))), "{r:?}");
}

#[tokio::test]
async fn viacep_http_500_is_unavailable() {
    let server = viacep_answering(ResponseTemplate::new(500).set_body_string("error")).await;
    let r = viacep(&server).lookup("01001000").await;
    assert!(
        matches!(r, Err(CepError::Unavailable(ref m)) if m.contains("500")),
        "{r:?}"
    );
}

#[tokio::test]
async fn viacep_timeout_is_unavailable() {
    let slow = ResponseTemplate::new(200)
        .set_body_json(se_json())
        .set_delay(Duration::from_secs(3));
    let server = viacep_answering(slow).await;
    let started = std::time::Instant::now();
    let r = viacep(&server).lookup("01001000").await;
    assert!(
        matches!(r, Err(CepError::Unavailable(ref m)) if m.contains("timed out")),
        "{r:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let server = MockServer::start().await;
    let uri = server.uri();
    drop(server);
    let r = ViaCepLookup::with_base(uri, SHORT).lookup("01001000").await;
    assert!(matches!(r, Err(CepError::Unavailable(_))), "{r:?}");
}

#[tokio::test]
async fn invalid_input_never_reaches_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    assert_eq!(
        viacep(&server).lookup("../../x").await,
        Err(CepError::NotFound)
    );
}

async fn brasilapi_answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/cep/v1/01001000"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn brasil_json() -> Value {
    json!({"cep":"01001000","state":"SP","city":"São Paulo","neighborhood":"Sé",
        "street":"Praça da Sé","service":"open-cep"})
}

#[tokio::test]
async fn brasilapi_maps_into_viacep_shape() {
    let server = brasilapi_answering(ResponseTemplate::new(200).set_body_json(brasil_json())).await;
    let addr = BrasilApiLookup::with_base(server.uri(), SHORT)
        .lookup("01001000")
        .await
        .expect("found");
    assert_eq!(
        Value::Object(addr),
        json!({"cep":"01001-000","logradouro":"Praça da Sé","complemento":"","bairro":"Sé",
            "localidade":"São Paulo","uf":"SP","ibge":"","gia":"","ddd":"","siafi":""})
    );
}

#[tokio::test]
async fn brasilapi_404_is_not_found_and_500_unavailable() {
    let body = json!({"name":"CepPromiseError","message":"Todos os serviços de CEP retornaram erro.",
        "type":"service_error","errors":[]});
    let server = brasilapi_answering(ResponseTemplate::new(404).set_body_json(body)).await;
    let l = BrasilApiLookup::with_base(server.uri(), SHORT);
    assert_eq!(l.lookup("01001000").await, Err(CepError::NotFound));
    let server = brasilapi_answering(ResponseTemplate::new(500)).await;
    let l = BrasilApiLookup::with_base(server.uri(), SHORT);
    assert!(matches!(
        l.lookup("01001000").await,
        Err(CepError::Unavailable(_))
    ));
}

fn chain(via: &MockServer, brasil: &MockServer) -> FallbackLookup {
    FallbackLookup::new(
        Arc::new(viacep(via)),
        Arc::new(BrasilApiLookup::with_base(brasil.uri(), SHORT)),
    )
}

#[tokio::test]
async fn fallback_uses_brasilapi_when_viacep_fails() {
    let via = viacep_answering(ResponseTemplate::new(503)).await;
    let brasil = brasilapi_answering(ResponseTemplate::new(200).set_body_json(brasil_json())).await;
    let addr = chain(&via, &brasil)
        .lookup("01001000")
        .await
        .expect("fallback");
    assert_eq!(addr["localidade"], "São Paulo");
    assert_eq!(addr["cep"], "01001-000");
}

#[tokio::test]
async fn fallback_on_viacep_timeout() {
    let slow = ResponseTemplate::new(200)
        .set_body_json(se_json())
        .set_delay(Duration::from_secs(3));
    let via = viacep_answering(slow).await;
    let brasil = brasilapi_answering(ResponseTemplate::new(200).set_body_json(brasil_json())).await;
    assert!(chain(&via, &brasil).lookup("01001000").await.is_ok());
}

#[tokio::test]
async fn viacep_not_found_is_final() {
    let via =
        viacep_answering(ResponseTemplate::new(200).set_body_json(json!({"erro": "true"}))).await;
    let brasil = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&brasil)
        .await;
    assert_eq!(
        chain(&via, &brasil).lookup("01001000").await,
        Err(CepError::NotFound)
    );
}

#[tokio::test]
async fn both_failing_is_unavailable() {
    let via = viacep_answering(ResponseTemplate::new(500)).await;
    let brasil = brasilapi_answering(ResponseTemplate::new(502)).await;
    let r = chain(&via, &brasil).lookup("01001000").await;
    assert!(
        matches!(r, Err(CepError::Unavailable(ref m)) if m.contains("viacep") && m.contains("brasilapi")),
        "{r:?}"
    );
}

/// A clock the test moves by hand.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(
            Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0)
                .single()
                .expect("date"),
        )))
    }
    fn advance(&self, by: TimeDelta) {
        *self.0.lock().expect("clock") += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

#[tokio::test]
async fn cache_hit_skips_server_until_ttl_expires() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ws/01001000/json/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(se_json()))
        .expect(2)
        .mount(&server)
        .await;
    let clock = TestClock::new();
    let cached = CachedLookup::new(Arc::new(viacep(&server)), clock.clone());

    let first = cached.lookup("01001000").await.expect("first");
    let second = cached.lookup("01001-000").await.expect("cached");
    assert_eq!(first, second);
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));

    clock.advance(TimeDelta::hours(23) + TimeDelta::minutes(59));
    cached.lookup("01001000").await.expect("still cached");
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));

    clock.advance(TimeDelta::minutes(1));
    cached.lookup("01001000").await.expect("refetched");
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
}

#[tokio::test]
async fn cache_never_stores_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"erro": true})))
        .expect(2)
        .mount(&server)
        .await;
    let cached = CachedLookup::new(Arc::new(viacep(&server)), TestClock::new());
    assert_eq!(cached.lookup("01001000").await, Err(CepError::NotFound));
    assert_eq!(cached.lookup("01001000").await, Err(CepError::NotFound));
    assert!(cached.is_empty());
}

#[tokio::test]
async fn cache_is_bounded() {
    let clock = TestClock::new();
    let cached = CachedLookup::with_limits(
        Arc::new(OfflineLookup::new()),
        clock.clone(),
        TimeDelta::hours(24),
        3,
    );
    for cep in OfflineLookup::known_ceps() {
        clock.advance(TimeDelta::seconds(1));
        cached.lookup(&cep).await.expect("known");
        assert!(cached.len() <= 3);
    }
}

#[tokio::test]
async fn env_builder_picks_offline() {
    let clock: Arc<dyn Clock> = TestClock::new();
    let l = build_from_env(Some(" OFFLINE "), clock.clone());
    assert_eq!(l.lookup("01001000").await.expect("row")["uf"], "SP");
    assert_eq!(l.lookup("12345678").await, Err(CepError::NotFound));
    // The online default is built without touching the network.
    let _online = build_from_env(None, clock);
}
