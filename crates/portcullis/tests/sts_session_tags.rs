//! Session tags on AssumeRole end to end, with the AWS SDK for Rust's STS client: tags need
//! `sts:TagSession` in the trust policy (whose conditions read `aws:RequestTag/*` and
//! `aws:TagKeys`), become the session's `aws:PrincipalTag/*` on API calls signed with it, and
//! pass on in role chaining when transitive. Every refusal leaves the backend's count alone.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use common::*;
use gateway::clock::Clock;
use http::Method;
use testkit::aws::sts;
use testkit::signer::{Key, Signing, signed};

const ACCOUNT: &str = "123456789012";
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:api0000001";

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: tags, version: "1"}
paths:
  /ops:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "${stageVariables.backend}/ops"}
  /apollo:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "${stageVariables.backend}/apollo"}
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
"#;

fn rest_of_config() -> String {
    let demo = format!("arn:aws:iam::{ACCOUNT}:user/demo");
    let tagged = format!("arn:aws:iam::{ACCOUNT}:role/Tagged");
    let chained = format!("arn:aws:iam::{ACCOUNT}:role/Chained");
    format!(
        r#"
iam:
  policies:
    # Only sessions tagged team=ops reach /ops; only project=apollo reaches /apollo.
    Tagged: {{Version: "2012-10-17", Statement: [
      {{Effect: Allow, Action: "execute-api:Invoke", Resource: "{API}/*/GET/ops", Condition: {{StringEquals: {{"aws:PrincipalTag/team": ops}}}}}},
      {{Effect: Allow, Action: "execute-api:Invoke", Resource: "{API}/*/GET/apollo", Condition: {{StringEquals: {{"aws:PrincipalTag/project": apollo}}}}}}]}}
  users:
    - name: demo
      access_keys: [{{id: AKIAIOSFODNN7EXAMPLE, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}]
  roles:
    - name: Tagged
      policies: [Tagged]
      # Any session may be assumed; tags only team=ops or dev, and only the keys team and project.
      trust_policy: {{Version: "2012-10-17", Statement: [
        {{Effect: Allow, Principal: {{AWS: "{demo}"}}, Action: "sts:AssumeRole"}},
        {{Effect: Allow, Principal: {{AWS: "{demo}"}}, Action: "sts:TagSession", Condition: {{
          StringEquals: {{"aws:RequestTag/team": [ops, dev]}},
          "ForAllValues:StringEquals": {{"aws:TagKeys": [team, project]}}}}}}]}}
    - name: Untagged
      policies: [Tagged]
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "{demo}"}}, Action: "sts:AssumeRole"}}]}}
    - name: Chained
      policies: [Tagged]
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: ["{tagged}", "{chained}"]}}, Action: ["sts:AssumeRole", "sts:TagSession"]}}]}}
"#
    )
}

struct Fixture {
    server: TestServer,
    upstream: Upstream,
    clock: Arc<gateway::clock::FixedClock>,
}

async fn start() -> Fixture {
    let upstream = Upstream::echo().await;
    let ws = Workspace::new();
    let config = single_api(
        &ws,
        OPENAPI,
        &format!("{{backend: \"{}\"}}", upstream.url()),
    );
    let clock = Arc::new(gateway::clock::FixedClock::new(SystemTime::now()));
    let server =
        TestServer::start_with_clock(ws, &format!("{config}{}", rest_of_config()), clock.clone())
            .await;
    Fixture {
        server,
        upstream,
        clock,
    }
}

fn demo() -> Key {
    Key::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
}

fn tag(k: &str, v: &str) -> sts::types::Tag {
    sts::types::Tag::builder().key(k).value(v).build().unwrap()
}

