//! Any query, form body, cookie and bearer token a browser or an app can send to the hosted
//! sign-in page, `/oauth2/userInfo` and `/oauth2/revoke`, against a real pool on in-memory
//! storage. None may panic or hang, and no answer may redirect anywhere but `/login` or a
//! registered callback or logout URL (no open redirect), nor carry a code without a password.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"
user_pools:
  - id: us-east-1_Fuzz
    clients:
      - id: spa
        oauth_flows: [code]
        oauth_scopes: [openid, email]
        callback_urls: ["https://app.example/cb"]
        logout_urls: ["https://app.example/"]
      - id: server
        secret: "0123456789abcdef"
        oauth_flows: [code]
        oauth_scopes: [openid]
        callback_urls: ["http://localhost:3000/cb?x=1"]
"#;

const ALLOWED: [&str; 4] = [
    "/login?",
    "https://app.example/cb?",
    "http://localhost:3000/cb?x=1&",
    "https://app.example/",
];

fn setup() -> &'static (tokio::runtime::Runtime, cognito::Provider) {
    static SETUP: OnceLock<(tokio::runtime::Runtime, cognito::Provider)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = std::env::temp_dir().join(format!("cognito-fuzz-hosted-{}", std::process::id()));
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
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // query \0 body \0 cookie
    let mut parts = rest.splitn(3, |b| *b == 0);
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default().to_vec();
    let cookie = parts.next().map(|c| String::from_utf8_lossy(c).into_owned());
    let (runtime, provider) = setup();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let source = std::net::Ipv4Addr::LOCALHOST.into();
    let answer = runtime.block_on(async {
        let work = async {
            match selector % 6 {
                0 => Some(provider.authorize(&query).await),
                1 => Some(provider.login_page(&query, cookie.as_deref(), now).await),
                2 => Some(provider.login_submit(&query, &body, cookie.as_deref(), source, now).await),
                3 => Some(provider.logout(&query)),
                4 => {
                    let _ = provider.user_info(Some(&query), now).await;
                    None
                }
                _ => {
                    let request = cognito::RevokeRequest {
                        token: Some(query.clone()),
                        client_id: cookie.clone(),
                        client_secret: None,
                    };
                    let _ = provider.oauth_revoke(&request, now).await;
                    None
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), work).await
    });
    if let Some(answer) = answer.expect("a request finishes") {
        if let Some(location) = &answer.location {
            assert_eq!(answer.status, 302);
            assert!(
                ALLOWED.iter().any(|a| location.starts_with(a)),
                "an open redirect: {location}"
            );
            // No user exists: no code is ever issued.
            assert!(!location.contains("code="), "a code without a sign-in: {location}");
        }
    }
});
