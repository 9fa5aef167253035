//! Every authentication refusal, with the status, `x-amzn-ErrorType` and message API Gateway
//! sends.

use std::time::Duration;

use http::Method;
use testkit::signer::{Key, signed};

use crate::*;

fn assert_refused(r: &TestResponse, error_type: &str, message_start: &str) {
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some(error_type),
        "{}",
        r.text()
    );
    let message = r.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with(message_start),
        "{message:?} should start with {message_start:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_and_unknown_callers() {
    let f = Fixture::start().await;
    let r = f.server.get("/prod/pets").await;
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );

    let r = f
        .get("/prod/pets", &Key::new("AKIAUNKNOWN000000000", "whatever"))
        .await;
    assert_error(
        &r,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );

    // A long-term key never comes with a session token.
    let r = f.get("/prod/pets", &demo().with_token("some-token")).await;
    assert_error(
        &r,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );

    // The right key with the wrong secret.
    let wrong = Key::new("AKIAIOSFODNN7EXAMPLE", "not-the-secret");
    let r = f.get("/prod/pets", &wrong).await;
    assert_refused(
        &r,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided.",
    );
    assert!(
        !r.text().contains("wJalrXUtnFEMI"),
        "the secret never appears in a response"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_authorization_headers() {
    let f = Fixture::start().await;
    let send = |auth: &'static str| {
        let server = &f.server;
        async move {
            server
                .client
                .send(
                    Method::GET,
                    &server.url("/prod/pets"),
                    &[("authorization", auth), ("x-amz-date", "20261121T000000Z")],
                    "",
                )
                .await
        }
    };
    let r = send("Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig").await;
    assert_refused(
        &r,
        "IncompleteSignatureException",
        "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '",
    );
    let r = send("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date").await;
    assert_refused(
        &r,
        "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter.",
    );
    let r = send("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/execute-api, SignedHeaders=host, Signature=00").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-errortype"),
        Some("IncompleteSignatureException"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_scope_must_match() {
    let f = Fixture::start().await;
    let mut how = f.signing();
    how.region = "eu-west-1".into();
    let request = f.demo_pets(&how);
    let r = f.server.client.request(request).await;
    assert_error(
        &r,
        403,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    );

    let mut how = f.signing();
    how.service = "lambda".into();
    let request = f.demo_pets(&how);
    let r = f.server.client.request(request).await;
    assert_error(
        &r,
        403,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'execute-api'. ",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_and_presigned_expiry() {
    let f = Fixture::start().await;
    let signed_at = f.now();
    let request = || f.demo_pets(&testkit::signer::Signing::execute_api(signed_at));
    // Exactly five minutes late is still fine; more is not.
    f.clock.advance(SKEW);
    assert_eq!(f.server.client.request(request()).await.status, 200);
    f.clock.advance(Duration::from_secs(1));
    let r = f.server.client.request(request()).await;
    assert_refused(&r, "InvalidSignatureException", "Signature expired: ");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains(" is now earlier than "),
        "{}",
        r.text()
    );
    // Signed in the future (the client clock runs ahead).
    f.clock.set(signed_at - Duration::from_secs(6 * 60));
    let r = f.server.client.request(request()).await;
    assert_refused(
        &r,
        "InvalidSignatureException",
        "Signature not yet current: ",
    );

    // A presigned URL is good until it expires.
    f.clock.set(signed_at);
    let mut how = testkit::signer::Signing::execute_api(signed_at);
    how.presign = Some(Duration::from_secs(60));
    let url = f.demo_pets(&how).uri().to_string();
    assert_eq!(f.server.client.get(&url).await.status, 200);
    f.clock.advance(Duration::from_secs(61));
    let r = f.server.client.get(&url).await;
    assert_refused(&r, "InvalidSignatureException", "Signature expired: ");
    // Presigned URLs may last a week at most.
    how.presign = Some(Duration::from_secs(604_801));
    let url = f.demo_pets(&how).uri().to_string();
    let r = f.server.client.get(&url).await;
    assert_refused(
        &r,
        "IncompleteSignatureException",
        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_any_signed_part_is_refused() {
    let f = Fixture::start().await;
    let good = || {
        signed(
            Method::GET,
            &f.server.url("/prod/pets?a=1"),
            &[("x-custom", "v")],
            "",
            &demo(),
            &f.signing(),
        )
    };
    assert_eq!(f.server.client.request(good()).await.status, 200);
    let mismatch = "The request signature we calculated does not match";
    // Method (to one the route has, so only the signature can refuse it).
    let mut r = good();
    *r.method_mut() = Method::POST;
    assert_refused(
        &f.server.client.request(r).await,
        "InvalidSignatureException",
        mismatch,
    );
    // Query.
    let mut r = good();
    *r.uri_mut() = f.server.url("/prod/pets?a=2").parse().unwrap();
    assert_refused(
        &f.server.client.request(r).await,
        "InvalidSignatureException",
        mismatch,
    );
    // Path (to another route the caller may call).
    let mut r = good();
    *r.uri_mut() = f.server.url("/prod/pets/1?a=1").parse().unwrap();
    assert_refused(
        &f.server.client.request(r).await,
        "InvalidSignatureException",
        mismatch,
    );
    // A signed header.
    let mut r = good();
    r.headers_mut().insert("x-custom", "w".parse().unwrap());
    assert_refused(
        &f.server.client.request(r).await,
        "InvalidSignatureException",
        mismatch,
    );
    // The date.
    let mut r = good();
    // One second later: still within the skew window, but not what was signed.
    let date = r.headers()["x-amz-date"].to_str().unwrap().to_string();
    let (head, second) = date.split_at(date.len() - 2);
    let bumped = if second.starts_with('9') {
        format!("{head}8Z")
    } else {
        format!("{head}{}Z", (second.as_bytes()[0] - b'0' + 1))
    };
    r.headers_mut()
        .insert("x-amz-date", bumped.parse().unwrap());
    assert_refused(
        &f.server.client.request(r).await,
        "InvalidSignatureException",
        "",
    );
    // An unsigned header may change freely.
    let mut r = good();
    r.headers_mut()
        .insert("x-unsigned", "anything".parse().unwrap());
    assert_eq!(f.server.client.request(r).await.status, 200);
}
