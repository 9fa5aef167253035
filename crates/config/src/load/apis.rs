//! The `apis` section: each API's id, its OpenAPI document and resource policy, and its stages.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::Loader;
use super::stage::is_stage_name;
use crate::file::ApiEntry;
use crate::located::Located;
use crate::{ApiDeployment, StageConfig, UserPoolConfig};

impl Loader {
    pub(super) fn apis(
        &mut self,
        root: &serde_json::Map<String, Value>,
        region: &str,
        account: &str,
        user_pools: &[UserPoolConfig],
        functions: &[functions::FunctionSpec],
    ) -> Vec<ApiDeployment> {
        let mut out = Vec::new();
        let items = match root.get("apis") {
            None => return out,
            Some(Value::Array(items)) => items.clone(),
            Some(_) => {
                self.error("/apis", "apis must be a list");
                return out;
            }
        };
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/apis/{i}");
            let Some(entry): Option<ApiEntry> = self.typed(item, &pointer) else {
                continue;
            };
            if !is_api_id(&entry.id) {
                self.error(
                    &format!("{pointer}/id"),
                    format!("{:?} is not a valid API id: use 1-63 lowercase letters, digits and hyphens (API Gateway's own ids are 10 characters, like a1b2c3d4e5)", entry.id),
                );
            }
            if !seen.insert(entry.id.clone()) {
                self.error(
                    &format!("{pointer}/id"),
                    format!("duplicate API id {:?}", entry.id),
                );
            }
            let scope = Scope {
                region,
                account,
                functions,
            };
            if let Some(api) = self.api(&entry, &pointer, &scope) {
                self.check_user_pools(&api.api, &format!("{pointer}/openapi"), user_pools);
                out.push(api);
            }
        }
        out
    }

    fn api(&mut self, entry: &ApiEntry, pointer: &str, scope: &Scope<'_>) -> Option<ApiDeployment> {
        let (region, account) = (scope.region, scope.account);
        let openapi_file = self.path(&entry.openapi);
        let (api, resource_policy, doc) =
            match self.openapi(&openapi_file, &format!("{pointer}/openapi")) {
                Some((api, doc)) => {
                    self.check_functions(&api, &openapi_file, &doc, scope);
                    // A policy that does not compile is reported; the load then fails as a
                    // whole, after the stages have been checked too.
                    let policy = api.policy.as_ref().and_then(|p| {
                        self.resource_policy(&entry.id, p, &openapi_file, &doc, region, account)
                    });
                    (Some(api), policy, Some(doc))
                }
                None => (None, None, None),
            };
        let mut stages = Vec::new();
        if entry.stages.is_empty() {
            self.error(
                pointer,
                format!(
                    "API {:?} has no stages; add at least one under stages:",
                    entry.id
                ),
            );
        }
        for (name, value) in &entry.stages {
            let stage_pointer = format!("{pointer}/stages/{}", restapi::import::escape(name));
            if !is_stage_name(name) {
                self.error(
                    &stage_pointer,
                    format!("{name:?} is not a valid stage name: use letters, digits, hyphens and underscores"),
                );
            }
            if let Some(stage) = self.stage(name, value, &stage_pointer, api.as_ref()) {
                stages.push(stage);
            }
        }
        if let (Some(api), Some(doc)) = (&api, &doc) {
            self.check_authorizer_functions(api, &stages, &openapi_file, doc, scope);
        }
        Some(ApiDeployment {
            id: entry.id.clone(),
            openapi_file,
            api: api?,
            resource_policy,
            stages,
        })
    }

    /// Reads and imports an OpenAPI document, reporting its problems against its own file.
    fn openapi(&mut self, file: &Path, config_pointer: &str) -> Option<(restapi::Api, Located)> {
        let doc = self.read_document(file, config_pointer)?;
        match restapi::import(&doc.value) {
            Ok(api) => {
                self.check_routes(&api, file, &doc);
                Some((api, doc))
            }
            Err(errors) => {
                for e in errors {
                    self.report
                        .push(file, doc.position(&e.pointer), Some(&e.pointer), e.message);
                }
                None
            }
        }
    }

    /// A Cognito authorizer accepts tokens of the pools its `providerARNs` name: each must be a
    /// pool of this configuration, or the authorizer could never be enforced.
    fn check_user_pools(&mut self, api: &restapi::Api, pointer: &str, pools: &[UserPoolConfig]) {
        let mut unknown = BTreeSet::new();
        for method in api.resources.iter().flat_map(|r| &r.methods) {
            if let restapi::Authorizer::CognitoUserPools { authorizer, .. } = &method.authorizer {
                for arn in &authorizer.provider_arns {
                    if !pools.iter().any(|p| &p.arn == arn) {
                        unknown.insert((authorizer.name.clone(), arn.clone()));
                    }
                }
            }
        }
        for (name, arn) in unknown {
            self.error(
                pointer,
                format!("authorizer {name:?} names user pool {arn}, which is not one of this configuration's user_pools (their ARNs are arn:aws:cognito-idp:{{region}}:{{account_id}}:userpool/{{id}})"),
            );
        }
    }

    /// A Lambda authorizer invokes a function of this configuration: on every stage, its function
    /// ARN (stage variables resolved) must name one of `functions:`, in the configuration's region
    /// and account, unqualified or `$LATEST` (the host runs nothing else). Reported at the
    /// authorizer's `authorizerUri` in the OpenAPI document.
    fn check_authorizer_functions(
        &mut self,
        api: &restapi::Api,
        stages: &[StageConfig],
        file: &Path,
        doc: &Located,
        scope: &Scope<'_>,
    ) {
        let mut seen = BTreeSet::new();
        for method in api.resources.iter().flat_map(|r| &r.methods) {
            let restapi::Authorizer::Lambda(authorizer) = &method.authorizer else {
                continue;
            };
            if !seen.insert(authorizer.name.clone()) {
                continue;
            }
            let pointer = format!(
                "/components/securitySchemes/{}/x-amazon-apigateway-authorizer/authorizerUri",
                restapi::import::escape(&authorizer.name)
            );
            let mut problems = BTreeSet::new();
            for stage in stages {
                if let Err(problem) = authorizer_function(authorizer, &stage.variables, scope) {
                    problems.insert(format!("stage {:?}: {problem}", stage.name));
                }
            }
            for problem in problems {
                self.report.push(
                    file,
                    doc.position(&pointer),
                    Some(&pointer),
                    format!("Lambda authorizer {:?}: {problem}", authorizer.name),
                );
            }
        }
    }

    /// A Lambda integration invokes a function of this configuration's `functions:`, or it could
    /// never answer. An ARN with a stage variable is resolved per request, and checked then.
    fn check_functions(
        &mut self,
        api: &restapi::Api,
        file: &Path,
        doc: &Located,
        scope: &Scope<'_>,
    ) {
        for method in api.resources.iter().flat_map(|r| &r.methods) {
            let Some(target) = &method.integration.function else {
                continue;
            };
            if !target.is_static() {
                continue;
            }
            if let Err(problem) = configured_function(&target.arn, scope) {
                let pointer = format!("{}/x-amazon-apigateway-integration/uri", method.pointer);
                self.report.push(
                    file,
                    doc.position(&pointer),
                    Some(&pointer),
                    format!("the integration's function: {problem}"),
                );
            }
        }
    }

    /// Path conflicts the router would refuse (`/a/{x}` beside `/a/{y}`).
    fn check_routes(&mut self, api: &restapi::Api, file: &Path, doc: &Located) {
        let mut router = router::Router::new();
        for (i, resource) in api.resources.iter().enumerate() {
            if let Err(e) = router.insert(&resource.path, i) {
                let pointer = format!("/paths/{}", restapi::import::escape(&resource.path));
                self.report
                    .push(file, doc.position(&pointer), Some(&pointer), e.to_string());
            }
        }
    }
}

