//! `dx-connect seed …`: synthetic data for benchmarks and demos, inserted in bulk.

use crate::config::Config;
use clap::Subcommand;
use std::time::Instant;

#[derive(Subcommand)]
pub enum SeedCommand {
    /// Insert COUNT synthetic clientes (valid unique CNPJs, varied names, cities and statuses).
    Clientes { count: u64 },
}

/// Connects, migrates and seeds.
pub async fn run(config: &Config, cmd: SeedCommand) -> Result<(), String> {
    let db = adapter_seaorm::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    adapter_seaorm::migrate(&db)
        .await
        .map_err(|e| e.to_string())?;
    match cmd {
        SeedCommand::Clientes { count } => {
            let started = Instant::now();
            let n = adapter_seaorm::SeaOrmClienteRepository::new(db.clone())
                .seed(count)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "seeded {n} clientes in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    db.close().await.map_err(|e| e.to_string())
}
