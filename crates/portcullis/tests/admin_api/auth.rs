//! Authentication and authorization of the control plane.

use http::Method;
use serde_json::json;
use testkit::signer::Key;

use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_denied_and_allowed_requests() {
    let s = Server::start().await;
    // The probes stay open.
    let health = s.call(None, Method::GET, "/healthz", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(
        s.call(None, Method::GET, "/metrics", None).await.status,
        200
    );

    // Unsigned: refused before anything is routed, known path or not.
    for path in ["/apikeys", "/usageplans/x/usage", "/no/such/thing"] {
        let r = s.call(None, Method::GET, path, None).await;
        assert_error(
            &r,
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    }
    // Wrong secret, unknown key, and a signature for another service.
    let wrong = Key::new(ADMIN.0, "not-the-secret-0000000000000000000000000");
    let r = s.call(Some(&wrong), Method::GET, "/apikeys", None).await;
    assert_refused(
        &r,
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match",
    );
    let unknown = Key::new("AKIAUNKNOWN000000000", ADMIN.1);
    let r = s.call(Some(&unknown), Method::GET, "/apikeys", None).await;
    assert_refused(
        &r,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    let r = s
        .call_for(
            Some(&admin_key()),
            "execute-api",
            Method::GET,
            "/apikeys",
            None,
        )
        .await;
    assert_refused(
        &r,
        403,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'apigateway'",
    );

    // Read-only: GET allowed, POST denied with AWS's message.
    let r = s
        .call(Some(&reader_key()), Method::GET, "/apikeys", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s
        .call(
            Some(&reader_key()),
            Method::POST,
            "/apikeys",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_refused(
        &r,
        403,
        "AccessDeniedException",
        &format!(
            "User: arn:aws:iam::{ACCOUNT}:user/reader is not authorized to perform: apigateway:POST on resource: arn:aws:apigateway:us-east-1::/apikeys"
        ),
    );
    // Denied before routing too: an unknown path is not revealed to a caller not allowed it.
    let r = s
        .call(Some(&reader_key()), Method::DELETE, "/no/such/thing", None)
        .await;
    assert_refused(
        &r,
        403,
        "AccessDeniedException",
        "apigateway:DELETE on resource: arn:aws:apigateway:us-east-1::/no/such/thing",
    );
    // Allowed and unknown: NotFound.
    let r = s.admin(Method::GET, "/no/such/thing", None).await;
    assert_refused(&r, 404, "NotFoundException", "Unsupported operation");

    // Temporary credentials from STS: the reader assumes a role that may write.
    let sts = testkit::aws::sts_client(&format!("http://{}", s.edge), "us-east-1", &reader_key());
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/KeyManager"))
        .role_session_name("ops")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let c = out.credentials().unwrap();
    let session = Key::new(c.access_key_id(), c.secret_access_key()).with_token(c.session_token());
    let r = s
        .call(
            Some(&session),
            Method::POST,
            "/apikeys",
            Some(json!({"name": "from-session"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());

    // Bodies are bounded.
    let big = json!({"name": "x".repeat(70 * 1024)});
    let r = s.admin(Method::POST, "/apikeys", Some(big)).await;
    assert_refused(&r, 413, "RequestTooLargeException", "at most 65536 bytes");
    s.stop().await;
}
