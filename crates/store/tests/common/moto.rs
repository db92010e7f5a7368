//! A real S3-compatible server for tests: moto's server mode (`pip install 'moto[server]'`),
//! started on a free port and stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The access key the tests use (moto takes any).
pub const ENV: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
];

/// Starts moto, or says why it cannot and returns `None` — which fails the test under CI,
/// where `.ci/run` installs moto.
pub fn start() -> Option<Moto> {
    let missing = |why: String| {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto is needed under CI (.ci/run installs it): {why}"
        );
        eprintln!(
            "skipped: no S3-compatible server to test against ({why}); pip install 'moto[server]'"
        );
        None
    };
    let probe = Command::new("python3")
        .args(["-c", "import moto.server, flask"])
        .output();
    match probe {
        Err(e) => return missing(format!("python3: {e}")),
        Ok(o) if !o.status.success() => {
            return missing(String::from_utf8_lossy(&o.stderr).trim().to_string())
        }
        Ok(_) => {}
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            return missing(format!("moto.server exited: {status}"));
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "moto did not start listening"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    })
}

impl Moto {
    /// Creates a bucket (moto accepts unsigned requests).
    pub fn create_bucket(&self, bucket: &str) {
        let resp = ureq::put(&format!("{}/{bucket}", self.endpoint))
            .send_empty()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }

    /// Uploads `file` as `bucket/key`.
    pub fn put(&self, bucket: &str, key: &str, file: &Path) {
        let body = std::fs::read(file).unwrap();
        let resp = ureq::put(&format!("{}/{bucket}/{key}", self.endpoint))
            .send(&body[..])
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
}
