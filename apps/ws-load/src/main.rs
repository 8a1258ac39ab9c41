//! `ws-load`: WebSocket load generator for DX Connect. One `key=value` line per figure on
//! stdout; diagnostics on stderr.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ws_load::load::{self, HttpLoadOpts};
use ws_load::modes::{self, Common, FanoutOpts, HoldOpts, SustainedOpts};
use ws_load::{Report, Target, fake};

#[derive(Parser)]
#[command(name = "ws-load", about = "WebSocket load generator for DX Connect")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone)]
struct CommonArgs {
    /// The server, `http://host:port`.
    #[arg(long, default_value = "http://127.0.0.1:8001")]
    base: String,
    /// User name (with `{i}` for several users in `hold --users`).
    #[arg(long, env = "WS_LOAD_USERNAME", default_value = "admin")]
    username: String,
    #[arg(long, env = "WS_LOAD_PASSWORD", default_value = "admin")]
    password: String,
    /// WebSocket path.
    #[arg(long, default_value = "/ws/whatsapp/")]
    path: String,
    /// Handshakes in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Run against an in-process fake server instead of --base (checks the generator).
    #[arg(long)]
    fake: bool,
}

/// Options of the HTTP request loads (`http`, `webhook`, `send`).
#[derive(Args, Clone)]
struct LoadArgs {
    /// The server, `http://host:port`.
    #[arg(long, default_value = "http://127.0.0.1:8001")]
    base: String,
    /// Keep-alive connections, each looping request → response.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds during which requests are issued (answers in flight at the end are awaited).
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    /// How long an answer in flight at the deadline may still take (then `abandoned`).
    #[arg(long, default_value_t = 30.0)]
    drain_secs: f64,
    /// Bearer token (else, for requests that need one, log in with --username/--password).
    #[arg(long, env = "WS_LOAD_TOKEN")]
    token: Option<String>,
    #[arg(long, env = "WS_LOAD_USERNAME", default_value = "admin")]
    username: String,
    #[arg(long, env = "WS_LOAD_PASSWORD", default_value = "admin")]
    password: String,
    /// Also report the CPU time this process (the server) used during the run.
    #[arg(long)]
    server_pid: Option<u32>,
    /// How many distinct values `{chat}` takes in the body (request n gets n mod this, as six
    /// digits): `--from '55119770{chat}'` spreads the messages over that many chats.
    #[arg(long, default_value_t = 1000)]
    chats: u64,
}

