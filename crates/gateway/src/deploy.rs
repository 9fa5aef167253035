//! A deployment: the configuration compiled into what the request path reads.
//!
//! Everything that can be resolved once is resolved here — route tables, per-route metric
//! handles, access-log writers, logging levels, compiled policies, the access keys — so the
//! pipeline only indexes into vectors. A [`Deployment`] never changes once built: a reload
//! compiles a new one and swaps it in ([`crate::Services::reload`]); requests already running
//! finish on the one they started with.

use std::collections::HashMap;
use std::sync::Arc;

use config::{Config, LogDestination, LoggingLevel};
use restapi::{Api, AuthType, GatewayHeaderSource};
use router::Router;
use store::Stores;
use telemetry::{AccessLog, Destination, Metrics, RouteMetrics, Sinks};

use crate::auth::Credentials;
use crate::cache::{CacheRegistry, StageCache};
use crate::usage::KeyIndex;

/// The configuration compiled for the request path: immutable, swapped whole on reload.
pub struct Deployment {
    apis: HashMap<String, Arc<ApiRuntime>>,
    /// Set when exactly one API is configured: it answers `/{stage}/{path}`.
    single: Option<Arc<ApiRuntime>>,
    /// The access keys of the `iam:` section, and the stored sessions of its roles (cached;
    /// a new deployment starts with an empty cache, so a changed role policy applies at once).
    pub(crate) credentials: Credentials,
    /// SigV4 verification for API methods (`execute-api`) and for STS (`sts`); each keeps its
    /// own cache of derived signing keys.
    pub(crate) verifier: sigv4::Verifier,
    pub(crate) sts_verifier: sigv4::Verifier,
    /// SigV4 verification for the user pools' administrative operations (`cognito-idp`).
    pub(crate) cognito_verifier: sigv4::Verifier,
    /// SigV4 verification for the admin control plane (`apigateway`, see `admin/auth.rs`).
    pub(crate) admin_verifier: sigv4::Verifier,
    /// SigV4 verification for Lambda's Invoke API (`lambda`, see `aws/rest_json.rs`).
    pub(crate) lambda_verifier: sigv4::Verifier,
    /// The configuration's region and account: what functions' ARNs name.
    pub(crate) region: String,
    pub(crate) account_id: String,
    pub(crate) anonymous: Arc<iam::Principal>,
    pub(crate) anonymous_context: Arc<iam::RequestContext>,
    pub(crate) shared_values: crate::auth::SharedValues,
    /// The API keys and usage plans of the configuration file (the admin API's live in
    /// `Services`).
    pub keys: KeyIndex,
    pub config_keys: Vec<config::ApiKeyConfig>,
    pub config_plans: Vec<config::UsagePlanConfig>,
    /// The account-level throttle: one bucket for every request to every API.
    pub(crate) account_throttle: counters::BucketSpec,
    /// The user pools: the Cognito Identity Provider service, their OIDC endpoints, and what
    /// `COGNITO_USER_POOLS` authorizers check tokens against.
    pub(crate) idp: Arc<cognito::Provider>,
    /// The identity pools (`aws/identity.rs`).
    pub(crate) identity_pools: Arc<Vec<config::IdentityPoolConfig>>,
    /// SigV4 verification for the identity pools' signed operations (`cognito-identity`).
    pub(crate) cognito_identity_verifier: sigv4::Verifier,
    /// The issuers of the configuration's JWT authorizers, each with every audience those
    /// authorizers accept: the OIDC providers STS's `AssumeRoleWithWebIdentity` trusts
    /// (`aws/web_identity.rs`).
    pub(crate) web_identity_issuers: HashMap<String, Vec<String>>,
}

/// One API with its route table and stages.
pub struct ApiRuntime {
    pub id: String,
    /// `id` as a header value (`x-amzn-apigateway-api-id` on integration requests).
    pub id_header: http::HeaderValue,
    pub account_id: String,
    pub region: String,
    pub api: Api,
    /// Whether a gateway response maps a request header, query or path parameter: only then
    /// does the pipeline keep a copy of them for error responses.
    pub responses_read_request: bool,
    /// `x-amazon-apigateway-policy`, compiled.
    pub resource_policy: Option<iam::NamedPolicy>,
    pub router: Router,
    pub stages: Vec<StageRuntime>,
    stage_index: HashMap<String, usize>,
}

