//! Role trust policies end to end: `sts:AssumeRole` through the real STS endpoint with the AWS
//! SDK for Rust. The trust policy must itself allow the caller — an identity policy allowing
//! `sts:AssumeRole` on `*` is not enough — and its conditions (`sts:ExternalId`) must hold;
//! naming only an account delegates to that account's identity policies; callers from another
//! account always need their own identity policies too.

use testkit::aws::sts_client;
use testkit::signer::Key;

use crate::*;

fn role(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

/// `AssumeRole` as `key`; `Ok(assumed-role ARN)` or `Err((code, message))`.
async fn assume(
    f: &Fixture,
    key: &Key,
    role_name: &str,
    external_id: Option<&str>,
    policy: Option<&str>,
) -> Result<(String, Key), (String, String)> {
    let mut call = sts_client(&f.server.url(""), "us-east-1", key)
        .assume_role()
        .role_arn(role(role_name))
        .role_session_name("trust-test");
    if let Some(e) = external_id {
        call = call.external_id(e);
    }
    if let Some(p) = policy {
        call = call.policy(p);
    }
    match call.send().await {
        Ok(out) => {
            let arn = out.assumed_role_user().unwrap().arn().to_string();
            let c = out.credentials().unwrap();
            Ok((
                arn,
                Key::new(c.access_key_id(), c.secret_access_key()).with_token(c.session_token()),
            ))
        }
        Err(e) => {
            let service = e.into_service_error();
            let meta = aws_sdk_sts::error::ProvideErrorMetadata::meta(&service);
            Err((
                meta.code().unwrap_or_default().to_string(),
                meta.message().unwrap_or_default().to_string(),
            ))
        }
    }
}

fn denied_because(who: &str, role_name: &str, because: &str) -> (String, String) {
    (
        "AccessDenied".to_string(),
        format!(
            "User: {who} is not authorized to perform: sts:AssumeRole on resource: {} because no {because} allows the sts:AssumeRole action",
            role(role_name)
        ),
    )
}

const MALLORY: &str = "arn:aws:iam::123456789012:user/mallory";

/// The reported bug: `mallory`'s identity policy allows `sts:AssumeRole` on `*`, and the trust
/// policy of `OnlyCarol` names only the user `carol`. That used to be enough (identity OR
/// resource policy, as for API Gateway resource policies); a role's trust policy must allow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_policies_alone_do_not_assume_a_role() {
    let f = Fixture::start().await;
    assert_eq!(
        assume(&f, &mallory(), "OnlyCarol", None, None)
            .await
            .unwrap_err(),
        denied_because(MALLORY, "OnlyCarol", "resource-based policy")
    );
    // carol, named by the trust policy, needs no identity policy in the role's account.
    let (arn, key) = assume(&f, &carol(), "OnlyCarol", None, None).await.unwrap();
    assert_eq!(
        arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/OnlyCarol/trust-test")
    );
    // The credentials work, with the role's permissions.
    assert_eq!(f.get("/prod/pets", &key).await.status, 200);
    // The Reader role (trusting the account) still works for its intended caller.
    assert!(assume(&f, &demo(), "Reader", None, None).await.is_ok());
    assert_eq!(
        assume(&f, &reader(), "Reader", None, None)
            .await
            .unwrap_err(),
        denied_because(
            "arn:aws:iam::123456789012:user/reader",
            "Reader",
            "identity-based policy"
        )
    );
}

/// `ExternalPartner` trusts the account only with `sts:ExternalId` = `portcullis-ext-42`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_external_id_condition_must_hold() {
    let f = Fixture::start().await;
    let trust_silent = denied_because(MALLORY, "ExternalPartner", "resource-based policy");
    assert_eq!(
        assume(&f, &mallory(), "ExternalPartner", None, None)
            .await
            .unwrap_err(),
        trust_silent
    );
    assert_eq!(
        assume(&f, &mallory(), "ExternalPartner", Some("guess"), None)
            .await
            .unwrap_err(),
        trust_silent
    );
    let (arn, _) = assume(
        &f,
        &mallory(),
        "ExternalPartner",
        Some("portcullis-ext-42"),
        None,
    )
    .await
    .unwrap();
    assert!(
        arn.ends_with(":assumed-role/ExternalPartner/trust-test"),
        "{arn}"
    );
    // The trust policy names the account: the caller's identity policies must allow as well,
    // right ExternalId or not.
    assert_eq!(
        assume(
            &f,
            &demo(),
            "ExternalPartner",
            Some("portcullis-ext-42"),
            None
        )
        .await
        .unwrap_err(),
        denied_because(
            "arn:aws:iam::123456789012:user/demo",
            "ExternalPartner",
            "identity-based policy"
        )
    );
}

/// A Reader session assumes `Chained`, whose trust policy names the Reader role; the session
/// policy still narrows what the session may do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_chaining_follows_the_trust_policy_and_the_session_policy() {
    let f = Fixture::start().await;
    let (_, reader_session) = assume(&f, &demo(), "Reader", None, None).await.unwrap();
    let (arn, chained) = assume(&f, &reader_session, "Chained", None, None)
        .await
        .unwrap();
    assert_eq!(
        arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Chained/trust-test")
    );
    assert_eq!(f.get("/prod/pets", &chained).await.status, 200);
    // The Reader role's trust does not name Reader sessions' own role: a chained session may
    // not assume OnlyCarol.
    assert_eq!(
        assume(&f, &reader_session, "OnlyCarol", None, None)
            .await
            .unwrap_err()
            .1,
        format!(
            "User: arn:aws:sts::{ACCOUNT}:assumed-role/Reader/trust-test is not authorized to perform: sts:AssumeRole on resource: {} because no resource-based policy allows the sts:AssumeRole action",
            role("OnlyCarol")
        )
    );
    // A session policy that allows only invoking narrows the session: no chaining.
    let invoke_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}"#;
    let (_, narrowed) = assume(&f, &demo(), "Reader", None, Some(invoke_only))
        .await
        .unwrap();
    assert_eq!(
        assume(&f, &narrowed, "Chained", None, None)
            .await
            .unwrap_err(),
        denied_because(
            &format!("arn:aws:sts::{ACCOUNT}:assumed-role/Reader/trust-test"),
            "Chained",
            "session policy"
        )
    );
}

/// `CrossTrusted` trusts the other account (bare id): its callers need their own identity
/// policies as well; callers of the role's own account are not trusted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_account_callers_need_both_policies() {
    let f = Fixture::start().await;
    assert_eq!(
        assume(&f, &cross(), "CrossTrusted", None, None)
            .await
            .unwrap_err(),
        denied_because(
            "arn:aws:iam::210987654321:user/partner",
            "CrossTrusted",
            "identity-based policy"
        )
    );
    let (arn, _) = assume(&f, &partner_ops(), "CrossTrusted", None, None)
        .await
        .unwrap();
    assert!(
        arn.ends_with(":assumed-role/CrossTrusted/trust-test"),
        "{arn}"
    );
    assert_eq!(
        assume(&f, &mallory(), "CrossTrusted", None, None)
            .await
            .unwrap_err(),
        denied_because(MALLORY, "CrossTrusted", "resource-based policy")
    );
    // And the other account's caller with `sts:AssumeRole` on `*` is still not trusted by a
    // role that names someone else.
    assert_eq!(
        assume(&f, &partner_ops(), "OnlyCarol", None, None)
            .await
            .unwrap_err()
            .0,
        "AccessDenied"
    );
}
