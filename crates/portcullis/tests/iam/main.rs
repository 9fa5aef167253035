//! AWS_IAM authorization end to end: requests signed by AWS's own `aws-sigv4` crate and by the
//! AWS SDK for Rust (STS), against the real server, with every refusal in API Gateway's words.
#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod identity;
mod refusals;
mod resource_policy;
mod sessions;
mod trust;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use gateway::clock::FixedClock;
use testkit::signer::{Key, Signing, signed};

pub const ACCOUNT: &str = "123456789012";
pub const OTHER_ACCOUNT: &str = "210987654321";

pub fn demo() -> Key {
    Key::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
}
pub fn reader() -> Key {
    Key::new(
        "AKIAREADER0000000001",
        "reader-secret-0000000000000000000000000",
    )
}
pub fn denied() -> Key {
    Key::new(
        "AKIADENIED0000000001",
        "denied-secret-0000000000000000000000000",
    )
}
pub fn cross() -> Key {
    Key::new(
        "AKIACROSS00000000001",
        "cross-secret-00000000000000000000000000",
    )
}
pub fn carol() -> Key {
    Key::new(
        "AKIACAROL00000000001",
        "carol-secret-00000000000000000000000000",
    )
}
/// A user whose identity policy allows `sts:AssumeRole` on every role.
pub fn mallory() -> Key {
    Key::new(
        "AKIAMALLORY000000001",
        "mallory-secret-000000000000000000000000",
    )
}
/// A user of the other account whose identity policy allows `sts:AssumeRole` on every role.
pub fn partner_ops() -> Key {
    Key::new(
        "AKIAPARTNEROPS000001",
        "partnerops-secret-000000000000000000000",
    )
}

pub const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: iam, version: "1"}
paths:
  /pets:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: &proxy
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/echo"
        requestParameters:
          integration.request.header.x-caller: context.identity.caller
          integration.request.header.x-user: context.identity.user
          integration.request.header.x-user-arn: context.identity.userArn
          integration.request.header.x-account: context.identity.accountId
          integration.request.header.x-access-key: context.identity.accessKey
          integration.request.header.x-source-ip: context.identity.sourceIp
          integration.request.header.x-user-agent: context.identity.userAgent
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *proxy
  /pets/{id}:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *proxy
  /admin/{proxy+}:
    x-amazon-apigateway-any-method:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *proxy
  /users/{name}:
    get:
      x-amazon-apigateway-auth: {type: AWS_IAM}
      x-amazon-apigateway-integration: *proxy
  /blocked:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *proxy
  /public:
    get:
      x-amazon-apigateway-integration: *proxy
  /internal:
    get:
      x-amazon-apigateway-integration: *proxy
components:
  securitySchemes:
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - Sid: PublicFromLoopback
      Effect: Allow
      Principal: "*"
      Action: execute-api:Invoke
      Resource: execute-api:/*/GET/public
      Condition: {IpAddress: {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}
    - Sid: InternalOnlyFromTheOfficeNetwork
      Effect: Deny
      Principal: "*"
      Action: execute-api:Invoke
      Resource: execute-api:/*/GET/internal
      Condition: {NotIpAddress: {"aws:SourceIp": "10.0.0.0/8"}}
    - Sid: NobodyGetsBlocked
      Effect: Deny
      Principal: "*"
      Action: execute-api:Invoke
      Resource: execute-api:/*/*/blocked
    - Sid: PartnerAccountMayRead
      Effect: Allow
      Principal: {AWS: "arn:aws:iam::210987654321:root"}
      Action: execute-api:Invoke
      Resource: execute-api:/prod/GET/pets
"#;

