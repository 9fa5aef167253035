//! Authorizers: how a method authenticates its callers, as API Gateway models it.
//!
//! A method has exactly one [`Authorizer`]. The configuration of a Cognito, Lambda or JWT
//! authorizer is defined once per API (one OpenAPI security scheme) and shared by every method
//! that names it, hence the `Arc`s; what varies per method (the authorization scopes) sits beside
//! the shared part. Everything is validated at import: ARNs split, regexes compiled, identity
//! sources typed, so the gateway never re-reads the document.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;

use crate::context::ContextVar;

/// API Gateway's `authorizationType` of a method. [`AuthType::as_str`] is the one spelling used in
/// metric labels and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthType {
    None,
    AwsIam,
    CognitoUserPools,
    /// Lambda authorizers, token or request: API Gateway calls both `CUSTOM`.
    Custom,
    Jwt,
}

impl AuthType {
    pub const ALL: [AuthType; 5] = [
        AuthType::None,
        AuthType::AwsIam,
        AuthType::CognitoUserPools,
        AuthType::Custom,
        AuthType::Jwt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::None => "NONE",
            AuthType::AwsIam => "AWS_IAM",
            AuthType::CognitoUserPools => "COGNITO_USER_POOLS",
            AuthType::Custom => "CUSTOM",
            AuthType::Jwt => "JWT",
        }
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How callers of one method authenticate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorizer {
    /// `NONE`: anyone may call (a resource policy may still restrict them).
    None,
    /// `AWS_IAM`: SigV4-signed requests, authorized with IAM policies.
    Iam,
    /// `COGNITO_USER_POOLS`.
    CognitoUserPools {
        authorizer: Arc<CognitoAuthorizer>,
        /// The method's `authorizationScopes` (the list in its security requirement). Empty: an
        /// identity token is accepted; otherwise an access token carrying one of these scopes.
        scopes: Vec<String>,
    },
    /// `CUSTOM`: a Lambda authorizer, token or request.
    Lambda(Arc<LambdaAuthorizer>),
    /// `JWT` (HTTP API style).
    Jwt {
        authorizer: Arc<JwtAuthorizer>,
        /// The method's `authorizationScopes`; empty means any valid token.
        scopes: Vec<String>,
    },
}

impl Authorizer {
    pub fn auth_type(&self) -> AuthType {
        match self {
            Authorizer::None => AuthType::None,
            Authorizer::Iam => AuthType::AwsIam,
            Authorizer::CognitoUserPools { .. } => AuthType::CognitoUserPools,
            Authorizer::Lambda(_) => AuthType::Custom,
            Authorizer::Jwt { .. } => AuthType::Jwt,
        }
    }

    /// The name of the security scheme that defines the authorizer, if it has one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Authorizer::None | Authorizer::Iam => None,
            Authorizer::CognitoUserPools { authorizer, .. } => Some(&authorizer.name),
            Authorizer::Lambda(authorizer) => Some(&authorizer.name),
            Authorizer::Jwt { authorizer, .. } => Some(&authorizer.name),
        }
    }

    /// The method's authorization scopes (always empty except for Cognito and JWT).
    pub fn scopes(&self) -> &[String] {
        match self {
            Authorizer::CognitoUserPools { scopes, .. } | Authorizer::Jwt { scopes, .. } => scopes,
            _ => &[],
        }
    }
}

/// A `COGNITO_USER_POOLS` authorizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CognitoAuthorizer {
    /// The security scheme's name.
    pub name: String,
    /// `providerARNs`: the user pools whose tokens are accepted; never empty, each
    /// `arn:{partition}:cognito-idp:{region}:{account}:userpool/{id}`.
    pub provider_arns: Vec<String>,
    /// Where the token is read from: always a header (default `Authorization`).
    pub identity_source: IdentitySource,
}

