//! Request size limits and connection hygiene: 413, 414, 431, header-read and idle timeouts.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn proxy_server(extra: &str) -> (TestServer, Upstream) {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = format!(
        "{}{extra}",
        single_api(
            &ws,
            PROXY_ALL,
            &format!("{{backend: \"{}\"}}", upstream.url())
        )
    );
    (TestServer::start(ws, &config).await, upstream)
}

/// Reads whatever the server sends until it closes the connection (bounded).
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the connection open for {limit:?}"),
        }
    }
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_oversized_payload_is_refused_before_reading_it() {
    let (server, upstream) = proxy_server("").await;
    let mut s = TcpStream::connect(server.edge).await.unwrap();
    s.write_all(b"POST /prod/big HTTP/1.1\r\nhost: x\r\ncontent-length: 10485761\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let (response, _) = read_to_close(&mut s, Duration::from_secs(10)).await;
    assert!(status_line(&response).contains("413"), "{response}");
    assert!(
        response.contains("x-amzn-errortype: RequestTooLargeException"),
        "{response}"
    );
    assert!(
        response.contains(r#"{"message":"Request Too Long"}"#),
        "{response}"
    );
    assert!(upstream.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_oversized_payload_is_cut_off() {
    let (server, _upstream) = proxy_server("").await;
    let mut s = TcpStream::connect(server.edge).await.unwrap();
    s.write_all(b"POST /prod/big HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    let mut sent = 0;
    for _ in 0..11 {
        let head = format!("{:x}\r\n", chunk.len());
        if s.write_all(head.as_bytes()).await.is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
        sent += 1;
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    assert!(sent >= 10, "the gateway read at least the allowed 10 MB");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    let response = String::from_utf8_lossy(&buf[..n]);
    assert!(status_line(&response).contains("413"), "{response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_urls_and_header_blocks_are_refused() {
    let (server, upstream) = proxy_server("").await;
    let long = format!("/prod/{}", "a".repeat(9000));
    assert_error(
        &server.get(&long).await,
        414,
        "UriTooLongException",
        "Request-URI Too Long",
    );
    let big = "b".repeat(11_000);
    let r = server
        .client
        .send(
            http::Method::GET,
            &server.url("/prod/x"),
            &[("x-big", &big)],
            "",
        )
        .await;
    assert_error(
        &r,
        431,
        "RequestHeaderFieldsTooLargeException",
        "Request Header Fields Too Large",
    );
    assert!(upstream.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_request_heads_are_cut_off() {
    let (server, _upstream) =
        proxy_server("server: {header_read_timeout: 300ms, idle_timeout: 5s}\n").await;
    let mut s = TcpStream::connect(server.edge).await.unwrap();
    // Half a request line, then nothing.
    s.write_all(b"GET /prod/x HT").await.unwrap();
    let (_, waited) = read_to_close(&mut s, Duration::from_secs(5)).await;
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let (server, _upstream) =
        proxy_server("server: {header_read_timeout: 5s, idle_timeout: 400ms}\n").await;
    let mut s = TcpStream::connect(server.edge).await.unwrap();
    s.write_all(b"GET /prod/x HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // The connection stays open (keep-alive) until it has been idle for the timeout.
    let (_, waited) = read_to_close(&mut s, Duration::from_secs(5)).await;
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
}

/// Past `server.max_concurrent_requests`, a request is shed at once with API Gateway's throttle
/// answer and never reaches the backend; the admitted ones finish, and the place is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_admission_limit_are_shed_at_once() {
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let held = gate.clone();
    let upstream = Upstream::start(move |_r| {
        let held = held.clone();
        async move {
            // Each request waits for one permit: the test decides when they finish.
            held.acquire().await.unwrap().forget();
            http::Response::new(http_body_util::Full::new(bytes::Bytes::from("ok")))
        }
    })
    .await;
    let ws = Workspace::new();
    let config = format!(
        "{}server: {{max_concurrent_requests: 2}}\n",
        single_api(
            &ws,
            PROXY_ALL,
            &format!("{{backend: \"{}\"}}", upstream.url())
        )
    );
    let server = TestServer::start(ws, &config).await;
    let in_flight: Vec<_> = (0..2)
        .map(|i| {
            let (client, url) = (
                server.client.clone(),
                server.url(&format!("/prod/held/{i}")),
            );
            tokio::spawn(async move { client.get(&url).await })
        })
        .collect();
    // Both admitted requests reach the backend (bounded wait).
    for _ in 0..500 {
        if upstream.requests().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(upstream.requests().len(), 2);

    let shed = tokio::time::timeout(Duration::from_secs(5), server.get("/prod/third"))
        .await
        .expect("the shed request is answered at once, not queued");
    assert_error(&shed, 429, "TooManyRequestsException", "Too Many Requests");
    assert_eq!(
        upstream.requests().len(),
        2,
        "a shed request never reaches the backend"
    );

    gate.add_permits(2);
    for request in in_flight {
        let done = request.await.unwrap();
        assert_eq!((done.status.as_u16(), done.text().as_str()), (200, "ok"));
    }
    gate.add_permits(1);
    assert_eq!(
        server.get("/prod/after").await.status,
        200,
        "the places are free again"
    );

    let metrics = Client::http1()
        .get(&server.admin_url("/metrics"))
        .await
        .text();
    assert!(
        metrics.contains("portcullis_requests_shed_total 1"),
        "{metrics}"
    );
}
