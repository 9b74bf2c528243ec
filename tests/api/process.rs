//! The `viesti` binary as an operator starts and stops it.
use crate::helpers::{Backend, TEST_ENCRYPTION_KEY, fresh_database};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn viesti() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_viesti"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

#[test]
fn a_malformed_variable_stops_start_up_with_one_line_naming_it() {
    let output = viesti()
        .arg("serve")
        .env("VIESTI_ENCRYPTION_KEY", "dG9vIHNob3J0")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("configuration error: VIESTI_ENCRYPTION_KEY"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("dG9vIHNob3J0"),
        "the value is never echoed"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// True once the server at `port` answers `/healthz` with 200.
fn serving(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.starts_with("HTTP/1.1 200")
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_then_exits_cleanly() {
    let dir = tempfile::tempdir().expect("dir");
    let database_url = fresh_database(Backend::Sqlite, dir.path()).await;
    let port = free_port();
    let mut child = viesti()
        .arg("serve")
        .env("VIESTI_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
        .env("DATABASE_URL", &database_url)
        .env("VIESTI_DATA_DIR", dir.path())
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");

    // The port is bound before the database is migrated: wait until the server answers.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !serving(port) {
        assert!(Instant::now() < deadline, "server never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    // A request whose body is still arriving when the signal comes.
    let body = "email=nobody%40example.com&password=whatever1234";
    write!(
        stream,
        "POST /api/sign_in HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .expect("write head");
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    stream
        .write_all(&body.as_bytes()[10..])
        .expect("write rest");

    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(
        response.starts_with("HTTP/1.1 422"),
        "in-flight request answered: {response}"
    );

    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit, got {status}");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no longer listening"
    );
}
