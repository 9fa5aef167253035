//! Accepted requests, the caller's identity at the integration, and identity-policy decisions.

use std::time::Duration;

use http::Method;
use testkit::signer::{Signing, sign, signed};

use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_requests_reach_the_backend_with_the_callers_identity() {
    let f = Fixture::start().await;
    let r = f.get("/prod/pets?type=dog&page=2", &demo()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = f.upstream.last();
    let user_id = got.headers["x-caller"].to_str().unwrap();
    assert!(user_id.starts_with("AIDA"), "{user_id}");
    assert_eq!(got.headers["x-user"], user_id);
    assert_eq!(
        got.headers["x-user-arn"],
        "arn:aws:iam::123456789012:user/demo"
    );
    assert_eq!(got.headers["x-account"], "123456789012");
    assert_eq!(got.headers["x-access-key"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(got.headers["x-source-ip"], "127.0.0.1");
    assert_eq!(got.uri, "/echo?type=dog&page=2");
    // The signature headers reach the backend as API Gateway forwards them.
    assert!(got.headers.contains_key("authorization"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_covered_by_the_signature() {
    let f = Fixture::start().await;
    let body = r#"{"type":"dog","price":249.99}"#;
    let r = f.call(Method::POST, "/prod/pets", body, &demo()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.upstream.last().body, bytes::Bytes::from(body));

    // Changing one byte of the body after signing is refused with AWS's debugging text.
    let mut request = signed(
        Method::POST,
        &f.server.url("/prod/pets"),
        &[],
        body,
        &demo(),
        &f.signing(),
    );
    *request.body_mut() = http_body_util::Full::new(bytes::Bytes::from(body.replace("249", "149")));
    let r = f.server.client.request(request).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(message.starts_with("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/prod/pets\n"), "{message}");
    assert!(
        message.contains("\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"),
        "{message}"
    );

    // Large bodies (1 MiB) verify; UNSIGNED-PAYLOAD would leave a body outside the signature and
    // is refused unless `server.allow_unsigned_payload` (tests/fail_closed.rs covers the rest).
    let big = "x".repeat(1024 * 1024);
    let r = f.call(Method::POST, "/prod/pets", &big, &demo()).await;
    assert_eq!(r.status, 200);
    assert_eq!(f.upstream.last().body.len(), big.len());
    let mut how = f.signing();
    how.unsigned_payload = true;
    let request = signed(
        Method::POST,
        &f.server.url("/prod/pets"),
        &[],
        "anything",
        &demo(),
        &how,
    );
    let r = f.server.client.request(request).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_urls_and_odd_paths() {
    let f = Fixture::start().await;
    let mut how = f.signing();
    how.presign = Some(Duration::from_secs(300));
    let request = signed(
        Method::GET,
        &f.server.url("/prod/pets?b=2&a=1&a=0"),
        &[],
        "",
        &demo(),
        &how,
    );
    assert!(request.uri().query().unwrap().contains("X-Amz-Signature="));
    let r = f.server.client.request(request).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Encoded characters, unicode and reserved characters in the path and query.
    for path in [
        "/prod/pets/a%20b",
        "/prod/pets/%E2%9C%93",
        "/prod/pets/x@y=z",
        "/prod/pets/1?q=a%2Bb&empty=&flag",
    ] {
        let r = f.get(path, &demo()).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    // An encoded slash is a separator to some backends and not to others: refused.
    let r = f.get("/prod/pets/a%2Fb", &demo()).await;
    assert_eq!(r.status, 400, "{}", r.text());
    // The restapis form and the execute-api host form sign their own paths and hosts.
    let r = f
        .get("/restapis/iamapi0001/prod/_user_request_/pets", &demo())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut request = http::Request::builder()
        .uri(f.server.url("/prod/pets"))
        .header("host", "iamapi0001.execute-api.localhost")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    sign(&mut request, b"", &demo(), &f.signing());
    assert_eq!(f.server.client.request(request).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_requests_sign_the_authority() {
    let f = Fixture::start().await;
    let client = Client::http2();
    let request = signed(
        Method::GET,
        &f.server.url("/prod/pets"),
        &[],
        "",
        &demo(),
        &f.signing(),
    );
    let r = client.request(request).await;
    assert_eq!(
        (r.status.as_u16(), r.version),
        (200, http::Version::HTTP_2),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_policies_decide() {
    let f = Fixture::start().await;
    // ReadPets allows GET /pets* only.
    assert_eq!(f.get("/prod/pets", &reader()).await.status, 200);
    assert_eq!(f.get("/prod/pets/7", &reader()).await.status, 200);
    let r = f.call(Method::POST, "/prod/pets", "{}", &reader()).await;
    assert_denied(
        &r,
        &format!(
            "User: arn:aws:iam::123456789012:user/reader is not authorized to perform: execute-api:Invoke on resource: {} because no identity-based policy allows the execute-api:Invoke action",
            arn("POST", "pets")
        ),
    );
    // An explicit deny beats InvokeAll.
    assert_eq!(f.get("/prod/pets", &denied()).await.status, 200);
    let r = f
        .call(Method::DELETE, "/prod/admin/users/7", "", &denied())
        .await;
    assert_denied(
        &r,
        &format!(
            "User: arn:aws:iam::123456789012:user/denied is not authorized to perform: execute-api:Invoke on resource: {} with an explicit deny",
            arn("DELETE", "admin/users/7")
        ),
    );
    assert_eq!(
        f.call(Method::DELETE, "/prod/admin/users/7", "", &demo())
            .await
            .status,
        200
    );
    // Policy variables: ${aws:username} is the caller's own name.
    assert_eq!(f.get("/prod/users/carol", &carol()).await.status, 200);
    assert_eq!(f.get("/prod/users/dave", &carol()).await.status, 403);
    // A resource policy's explicit deny applies to signed callers too.
    let r = f.get("/prod/blocked", &demo()).await;
    assert_denied(
        &r,
        &format!(
            "User: arn:aws:iam::123456789012:user/demo is not authorized to perform: execute-api:Invoke on resource: {} with an explicit deny",
            arn("GET", "blocked")
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dot_segments_cannot_escape_a_policy() {
    let f = Fixture::start().await;
    // `/pets/../admin/x` has no single meaning (backends resolve it to `/admin/x`, a policy
    // reading the raw path would not): refused before the signature, routing or the policy.
    let mut request = http::Request::builder()
        .method(Method::GET)
        .uri(f.server.url("/prod/pets/../admin/x"))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    sign(&mut request, b"", &denied(), &f.signing());
    let r = f.server.client.request(request).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.header("x-amzn-errortype"), Some("BadRequestException"));
    assert!(f.upstream.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_are_measured_and_logged() {
    let f = Fixture::start().await;
    f.get("/prod/pets", &demo()).await;
    f.call(Method::POST, "/prod/pets", "{}", &reader()).await;
    f.server.get("/prod/pets").await;
    let metrics = Client::http1()
        .get(&f.server.admin_url("/metrics"))
        .await
        .text();
    for needle in [
        r#"portcullis_auth_outcomes_total{api="iamapi0001",stage="prod",auth_type="AWS_IAM",outcome="allow",reason="allowed"} 1"#,
        r#"portcullis_auth_outcomes_total{api="iamapi0001",stage="prod",auth_type="AWS_IAM",outcome="deny",reason="no_identity_allow"} 1"#,
        r#"portcullis_auth_outcomes_total{api="iamapi0001",stage="prod",auth_type="AWS_IAM",outcome="deny",reason="missing_authentication_token"} 1"#,
    ] {
        assert!(metrics.contains(needle), "missing {needle}\n{metrics}");
    }
    // The access log carries the identity and the auth phases' outcomes.
    let mut lines = Vec::new();
    for _ in 0..100 {
        let text =
            std::fs::read_to_string(f.server.ws.path().join("access.log")).unwrap_or_default();
        lines = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect();
        if lines.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["userArn"], "arn:aws:iam::123456789012:user/demo");
    assert_eq!(lines[0]["accessKey"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(lines[0]["authorizeStatus"], "200");
    assert_eq!(lines[1]["authorizeStatus"], "403");
    assert!(
        lines[1]["authorizeError"]
            .as_str()
            .unwrap()
            .contains("user/reader is not authorized")
    );
    assert_eq!(lines[2]["authenticateStatus"], "403");
    assert_eq!(lines[2]["caller"], "-");
    let _ = Signing::execute_api(f.now());
}

/// On an API without a resource policy, the request's own condition keys are built only for
/// identity policies that read them: those still see the source IP and user agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_policy_conditions_see_the_request_without_a_resource_policy() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    ws.write(
        "api.yaml",
        r#"openapi: 3.0.1
info: {title: conditions, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-auth: {type: AWS_IAM}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "${stageVariables.backend}/echo"}
"#,
    );
    let config = format!(
        r#"account_id: "{ACCOUNT}"
apis:
  - id: condapi001
    openapi: api.yaml
    stages: {{prod: {{variables: {{backend: "{}"}}}}}}
iam:
  policies:
    FromLoopbackWithOurAgent:
      Version: "2012-10-17"
      Statement:
        Effect: Allow
        Action: execute-api:Invoke
        Resource: "*"
        Condition:
          IpAddress: {{"aws:SourceIp": "127.0.0.0/8"}}
          StringLike: {{"aws:UserAgent": "allowed/*"}}
  users:
    - name: demo
      access_keys: [{{id: AKIAIOSFODNN7EXAMPLE, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}]
      policies: [FromLoopbackWithOurAgent]
"#,
        upstream.url()
    );
    let server = TestServer::start(ws, &config).await;
    let signing = Signing::execute_api(std::time::SystemTime::now());
    let call = |agent: Option<&'static str>| {
        let headers: Vec<(&str, &str)> = agent.map(|a| ("user-agent", a)).into_iter().collect();
        let request = signed(
            Method::GET,
            &server.url("/prod/pets"),
            &headers,
            "",
            &demo(),
            &signing,
        );
        server.client.request(request)
    };
    let r = call(Some("allowed/1.0")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let denial = format!(
        "User: arn:aws:iam::{ACCOUNT}:user/demo is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:condapi001/prod/GET/pets"
    );
    for agent in [Some("other/1.0"), None] {
        let r = call(agent).await;
        assert_eq!(r.status, 403, "{agent:?}: {}", r.text());
        assert!(
            r.json()["Message"].as_str().unwrap().starts_with(&denial),
            "{}",
            r.text()
        );
    }
}