impl Fixture {
    /// AssumeRole as `key` with `tags` and `transitive` keys: the session's key, or `code: message`.
    async fn assume(
        &self,
        key: &Key,
        role: &str,
        tags: &[(&str, &str)],
        transitive: &[&str],
    ) -> Result<Key, String> {
        let mut call = testkit::aws::sts_client(&self.server.url(""), "us-east-1", key)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{role}"))
            .role_session_name("tagged");
        for (k, v) in tags {
            call = call.tags(tag(k, v));
        }
        for k in transitive {
            call = call.transitive_tag_keys(*k);
        }
        let out = call.send().await.map_err(|e| {
            use sts::error::ProvideErrorMetadata;
            format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or(""))
        })?;
        let c = out.credentials.unwrap();
        Ok(Key::new(&c.access_key_id, &c.secret_access_key).with_token(&c.session_token))
    }

    async fn get(&self, path: &str, key: &Key) -> u16 {
        let how = Signing::execute_api(self.clock.now());
        let request = signed(Method::GET, &self.server.url(path), &[], "", key, &how);
        self.server.client.request(request).await.status.as_u16()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_tags_need_tag_session_and_become_principal_tags() {
    let f = start().await;
    let ops = f
        .assume(
            &demo(),
            "Tagged",
            &[("team", "ops"), ("project", "apollo")],
            &["project"],
        )
        .await
        .unwrap();
    assert_eq!(f.get("/prod/ops", &ops).await, 200);
    assert_eq!(f.get("/prod/apollo", &ops).await, 200);
    assert_eq!(f.upstream.requests().len(), 2);

    // Untagged, the same role's session is refused where a tag is required.
    let plain = f.assume(&demo(), "Tagged", &[], &[]).await.unwrap();
    assert_eq!(f.get("/prod/ops", &plain).await, 403);
    let dev = f
        .assume(&demo(), "Tagged", &[("team", "dev")], &[])
        .await
        .unwrap();
    assert_eq!(f.get("/prod/ops", &dev).await, 403);

    // The trust policy's sts:TagSession conditions: a value, a key it does not allow.
    let denied = format!(
        "AccessDenied: User: arn:aws:iam::{ACCOUNT}:user/demo is not authorized to perform: sts:TagSession on resource: arn:aws:iam::{ACCOUNT}:role/Tagged"
    );
    for tags in [&[("team", "qa")][..], &[("team", "ops"), ("cost", "1")][..]] {
        let e = f.assume(&demo(), "Tagged", tags, &[]).await.unwrap_err();
        assert!(e.starts_with(&denied), "{tags:?}: {e}");
    }
    // A role whose trust policy has no sts:TagSession takes no tags, and still takes untagged
    // requests.
    let e = f
        .assume(&demo(), "Untagged", &[("team", "ops")], &[])
        .await
        .unwrap_err();
    assert!(e.contains("sts:TagSession"), "{e}");
    f.assume(&demo(), "Untagged", &[], &[]).await.unwrap();
    // STS's limits.
    let e = f
        .assume(&demo(), "Tagged", &[("aws:team", "ops")], &[])
        .await
        .unwrap_err();
    assert!(e.starts_with("ValidationError: "), "{e}");
    let e = f
        .assume(&demo(), "Tagged", &[("team", "ops")], &["project"])
        .await
        .unwrap_err();
    assert!(e.contains("subset"), "{e}");
    assert_eq!(f.upstream.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transitive_tags_pass_on_in_role_chaining() {
    let f = start().await;
    let first = f
        .assume(
            &demo(),
            "Tagged",
            &[("team", "ops"), ("project", "apollo")],
            &["project"],
        )
        .await
        .unwrap();
    // The chained session keeps project (transitive), not team.
    let chained = f.assume(&first, "Chained", &[], &[]).await.unwrap();
    assert_eq!(f.get("/prod/apollo", &chained).await, 200);
    assert_eq!(f.get("/prod/ops", &chained).await, 403);
    assert_eq!(f.upstream.requests().len(), 1);
    // ... and passes it on again.
    let again = f.assume(&chained, "Chained", &[], &[]).await.unwrap();
    assert_eq!(f.get("/prod/apollo", &again).await, 200);
    // A transitive tag cannot be given another value down the chain.
    let e = f
        .assume(&first, "Chained", &[("project", "gemini")], &[])
        .await
        .unwrap_err();
    assert!(
        e.starts_with("ValidationError: The session tag project"),
        "{e}"
    );
    // New tags may be added in the chain.
    let more = f
        .assume(&first, "Chained", &[("team", "ops")], &[])
        .await
        .unwrap();
    assert_eq!(f.get("/prod/ops", &more).await, 200);
    assert_eq!(f.upstream.requests().len(), 3);
}