pub struct StageRuntime {
    pub name: String,
    pub variables: std::collections::BTreeMap<String, String>,
    pub access_log: Option<AccessLog>,
    /// Parallel to `api.resources[r].methods[m]`.
    pub methods: Vec<Vec<MethodRuntime>>,
    /// Metrics for requests that reached the stage but matched no resource or method.
    pub unmatched: RouteMetrics,
    /// The stage's response cache, when `cache_cluster` is enabled.
    pub cache: Option<Arc<StageCache>>,
    /// `x-amzn-ErrorType`-free throttling counters per stage: throttled and quota-refused
    /// requests, and cache hits and misses.
    pub usage_metrics: telemetry::StageUsageMetrics,
    /// `auth_outcomes{outcome="allow",reason="allowed"}` per authorization type: counted on
    /// every authorized request, so resolved once.
    allowed: Allowed,
    /// The API's Lambda authorizers as this stage runs them, by security scheme name.
    pub lambda_authorizers: HashMap<String, StageAuthorizer>,
}

/// A Lambda authorizer on one stage: the function its ARN names with the stage's variables, and
/// the fingerprint its cache entries are keyed with (see `lambda_authorizer::cache`).
pub struct StageAuthorizer {
    pub function: String,
    pub fingerprint: [u8; 32],
}

/// The stage's Lambda authorizers. The configuration's loader checked that each resolves to a
/// configured function on every stage; one that would not is left out, and its methods are then
/// refused at request time (fail closed), never served without it.
fn stage_authorizers(
    api_id: &str,
    api: &Api,
    stage: &config::StageConfig,
) -> HashMap<String, StageAuthorizer> {
    let mut out = HashMap::new();
    for method in api.resources.iter().flat_map(|r| &r.methods) {
        let restapi::Authorizer::Lambda(authorizer) = &method.authorizer else {
            continue;
        };
        if out.contains_key(&authorizer.name) {
            continue;
        }
        let Some(arn) = authorizer.stage_function_arn(&stage.variables) else {
            continue;
        };
        let Some(function) = restapi::FunctionArn::parse(&arn).map(|a| a.name.to_string()) else {
            continue;
        };
        let fingerprint = crate::lambda_authorizer::cache::fingerprint(
            api_id,
            &stage.name,
            &function,
            &format!("{authorizer:?}"),
        );
        out.insert(
            authorizer.name.clone(),
            StageAuthorizer {
                function,
                fingerprint,
            },
        );
    }
    out
}

/// One "allowed" counter per [`AuthType`].
struct Allowed {
    none: telemetry::Counter,
    aws_iam: telemetry::Counter,
    cognito_user_pools: telemetry::Counter,
    custom: telemetry::Counter,
    jwt: telemetry::Counter,
}

impl Allowed {
    fn new(metrics: &Metrics, api: &str, stage: &str) -> Allowed {
        let counter = |t| metrics.auth_counter(api, stage, t, "allow", "allowed");
        Allowed {
            none: counter(AuthType::None),
            aws_iam: counter(AuthType::AwsIam),
            cognito_user_pools: counter(AuthType::CognitoUserPools),
            custom: counter(AuthType::Custom),
            jwt: counter(AuthType::Jwt),
        }
    }
}

impl StageRuntime {
    pub fn allowed(&self, auth_type: AuthType) -> &telemetry::Counter {
        let a = &self.allowed;
        match auth_type {
            AuthType::None => &a.none,
            AuthType::AwsIam => &a.aws_iam,
            AuthType::CognitoUserPools => &a.cognito_user_pools,
            AuthType::Custom => &a.custom,
            AuthType::Jwt => &a.jwt,
        }
    }
}