/// What an API's references are checked against.
struct Scope<'a> {
    region: &'a str,
    account: &'a str,
    functions: &'a [functions::FunctionSpec],
}

/// The configured function a Lambda authorizer invokes on a stage with `variables`, or why none.
fn authorizer_function(
    authorizer: &restapi::LambdaAuthorizer,
    variables: &std::collections::BTreeMap<String, String>,
    scope: &Scope<'_>,
) -> Result<(), String> {
    let arn = authorizer.stage_function_arn(variables).ok_or_else(|| {
        format!(
            "{} does not resolve to a function ARN with this stage's variables",
            authorizer.function_arn
        )
    })?;
    configured_function(&arn, scope)
}

/// `arn` names one of the configuration's functions, in its region and account, unqualified or
/// `$LATEST` (the host runs nothing else); else why not.
fn configured_function(arn: &str, scope: &Scope<'_>) -> Result<(), String> {
    let Some(parsed) = restapi::FunctionArn::parse(arn) else {
        return Err(format!("{arn} is not a function ARN"));
    };
    if parsed.region != scope.region || parsed.account != scope.account {
        return Err(format!(
            "{arn} is not in this configuration's region and account ({}, {}), where its functions run",
            scope.region, scope.account
        ));
    }
    if parsed.qualifier.is_some_and(|q| q != "$LATEST") {
        return Err(format!(
            "{arn} names a version or alias; functions run as $LATEST only"
        ));
    }
    if !scope.functions.iter().any(|f| f.name == parsed.name) {
        return Err(format!(
            "{arn} names function {:?}, which is not one of this configuration's functions (their ARNs are arn:aws:lambda:{}:{}:function:{{name}})",
            parsed.name, scope.region, scope.account
        ));
    }
    Ok(())
}

fn is_api_id(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}