/// A Lambda (`CUSTOM`) authorizer.
#[derive(Clone, Debug)]
pub struct LambdaAuthorizer {
    /// The security scheme's name.
    pub name: String,
    pub kind: LambdaKind,
    /// The function to invoke, taken from [`LambdaAuthorizer::authorizer_uri`]; it may contain
    /// `${stageVariables.…}`, as API Gateway allows.
    pub function_arn: String,
    /// `authorizerUri` as written:
    /// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations`.
    pub authorizer_uri: String,
    /// `authorizerCredentials`: the role API Gateway assumes to invoke the function; `None` means
    /// the function's resource policy grants API Gateway the right to invoke it.
    pub credentials: Option<String>,
    /// For a token authorizer exactly one [`IdentitySource::Header`]. For a request authorizer the
    /// values that must all be present (and form the cache key); empty only when caching is off.
    pub identity_sources: Vec<IdentitySource>,
    /// `identityValidationExpression` (token authorizers only), anchored: the whole token must
    /// match or the caller gets 401 without the function being invoked.
    pub validation_expression: Option<regex::Regex>,
    /// `authorizerResultTtlInSeconds`: 0 disables caching; at most one hour; default 300 s.
    pub result_ttl: Duration,
}

// By hand because `regex::Regex` has no `PartialEq`: two expressions are equal when written alike.
impl PartialEq for LambdaAuthorizer {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.kind == other.kind
            && self.function_arn == other.function_arn
            && self.authorizer_uri == other.authorizer_uri
            && self.credentials == other.credentials
            && self.identity_sources == other.identity_sources
            && self
                .validation_expression
                .as_ref()
                .map(regex::Regex::as_str)
                == other
                    .validation_expression
                    .as_ref()
                    .map(regex::Regex::as_str)
            && self.result_ttl == other.result_ttl
    }
}

impl Eq for LambdaAuthorizer {}

impl LambdaAuthorizer {
    /// [`LambdaAuthorizer::function_arn`] for one stage: each `${stageVariables.name}` replaced by
    /// the stage's value. `None` when the stage lacks a variable the ARN names, or when the result
    /// is not a function ARN ([`FunctionArn::parse`]).
    pub fn stage_function_arn(&self, variables: &BTreeMap<String, String>) -> Option<String> {
        let mut out = String::with_capacity(self.function_arn.len());
        let mut rest = self.function_arn.as_str();
        while let Some(start) = rest.find("${stageVariables.") {
            out.push_str(rest.get(..start)?);
            let after = rest.get(start + "${stageVariables.".len()..)?;
            let end = after.find('}')?;
            out.push_str(variables.get(after.get(..end)?)?);
            rest = after.get(end + 1..)?;
        }
        out.push_str(rest);
        FunctionArn::parse(&out).is_some().then_some(out)
    }
}

/// A Lambda function ARN, `arn:{partition}:lambda:{region}:{account}:function:{name}[:{qualifier}]`,
/// split. Shared by every place that turns an ARN into a configured function (authorizers, the
/// `aws_proxy` integration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunctionArn<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub name: &'a str,
    /// A version or alias (`:$LATEST`, `:1`, `:live`), when the ARN names one.
    pub qualifier: Option<&'a str>,
}

impl<'a> FunctionArn<'a> {
    /// Whether the ARN names the unpublished version, the only one Portcullis runs.
    pub fn is_latest(&self) -> bool {
        self.qualifier.is_none_or(|q| q == "$LATEST")
    }

    /// Splits `arn`; `None` unless it has exactly the form above with no empty part.
    pub fn parse(arn: &'a str) -> Option<FunctionArn<'a>> {
        let parts: Vec<&str> = arn.split(':').collect();
        let (head, qualifier) = match parts.as_slice() {
            [a, p, l, r, acct, f, name] => ([*a, *p, *l, *r, *acct, *f, *name], None),
            [a, p, l, r, acct, f, name, q] => ([*a, *p, *l, *r, *acct, *f, *name], Some(*q)),
            _ => return None,
        };
        let [arn, partition, lambda, region, account, function, name] = head;
        let well_formed = arn == "arn"
            && lambda == "lambda"
            && function == "function"
            && head.iter().chain(qualifier.iter()).all(|p| !p.is_empty());
        well_formed.then_some(FunctionArn {
            partition,
            region,
            account,
            name,
            qualifier,
        })
    }
}

/// What a Lambda authorizer receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LambdaKind {
    /// `TOKEN`: one header's value (a bearer token).
    Token,
    /// `REQUEST`: headers, query string, stage variables and context of the request.
    Request,
}

