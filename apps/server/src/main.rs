use clap::Parser;
use dx_connect_server::cli::{Cli, run};

fn main() -> std::process::ExitCode {
    dx_connect_server::init_tracing();
    // reqwest and sqlx share rustls with the ring provider, installed before any client exists.
    dx_connect_server::install_tls_provider();
    let cli = Cli::parse();
    match actix_web::rt::System::new().block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
