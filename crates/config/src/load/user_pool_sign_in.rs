//! The sign-in settings of `user_pools`: a pool's `mfa_configuration` and a client's
//! `refresh_token_rotation`, checked as Cognito checks them.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::Loader;
use crate::file::parse_duration;
use crate::userpool::{AuthFlow, MfaConfiguration, RefreshTokenRotation};

/// Cognito's bound on `RetryGracePeriodSeconds`.
const MAX_GRACE: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RotationEntry {
    enabled: bool,
    retry_grace_period: Option<String>,
}

impl Loader {
    /// `OFF`, `OPTIONAL` or `ON` (software tokens are the factor). YAML 1.1 reads unquoted
    /// `ON`/`OFF` as booleans, so those are accepted too.
    pub(super) fn mfa_configuration(
        &mut self,
        value: Option<&Value>,
        pointer: &str,
    ) -> MfaConfiguration {
        let text = match value {
            None | Some(Value::Bool(false)) => return MfaConfiguration::Off,
            Some(Value::Bool(true)) => return MfaConfiguration::On,
            Some(Value::String(s)) => s.to_ascii_uppercase(),
            Some(other) => other.to_string(),
        };
        match text.as_str() {
            "OFF" => MfaConfiguration::Off,
            "OPTIONAL" => MfaConfiguration::Optional,
            "ON" => MfaConfiguration::On,
            _ => {
                self.error(
                    pointer,
                    format!("mfa_configuration is OFF, OPTIONAL or ON, not {text:?} (the factor is a software token; SMS and email MFA are not supported)"),
                );
                MfaConfiguration::Off
            }
        }
    }

    /// A client's rotation setting. Cognito serves rotation only through
    /// GetTokensFromRefreshToken and the token endpoint, so a rotating client may not list
    /// `REFRESH_TOKEN_AUTH`.
    pub(super) fn refresh_token_rotation(
        &mut self,
        value: Option<&Value>,
        at: &str,
        auth_flows: &[AuthFlow],
    ) -> Option<RefreshTokenRotation> {
        let pointer = format!("{at}/refresh_token_rotation");
        let entry: RotationEntry = self.typed(value?, &pointer)?;
        if !entry.enabled {
            return None;
        }
        let grace = match entry.retry_grace_period.as_deref() {
            None => Duration::ZERO,
            Some(text) => match parse_duration(text) {
                Ok(d) if d <= MAX_GRACE && d.subsec_nanos() == 0 => d,
                Ok(_) => {
                    self.error(
                        &format!("{pointer}/retry_grace_period"),
                        format!("retry_grace_period is whole seconds from 0s to 60s (Cognito's RetryGracePeriodSeconds), not {text:?}"),
                    );
                    Duration::ZERO
                }
                Err(e) => {
                    self.error(&format!("{pointer}/retry_grace_period"), e);
                    Duration::ZERO
                }
            },
        };
        if auth_flows.contains(&AuthFlow::RefreshTokenAuth) {
            self.error(
                &format!("{at}/auth_flows"),
                "a client with refresh_token_rotation cannot allow REFRESH_TOKEN_AUTH (as in Cognito: rotation is served by GetTokensFromRefreshToken and /oauth2/token); remove it",
            );
        }
        Some(RefreshTokenRotation {
            retry_grace_period: grace,
        })
    }
}
