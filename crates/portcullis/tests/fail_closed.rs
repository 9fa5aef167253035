//! Regression tests for the fail-open classes found by attacking a running gateway: each sends the
//! request an attacker sent, checks API Gateway's refusal, and counts backend hits to prove the
//! request never reached the backend. Requests are signed by AWS's own `aws-sigv4` crate.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

use common::*;
use http::Method;
use testkit::signer::{Key, Signing, signed};

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: canonical, version: "1"}
paths:
  /public/{proxy+}:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: &proxy
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/public/{proxy}"
  /admin/{proxy+}:
    x-amazon-apigateway-any-method:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/admin/{proxy}"
  /items/{id}:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: &items
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/items/{id}"
    delete:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *items
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration: *items
  /open:
    post:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: "${stageVariables.backend}/open"
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
"#;

fn config(backend: &str, server: &str) -> String {
    format!(
        r#"region: us-east-1
account_id: "123456789012"
{server}
apis:
  - id: canon00001
    openapi: api.yaml
    stages:
      prod:
        variables: {{backend: "{backend}"}}
        access_log:
          destination: access.log
          format: '$context.requestId $context.status $context.error.message $context.authenticate.error'
      dev:
        variables: {{backend: "{backend}"}}
iam:
  policies:
    PublicOnly: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/prod/GET/public/*"}}]}}
    AllButAdminAndDelete:
      Version: "2012-10-17"
      Statement:
        - {{Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}}
        - {{Effect: Deny, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/*/admin/*"}}
        - {{Effect: Deny, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/DELETE/*"}}
    Assume: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}}]}}
  users:
    - name: pub
      access_keys: [{{id: AKIAPUBLIC0000000001, secret: "public-secret-0000000000000000000000000"}}]
      policies: [PublicOnly]
    - name: ops
      access_keys: [{{id: AKIAOPS0000000000001, secret: "ops-secret-000000000000000000000000000"}}]
      policies: [AllButAdminAndDelete, Assume]
  roles:
    - name: Ops
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::123456789012:user/ops"}}, Action: "sts:AssumeRole"}}]}}
      policies: [AllButAdminAndDelete]
"#
    )
}

fn public_only() -> Key {
    Key::new(
        "AKIAPUBLIC0000000001",
        "public-secret-0000000000000000000000000",
    )
}

fn ops() -> Key {
    Key::new(
        "AKIAOPS0000000000001",
        "ops-secret-000000000000000000000000000",
    )
}

struct Fixture {
    server: TestServer,
    upstream: Upstream,
}

impl Fixture {
    async fn start() -> Fixture {
        Fixture::start_with("").await
    }

    async fn start_with(server: &str) -> Fixture {
        let upstream = Upstream::echo().await;
        let ws = Workspace::new();
        ws.write("api.yaml", OPENAPI);
        let server = TestServer::start(ws, &config(&upstream.url(), server)).await;
        Fixture { server, upstream }
    }

    fn signing() -> Signing {
        Signing::execute_api(SystemTime::now())
    }

    async fn call(&self, method: Method, path: &str, body: &str, key: &Key) -> TestResponse {
        let request = signed(
            method,
            &self.server.url(path),
            &[],
            body,
            key,
            &Self::signing(),
        );
        self.server.client.request(request).await
    }

    fn hits(&self) -> usize {
        self.upstream.requests().len()
    }
}

fn assert_invalid_path(r: &TestResponse) {
    assert_eq!(r.status.as_u16(), 400, "{}", r.text());
    assert_eq!(r.header("x-amzn-errortype"), Some("BadRequestException"));
    let message = r.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(message.starts_with("Invalid request path"), "{message}");
}

fn assert_denied(r: &TestResponse, arn_tail: &str) {
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    let message = r.json()["Message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.contains(&format!("{arn_tail} ")) || message.ends_with(arn_tail),
        "{message} should name {arn_tail}"
    );
}

/// Class 2: a presigned URL for `/prod/public/report`, replayed with a path that normalizes to
/// the signed one but routes elsewhere, or names another stage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signature_pins_the_routed_path() {
    let f = Fixture::start().await;
    let how = Signing {
        presign: Some(Duration::from_secs(300)),
        ..Fixture::signing()
    };
    let request = signed(
        Method::GET,
        &f.server.url("/prod/public/report"),
        &[],
        "",
        &public_only(),
        &how,
    );
    let presigned = request.uri().to_string();
    let query = presigned.split_once('?').unwrap().1.to_string();

    let r = f.server.get(&format!("/prod/public/report?{query}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        f.upstream.last().uri.split('?').next(),
        Some("/public/report")
    );
    assert_eq!(f.hits(), 1);

    for replay in [
        "/prod/admin//../public/report",
        "/prod/admin/../public/report",
        "/dev/../prod/public/report",
        "/prod/./public/report",
        "/prod//public/report",
        "/prod/public/report/",
        "/prod/public//report",
    ] {
        let r = f.server.get(&format!("{replay}?{query}")).await;
        assert!(
            r.status == 400 || r.status == 403,
            "{replay}: {} {}",
            r.status,
            r.text()
        );
    }
    assert_eq!(f.hits(), 1, "no replay reached the backend");

    // Refused as ambiguous before any signature is looked at.
    assert_invalid_path(&f.server.get("/prod/admin//../public/report").await);
    assert_invalid_path(&f.server.get("/dev/../prod/public/report").await);
}

/// Class 3: percent-encoded unreserved characters are decoded before routing and the ARN, and an
/// encoded dot segment is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoded_unreserved_characters_are_decoded() {
    let f = Fixture::start().await;
    // Allowed only /public/*: an encoded `..` would walk out of it.
    let r = f
        .call(
            Method::GET,
            "/prod/public/%2e%2e/admin/x",
            "",
            &public_only(),
        )
        .await;
    assert_invalid_path(&r);
    let r = f
        .call(Method::GET, "/prod/public/%2E./admin/x", "", &public_only())
        .await;
    assert_invalid_path(&r);
    // Denied /admin/*: `%61dmin` is `admin`.
    let r = f.call(Method::GET, "/prod/%61dmin/x", "", &ops()).await;
    assert_denied(&r, "/prod/GET/admin/x");
    // An encoded slash could split a segment for the backend and not for the policy.
    let r = f.call(Method::GET, "/prod/admin%2fx", "", &ops()).await;
    assert_invalid_path(&r);
    assert_eq!(f.hits(), 0);

    // What is served is authorized, logged and forwarded in the decoded form.
    let r = f
        .call(Method::GET, "/prod/%70ublic/%7Ea%20b", "", &public_only())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.upstream.last().uri, "/public/~a%20b");
}

/// Class 4: `//` does not slip past a method-scoped deny.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_segments_are_refused() {
    let f = Fixture::start().await;
    for path in ["/prod//admin/x", "/prod/admin//x", "//prod/admin/x"] {
        let r = f.call(Method::GET, path, "", &ops()).await;
        assert_invalid_path(&r);
    }
    let r = f.call(Method::GET, "/prod/admin/x", "", &ops()).await;
    assert_denied(&r, "/prod/GET/admin/x");
    assert_eq!(f.hits(), 0);
}

/// Class 5: a method API Gateway does not know is refused before routing, never matched to ANY,
/// and ARNs name the canonical upper-case verb.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_seven_methods_route() {
    let f = Fixture::start().await;
    let lower = Method::from_bytes(b"delete").unwrap();
    let r = f.call(lower, "/prod/items/1", "", &ops()).await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    let r = f.call(Method::DELETE, "/prod/items/1", "", &ops()).await;
    assert_denied(&r, "/prod/DELETE/items/1");
    for method in ["post", "Post", "FOO", "PROPFIND", "CONNECTX"] {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = f
            .server
            .client
            .send(m, &f.server.url("/prod/items/1"), &[], "x")
            .await;
        assert_error(
            &r,
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    }
    // Unsigned POST is an IAM method: refused; the open ANY serves GET.
    let r = f
        .server
        .client
        .send(Method::POST, &f.server.url("/prod/items/1"), &[], "x")
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(f.hits(), 0);
    assert_eq!(f.server.get("/prod/items/1").await.status, 200);
    assert_eq!(f.hits(), 1);
}

/// Sends a request head declaring 100 bytes of body and only 10 of them; returns what the
/// server answered and whether it then closed the connection. Bounded: gives up after 10 s.
fn trickle(addr: std::net::SocketAddr, head: &str) -> (String, bool) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(b"0123456789").unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&answer).into_owned(), closed)
}

/// The request line and headers of `request`, declaring a 100-byte body.
fn head_of(request: &http::Request<http_body_util::Full<bytes::Bytes>>) -> String {
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method(), request.uri().path());
    for (name, value) in request.headers() {
        head.push_str(&format!("{}: {}\r\n", name, value.to_str().unwrap()));
    }
    head.push_str("content-length: 100\r\n\r\n");
    head
}

/// Class 6: a body that never arrives whole is cut off at `server.body_read_timeout`, on an IAM
/// method (whose body is read before the signature), on STS, and on a streaming proxy route; the
/// connection is freed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_have_a_deadline() {
    let f = Fixture::start_with("server: {body_read_timeout: 300ms, idle_timeout: 60s}").await;
    let addr = f.server.edge;
    // Valid-looking SigV4 headers (access-key ids are not secret) for a 100-byte body.
    let body = "x".repeat(100);
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let iam = signed(
        Method::POST,
        &f.server.url("/prod/items/1"),
        &form,
        &body,
        &ops(),
        &Fixture::signing(),
    );
    let sts_signing = Signing {
        service: "sts".to_string(),
        ..Fixture::signing()
    };
    let sts = signed(
        Method::POST,
        &f.server.url("/"),
        &form,
        &body,
        &ops(),
        &sts_signing,
    );
    let open = http::Request::post(f.server.url("/prod/open"))
        .header("host", "localhost")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    for (what, request, answer_has) in [
        ("iam", iam, "Request Timeout"),
        ("sts", sts, "<Code>RequestTimeout</Code>"),
        ("proxy", open, "Request Timeout"),
    ] {
        let head = head_of(&request);
        let (answer, closed) = tokio::task::spawn_blocking(move || trickle(addr, &head))
            .await
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{what}: {answer}");
        assert!(answer.contains(answer_has), "{what}: {answer}");
        assert!(closed, "{what}: the connection is closed");
    }
    // The IAM method never reached the backend; the open proxy route did (it streams the body
    // and was cut off mid-way), and nothing was served.
    assert!(
        f.upstream
            .requests()
            .iter()
            .all(|r| r.uri.starts_with("/open"))
    );
}

/// Class 7: the payload hash comes from the body received; `x-amz-content-sha256` is only
/// compared, and `UNSIGNED-PAYLOAD` does not leave a body outside the signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_is_always_signed() {
    let f = Fixture::start().await;
    let url = f.server.url("/prod/items/1");
    // A declared hash that does not match the body sent.
    let mut request = signed(
        Method::POST,
        &url,
        &[(
            "x-amz-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )],
        "",
        &ops(),
        &Fixture::signing(),
    );
    *request.body_mut() = http_body_util::Full::new(bytes::Bytes::from_static(b"tampered"));
    let r = f.server.client.request(request).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
    assert!(
        r.text()
            .contains("The request signature we calculated does not match"),
        "{}",
        r.text()
    );

    let unsigned = Signing {
        unsigned_payload: true,
        ..Fixture::signing()
    };
    let request = signed(Method::POST, &url, &[], "a body", &ops(), &unsigned);
    let r = f.server.client.request(request).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
    assert_eq!(f.hits(), 0);

    // With no body, an unsigned payload signs everything that was sent.
    let request = signed(Method::POST, &url, &[], "", &ops(), &unsigned);
    let r = f.server.client.request(request).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A correct declared hash is fine.
    let r = f.call(Method::POST, "/prod/items/1", "hello", &ops()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.hits(), 2);
}

async fn wait_for_lines(ws: &Workspace, name: &str, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(ws.path().join(name)).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the access log did not get {n} lines");
}

/// Classes 8 and 9: a signature mismatch with temporary credentials echoes the session token to
/// the client (as AWS does) but never to the access log, and a multi-line message is one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_stay_out_of_logs_and_lines_stay_whole() {
    let f = Fixture::start().await;
    let sts = testkit::aws::sts_client(&f.server.url(""), "us-east-1", &ops());
    let out = sts
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/Ops")
        .role_session_name("session")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let creds = out.credentials().unwrap();
    let token = creds.session_token().to_string();
    let wrong = Key::new(creds.access_key_id(), "not-the-secret").with_token(&token);
    let r = f.call(Method::POST, "/prod/items/1", "", &wrong).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("x-amz-security-token:"), "{}", r.text());

    let presigned = Signing {
        presign: Some(Duration::from_secs(60)),
        ..Fixture::signing()
    };
    let request = signed(
        Method::POST,
        &f.server.url("/prod/items/1"),
        &[],
        "",
        &wrong,
        &presigned,
    );
    let r = f.server.client.request(request).await;
    assert_eq!(r.status, 403, "{}", r.text());

    let lines = wait_for_lines(&f.server.ws, "access.log", 2).await;
    assert_eq!(lines.len(), 2, "one line per request: {lines:#?}");
    let log = lines.join("\n");
    assert!(log.contains("<redacted>"), "{log}");
    let encoded_token = token
        .replace('/', "%2F")
        .replace('+', "%2B")
        .replace('=', "%3D");
    assert!(
        !log.contains(&token),
        "the session token reached the log: {log}"
    );
    assert!(
        !log.contains(&encoded_token),
        "the session token reached the log: {log}"
    );
    assert!(log.contains("\\n"), "newlines are escaped: {log}");
}
