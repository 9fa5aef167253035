//! Real AWS SDK clients pointed at the gateway's edge endpoint.

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};

/// An STS client that talks plain HTTP to `endpoint` (e.g. `http://127.0.0.1:8080`).
pub fn sts_client(endpoint: &str, region: &str, key: &crate::signer::Key) -> aws_sdk_sts::Client {
    let credentials = Credentials::new(
        key.access_key_id.clone(),
        key.secret.clone(),
        key.session_token.clone(),
        None,
        "testkit",
    );
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(credentials)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}
