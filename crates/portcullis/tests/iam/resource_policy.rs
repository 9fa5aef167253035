//! `x-amazon-apigateway-policy`: anonymous callers, IP conditions, explicit denies and
//! cross-account callers, combined as API Gateway's tables say.

use http::Method;

use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_need_the_resource_policy() {
    let f = Fixture::start().await;
    // Allowed from loopback by an IpAddress condition.
    let r = f.server.get("/prod/public").await;
    assert_eq!(r.status, 200, "{}", r.text());
    // NotIpAddress 10.0.0.0/8 denies everyone here, explicitly.
    let r = f.server.get("/prod/internal").await;
    assert_denied(
        &r,
        &format!(
            "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {} with an explicit deny",
            arn("GET", "internal")
        ),
    );
    // A NONE method whose resource the policy does not mention is implicitly denied.
    let r = f
        .server
        .client
        .send(
            Method::GET,
            &f.server.url("/prod/public/../public"),
            &[],
            "",
        )
        .await;
    assert_eq!(
        r.status, 400,
        "dot segments are refused before the policy sees the path"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_account_callers_need_both_policies() {
    let f = Fixture::start().await;
    // The partner account is granted GET /pets by the resource policy, and its user's identity
    // policy allows everything: both allow.
    let r = f.get("/prod/pets", &cross()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(f.upstream.last().headers["x-account"], OTHER_ACCOUNT);
    // POST /pets: the identity policy allows, the resource policy does not.
    let r = f.call(Method::POST, "/prod/pets", "{}", &cross()).await;
    assert_denied(
        &r,
        &format!(
            "User: arn:aws:iam::{OTHER_ACCOUNT}:user/partner is not authorized to perform: execute-api:Invoke on resource: {} because no resource-based policy allows the execute-api:Invoke action",
            arn("POST", "pets")
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_explains_the_same_decisions() {
    let f = Fixture::start().await;
    let config = config::load(&f.server.ws.path().join("portcullis.yaml")).unwrap();
    let sim = |principal: &str, resource: &str, context: &[&str]| {
        portcullis::simulate::simulate(
            &config,
            &portcullis::simulate::Simulation {
                principal: principal.to_string(),
                action: "execute-api:Invoke".to_string(),
                resource: resource.to_string(),
                context: context.iter().map(|s| (*s).to_string()).collect(),
            },
        )
        .unwrap()
    };
    let full = |method: &str, path: &str| {
        format!("arn:aws:execute-api:us-east-1:123456789012:iamapi0001/prod/{method}/{path}")
    };
    let out = sim("denied", &full("DELETE", "admin/x"), &[]);
    assert!(!out.authorization.is_allowed());
    assert!(
        out.report.contains("EvalDecision: explicitDeny"),
        "{}",
        out.report
    );
    assert!(
        out.report
            .contains("\"DenyAdmin\", statement 0 (Sid \"NoAdmin\"): Deny"),
        "{}",
        out.report
    );
    let out = sim(
        "anonymous",
        &full("GET", "public"),
        &["aws:SourceIp=127.0.0.1"],
    );
    assert!(out.authorization.is_allowed(), "{}", out.report);
    let out = sim(
        "anonymous",
        &full("GET", "public"),
        &["aws:SourceIp=192.0.2.1"],
    );
    assert!(!out.authorization.is_allowed(), "{}", out.report);
    let out = sim(
        "arn:aws:iam::210987654321:user/partner",
        &full("POST", "pets"),
        &[],
    );
    assert!(
        out.report.contains("cross_account_no_resource_allow"),
        "{}",
        out.report
    );
}
