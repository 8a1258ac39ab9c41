//! Prometheus metrics: `GET /metrics` in the text format, on its own listener at
//! `METRICS_BIND` (off by default, so it is never public by accident).
//!
//! Recording goes through the `metrics` facade; the recorder is installed only when metrics
//! are served, so without `METRICS_BIND` every `counter!`/`histogram!` is a no-op and the
//! HTTP middleware skips its clock reads. What the hub and the database pool already count is
//! read when a scrape comes, not recorded on the hot path. The README lists every metric.

use crate::application::Shutdown;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Histogram buckets of every `*_seconds` metric: 0.5 ms to 10 s.
const BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

static ENABLED: AtomicBool = AtomicBool::new(false);
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether a recorder is installed (metrics are served by this process).
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Installs the process-wide Prometheus recorder, once (several applications in one process,
/// as in the tests, share it).
pub fn install() -> Result<PrometheusHandle, String> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
        .map_err(|e| e.to_string())?
        .build_recorder();
    let handle = recorder.handle();
    ::metrics::set_global_recorder(recorder)
        .map_err(|_| "another metrics recorder is installed in this process".to_string())?;
    let _ = HANDLE.set(handle.clone());
    ENABLED.store(true, Ordering::Relaxed);
    Ok(handle)
}

/// Counts every request by method, route template (`/api/v1/clientes/{id}/`, so ids do not
/// multiply the series; `unmatched` for paths no route serves) and status, with its latency.
pub async fn record_http(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = enabled().then(|| (Instant::now(), req.method().as_str().to_owned()));
    let res = next.call(req).await?;
    if let Some((at, method)) = started {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let status = res.status().as_u16().to_string();
        ::metrics::histogram!(
            "dx_http_request_duration_seconds",
            "method" => method.clone(),
            "route" => route.clone()
        )
        .record(at.elapsed().as_secs_f64());
        ::metrics::counter!(
            "dx_http_requests_total",
            "method" => method,
            "route" => route,
            "status" => status
        )
        .increment(1);
    }
    Ok(res)
}

