//! Several instances behind nginx (issue 12 §3): two server processes on one PostgreSQL
//! database and one Redis, round robin through nginx with WebSocket upgrades
//! (`docs/deploy/nginx.conf`), started by `scripts/cluster.sh` in `.ci/run`.
//!
//! Runs when `DX_CLUSTER_URL` (nginx), `DX_CLUSTER_INSTANCES` (each instance's own URL) and
//! `DX_CLUSTER_PIDS` are set; otherwise it has nothing to test against and returns at once.
//! The one test runs the checks in order, as the last of them kills an instance.

use crate::common::client_builder;
use crate::presence::{Ws, open_ws};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

struct Cluster {
    proxy: String,
    instances: Vec<String>,
    pids: Vec<u32>,
    client: Client,
}

impl Cluster {
    fn from_env() -> Option<Self> {
        let proxy = std::env::var("DX_CLUSTER_URL").ok()?;
        let instances: Vec<String> = std::env::var("DX_CLUSTER_INSTANCES")
            .ok()?
            .split(',')
            .map(str::to_string)
            .collect();
        let pids = std::env::var("DX_CLUSTER_PIDS")
            .ok()?
            .split(',')
            .map(|p| p.parse().expect("pid"))
            .collect();
        Some(Self {
            proxy,
            instances,
            pids,
            client: client_builder().build().unwrap(),
        })
    }

