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
