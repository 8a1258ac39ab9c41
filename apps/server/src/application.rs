//! The application object: the HTTP server, the background tasks and the one shutdown signal
//! they share (zero-to-production's `Application::build` + `run_until_stopped`).
//!
//! Shutdown order: SIGTERM/SIGINT (or [`Shutdown::trigger`]) stops the server's intake and
//! lets in-flight requests finish (at most 10 s); the background tasks see the same signal
//! and finish their work; then the services are dropped and the database is flushed (the
//! SQLite WAL emptied into the database file).

use crate::config::Config;
use crate::state::Services;
use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The shutdown signal shared by the server and every background task. Cheap to clone.
#[derive(Clone, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    /// Asks everything to stop (idempotent).
    pub fn trigger(&self) {
        self.0.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Resolves once the shutdown was triggered.
    pub async fn triggered(&self) {
        self.0.cancelled().await
    }
}

type Task = (&'static str, tokio::task::JoinHandle<()>);

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    state: Arc<Services>,
    database_url: String,
    shutdown: Shutdown,
    tasks: Vec<Task>,
}

impl Application {
    /// Binds `config.bind:config.port` (port 0: any free port), then builds as
    /// [`Self::build_with_listener`].
    pub async fn build(config: Config) -> std::io::Result<Self> {
        let addr = format!("{}:{}", config.bind, config.port);
        let listener = TcpListener::bind(&addr)
            .map_err(|e| std::io::Error::new(e.kind(), format!("bind {addr}: {e}")))?;
        Self::build_with_listener(config, listener).await
    }

    /// Connects, migrates and seeds, wires every area, and starts serving on `listener`.
    pub async fn build_with_listener(
        config: Config,
        listener: TcpListener,
    ) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let state = Services::build(&config)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        crate::seed_admin(&state, &config).await;
        let database_url = config.database_url.clone();
        let auto_close = crate::auto_close::AutoCloseJob::new(&state, &config);
        let metrics_listener = match config.metrics_bind {
            Some(addr) => {
                crate::telemetry::install().map_err(std::io::Error::other)?;
                let l = TcpListener::bind(addr).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("METRICS_BIND {addr}: {e}"))
                })?;
                tracing::info!(%addr, "metrics served at /metrics");
                Some(l)
            }
            None => None,
        };
        let gateway = config.whatsapp_gateway.name();
        let server = crate::serve(state.clone(), config, listener)?;
        let shutdown = Shutdown::default();
        let mut app = Self {
            port,
            server,
            state,
            database_url,
            shutdown,
            tasks: Vec::new(),
        };
        app.spawn_task("signals", wait_for_signal);
        match app.state.whatsapp.sessions.resync().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                sessions = n,
                "whatsapp sessions resynchronized with the gateway"
            ),
            Err(e) => tracing::warn!(error = %e, "whatsapp session resync failed"),
        }
        if app.state.whatsapp.run_outbox {
            let outbox = app.state.whatsapp.outbox.clone();
            let signal = app.state.whatsapp.outbox_signal.clone();
            app.spawn_task("whatsapp-sender", move |shutdown| {
                run_sender(outbox, signal, gateway, shutdown)
            });
        }
        app.spawn_task("auto-close", move |shutdown| auto_close.run(shutdown));
        let (job, every) = (
            app.state.presence.timeout.clone(),
            app.state.presence.check_every,
        );
        app.spawn_task("presence-timeout", move |shutdown| {
            crate::state::presence::run_presence_timeout(job, every, shutdown)
        });
        if let Some(listener) = metrics_listener {
            let sources = crate::telemetry::Sources {
                hub: app.state.hub.clone(),
                db: app.state.db.clone(),
                redis: app.state.redis.clone(),
            };
            let metrics = crate::telemetry::serve(listener, sources, app.shutdown.clone())?;
            app.spawn_task("metrics", move |_| metrics);
        }
        let hub = app.state.hub.clone();
        app.spawn_task("hub-close", move |shutdown| async move {
            shutdown.triggered().await;
            // Sockets are closed (1001) so clients reconnect to another instance.
            hub.close_all();
        });
        let handle = app.server.handle();
        app.spawn_task("http-stop", move |shutdown| async move {
            shutdown.triggered().await;
            // Stop accepting, let in-flight requests finish.
            handle.stop(true).await;
        });
        Ok(app)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shutdown signal (e.g. to stop a test server, or for a task started elsewhere).
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The wired services (for tests that inspect them).
    pub fn services(&self) -> &Arc<Services> {
        &self.state
    }

    /// Starts a background task owned by the application: it receives the shutdown signal,
    /// must return soon after it is triggered, and is awaited before the database is flushed.
    pub fn spawn_task<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(task(self.shutdown.clone()));
        self.tasks.push((name, handle));
    }

    /// Serves until the shutdown signal, then drains the server and the tasks and flushes the
    /// database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            state,
            database_url,
            shutdown,
            tasks,
            ..
        } = self;
        let served = server.await;
        // The server also stops on its own (e.g. a worker failed): stop the tasks too.
        shutdown.trigger();
        for (name, task) in tasks {
            if let Err(e) = task.await {
                tracing::warn!(task = name, error = %e, "background task failed");
            }
        }
        // This instance's sockets leave the shared presence at once (not after its TTL).
        if let Some(redis) = &state.redis {
            redis.shutdown().await;
        }
        // The last handle on the services (and on the database writer they own).
        drop(state);
        flush_on_exit(&database_url).await;
        served
    }
}

/// The outbox sender: a round whenever a message is queued or a session becomes ready, and
/// at least every second (retries come due); rounds follow each other while they are full.
async fn run_sender(
    outbox: Arc<whatsapp::outbox::Outbox>,
    signal: Arc<crate::state::OutboxNotify>,
    gateway: &'static str,
    shutdown: Shutdown,
) {
    let batch = outbox.batch();
    loop {
        // Each round in its own task: a panic in one is logged, the sender goes on.
        let round = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.run_once().await }
        });
        let full = match round.await {
            Ok(Ok(round)) => {
                crate::telemetry::outbox_round(gateway, round.sent, round.retried, round.failed);
                round.claimed() >= batch
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "whatsapp sender round failed");
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "whatsapp sender round panicked");
                false
            }
        };
        if full {
            if shutdown.is_triggered() {
                return;
            }
            continue;
        }
        tokio::select! {
            _ = shutdown.triggered() => return,
            _ = signal.0.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

/// Triggers the shutdown on SIGTERM or SIGINT; returns when it was triggered otherwise.
async fn wait_for_signal(shutdown: Shutdown) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {
            tracing::info!("SIGINT: shutting down");
            shutdown.trigger();
        }
        _ = terminate => {
            tracing::info!("SIGTERM: shutting down");
            shutdown.trigger();
        }
        _ = shutdown.triggered() => {}
    }
}

/// After a graceful shutdown: leaves every committed write in the SQLite database file itself,
/// so that copying that one file (the usual backup of a stopped server) loses nothing.
async fn flush_on_exit(database_url: &str) {
    let flushed = match adapter_seaorm::connect(database_url).await {
        Ok(db) => {
            let r = adapter_seaorm::flush_wal(&db).await;
            db.close().await.ok();
            r
        }
        Err(e) => Err(e),
    };
    match flushed {
        Ok(true) => tracing::info!("database flushed; bye"),
        Ok(false) => tracing::warn!("the WAL could not be emptied at shutdown (still in use)"),
        Err(e) => tracing::warn!(error = %e, "could not flush the database at shutdown"),
    }
}