pub fn config(backend: &str) -> String {
    format!(
        r#"region: us-east-1
account_id: "{ACCOUNT}"
apis:
  - id: iamapi0001
    openapi: api.yaml
    stages:
      prod:
        variables: {{backend: "{backend}"}}
        access_log:
          destination: access.log
          format: '{{"requestId":"$context.requestId","status":"$context.status","caller":"$context.identity.caller","userArn":"$context.identity.userArn","accessKey":"$context.identity.accessKey","authenticateStatus":"$context.authenticate.status","authorizeStatus":"$context.authorize.status","authorizeError":"$context.authorize.error"}}'
iam:
  accounts: ["{OTHER_ACCOUNT}"]
  policies:
    InvokeAll: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}}]}}
    ReadPets: {{Version: "2012-10-17", Statement: [{{Sid: ReadPets, Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/GET/pets*"}}]}}
    DenyAdmin: {{Version: "2012-10-17", Statement: [{{Sid: NoAdmin, Effect: Deny, Action: "execute-api:*", Resource: "arn:aws:execute-api:*:*:*/*/*/admin/*"}}]}}
    OwnUserOnly: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/GET/users/${{aws:username}}"}}]}}
    AssumeReader: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "sts:AssumeRole", Resource: "arn:aws:iam::{ACCOUNT}:role/Reader"}}]}}
    AssumeAny: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}}]}}
  users:
    - name: demo
      access_keys: [{{id: AKIAIOSFODNN7EXAMPLE, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}]
      policies: [InvokeAll, AssumeReader]
    - name: reader
      access_keys: [{{id: AKIAREADER0000000001, secret: "reader-secret-0000000000000000000000000"}}]
      policies: [ReadPets]
    - name: denied
      access_keys: [{{id: AKIADENIED0000000001, secret: "denied-secret-0000000000000000000000000"}}]
      policies: [InvokeAll, DenyAdmin]
    - name: carol
      access_keys: [{{id: AKIACAROL00000000001, secret: "carol-secret-00000000000000000000000000"}}]
      policies: [OwnUserOnly]
    - name: partner
      account: "{OTHER_ACCOUNT}"
      access_keys: [{{id: AKIACROSS00000000001, secret: "cross-secret-00000000000000000000000000"}}]
      policies: [InvokeAll]
    - name: mallory
      access_keys: [{{id: AKIAMALLORY000000001, secret: "mallory-secret-000000000000000000000000"}}]
      policies: [AssumeAny]
    - name: partnerops
      account: "{OTHER_ACCOUNT}"
      access_keys: [{{id: AKIAPARTNEROPS000001, secret: "partnerops-secret-000000000000000000000"}}]
      policies: [AssumeAny]
  roles:
    - name: Reader
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::{ACCOUNT}:root"}}, Action: "sts:AssumeRole"}}]}}
      policies: [ReadPets]
    # trust.rs: trust policies decide who may assume a role.
    - name: OnlyCarol
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::{ACCOUNT}:user/carol"}}, Action: "sts:AssumeRole"}}]}}
      policies: [ReadPets]
    - name: ExternalPartner
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::{ACCOUNT}:root"}}, Action: "sts:AssumeRole", Condition: {{StringEquals: {{"sts:ExternalId": "portcullis-ext-42"}}}}}}]}}
      policies: [ReadPets]
    - name: Chained
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "arn:aws:iam::{ACCOUNT}:role/Reader"}}, Action: "sts:AssumeRole"}}]}}
      policies: [ReadPets]
    - name: CrossTrusted
      trust_policy: {{Version: "2012-10-17", Statement: [{{Effect: Allow, Principal: {{AWS: "{OTHER_ACCOUNT}"}}, Action: "sts:AssumeRole"}}]}}
      policies: [ReadPets]
"#
    )
}

/// A running gateway with the IAM fixture, a recording upstream and a settable clock.
pub struct Fixture {
    pub server: TestServer,
    pub upstream: Upstream,
    pub clock: Arc<FixedClock>,
}

impl Fixture {
    pub async fn start() -> Fixture {
        let upstream = Upstream::echo().await;
        let ws = Workspace::new();
        ws.write("api.yaml", OPENAPI);
        let clock = Arc::new(FixedClock::new(SystemTime::now()));
        let server =
            TestServer::start_with_clock(ws, &config(&upstream.url()), clock.clone()).await;
        Fixture {
            server,
            upstream,
            clock,
        }
    }

    pub fn now(&self) -> SystemTime {
        use gateway::clock::Clock;
        self.clock.now()
    }

    pub fn signing(&self) -> Signing {
        Signing::execute_api(self.now())
    }

    /// Sends a request signed with `key` (header form) at the gateway's current time.
    pub async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: &str,
        key: &Key,
    ) -> TestResponse {
        let request = signed(
            method,
            &self.server.url(path),
            &[],
            body,
            key,
            &self.signing(),
        );
        self.server.client.request(request).await
    }

    /// `GET /prod/pets` signed by the demo user with the given signing options.
    pub fn demo_pets(&self, how: &Signing) -> http::Request<http_body_util::Full<bytes::Bytes>> {
        signed(
            http::Method::GET,
            &self.server.url("/prod/pets"),
            &[],
            "",
            &demo(),
            how,
        )
    }

    pub async fn get(&self, path: &str, key: &Key) -> TestResponse {
        self.call(http::Method::GET, path, "", key).await
    }
}

/// Asserts an IAM denial: 403, `AccessDeniedException`, and API Gateway's `{"Message": ...}`.
pub fn assert_denied(r: &TestResponse, message: &str) {
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    assert_eq!(r.header("x-amzn-errortype"), Some("AccessDeniedException"));
    assert_eq!(r.json(), serde_json::json!({ "Message": message }));
}

pub fn arn(method: &str, path: &str) -> String {
    format!("arn:aws:execute-api:us-east-1:********9012:iamapi0001/prod/{method}/{path}")
}

pub const SKEW: Duration = Duration::from_secs(5 * 60);
