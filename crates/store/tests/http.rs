//! An HTTP symbol server started by the test (tiny_http) serving a unified-layout folder, with
//! routes that fail once, answer late, or want an auth header.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use kpanic_store::{has_uuid, Header, Layout, StoreOptions, StoreSpec, SymbolStores};

const TOKEN: &str = "Bearer s3cret-token";

/// A running server: its base URL and every request it got, as "route key -> status".
struct Server {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: PathBuf) -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (srv, lg) = (server.clone(), log.clone());
        std::thread::spawn(move || {
            for req in srv.incoming_requests() {
                let (root, lg) = (root.clone(), lg.clone());
                // One thread per request: a slow answer does not hold up the others.
                std::thread::spawn(move || answer(req, &root, &lg));
            }
        });
        Server {
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn answer(req: tiny_http::Request, root: &Path, log: &Mutex<Vec<String>>) {
    let url = req.url().trim_start_matches('/').to_string();
    let (route, key) = url.split_once('/').unwrap_or((&url, ""));
    let file = root.join(key);
    let status = match route {
        "flaky" => {
            let seen = log
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.starts_with(&format!("flaky {key} ")));
            if seen {
                200
            } else {
                500
            }
        }
        "slow" => {
            std::thread::sleep(Duration::from_secs(3));
            200
        }
        "auth" => {
            let ok = req
                .headers()
                .iter()
                .any(|h| h.field.equiv("Authorization") && h.value.as_str() == TOKEN);
            if ok {
                200
            } else {
                401
            }
        }
        _ => 200,
    };
    let status = if status == 200 && !file.is_file() {
        404
    } else {
        status
    };
    log.lock().unwrap().push(format!("{route} {key} {status}"));
    let _ = if status == 200 {
        req.respond(tiny_http::Response::from_file(
            std::fs::File::open(&file).unwrap(),
        ))
    } else {
        req.respond(tiny_http::Response::empty(status))
    };
}

/// A unified-layout folder with the kext's and the dylib's dSYMs, served.
fn served() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    layout_folder(&root, Layout::Unified, &["fxdriver.kext", "libfx.dylib"]);
    let server = Server::start(root);
    (dir, server)
}

fn store(url: &str, headers: Vec<Header>, opts: &StoreOptions) -> SymbolStores {
    let mut spec = StoreSpec::parse(url).unwrap();
    spec.headers = headers;
    SymbolStores::new(&[spec], opts)
}

#[test]
fn downloads_into_the_cache_and_remembers_absence() {
    let (dir, server) = served();
    let opts = options(&dir.path().join("cache"));
    let url = format!("{}/plain", server.base);
    let (_, _, kext) = dsym("fxdriver.kext");
    let (_, _, absent) = dsym("fxexec");

    let s = store(&url, vec![], &opts);
    let found = s.find(kext).unwrap();
    assert!(found.starts_with(&opts.cache_dir), "{found:?}");
    assert!(has_uuid(&found, kext));
    assert_eq!(s.find(absent), None);
    assert!(s.take_warnings().is_empty());
    let asked = server.log().len();
    // The unified debug file was found first; the absent UUID was asked under each key.
    assert_eq!(server.log()[0], format!("plain {} 200", unified(kext)));
    assert_eq!(
        asked,
        1 + kpanic_store::keys(absent).len(),
        "{:?}",
        server.log()
    );

    // A later run: both answers come from the cache, without a request.
    let again = store(&url, vec![], &opts);
    assert_eq!(again.find(kext), Some(found));
    assert_eq!(again.find(absent), None);
    assert_eq!(server.log().len(), asked, "{:?}", server.log());
}

#[test]
fn a_server_error_is_retried() {
    let (dir, server) = served();
    let opts = options(&dir.path().join("cache"));
    let (_, _, kext) = dsym("fxdriver.kext");
    let s = store(&format!("{}/flaky", server.base), vec![], &opts);
    let found = s.find(kext).unwrap();
    assert!(has_uuid(&found, kext));
    let key = unified(kext);
    assert_eq!(
        server.log(),
        [format!("flaky {key} 500"), format!("flaky {key} 200")]
    );
    assert!(s.take_warnings().is_empty());
}

#[test]
fn a_slow_server_times_out_once_per_run() {
    let (dir, server) = served();
    let opts = StoreOptions {
        retries: 0,
        ..options(&dir.path().join("cache"))
    };
    let (_, _, kext) = dsym("fxdriver.kext");
    let (_, _, lib) = dsym("libfx.dylib");
    let s = store(&format!("{}/slow", server.base), vec![], &opts);
    assert_eq!(s.find(kext), None);
    // Not asked again in this run: one timeout, not one per image.
    assert_eq!(s.find(lib), None);
    let w = s.take_warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("cannot be reached"), "{w:?}");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(server.log().len(), 1, "{:?}", server.log());
}

#[test]
fn auth_header_is_sent_and_never_shown() {
    let (dir, server) = served();
    let opts = options(&dir.path().join("cache"));
    let (_, _, kext) = dsym("fxdriver.kext");
    let url = format!("{}/auth", server.base);

    let wrong = Header::parse("Authorization: Bearer wrong-token").unwrap();
    let s = store(&url, vec![wrong], &opts);
    assert_eq!(s.find(kext), None);
    let w = s.take_warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("access refused (HTTP 401)"), "{w:?}");
    assert!(!w[0].contains("wrong-token"), "{w:?}");
    assert!(!format!("{s:?}").contains("wrong-token"));

    let right = Header::parse(&format!("Authorization: {TOKEN}")).unwrap();
    let s = store(&url, vec![right], &opts);
    assert!(has_uuid(&s.find(kext).unwrap(), kext));
}

#[test]
fn the_cache_keeps_to_its_limit() {
    let (dir, server) = served();
    let (_, kext_dwarf, kext) = dsym("fxdriver.kext");
    let (_, _, lib) = dsym("libfx.dylib");
    let opts = StoreOptions {
        // Room for one of the two files.
        cache_limit: std::fs::metadata(&kext_dwarf).unwrap().len() + 16,
        ..options(&dir.path().join("cache"))
    };
    let s = store(&format!("{}/plain", server.base), vec![], &opts);
    let first = s.find(kext).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let second = s.find(lib).unwrap();
    assert!(second.is_file());
    assert!(!first.exists(), "the least recently used file goes");
}
