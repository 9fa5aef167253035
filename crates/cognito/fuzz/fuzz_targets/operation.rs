//! Any operation name and body an unauthenticated caller can send to the Cognito service, run
//! against a real pool on in-memory storage. None may panic or hang; every answer is a JSON
//! object or a Cognito error with a known `__type`.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"
user_pools:
  - id: us-east-1_Fuzz
    username_attributes: [email]
    auto_verified_attributes: [email]
    mfa_configuration: OPTIONAL
    custom_attributes: [plan]
    clients:
      - {id: web, auth_flows: [USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH]}
      - {id: secret, secret: "0123456789abcdef", auth_flows: [USER_PASSWORD_AUTH]}
      - {id: rotating, auth_flows: [USER_PASSWORD_AUTH], refresh_token_rotation: {enabled: true, retry_grace_period: 10s}}
"#;

const OPS: &[&str] = &[
    "SignUp", "ConfirmSignUp", "ResendConfirmationCode", "InitiateAuth", "RespondToAuthChallenge",
    "GetUser", "UpdateUserAttributes", "VerifyUserAttribute", "ChangePassword", "ForgotPassword",
    "ConfirmForgotPassword", "GlobalSignOut", "RevokeToken", "DeleteUser", "GetTokensFromRefreshToken",
    "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference", "Unknown",
];

fn setup() -> &'static (tokio::runtime::Runtime, cognito::Provider) {
    static SETUP: OnceLock<(tokio::runtime::Runtime, cognito::Provider)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = std::env::temp_dir().join(format!("cognito-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("portcullis.yaml");
        std::fs::write(&path, CONFIG).expect("config");
        let config = config::load(&path).expect("the fuzz configuration loads");
        let provider = runtime.block_on(async {
            let stores = store::SqliteStore::memory().await.expect("store").into_stores();
            let shared = Arc::new(cognito::Shared::new(
                stores.userpools.clone(),
                stores.signin.clone(),
                userpools::PasswordHasher::for_tests().expect("hasher"),
                Arc::new(counters::MemoryCounters::new(10_000)),
            ));
            cognito::Provider::new(shared, &config.user_pools)
        });
        (runtime, provider)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (runtime, provider) = setup();
    let op = OPS[usize::from(selector) % OPS.len()];
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let answer = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), provider.call(op, body, std::net::Ipv4Addr::LOCALHOST.into(), now)).await
    });
    match answer.expect("an operation finishes") {
        Ok(value) => assert!(value.is_object(), "{op}: {value}"),
        Err(e) => assert!(e.kind.name().ends_with("Exception")),
    }
});