#[derive(Subcommand)]
enum Cmd {
    /// Any JSON request in a loop; `{id}` in --body becomes an id unique to each request.
    Http {
        #[command(flatten)]
        load: LoadArgs,
        #[arg(long, default_value = "POST")]
        method: String,
        #[arg(long)]
        path: String,
        #[arg(long, default_value = "")]
        body: String,
        /// Log in (--username/--password) for a token when --token is not given.
        #[arg(long)]
        login: bool,
    },
    /// POST /api/v1/whatsapp/webhook/ `message_received`, a distinct message_id each (public).
    Webhook {
        #[command(flatten)]
        load: LoadArgs,
        #[arg(long, default_value = "5511900000000")]
        from: String,
        #[arg(long, default_value = "bench")]
        message: String,
    },
    /// POST /api/v1/whatsapp/webhook/evolution/ `messages.upsert` (a distinct key id each)
    /// with the `X-Webhook-Secret` header.
    EvolutionWebhook {
        #[command(flatten)]
        load: LoadArgs,
        #[arg(long, env = "WS_LOAD_EVOLUTION_SECRET")]
        secret: String,
        #[arg(long, default_value = "bench")]
        instance: String,
        #[arg(long, default_value = "5511900000000@s.whatsapp.net")]
        jid: String,
        #[arg(long, default_value = "bench")]
        message: String,
    },
    /// POST /api/v1/whatsapp/webhook/meta/ one text message (a distinct wamid each), signed
    /// with `X-Hub-Signature-256` over each body.
    MetaWebhook {
        #[command(flatten)]
        load: LoadArgs,
        #[arg(long, env = "WS_LOAD_META_APP_SECRET")]
        app_secret: String,
        #[arg(long, default_value = "106540352242922")]
        phone_number_id: String,
        #[arg(long, default_value = "5511900000000")]
        from: String,
        #[arg(long, default_value = "bench")]
        message: String,
    },
    /// POST /api/v1/whatsapp/send/ with a bearer token (202 = queued).
    Send {
        #[command(flatten)]
        load: LoadArgs,
        #[arg(long, default_value = "5511999990000")]
        to: String,
        #[arg(long, default_value = "bench")]
        text: String,
    },
    /// Open N authenticated sockets and keep them open (until Ctrl-C or --secs).
    Hold {
        #[command(flatten)]
        common: CommonArgs,
        #[arg(long, default_value_t = 1000)]
        sockets: usize,
        #[arg(long, default_value_t = 1)]
        users: usize,
        #[arg(long)]
        secs: Option<f64>,
    },
    /// N sockets of one user; R webhook events; latency from request to each socket.
    Fanout {
        #[command(flatten)]
        common: CommonArgs,
        #[arg(long, default_value_t = 1000)]
        sockets: usize,
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        /// Per-round wait for every socket before the next round.
        #[arg(long, default_value_t = 5000)]
        round_timeout_ms: u64,
        /// Post the webhooks to this server (`http://host:port`) instead of --base: another
        /// instance, so that every event crosses the shared broker.
        #[arg(long)]
        trigger_base: Option<String>,
    },
    /// N sockets of one user receive `rate` events/s in total from injects on one more socket.
    Sustained {
        #[command(flatten)]
        common: CommonArgs,
        #[arg(long, default_value_t = 100)]
        sockets: usize,
        #[arg(long, default_value_t = 10000.0)]
        rate: f64,
        #[arg(long, default_value_t = 10.0)]
        secs: f64,
        /// Wait for frames still in flight after the last inject.
        #[arg(long, default_value_t = 5.0)]
        drain_secs: f64,
    },
    /// Serve the fake server (login, webhook, WebSocket) until Ctrl-C.
    Fake {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        #[arg(long)]
        password: Option<String>,
        /// Each socket skips every k-th event frame.
        #[arg(long)]
        drop_every: Option<u64>,
        #[arg(long)]
        delay_ms: Option<u64>,
    },
}

async fn common(
    a: &CommonArgs,
    fake_server: &mut Option<fake::FakeServer>,
) -> Result<Common, String> {
    let target = if a.fake {
        let server = fake::start("127.0.0.1:0".parse().unwrap(), fake::FakeOptions::default())
            .await
            .map_err(|e| format!("fake server: {e}"))?;
        let t = Target::from_addr(server.addr);
        *fake_server = Some(server);
        t
    } else {
        Target::parse(&a.base).await?
    };
    Ok(Common {
        target,
        path: a.path.clone(),
        username: a.username.clone(),
        password: a.password.clone(),
        concurrency: a.concurrency,
    })
}

/// Extra headers and the body signature of an HTTP load.
#[derive(Default)]
struct Extra {
    headers: Vec<(String, String)>,
    sign: Option<load::Signing>,
}

async fn http_load(
    a: LoadArgs,
    method: String,
    path: String,
    body: String,
    login: bool,
) -> Result<Report, String> {
    http_load_with(a, method, path, body, login, Extra::default()).await
}

