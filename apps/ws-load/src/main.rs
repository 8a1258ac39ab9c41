//! `ws-load`: WebSocket load generator for DX Connect. One `key=value` line per figure on
//! stdout; diagnostics on stderr.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
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

#[derive(Subcommand)]
enum Cmd {
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
            } => {
                let common = common(&a, &mut fake_server).await?;
                modes::fanout(&FanoutOpts {
                    common,
                    sockets,
                    rounds,
                    round_timeout: Duration::from_millis(round_timeout_ms),
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