pub struct MethodRuntime {
    pub metrics: RouteMetrics,
    pub logging: LoggingLevel,
    /// `api/stage/VERB/resource`: names this method's counters.
    pub counter_key: Arc<str>,
    /// The stage's throttle for this method (its own `method_settings` entry, else `*/*`).
    pub throttle: Option<counters::BucketSpec>,
    /// Set when responses of this method are cached.
    pub cache: Option<MethodCache>,
}

/// How one method uses the stage cache.
pub struct MethodCache {
    pub ttl: std::time::Duration,
    /// The integration's `cacheNamespace`, else the resource path.
    pub namespace: String,
    pub require_authorization_for_cache_control: bool,
    pub unauthorized_cache_control: config::CacheControlStrategy,
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("cannot open the access log {path}: {source}")]
    AccessLog {
        path: String,
        source: std::io::Error,
    },
    #[error("API {api}: {source}")]
    Route {
        api: String,
        source: router::RouteError,
    },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("user pools: {0}")]
    UserPools(String),
    #[error("functions: {0}")]
    Functions(String),
}

impl ApiRuntime {
    pub fn stage(&self, name: &str) -> Option<usize> {
        self.stage_index.get(name).copied()
    }
}

impl Deployment {
    /// Compiles `config`. Access-log writers come from `sinks`, which keeps one per destination
    /// across deployments.
    pub fn compile(
        config: &Config,
        store: Stores,
        idp: &Arc<cognito::Shared>,
        metrics: &Metrics,
        sinks: &mut Sinks,
        caches: &CacheRegistry,
        now: std::time::SystemTime,
    ) -> Result<Deployment, DeployError> {
        let mut apis = HashMap::new();
        for deployment in &config.apis {
            let runtime = Arc::new(compile_api(config, deployment, metrics, sinks, caches)?);
            apis.insert(deployment.id.clone(), runtime);
        }
        let live: Vec<(String, String)> = apis
            .values()
            .flat_map(|a| {
                a.stages
                    .iter()
                    .filter(|s| s.cache.is_some())
                    .map(|s| (a.id.clone(), s.name.clone()))
            })
            .collect();
        caches.retain(&live);
        let web_identity_issuers = web_identity_issuers(apis.values().map(|a| &a.api));
        let single = if apis.len() == 1 {
            apis.values().next().cloned()
        } else {
            None
        };
        Ok(Deployment {
            apis,
            single,
            credentials: Credentials::new(config.iam.clone(), store.sessions),
            verifier: sigv4::Verifier::new(config.region.clone(), "execute-api")
                .allow_unsigned_payload(config.server.allow_unsigned_payload),
            sts_verifier: sigv4::Verifier::new(config.region.clone(), "sts"),
            cognito_verifier: sigv4::Verifier::new(config.region.clone(), "cognito-idp"),
            cognito_identity_verifier: sigv4::Verifier::new(
                config.region.clone(),
                "cognito-identity",
            ),
            identity_pools: Arc::new(config.identity_pools.clone()),
            admin_verifier: sigv4::Verifier::new(config.region.clone(), "apigateway"),
            lambda_verifier: sigv4::Verifier::new(config.region.clone(), "lambda"),
            region: config.region.clone(),
            account_id: config.account_id.clone(),
            anonymous: Arc::new(iam::Principal::anonymous()),
            anonymous_context: Arc::new(iam::RequestContext::for_principal(
                &iam::Principal::anonymous(),
            )),
            shared_values: crate::auth::SharedValues {
                region: config.region.as_str().into(),
            },
            keys: KeyIndex::from_config(config, now),
            config_keys: config.api_keys.clone(),
            config_plans: config.usage_plans.clone(),
            account_throttle: crate::usage::index_bucket(config.account_throttle),
            idp: Arc::new(cognito::Provider::new(idp.clone(), &config.user_pools)),
            web_identity_issuers,
        })
    }

    pub fn api(&self, id: &str) -> Option<&Arc<ApiRuntime>> {
        self.apis.get(id)
    }

    pub fn single_api(&self) -> Option<&Arc<ApiRuntime>> {
        self.single.as_ref()
    }
}

