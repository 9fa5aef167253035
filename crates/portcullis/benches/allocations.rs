//! Heap allocations per request through the real server (issue 9's allocation counter).
//!
//! Allocation counts do not depend on machine load, so unlike the throughput benches this one
//! gives the same answer on a busy 2-core machine as on a quiet one. The gateway runs in this
//! process with one edge worker; a counting global allocator sees every thread. The client and
//! the upstream are written on `std::net` with fixed buffers and allocate nothing per request,
//! so what the counter adds up over a run, divided by its requests, is the gateway's own cost.
//! Each path is warmed first (connection pools, caches, lazily built state), then measured.
//!
//! `cargo bench -p portcullis --bench allocations` prints, per path, allocations and bytes
//! allocated per request.

use std::alloc::System;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

// `stats_alloc` wraps the system allocator with atomic counters (the workspace forbids the
// `unsafe` a hand-written counting allocator would need).
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const WARM_UP: u32 = 2_000;
const MEASURED: u32 = 20_000;

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: allocations, version: "1"}
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/{proxy}"
  /mock:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: "ok"}}}
"#;

/// An upstream answering every request on a connection with the same 3-byte body, with no
/// allocation per request: a fixed read buffer, a static answer.
fn upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the upstream");
    let addr = listener.local_addr().expect("upstream address");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                let mut filled = 0;
                loop {
                    match conn.read(&mut buf[filled..]) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => filled += n,
                    }
                    // Requests carry no body here: each ends at its blank line.
                    while let Some(end) = find(&buf[..filled], b"\r\n\r\n") {
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-type: text/plain\r\n\r\nok\n";
                        if conn.write_all(answer).is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                }
            });
        }
    });
    addr
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `content-length` of a response head, read without allocating.
fn content_length(head: &[u8]) -> usize {
    let mut rest = head;
    while let Some(end) = find(rest, b"\r\n") {
        let line = &rest[..end];
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            let digits = line[15..].iter().filter(|b| b.is_ascii_digit());
            return digits.fold(0, |n, d| n * 10 + usize::from(d - b'0'));
        }
        rest = &rest[end + 2..];
    }
    0
}

/// Sends `count` keep-alive requests and reads each whole answer, checking its status.
fn run(conn: &mut TcpStream, request: &[u8], count: u32, buf: &mut [u8]) {
    let mut filled = 0;
    for _ in 0..count {
        conn.write_all(request).expect("send");
        let (head_end, length) = loop {
            if let Some(end) = find(&buf[..filled], b"\r\n\r\n") {
                break (end + 4, content_length(&buf[..end + 2]));
            }
            let n = conn.read(&mut buf[filled..]).expect("read");
            assert!(n > 0, "the gateway closed the connection");
            filled += n;
        };
        assert!(buf.starts_with(b"HTTP/1.1 200"), "not a 200");
        while filled < head_end + length {
            let n = conn.read(&mut buf[filled..]).expect("read");
            assert!(n > 0, "the gateway closed the connection");
            filled += n;
        }
        buf.copy_within(head_end + length..filled, 0);
        filled -= head_end + length;
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter, when given, names the paths to run.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let upstream = upstream();
    let dir = std::env::temp_dir().join(format!("portcullis-allocations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("api.yaml"), OPENAPI).expect("write the API");
    let config = format!(
        r#"region: us-east-1
account_id: "123456789012"
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
storage: "sqlite::memory:"
server: {{worker_threads: 1}}
account_throttle: {{rate_limit: 100000000, burst_limit: 100000000}}
apis:
  - id: alloc00001
    openapi: api.yaml
    stages:
      prod:
        variables: {{backend: "http://{upstream}"}}
"#
    );
    std::fs::write(dir.join("portcullis.yaml"), config).expect("write the config");
    let config = config::load(&dir.join("portcullis.yaml")).expect("the config loads");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let running = runtime
        .block_on(portcullis::start(
            config,
            portcullis::StartOptions::default(),
        ))
        .expect("the gateway starts");
    let edge = running.edge;

    let paths = [("mock", "/prod/mock"), ("http_proxy", "/prod/items/42")];
    println!("path         allocations/request  bytes/request");
    let mut buf = vec![0u8; 64 * 1024];
    for (name, path) in paths {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let request = format!(
            "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nuser-agent: allocations\r\naccept: */*\r\n\r\n"
        );
        let mut conn = TcpStream::connect(edge).expect("connect");
        conn.set_nodelay(true).expect("nodelay");
        run(&mut conn, request.as_bytes(), WARM_UP, &mut buf);
        let region = Region::new(GLOBAL);
        run(&mut conn, request.as_bytes(), MEASURED, &mut buf);
        let change = region.change();
        // A reallocation is counted as an allocation: it may move the block.
        let allocations = change.allocations + change.reallocations;
        let bytes = change.bytes_allocated + change.bytes_reallocated.max(0) as usize;
        println!(
            "{name:<12} {:>19.1}  {:>13.0}",
            allocations as f64 / f64::from(MEASURED),
            bytes as f64 / f64::from(MEASURED)
        );
    }
    runtime.block_on(async {
        let _ = running.stop().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}
