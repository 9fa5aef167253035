//! Temporary credentials from STS AssumeRole, issued to and used by the AWS SDK for Rust.

use std::time::Duration;

use http::Method;
use testkit::aws::sts_client;
use testkit::signer::Key;

use crate::*;

fn endpoint(f: &Fixture) -> String {
    f.server.url("")
}

/// The AWS error code the SDK parsed out of a failed call.
fn error_code<E, R>(err: aws_sdk_sts::error::SdkError<E, R>) -> Option<String>
where
    E: aws_sdk_sts::error::ProvideErrorMetadata,
{
    aws_sdk_sts::error::ProvideErrorMetadata::code(&err).map(str::to_owned)
}

async fn assume_reader(f: &Fixture, policy: Option<&str>) -> Key {
    let sts = sts_client(&endpoint(f), "us-east-1", &demo());
    let mut call = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/Reader"))
        .role_session_name("test-session");
    if let Some(p) = policy {
        call = call.policy(p);
    }
    let out = call.send().await.unwrap_or_else(|e| panic!("{e:?}"));
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Reader/test-session")
    );
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user.assumed_role_id().ends_with(":test-session"));
    let creds = out.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    Key::new(creds.access_key_id(), creds.secret_access_key()).with_token(creds.session_token())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assumed_role_credentials_sign_api_calls() {
    let f = Fixture::start().await;
    let key = assume_reader(&f, None).await;

    // GetCallerIdentity with the temporary credentials names the session.
    let me = sts_client(&endpoint(&f), "us-east-1", &key)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/Reader/test-session")
    );
    assert_eq!(me.account(), Some(ACCOUNT));
    assert!(me.user_id().unwrap().ends_with(":test-session"));

    // The role's policy (ReadPets) applies to the session.
    let r = f.get("/prod/pets", &key).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = f.upstream.last();
    assert_eq!(
        got.headers["x-user-arn"],
        "arn:aws:sts::123456789012:assumed-role/Reader/test-session"
    );
    assert_eq!(got.headers["x-access-key"], key.access_key_id.as_str());
    let r = f.call(Method::POST, "/prod/pets", "{}", &key).await;
    assert_denied(
        &r,
        &format!(
            "User: arn:aws:sts::123456789012:assumed-role/Reader/test-session is not authorized to perform: execute-api:Invoke on resource: {} because no identity-based policy allows the execute-api:Invoke action",
            arn("POST", "pets")
        ),
    );

    // Without the token, or with another one, the key is not recognized.
    let mut no_token = key.clone();
    no_token.session_token = None;
    let r = f.get("/prod/pets", &no_token).await;
    assert_error(
        &r,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    let r = f.get("/prod/pets", &key.clone().with_token("forged")).await;
    assert_error(
        &r,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );

    // After an hour the credentials expire.
    f.clock.advance(Duration::from_secs(3601));
    let r = f.get("/prod/pets", &key).await;
    assert_error(
        &r,
        403,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_policies_narrow_the_role() {
    let f = Fixture::start().await;
    let only_pet_one = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/*/GET/pets/1"}]}"#;
    let key = assume_reader(&f, Some(only_pet_one)).await;
    assert_eq!(f.get("/prod/pets/1", &key).await.status, 200);
    let r = f.get("/prod/pets", &key).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.json()["Message"]
            .as_str()
            .unwrap()
            .contains("because no session policy allows"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_is_authorized_and_validated() {
    let f = Fixture::start().await;
    // `reader` has no identity policy allowing sts:AssumeRole, and the trust policy names only
    // the account (delegation), so the call is denied.
    let err = sts_client(&endpoint(&f), "us-east-1", &reader())
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/Reader"))
        .role_session_name("nope")
        .send()
        .await
        .unwrap_err();
    let service = err.into_service_error();
    let meta = aws_sdk_sts::error::ProvideErrorMetadata::meta(&service);
    assert_eq!(meta.code(), Some("AccessDenied"));
    assert_eq!(
        meta.message(),
        Some(
            "User: arn:aws:iam::123456789012:user/reader is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Reader because no identity-based policy allows the sts:AssumeRole action"
        )
    );
    // Unknown roles answer the same way, so role names do not leak.
    let err = sts_client(&endpoint(&f), "us-east-1", &demo())
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/Nope"))
        .role_session_name("s1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(err).as_deref(), Some("AccessDenied"));
    // Validation: duration below 900 s.
    let err = sts_client(&endpoint(&f), "us-east-1", &demo())
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/Reader"))
        .role_session_name("s1")
        .duration_seconds(10)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(err).as_deref(), Some("ValidationError"));
    // A bad signature on the STS call itself.
    let err = sts_client(
        &endpoint(&f),
        "us-east-1",
        &Key::new("AKIAIOSFODNN7EXAMPLE", "wrong"),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap_err();
    assert_eq!(error_code(err).as_deref(), Some("SignatureDoesNotMatch"));
    // An unknown key.
    let err = sts_client(
        &endpoint(&f),
        "us-east-1",
        &Key::new("AKIAUNKNOWN000000000", "x"),
    )
    .get_caller_identity()
    .send()
    .await
    .unwrap_err();
    assert_eq!(error_code(err).as_deref(), Some("InvalidClientTokenId"));
    // GetCallerIdentity for a user.
    let me = sts_client(&endpoint(&f), "us-east-1", &demo())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::123456789012:user/demo"));
    assert!(me.user_id().unwrap().starts_with("AIDA"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_survive_a_restart() {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    ws.write("api.yaml", OPENAPI);
    // A file-backed store, shared by two consecutive servers.
    let db = ws.path().join("state.db");
    let config_text = config(&upstream.url()).replace(
        "region: us-east-1\n",
        &format!("region: us-east-1\nstorage: sqlite://{}\n", db.display()),
    );
    let path = ws.write("portcullis.yaml", &config_text);
    let overrides = config::Overrides {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        storage: None,
    };
    let first = portcullis::start(
        config::load_with(&path, &overrides).unwrap(),
        Default::default(),
    )
    .await
    .unwrap();
    let url = format!("http://{}", first.edge);
    let out = sts_client(&url, "us-east-1", &demo())
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/Reader"))
        .role_session_name("durable")
        .send()
        .await
        .unwrap();
    let creds = out.credentials().unwrap();
    let key = Key::new(creds.access_key_id(), creds.secret_access_key())
        .with_token(creds.session_token());
    first.stop().await.unwrap();

    let second = portcullis::start(
        config::load_with(&path, &overrides).unwrap(),
        Default::default(),
    )
    .await
    .unwrap();
    let request = testkit::signer::signed(
        Method::GET,
        &format!("http://{}/prod/pets", second.edge),
        &[],
        "",
        &key,
        &testkit::signer::Signing::execute_api(std::time::SystemTime::now()),
    );
    let r = Client::http1().request(request).await;
    assert_eq!(r.status, 200, "{}", r.text());
    second.stop().await.unwrap();
}
