//! Phase 1, route: which API, stage, resource and method a request is for.
//!
//! Invoke URLs, as API Gateway and its local emulators accept them on one endpoint:
//! - Host `{apiId}.execute-api.<anything>` + `/{stage}/{path}`;
//! - `/restapis/{apiId}/{stage}/_user_request_/{path}` (any host);
//! - `/{stage}/{path}` when exactly one API is configured.
//!
//! An unknown API or stage answers 403 `Forbidden`, as API Gateway's execute-api endpoint does; a
//! known stage with no matching resource or method answers 403 `Missing Authentication Token`.

use std::sync::Arc;

use http::request::Parts;
use restapi::Verb;

use super::context::{RequestCtx, Route};
use super::{Exchange, Flow, Phase};
use crate::deploy::{ApiRuntime, Deployment};
use crate::error::{ErrorKind, GatewayError};
use crate::services::Services;

/// The host the request names, without a port: `:authority` (HTTP/2 and absolute-form requests)
/// or the `Host` header.
pub fn request_host(parts: &Parts) -> Option<&str> {
    host(&parts.uri, &parts.headers)
}

/// [`request_host`] for a request not yet split into parts.
pub(crate) fn host<'a>(uri: &'a http::Uri, headers: &'a http::HeaderMap) -> Option<&'a str> {
    let host = uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| headers.get(http::header::HOST)?.to_str().ok())?;
    Some(strip_port(host))
}

pub(crate) fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

/// How the stage and resource path sit in the request path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// `/{stage}/{path}`
    Plain,
    /// `/{stage}/_user_request_/{path}` (the tail of a `/restapis/{apiId}/...` URL)
    UserRequest,
}

/// Finds the API, and the part of the request path that starts with `/{stage}`.
fn locate<'a>(
    deployment: &'a Deployment,
    host: Option<&str>,
    path: &'a str,
) -> Option<(&'a Arc<ApiRuntime>, &'a str, Form)> {
    if let Some(host) = host
        && let Some((id, _)) = host.split_once(".execute-api.")
    {
        return deployment.api(id).map(|api| (api, path, Form::Plain));
    }
    if let Some(rest) = path.strip_prefix("/restapis/") {
        let (id, rest) = rest.split_once('/')?;
        let api = deployment.api(id)?;
        // `rest` is `{stage}/_user_request_/...`; keep its leading slash.
        let stage_path = &path[path.len() - rest.len() - 1..];
        return Some((api, stage_path, Form::UserRequest));
    }
    deployment.single_api().map(|api| (api, path, Form::Plain))
}