async fn http_load_with(
    a: LoadArgs,
    method: String,
    path: String,
    body: String,
    login: bool,
    extra: Extra,
) -> Result<Report, String> {
    let target = Target::parse(&a.base).await?;
    let token = match a.token {
        Some(t) => Some(t),
        None if login => Some(ws_load::http::login(&target, &a.username, &a.password).await?),
        None => None,
    };
    load::http_load(&HttpLoadOpts {
        target,
        method,
        path,
        body,
        token,
        headers: extra.headers,
        sign: extra.sign,
        connections: a.connections,
        duration: Duration::from_secs_f64(a.secs),
        drain_timeout: Duration::from_secs_f64(a.drain_secs),
        server_pid: a.server_pid,
        chats: a.chats.max(1),
    })
    .await
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => eprintln!("ws-load: open files limit {limit}"),
        Err(e) => eprintln!("ws-load: cannot raise the open files limit: {e}"),
    }
    let mut fake_server = None;
    let result: Result<Report, String> = async {
        match cli.cmd {
            Cmd::Hold {
                common: a,
                sockets,
                users,
                secs,
            } => {
                let common = common(&a, &mut fake_server).await?;
                let mut printed = 0;
                let mut report = modes::hold(
                    &HoldOpts {
                        common,
                        sockets,
                        users,
                        secs,
                    },
                    |r| {
                        r.print();
                        printed = r.lines.len();
                    },
                )
                .await?;
                report.lines.drain(..printed.min(report.lines.len()));
                Ok(report)
            }
            Cmd::Fanout {
                common: a,
                sockets,
                rounds,
                round_timeout_ms,
                trigger_base,
            } => {
                let common = common(&a, &mut fake_server).await?;
                let trigger = match trigger_base {
                    Some(base) => Some(Target::parse(&base).await?),
                    None => None,
                };
                modes::fanout(&FanoutOpts {
                    common,
                    sockets,
                    rounds,
                    round_timeout: Duration::from_millis(round_timeout_ms),
                    trigger,
                })
                .await
            }
            Cmd::Sustained {
                common: a,
                sockets,
                rate,
                secs,
                drain_secs,
            } => {
                let common = common(&a, &mut fake_server).await?;
                modes::sustained(&SustainedOpts {
                    common,
                    sockets,
                    rate,
                    secs,
                    drain: Duration::from_secs_f64(drain_secs),
                })
                .await
            }
            Cmd::Http {
                load,
                method,
                path,
                body,
                login,
            } => http_load(load, method, path, body, login).await,
            Cmd::Webhook {
                load,
                from,
                message,
            } => {
                let body = serde_json::json!({
                    "event": "message_received",
                    "data": { "from": from, "message": message, "message_id": load::ID },
                })
                .to_string();
                let path = "/api/v1/whatsapp/webhook/".to_string();
                http_load(load, "POST".into(), path, body, false).await
            }
            Cmd::EvolutionWebhook {
                load,
                secret,
                instance,
                jid,
                message,
            } => {
                let body = serde_json::json!({
                    "event": "messages.upsert", "instance": instance,
                    "data": {"key": {"remoteJid": jid, "fromMe": false, "id": load::ID},
                             "pushName": "Bench", "message": {"conversation": message},
                             "messageType": "conversation", "messageTimestamp": 1782900000},
                    "date_time": "2026-07-01T10:00:00.000Z", "apikey": null,
                })
                .to_string();
                let path = "/api/v1/whatsapp/webhook/evolution/".to_string();
                let extra = Extra {
                    headers: vec![("X-Webhook-Secret".into(), secret)],
                    sign: None,
                };
                http_load_with(load, "POST".into(), path, body, false, extra).await
            }
            Cmd::MetaWebhook {
                load,
                app_secret,
                phone_number_id,
                from,
                message,
            } => {
                let body = serde_json::json!({
                    "object": "whatsapp_business_account",
                    "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": "551140028922",
                                     "phone_number_id": phone_number_id},
                        "contacts": [{"profile": {"name": "Bench"}, "wa_id": from}],
                        "messages": [{"from": from, "id": format!("wamid.{}", load::ID),
                                      "timestamp": "1782900000", "type": "text",
                                      "text": {"body": message}}]}}]}],
                })
                .to_string();
                let path = "/api/v1/whatsapp/webhook/meta/".to_string();
                let extra = Extra {
                    headers: Vec::new(),
                    sign: Some(load::Signing {
                        header: "X-Hub-Signature-256".into(),
                        key: app_secret.into_bytes(),
                    }),
                };
                http_load_with(load, "POST".into(), path, body, false, extra).await
            }
            Cmd::Send { load, to, text } => {
                let body = serde_json::json!({ "to": to, "text": text }).to_string();
                let path = "/api/v1/whatsapp/send/".to_string();
                http_load(load, "POST".into(), path, body, true).await
            }
            Cmd::Fake {
                listen,
                password,
                drop_every,
                delay_ms,
            } => {
                let opts = fake::FakeOptions {
                    password,
                    drop_every,
                    delay: delay_ms.map(Duration::from_millis),
                    http_delay: None,
                };
                let server = fake::start(listen, opts).await.map_err(|e| e.to_string())?;
                println!("listening=http://{}", server.addr);
                let _ = tokio::signal::ctrl_c().await;
                Ok(Report::default())
            }
        }
    }
    .await;
    match result {
        Ok(report) => report.print(),
        Err(e) => {
            eprintln!("ws-load: {e}");
            std::process::exit(1);
        }
    }
}