/// Every JWT authorizer's issuer with the union of their audiences.
fn web_identity_issuers<'a>(apis: impl Iterator<Item = &'a Api>) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for method in apis.flat_map(|a| a.resources.iter().flat_map(|r| &r.methods)) {
        if let restapi::Authorizer::Jwt { authorizer, .. } = &method.authorizer {
            let audiences = out.entry(authorizer.issuer.clone()).or_default();
            for aud in &authorizer.audiences {
                if !audiences.contains(aud) {
                    audiences.push(aud.clone());
                }
            }
        }
    }
    out
}

fn compile_api(
    config: &Config,
    deployment: &config::ApiDeployment,
    metrics: &Metrics,
    sinks: &mut Sinks,
    caches: &CacheRegistry,
) -> Result<ApiRuntime, DeployError> {
    let api = deployment.api.clone();
    let mut router = Router::new();
    for (i, resource) in api.resources.iter().enumerate() {
        router
            .insert(&resource.path, i)
            .map_err(|source| DeployError::Route {
                api: deployment.id.clone(),
                source,
            })?;
    }
    let mut stages = Vec::new();
    let mut stage_index = HashMap::new();
    for stage in &deployment.stages {
        let access_log = match &stage.access_log {
            None => None,
            Some(log) => {
                let destination = match &log.destination {
                    LogDestination::Stdout => Destination::Stdout,
                    LogDestination::Stderr => Destination::Stderr,
                    LogDestination::File(p) => Destination::File(p.clone()),
                };
                Some(
                    sinks
                        .logger(&destination, log.format.clone())
                        .map_err(|source| DeployError::AccessLog {
                            path: format!("{destination:?}"),
                            source,
                        })?,
                )
            }
        };
        let methods = api
            .resources
            .iter()
            .map(|resource| {
                resource
                    .methods
                    .iter()
                    .map(|method| {
                        let settings = stage.method(&resource.path, method.verb);
                        MethodRuntime {
                            metrics: metrics.route(
                                &deployment.id,
                                &stage.name,
                                method.verb.as_str(),
                                &resource.path,
                            ),
                            logging: settings.logging_level,
                            counter_key: format!(
                                "{}/{}/{}{}",
                                deployment.id, stage.name, method.verb, resource.path
                            )
                            .into(),
                            throttle: settings.throttle.map(crate::usage::index_bucket),
                            cache: settings.caching_enabled.then(|| MethodCache {
                                ttl: settings.cache_ttl,
                                namespace: method
                                    .integration
                                    .cache_namespace
                                    .clone()
                                    .unwrap_or_else(|| resource.path.clone()),
                                require_authorization_for_cache_control: settings
                                    .require_authorization_for_cache_control,
                                unauthorized_cache_control: settings.unauthorized_cache_control,
                            }),
                        }
                    })
                    .collect()
            })
            .collect();
        stage_index.insert(stage.name.clone(), stages.len());
        stages.push(StageRuntime {
            name: stage.name.clone(),
            variables: stage.variables.clone(),
            access_log,
            methods,
            unmatched: metrics.route(&deployment.id, &stage.name, "", ""),
            cache: stage
                .cache_cluster
                .map(|c| caches.stage(&deployment.id, &stage.name, c.size_mb)),
            usage_metrics: metrics.stage_usage(&deployment.id, &stage.name),
            allowed: Allowed::new(metrics, &deployment.id, &stage.name),
            lambda_authorizers: stage_authorizers(&deployment.id, &api, stage),
        });
    }
    let responses_read_request = api.gateway_responses.values().any(|r| {
        r.headers.iter().any(|(_, source)| {
            matches!(
                source,
                GatewayHeaderSource::RequestHeader(_)
                    | GatewayHeaderSource::RequestQuery(_)
                    | GatewayHeaderSource::RequestPath(_)
            )
        })
    });
    Ok(ApiRuntime {
        id: deployment.id.clone(),
        id_header: http::HeaderValue::try_from(deployment.id.clone())
            .unwrap_or_else(|_| http::HeaderValue::from_static("invalid")),
        account_id: config.account_id.clone(),
        region: config.region.clone(),
        responses_read_request,
        resource_policy: deployment.resource_policy.clone(),
        api,
        router,
        stages,
        stage_index,
    })
}
