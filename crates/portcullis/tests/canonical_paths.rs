//! The canonical-path invariant, over generated paths: for every request the gateway routes, the
//! path the `execute-api` ARN names = the path routed = the path forwarded to the backend; and a
//! SigV4 signature (made by AWS's `aws-sigv4`) verifies for exactly one path. In process, through
//! the pipeline's own functions (`gateway::pipeline::probe`, `handle_parts`), no sockets.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, OnceLock};

use gateway::Services;
use gateway::error::ErrorKind;
use gateway::pipeline::probe::{self, probe};
use gateway::pipeline::{ConnInfo, handle_parts, integrate::RequestBody};
use proptest::prelude::*;
use testkit::signer::{Key, Signing, signed};

const OPENAPI: &str = r#"openapi: 3.0.1
info: {title: canonical, version: "1"}
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "http://127.0.0.1:9/{proxy}"
  /items/{id}:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "http://127.0.0.1:9/items/{id}"
  /signed/{proxy+}:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
"#;

const CONFIG: &str = r#"region: us-east-1
account_id: "123456789012"
storage: "sqlite::memory:"
apis:
  - id: canon00001
    openapi: api.yaml
    stages: {prod: {}}
iam:
  policies:
    All: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}]}
  users:
    - name: demo
      access_keys: [{id: AKIAIOSFODNN7EXAMPLE, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}]
      policies: [All]
"#;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    gateway: Arc<Services>,
    _dir: testkit::Workspace,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = testkit::Workspace::new();
        dir.write("api.yaml", OPENAPI);
        let path = dir.write("portcullis.yaml", CONFIG);
        let config = config::load(&path).unwrap_or_else(|r| panic!("{r}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let gateway = Arc::new(runtime.block_on(probe::gateway(&config)).unwrap());
        Fixture {
            runtime,
            gateway,
            _dir: dir,
        }
    })
}

/// Pieces an attacker mixes into paths.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "/", "//", ".", "..", "%2e", "%2E", "%2f", "%2F", "%25", "%5c", "%41", "%61", "%7e",
        "%c3%a9", "é", "a", "admin", "items", "signed", ";", "~", "-", "%", "%zz", "x.y", "%20",
        "prod", "+",
    ])
}

fn raw_path(prefix: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..10).prop_map(move |p| format!("{prefix}{}", p.concat()))
}

fn parts(method: &str, path: &str) -> Option<http::request::Parts> {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .body(())
        .ok()?;
    Some(request.into_parts().0)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// ARN path = routed path = forwarded path, and that path is canonical.
    #[test]
    fn the_arn_the_route_and_the_backend_agree(path in raw_path("/prod")) {
        let Some(parts) = parts("GET", &path) else { return Ok(()) };
        match probe(&fixture().gateway, &parts) {
            Ok(p) => {
                let routed = p.routed_path.as_str();
                let again = router::canonicalize(routed);
                prop_assert_eq!(again.as_deref(), Ok(routed), "routed path is canonical");
                let arn_path = format!(
                    "arn:aws:execute-api:us-east-1:123456789012:canon00001/prod/GET/{}",
                    routed.strip_prefix('/').unwrap_or(routed)
                );
                prop_assert_eq!(&p.arn, &arn_path);
                let logged = if routed == "/" { "/prod".to_string() } else { format!("/prod{routed}") };
                prop_assert!(
                    p.logged_path == logged || (routed == "/" && p.logged_path == "/prod/"),
                    "{} logged as {}", routed, p.logged_path
                );
                if let Some(forwarded) = &p.forwarded {
                    prop_assert_eq!(forwarded.path(), routed, "{} forwarded as {}", path, forwarded);
                }
            }
            Err(kind) => prop_assert!(
                matches!(
                    kind,
                    ErrorKind::InvalidPath | ErrorKind::MissingAuthenticationToken | ErrorKind::Forbidden
                ),
                "{path}: {kind:?}"
            ),
        }
    }

    /// A signature made for one path verifies for that path and no other.
    #[test]
    fn a_signature_verifies_for_exactly_one_path(
        signed_path in raw_path("/prod/signed/x"),
        sent_path in raw_path("/prod/signed/x"),
        same in any::<bool>(),
    ) {
        let sent_path = if same { signed_path.clone() } else { sent_path };
        let f = fixture();
        let key = Key::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let url = format!("http://localhost{signed_path}");
        if http::Uri::try_from(url.as_str()).is_err() || parts("GET", &sent_path).is_none() {
            return Ok(());
        }
        let request = signed(
            http::Method::GET,
            &url,
            &[],
            "",
            &key,
            &Signing::execute_api(std::time::SystemTime::now()),
        );
        let (mut parts, _) = request.into_parts();
        parts.uri = http::Uri::try_from(sent_path.as_str()).unwrap();
        let conn = ConnInfo::new(
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
            false,
        );
        let status = f.runtime.block_on(handle_parts(
            f.gateway.clone(),
            conn,
            parts,
            RequestBody::Buffered(Default::default()),
        )).status();
        let accepted = router::canonicalize(&signed_path).is_ok();
        prop_assert_eq!(
            status == 200,
            accepted && sent_path == signed_path,
            "signed {} sent {}: {}", signed_path, sent_path, status
        );
    }
}