    async fn call(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.client.request(method, format!("{base}{path}"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, base: &str, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(base, reqwest::Method::GET, path, Some(token), None)
            .await
    }

    async fn post(&self, base: &str, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(base, reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    async fn login(&self, base: &str, username: &str, password: &str) -> String {
        let (s, v) = self
            .call(
                base,
                reqwest::Method::POST,
                "/api/v1/auth/token/",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {username}: {v}");
        v["access"].as_str().unwrap().to_string()
    }
}

/// The next event named `name` on `ws`, skipping others, within 5 s.
async fn event(ws: &mut Ws, name: &str) -> Value {
    use futures_util::StreamExt;
    let until = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, ws.next()).await;
        let Ok(Some(Ok(msg))) = frame else {
            panic!("no {name} within 5 s; the socket had: {seen:?} then {frame:?}");
        };
        let Ok(text) = msg.to_text() else { continue };
        let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        if v["event"] == name || v["type"] == name {
            return v;
        }
        seen.push(v);
    }
}

#[tokio::test]
async fn two_instances_behind_nginx_act_as_one() {
    let Some(c) = Cluster::from_env() else {
        eprintln!("DX_CLUSTER_URL is not set: no cluster to test (see scripts/cluster.sh)");
        return;
    };
    let [a, b] = [&c.instances[0], &c.instances[1]];
    let admin = c.login(&c.proxy, "admin", "admin123").await;

    // 1. Writes through nginx, read back from each instance: the same answers, at once.
    let tag = format!("{:08x}", rand_u32());
    let (s, created) = c
        .post(
            &c.proxy,
            "/api/v1/clientes/",
            &admin,
            json!({"razao_social": format!("Cluster {tag} Ltda")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/clientes/{id}/");
    let (_, on_a) = c.get(a, &path, &admin).await;
    let (_, on_b) = c.get(b, &path, &admin).await;
    assert_eq!(on_a, on_b);
    let list = format!("/api/v1/clientes/?search={tag}");
    // Fill both instances' list caches, then change the row on A: B sees it at once.
    assert_eq!(c.get(a, &list, &admin).await.1["count"], 1);
    assert_eq!(c.get(b, &list, &admin).await.1["count"], 1);
    let (s, _) = c
        .call(
            a,
            reqwest::Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"razao_social": format!("Cluster {tag} Renomeada")})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let until = Instant::now() + Duration::from_millis(500);
    loop {
        let (_, page) = c.get(b, &list, &admin).await;
        if page["results"][0]["razao_social"] == format!("Cluster {tag} Renomeada") {
            break;
        }
        assert!(Instant::now() < until, "B still lists the old name: {page}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..4 {
        let (s, page) = c.get(&c.proxy, &list, &admin).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(page["count"], 1);
    }

    // An agent deactivated on A: its token stops working on B at once (B's principal and
    // token caches dropped through Redis, not after their expiry).
    let (s, v) = c
        .post(
            &c.proxy,
            "/api/v1/authz/agents/",
            &admin,
            json!({"username": format!("gone{tag}"), "password": "Cluster-agent-pw-1",
                   "email": format!("gone{tag}@x.com")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let gone_id = v["id"].as_i64().unwrap();
    let gone = c
        .login(b, &format!("gone{tag}"), "Cluster-agent-pw-1")
        .await;
    assert_eq!(c.get(b, "/api/v1/me/", &gone).await.0, StatusCode::OK);
    let (s, _) = c
        .call(
            a,
            reqwest::Method::DELETE,
            &format!("/api/v1/authz/agents/{gone_id}/"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let until = Instant::now() + Duration::from_millis(500);
    while c.get(b, "/api/v1/me/", &gone).await.0 != StatusCode::UNAUTHORIZED {
        assert!(
            Instant::now() < until,
            "B still accepts the token of a deactivated agent"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The login throttle counts the failures of every instance: ten wrong passwords from
    // one client, alternating between the instances, block the eleventh attempt on both.
    let client_ip = format!("203.0.113.{}", rand_u32() % 250 + 1);
    let attempt = |base: &str| {
        let req = c
            .client
            .post(format!("{base}/api/v1/auth/token/"))
            .header("X-Forwarded-For", client_ip.clone())
            .json(&json!({"username": format!("ghost{tag}"), "password": format!("wrong-{tag}")}));
        async move { req.send().await.expect("login").status() }
    };
    for i in 0..10 {
        assert_eq!(
            attempt(&c.instances[i % 2]).await,
            StatusCode::UNAUTHORIZED,
            "attempt {i}"
        );
    }
    assert_eq!(attempt(a).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(attempt(b).await, StatusCode::TOO_MANY_REQUESTS);

    // 2. An agent on B, a message to A: `new_chat` reaches B's socket.
    let (s, agent) = c
        .post(
            &c.proxy,
            "/api/v1/authz/agents/",
            &admin,
            json!({"username": format!("ag{tag}"), "password": "Cluster-agent-pw-1",
                   "email": format!("ag{tag}@x.com")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{agent}");
    let agent_id = agent["id"].as_i64().unwrap();
    let (s, dep) = c
        .post(
            &c.proxy,
            "/api/v1/atendimento/departamentos/",
            &admin,
            json!({"nome": format!("0 Cluster {tag}"), "atendentes": [agent_id]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{dep}");
    let token = c
        .login(&c.proxy, &format!("ag{tag}"), "Cluster-agent-pw-1")
        .await;
    let mut on_b = open_ws(b, "/ws/atendimento/", &token).await;
    // Presence counts the sockets of every instance: A knows of the socket on B.
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        let (s, me) = c.get(a, "/api/v1/presence/me/", &token).await;
        assert_eq!(s, StatusCode::OK, "{me}");
        if me["websocket_connected"] == true {
            break;
        }
        assert!(
            Instant::now() < until,
            "A does not see the socket on B: {me}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, v) = c
        .post(a, "/api/v1/whatsapp/sessions/start/", &admin, json!({}))
        .await;
    assert!(s.is_success(), "{v}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let number = format!("55119{:08}", rand_u32() % 100_000_000);
    let (s, v) = c
        .call(
            a,
            reqwest::Method::POST,
            "/api/v1/whatsapp/webhook/",
            None,
            Some(json!({"event": "message_received", "version": "v1",
                        "data": {"from": number, "message": "Olá do cluster"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let new_chat = event(&mut on_b, "new_chat").await;
    assert_eq!(new_chat["data"]["chat_id"], number, "{new_chat}");

    // 3. Eight agents over both instances accept the same chat: exactly one wins.
    let mut tokens = Vec::new();
    for i in 0..8 {
        let name = format!("r{i}{tag}");
        let (s, v) = c
            .post(
                &c.proxy,
                "/api/v1/authz/agents/",
                &admin,
                json!({"username": name, "password": "Cluster-agent-pw-1",
                       "email": format!("{name}@x.com")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        tokens.push(c.login(&c.proxy, &name, "Cluster-agent-pw-1").await);
    }
    let accept = format!("/api/v1/chats/{number}/aceitar/");
    let answers = futures_util::future::join_all(tokens.iter().enumerate().map(|(i, t)| {
        let base = c.instances[i % 2].clone();
        let accept = accept.clone();
        let c = &c;
        async move { c.post(&base, &accept, t, json!({})).await.0 }
    }))
    .await;
    let won = answers.iter().filter(|s| **s == StatusCode::OK).count();
    let lost = answers
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((won, lost), (1, 7), "{answers:?}");

    // 4. SIGKILL one instance while writing through nginx: every acknowledged write is
    // stored, and a socket of the dead instance reconnects to the survivor.
    let mut on_a = open_ws(a, "/ws/atendimento/", &token).await;
    let writes = futures_util::future::join_all((0..60).map(|i| {
        let c = &c;
        let admin = &admin;
        let tag = &tag;
        async move {
            tokio::time::sleep(Duration::from_millis(i * 10)).await;
            let (s, v) = c
                .post(
                    &c.proxy,
                    "/api/v1/clientes/",
                    admin,
                    json!({"razao_social": format!("Kill {tag} {i}")}),
                )
                .await;
            (s, v["id"].as_i64())
        }
    }));
    let kill = async {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let status = std::process::Command::new("kill")
            .args(["-9", &c.pids[0].to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    };
    let (writes, ()) = tokio::join!(writes, kill);
    let acknowledged: Vec<i64> = writes
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .filter_map(|(_, id)| *id)
        .collect();
    assert!(acknowledged.len() >= 30, "{writes:?}");
    for id in &acknowledged {
        let (s, v) = c.get(b, &format!("/api/v1/clientes/{id}/"), &admin).await;
        assert_eq!(s, StatusCode::OK, "acknowledged cliente {id} lost: {v}");
    }
    // The dead instance's socket ends; the client reconnects through nginx to B.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        use futures_util::StreamExt;
        loop {
            match on_a.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(m)) if m.is_close() => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the killed instance's socket did not end");
    let mut again = open_ws(&c.proxy, "/ws/atendimento/", &token).await;
    // Through the survivor: the reconnected socket hears a new chat.
    let number2 = format!("55119{:08}", rand_u32() % 100_000_000);
    let (s, _) = c
        .call(
            &c.proxy,
            reqwest::Method::POST,
            "/api/v1/whatsapp/webhook/",
            None,
            Some(json!({"event": "message_received", "version": "v1",
                        "data": {"from": number2, "message": "depois da queda"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let nc = event(&mut again, "new_chat").await;
    assert_eq!(nc["data"]["chat_id"], number2, "{nc}");
}

fn rand_u32() -> u32 {
    uuid::Uuid::new_v4().as_u128() as u32
}
