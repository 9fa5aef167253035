//! Any operation name and body a caller can send to the Cognito Identity service, through the
//! input parser and the `Logins` parser. None may panic; every refusal has a known `__type`.
#![no_main]

use libfuzzer_sys::fuzz_target;

const OPS: &[&str] = &[
    "GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "DescribeIdentity", "ListIdentities", "Unknown",
];

fn pool() -> identitypools::IdentityPool {
    identitypools::IdentityPool {
        id: "us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01".into(),
        name: "fuzz".into(),
        region: "us-east-1".into(),
        arn: "arn:aws:cognito-identity:us-east-1:000000000000:identitypool/us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01".into(),
        allow_unauthenticated: true,
        providers: vec![identitypools::IdentityProvider { user_pool: "us-east-1_Fuzz".into(), client_id: "web".into() }],
        authenticated_role: Some("arn:aws:iam::000000000000:role/Auth".into()),
        unauthenticated_role: None,
        role_mappings: Vec::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let op = OPS[usize::from(selector) % OPS.len()];
    match identitypools::parse_operation(op, body) {
        Ok(parsed) => {
            assert_eq!(parsed.name(), op);
            let logins = match &parsed {
                identitypools::Operation::GetId { logins, .. }
                | identitypools::Operation::GetCredentialsForIdentity { logins, .. }
                | identitypools::Operation::GetOpenIdToken { logins, .. } => logins.clone(),
                _ => None,
            };
            let served = |id: &str| Some(format!("http://127.0.0.1:8080/{id}"));
            if let Err(e) = identitypools::parse_logins(&pool(), logins.as_ref(), &served) {
                assert!(e.kind.name().ends_with("Exception"));
            }
        }
        Err(e) => assert!(e.kind.name().ends_with("Exception")),
    }
});
