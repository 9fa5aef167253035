//! Real AWS SDK clients pointed at the gateway's edge endpoint.

use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};

/// An STS client that talks plain HTTP to `endpoint` (e.g. `http://127.0.0.1:8080`).
pub fn sts_client(endpoint: &str, region: &str, key: &crate::signer::Key) -> aws_sdk_sts::Client {
    let credentials = sdk_credentials(key);
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(credentials)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// An STS client without credentials, for `AssumeRoleWithWebIdentity` (unsigned, as on AWS:
/// the web identity token is what it trusts). It does not retry.
pub fn sts_web_identity_client(endpoint: &str, region: &str) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

pub use aws_sdk_sts as sts;

/// A Cognito Identity Provider client for `endpoint`, without credentials: the operations of
/// an app's users (SignUp, InitiateAuth, …) are unsigned, as from a browser.
pub fn cognito_client(endpoint: &str, region: &str) -> aws_sdk_cognitoidentityprovider::Client {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(aws_sdk_cognitoidentityprovider::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_cognitoidentityprovider::Client::from_conf(config)
}
/// A Cognito Identity Provider client that signs its calls with `key` (the administrative
/// operations need it).
pub fn cognito_admin_client(
    endpoint: &str,
    region: &str,
    key: &crate::signer::Key,
) -> aws_sdk_cognitoidentityprovider::Client {
    let credentials = sdk_credentials(key);
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(aws_sdk_cognitoidentityprovider::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(credentials)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_cognitoidentityprovider::Client::from_conf(config)
}

pub use aws_sdk_cognitoidentityprovider as cognito_idp;

/// A Lambda client for `endpoint` that signs its calls with `key` (Invoke needs it). It does not
/// retry: a throttled or failed call is the test's to see.
pub fn lambda_client(
    endpoint: &str,
    region: &str,
    key: &crate::signer::Key,
) -> aws_sdk_lambda::Client {
    let credentials = sdk_credentials(key);
    let config = aws_sdk_lambda::Config::builder()
        .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(credentials)
        .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

pub use aws_sdk_lambda as lambda;

/// The SDK's credentials for a test key.
fn sdk_credentials(key: &crate::signer::Key) -> Credentials {
    Credentials::new(
        key.access_key_id.clone(),
        key.secret.clone(),
        key.session_token.clone(),
        None,
        "testkit",
    )
}

/// A Cognito Identity (identity pools) client for `endpoint`: unsigned with `None` (GetId and
/// GetCredentialsForIdentity, as from a browser), signed with `key` otherwise
/// (DescribeIdentity, ListIdentities). It does not retry.
pub fn cognito_identity_client(
    endpoint: &str,
    region: &str,
    key: Option<&crate::signer::Key>,
) -> aws_sdk_cognitoidentity::Client {
    let mut config = aws_sdk_cognitoidentity::Config::builder()
        .behavior_version(aws_sdk_cognitoidentity::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .retry_config(aws_sdk_cognitoidentity::config::retry::RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http());
    if let Some(key) = key {
        config = config.credentials_provider(sdk_credentials(key));
    }
    aws_sdk_cognitoidentity::Client::from_conf(config.build())
}

pub use aws_sdk_cognitoidentity as cognito_identity;