/// Splits the stage path into the stage name and the resource path (`/` when empty).
fn split_stage(stage_path: &str, form: Form) -> Option<(&str, &str)> {
    let rest = stage_path.strip_prefix('/')?;
    let (stage, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let tail = match form {
        Form::Plain => tail,
        Form::UserRequest => {
            let t = tail.strip_prefix("/_user_request_")?;
            if !(t.is_empty() || t.starts_with('/')) {
                return None;
            }
            t
        }
    };
    let tail = if tail.is_empty() { "/" } else { tail };
    (!stage.is_empty()).then_some((stage, tail))
}

pub(crate) struct Routing;

impl Phase for Routing {
    const NAME: &'static str = "route";

    async fn run(_svc: &Services, exchange: &mut Exchange) -> Result<Flow, GatewayError> {
        route(&exchange.deployment, &mut exchange.ctx, &exchange.parts).map(|()| Flow::Continue)
    }
}

/// Routes the request, recording the API and stage in `ctx` as soon as they are known so that
/// even a miss is logged and answered in the stage's terms.
///
/// The method and the path are made canonical first, once: a method API Gateway does not know
/// (any other token, or a standard one in another case) is refused before anything else, never
/// matched to `ANY`; the path goes through [`router::canonicalize`], and a path with no single
/// meaning is refused. What comes out is the only method and path the rest of the pipeline sees:
/// the `execute-api` ARN, the access log and the backend request are all built from it.
pub(crate) fn route(
    deployment: &Deployment,
    ctx: &mut RequestCtx,
    parts: &Parts,
) -> Result<(), GatewayError> {
    let verb = Verb::from_http(&parts.method)
        .ok_or_else(|| GatewayError::new(ErrorKind::UnknownMethod))?;
    let path = router::canonicalize(parts.uri.path()).map_err(|e| {
        GatewayError::with_message(ErrorKind::InvalidPath, format!("Invalid request path: {e}"))
    })?;
    if let std::borrow::Cow::Owned(p) = &path {
        ctx.canonical_path = Some(p.as_str().into());
    }
    let host = request_host(parts);
    let forbidden = || GatewayError::new(ErrorKind::Forbidden);
    let (api, stage_path, form) = locate(deployment, host, &path).ok_or_else(forbidden)?;
    let (stage_name, resource_path) = split_stage(stage_path, form).ok_or_else(forbidden)?;
    let stage = api.stage(stage_name).ok_or_else(forbidden)?;
    let mut route = Route {
        api: api.clone(),
        stage,
        verb,
        resource: None,
        method: None,
        resource_request_path: resource_path.to_string(),
        params: smallvec::SmallVec::new(),
    };
    let matched = api.router.find(resource_path).and_then(|m| {
        let resource = api.api.resources.get(m.resource)?;
        let method = resource
            .methods
            .iter()
            .position(|meth| meth.verb == verb)
            .or_else(|| {
                resource
                    .methods
                    .iter()
                    .position(|meth| meth.verb == Verb::Any)
            })?;
        // The router's values are slices of `resource_path`, which `resource_request_path`
        // copies: keep their positions.
        let base = resource_path.as_ptr() as usize;
        let params = m
            .params
            .iter()
            .map(|(_, v)| {
                let start = (v.as_ptr() as usize).saturating_sub(base);
                start..start + v.len()
            })
            .collect();
        Some((m.resource, resource.path.ends_with("+}"), method, params))
    });
    if let Some((resource, greedy, method, params)) = matched {
        // The router ignores one trailing slash unless a greedy parameter took it: then the
        // path that is authorized and logged drops it too, as the backend request (built from
        // the resource's parameters) does.
        let routed = &mut route.resource_request_path;
        if !greedy && routed.len() > 1 && routed.ends_with('/') {
            routed.pop();
            // `$context.path` too: the logged path is the authorized one.
            ctx.canonical_path = path.strip_suffix('/').map(Into::into);
        }
        route.resource = Some(resource);
        route.method = Some(method);
        route.params = params;
    }
    let hit = route.method.is_some();
    ctx.route = Some(route);
    if api.responses_read_request {
        ctx.kept_request = Some((
            parts.headers.clone(),
            parts.uri.query().unwrap_or("").to_string(),
        ));
    }
    if hit {
        Ok(())
    } else {
        Err(GatewayError::new(ErrorKind::MissingAuthenticationToken))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_split() {
        let plain = |p| split_stage(p, Form::Plain);
        let user = |p| split_stage(p, Form::UserRequest);
        assert_eq!(plain("/prod/pets/1"), Some(("prod", "/pets/1")));
        assert_eq!(plain("/prod"), Some(("prod", "/")));
        assert_eq!(plain("/prod/"), Some(("prod", "/")));
        assert_eq!(
            plain("/prod/_user_request_/pets"),
            Some(("prod", "/_user_request_/pets"))
        );
        assert_eq!(user("/prod/_user_request_/pets"), Some(("prod", "/pets")));
        assert_eq!(user("/prod/_user_request_"), Some(("prod", "/")));
        assert_eq!(user("/prod/pets"), None);
        assert_eq!(user("/prod/_user_request_x"), None);
        assert_eq!(plain("/"), None);
        assert_eq!(plain("//pets"), None);
    }

    #[test]
    fn ports_are_stripped() {
        assert_eq!(
            strip_port("abc.execute-api.localhost:8080"),
            "abc.execute-api.localhost"
        );
        assert_eq!(strip_port("localhost"), "localhost");
        assert_eq!(strip_port("[::1]:8080"), "[::1]");
    }
}