/// Runs one tick of the background job `job` in its own task (a failure or a panic is
/// logged and the timer goes on) and records it: `skipped` when `skipped(&value)` says
/// another instance held the job's lock, `ok`, or `error`. Answers the tick's value.
pub async fn job_tick<T, F>(job: &'static str, tick: F, skipped: fn(&T) -> bool) -> Option<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = kernel::Result<T>> + Send + 'static,
{
    let started = Instant::now();
    let (outcome, value) = match tokio::spawn(tick).await {
        Ok(Ok(v)) => (if skipped(&v) { "skipped" } else { "ok" }, Some(v)),
        Ok(Err(e)) => {
            tracing::warn!(job, error = %e, "background job tick failed");
            ("error", None)
        }
        Err(e) => {
            tracing::error!(job, error = %e, "background job tick panicked");
            ("error", None)
        }
    };
    if enabled() {
        ::metrics::counter!("dx_job_runs_total", "job" => job, "outcome" => outcome).increment(1);
        ::metrics::histogram!("dx_job_duration_seconds", "job" => job)
            .record(started.elapsed().as_secs_f64());
    }
    value
}

/// One round of the WhatsApp outbox sender on `gateway`.
pub fn outbox_round(gateway: &'static str, sent: usize, retried: usize, failed: usize) {
    if !enabled() {
        return;
    }
    ::metrics::counter!("dx_outbox_sent_total", "gateway" => gateway).increment(sent as u64);
    ::metrics::counter!("dx_outbox_retried_total", "gateway" => gateway).increment(retried as u64);
    ::metrics::counter!("dx_outbox_failed_total", "gateway" => gateway).increment(failed as u64);
}

/// What a scrape reads besides the recorded series.
pub struct Sources {
    pub hub: Arc<adapter_realtime::Hub>,
    pub db: DatabaseConnection,
    pub redis: Option<Arc<adapter_redis::RedisShared>>,
}

impl Sources {
    /// Sets the gauges and absolute counters kept by the hub, the pool and the database.
    async fn observe(&self) {
        let hub = &self.hub;
        ::metrics::gauge!("dx_websocket_sockets_open").set(hub.socket_count() as f64);
        ::metrics::counter!("dx_events_published_total").absolute(hub.published_count());
        ::metrics::counter!("dx_events_delivered_total").absolute(hub.delivered_count());
        ::metrics::counter!("dx_events_dropped_total").absolute(hub.overflow_count());
        if let Some((size, idle, max)) = pool_figures(&self.db) {
            let in_use = size.saturating_sub(idle);
            ::metrics::gauge!("dx_db_pool_connections", "state" => "in_use").set(in_use as f64);
            ::metrics::gauge!("dx_db_pool_connections", "state" => "idle").set(idle as f64);
            ::metrics::gauge!("dx_db_pool_max_connections").set(max as f64);
            // sqlx does not expose its queue of waiting acquirers: a pool whose every
            // connection is in use is one where the next request waits.
            ::metrics::gauge!("dx_db_pool_saturated").set(if in_use >= max { 1.0 } else { 0.0 });
        }
        if let Some(redis) = &self.redis {
            let m = redis.metrics();
            ::metrics::counter!("dx_redis_events_forwarded_total").absolute(m.events_published);
            ::metrics::counter!("dx_redis_events_received_total").absolute(m.events_received);
            ::metrics::counter!("dx_redis_forwards_dropped_total").absolute(m.forwards_dropped);
            ::metrics::counter!("dx_redis_reconnects_total").absolute(m.reconnects);
            ::metrics::gauge!("dx_redis_subscribed").set(if m.subscribed { 1.0 } else { 0.0 });
        }
        let depth = tokio::time::timeout(Duration::from_secs(2), outbox_depth(&self.db)).await;
        if let Ok(Some(depth)) = depth {
            ::metrics::gauge!("dx_outbox_depth").set(depth as f64);
        }
    }
}

/// `(open connections, idle ones, the pool's maximum)`.
fn pool_figures(db: &DatabaseConnection) -> Option<(u32, u32, u32)> {
    fn of<D: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<D>) -> (u32, u32, u32) {
        let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
        (pool.size(), idle, pool.options().get_max_connections())
    }
    match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => Some(of(db.get_sqlite_connection_pool())),
        sea_orm::DbBackend::Postgres => Some(of(db.get_postgres_connection_pool())),
        _ => None,
    }
}

/// Messages waiting in the outbox (queued, whether due now or on a retry's backoff).
async fn outbox_depth(db: &DatabaseConnection) -> Option<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM whatsapp_messages WHERE status = 'queued'",
        ))
        .await
        .ok()??;
    row.try_get::<i64>("", "n").ok()
}

async fn scrape(sources: web::Data<Sources>) -> HttpResponse {
    sources.observe().await;
    let Some(handle) = HANDLE.get() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

/// Serves `GET /metrics` on `listener` (one worker) until the shutdown.
pub fn serve(
    listener: TcpListener,
    sources: Sources,
    shutdown: Shutdown,
) -> std::io::Result<impl std::future::Future<Output = ()>> {
    let sources = web::Data::new(sources);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(sources.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    let handle = server.handle();
    Ok(async move {
        tokio::spawn(server);
        shutdown.triggered().await;
        handle.stop(true).await;
    })
}

#[cfg(test)]
mod tests {
    use super::job_tick;
    use kernel::DomainError;

    #[tokio::test]
    async fn a_job_tick_answers_its_value_and_survives_errors_and_panics() {
        let ok = job_tick(
            "t",
            async { Ok::<_, DomainError>(Some(3)) },
            Option::is_none,
        )
        .await;
        assert_eq!(ok, Some(Some(3)));
        let skipped = job_tick("t", async { Ok::<Option<i32>, _>(None) }, Option::is_none).await;
        assert_eq!(skipped, Some(None));
        let failed = job_tick(
            "t",
            async { Err::<i32, _>(DomainError::internal("boom")) },
            |_| false,
        )
        .await;
        assert_eq!(failed, None);
        let panicked = job_tick(
            "t",
            async {
                if true {
                    panic!("tick panicked");
                }
                Ok::<i32, DomainError>(1)
            },
            |_| false,
        )
        .await;
        assert_eq!(panicked, None);
    }
}
