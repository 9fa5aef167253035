//! Arbitrary request heads through the edge dispatcher's protocol classification and the whole
//! pipeline (limits, routing, parameter mappings, mock integrations, gateway response templates):
//! every input gets a response, never a panic; and
//! for every routed request the canonical-path invariant holds: the path the `execute-api` ARN
//! names = the path routed = the path forwarded, and that path is canonical.
#![no_main]

use std::sync::{Arc, OnceLock};

use gateway::Services;
use gateway::pipeline::{ConnInfo, handle_parts, integrate::RequestBody};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: fuzz, version: "1"}
paths:
  /fwd/{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "http://127.0.0.1:9/fwd/{proxy}"
  /items/{id}:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          "2\\d{2}":
            statusCode: "200"
            responseParameters:
              method.response.header.x-id: context.requestId
            responseTemplates: {application/json: '{"path":"$context.path","ua":"$context.identity.userAgent"}'}
  /{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 404}'}
        responses: {default: {statusCode: "404"}}
x-amazon-apigateway-gateway-responses:
  MISSING_AUTHENTICATION_TOKEN:
    responseParameters:
      gatewayresponse.header.x-q: method.request.querystring.q
      gatewayresponse.header.x-h: method.request.header.x-h
      gatewayresponse.header.x-p: method.request.path.id
    responseTemplates:
      application/json: '{"m":$context.error.messageString,"p":"$context.path"}'
"#;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    gateway: Arc<Services>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("portcullis-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("api.yaml"), OPENAPI).expect("write");
        std::fs::write(
            dir.join("portcullis.yaml"),
            "storage: \"sqlite::memory:\"\napis:\n  - id: fuzz000001\n    openapi: api.yaml\n    stages: {prod: {}}\n",
        )
        .expect("write");
        let config = config::load(&dir.join("portcullis.yaml")).expect("the fixture loads");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let gateway = Arc::new(
            runtime
                .block_on(gateway::pipeline::probe::gateway(&config))
                .expect("gateway"),
        );
        Fixture { runtime, gateway }
    })
}

fuzz_target!(|data: &[u8]| {
    // Input: METHOD \n URI \n (header-name: value \n)*
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let (Some(method), Some(uri)) = (lines.next(), lines.next()) else {
        return;
    };
    let mut builder = http::Request::builder().method(method).uri(uri);
    for line in lines.take(32) {
        if let Some((name, value)) = line.split_once(':') {
            builder = builder.header(name.trim(), value.trim());
        }
    }
    let Ok(request) = builder.body(()) else {
        return;
    };
    // The edge dispatcher reads the same untrusted head first (protocol, credential scope).
    let _ = gateway::aws::protocol(&request);
    let (parts, ()) = request.into_parts();
    let fixture = fixture();
    if let Ok(p) = gateway::pipeline::probe::probe(&fixture.gateway, &parts) {
        let routed = p.routed_path.as_str();
        assert_eq!(router::canonicalize(routed).as_deref(), Ok(routed));
        let tail = routed.strip_prefix('/').unwrap_or(routed);
        assert!(
            p.arn
                .ends_with(&format!("/{}/{tail}", parts.method.as_str())),
            "{} vs {routed}",
            p.arn
        );
        if let Some(forwarded) = &p.forwarded {
            assert_eq!(forwarded.path(), routed);
        }
    }
    let conn = ConnInfo::new(
        "127.0.0.1:1".parse().expect("addr"),
        "127.0.0.1:2".parse().expect("addr"),
        false,
    );
    fixture.runtime.block_on(async {
        let response = handle_parts(
            fixture.gateway.clone(),
            conn,
            parts,
            RequestBody::Buffered(Default::default()),
        )
        .await;
        assert!(response.headers().contains_key("x-amzn-requestid"));
        let _ = response.into_body().collect().await;
    });
});
