//! Each pipeline phase runs in its own `tracing` span under a per-request span.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use gateway::clock::SystemClock;
use gateway::pipeline::{ConnInfo, handle_parts, integrate::RequestBody};
use http_body_util::BodyExt;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn phases_have_spans() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("api.yaml"),
        "openapi: 3.0.1\npaths:\n  /x:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n        responses: {default: {statusCode: \"200\"}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("portcullis.yaml"),
        "apis:\n  - id: spans00001\n    openapi: api.yaml\n    stages: {prod: {}}\n",
    )
    .unwrap();
    let config = config::load(&dir.path().join("portcullis.yaml")).unwrap();

    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let store = store::SqliteStore::memory().await.unwrap().into_stores();
            let gw = Arc::new(
                gateway::Services::new(
                    &config,
                    store,
                    Arc::new(telemetry::Metrics::new()),
                    Arc::new(SystemClock),
                    telemetry::Sinks::new(),
                )
                .unwrap(),
            );
            let parts = http::Request::get("/prod/x")
                .body(())
                .unwrap()
                .into_parts()
                .0;
            let conn = ConnInfo::new(
                "127.0.0.1:1".parse().unwrap(),
                "127.0.0.1:2".parse().unwrap(),
                false,
            );
            let response =
                handle_parts(gw, conn, parts, RequestBody::Buffered(Default::default())).await;
            assert_eq!(response.status(), 200);
            let _ = response.into_body().collect().await;
        });
    });
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    for phase in [
        "limits",
        "route",
        "authenticate",
        "authorize",
        "integrate",
        "respond",
        "log",
    ] {
        assert!(
            text.lines().any(|l| {
                (l.contains(&format!(":{phase}: ")) || l.contains(&format!(" {phase}{{")))
                    && l.contains(" close ")
            }),
            "no closed span for {phase}:\n{text}"
        );
    }
    assert!(text.contains("request{request_id="), "{text}");
}
