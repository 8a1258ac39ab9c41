//! `DX_SQLITE_SYNCHRONOUS`: an invalid value stops start-up with a message naming it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn an_invalid_synchronous_setting_stops_start_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dx-connect-under-test"))
        .arg("serve")
        .current_dir(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite?mode=rwc", dir.path().display()),
        )
        .env("DX_SQLITE_SYNCHRONOUS", "sometimes")
        .env("BIND", "127.0.0.1")
        .env("PORT", "0")
        .env("DJANGO_SECRET_KEY", "durability-secret-key")
        .env("MEDIA_ROOT", dir.path().join("media"))
        .env("DX_DATA_DIR", dir.path())
        .env("CEP_PROVIDER", "offline")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the server binary");
    // Bounded: a server that started anyway is killed and the test fails.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started with DX_SQLITE_SYNCHRONOUS=sometimes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains("DX_SQLITE_SYNCHRONOUS") && stderr.contains("sometimes"),
        "{stderr}"
    );
}