impl LambdaKind {
    /// API Gateway's authorizer `type` for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            LambdaKind::Token => "TOKEN",
            LambdaKind::Request => "REQUEST",
        }
    }
}

/// A JWT authorizer (`type: jwt`, as HTTP APIs define them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtAuthorizer {
    /// The security scheme's name.
    pub name: String,
    /// `jwtConfiguration.issuer` (or derived from the scheme's `openIdConnectUrl`): an `https://`
    /// URL (`http://` only on a loopback host), the expected `iss` claim.
    pub issuer: String,
    /// `jwtConfiguration.audience`: a token's `aud` (or `client_id`) must be one of these; never
    /// empty.
    pub audiences: Vec<String>,
    /// Where the token is read from: a header or a query string parameter (default the
    /// `Authorization` header).
    pub identity_source: IdentitySource,
}

/// Where an authorizer reads the caller's identity from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IdentitySource {
    /// `method.request.header.Name` / `$request.header.Name`.
    Header(HeaderName),
    /// `method.request.querystring.name` / `$request.querystring.name`.
    Query(String),
    /// `stageVariables.name` / `$stageVariables.name`.
    StageVariable(String),
    /// `context.name` / `$context.name`.
    Context(ContextVar),
}

/// The REST API spelling, as in `identitySource` of a REST API export.
impl fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentitySource::Header(name) => write!(f, "method.request.header.{name}"),
            IdentitySource::Query(name) => write!(f, "method.request.querystring.{name}"),
            IdentitySource::StageVariable(name) => write!(f, "stageVariables.{name}"),
            IdentitySource::Context(var) => write!(f, "context.{var}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_type_names_are_api_gateways() {
        let names: Vec<&str> = AuthType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names,
            ["NONE", "AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM", "JWT"]
        );
        assert_eq!(AuthType::Custom.to_string(), "CUSTOM");
        assert_eq!(Authorizer::Iam.auth_type(), AuthType::AwsIam);
        assert_eq!(Authorizer::None.auth_type(), AuthType::None);
    }

    #[test]
    fn function_arns_split() {
        let arn =
            FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:auth").unwrap();
        assert_eq!(
            (
                arn.partition,
                arn.region,
                arn.account,
                arn.name,
                arn.qualifier
            ),
            ("aws", "us-east-1", "123456789012", "auth", None)
        );
        let arn = FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:auth:$LATEST")
            .unwrap();
        assert_eq!(arn.qualifier, Some("$LATEST"));
        for bad in [
            "arn:aws:lambda:us-east-1:123456789012:function:",
            "arn:aws:lambda:us-east-1:123456789012:layer:auth",
            "arn:aws:s3:us-east-1:123456789012:function:auth",
            "arn:aws:lambda:us-east-1:123456789012:function:auth:1:2",
            "arn:aws:lambda:us-east-1::function:auth",
        ] {
            assert_eq!(FunctionArn::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn stage_variables_in_function_arns() {
        let authorizer = LambdaAuthorizer {
            name: "a".into(),
            kind: LambdaKind::Token,
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:${stageVariables.fn}"
                .into(),
            authorizer_uri: String::new(),
            credentials: None,
            identity_sources: Vec::new(),
            validation_expression: None,
            result_ttl: Duration::ZERO,
        };
        let vars = BTreeMap::from([("fn".to_string(), "auth-prod".to_string())]);
        assert_eq!(
            authorizer.stage_function_arn(&vars).as_deref(),
            Some("arn:aws:lambda:us-east-1:123456789012:function:auth-prod")
        );
        assert_eq!(authorizer.stage_function_arn(&BTreeMap::new()), None);
        let bad = BTreeMap::from([("fn".to_string(), "a:b:c".to_string())]);
        assert_eq!(authorizer.stage_function_arn(&bad), None);
    }

    #[test]
    fn identity_sources_display_in_rest_form() {
        let sources = [
            IdentitySource::Header(HeaderName::from_static("authorization")),
            IdentitySource::Query("token".into()),
            IdentitySource::StageVariable("env".into()),
            IdentitySource::Context(ContextVar::RequestId),
        ];
        let shown: Vec<String> = sources.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "method.request.header.authorization",
                "method.request.querystring.token",
                "stageVariables.env",
                "context.requestId",
            ]
        );
    }
}
