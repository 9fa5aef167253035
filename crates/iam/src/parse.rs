//! JSON → policy model, with AWS's validation.
//!
//! Follows "Grammar of the IAM JSON policy language" and the element pages of the IAM User
//! Guide. Strict where AWS is strict:
//!
//! * only `Version`, `Id` and `Statement` at the top; only `Sid`, `Effect`, `Principal`,
//!   `NotPrincipal`, `Action`, `NotAction`, `Resource`, `NotResource` and `Condition` in a
//!   statement — element names are case-sensitive;
//! * `Version` is `2012-10-17` or `2008-10-17` (absent means 2008-10-17: no policy variables);
//! * `Effect` is exactly `Allow` or `Deny`; exactly one of `Action`/`NotAction`; exactly one of
//!   `Resource`/`NotResource` in identity and resource policies, none in trust policies (IAM
//!   answers "Has prohibited field Resource"); `Principal`/`NotPrincipal` required in resource
//!   and trust policies and refused in identity policies;
//! * `Sid`s are unique within a policy, and in IAM's own policies (identity, trust) only
//!   alphanumeric;
//! * a principal may be `*` but never contain a wildcard otherwise; resources are `*` or ARN
//!   patterns; condition operators are the documented ones (case-sensitive), and their values
//!   must parse (CIDRs, numbers, dates, base64, booleans) — all compiled here, once.
//!
//! Lenient where AWS is lenient: a single statement may be an object instead of an array, any
//! list of one may be a bare string, condition values may be JSON numbers or booleans (read as
//! their text), and `Id` is accepted in every kind of policy.
//!
//! Every error names the statement (index and `Sid`), a JSON pointer into the document and
//! what is wrong — never more of the document than the offending value, clipped.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::arn::{self, ArnPattern};
use crate::condition::{Condition, Operator, SetQualifier};
use crate::glob::{Glob, has_wildcard};
use crate::model::*;

pub(crate) use crate::error::clip;
pub use crate::error::{PolicyError, PolicyErrorKind, StatementLocation};

/// Appends a reference token to a JSON pointer, escaping `~` and `/`.
fn child(ptr: &str, token: &str) -> String {
    format!("{ptr}/{}", token.replace('~', "~0").replace('/', "~1"))
}

fn index_child(ptr: &str, i: usize) -> String {
    format!("{ptr}/{i}")
}

struct Cx<'a> {
    opts: &'a ParseOptions,
    version: PolicyVersion,
    loc: Option<StatementLocation>,
}

impl Cx<'_> {
    fn err(&self, pointer: String, kind: PolicyErrorKind) -> PolicyError {
        PolicyError {
            statement: self.loc.clone(),
            pointer,
            kind,
        }
    }
}

pub(crate) fn parse_policy(doc: &Value, opts: &ParseOptions) -> Result<Policy, PolicyError> {
    let mut cx = Cx {
        opts,
        version: PolicyVersion::V2008_10_17,
        loc: None,
    };
    let obj = doc
        .as_object()
        .ok_or_else(|| cx.err(String::new(), PolicyErrorKind::WrongType("a JSON object")))?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(cx.err(child("", key), PolicyErrorKind::UnknownKey(clip(key))));
        }
    }
    if let Some(v) = obj.get("Version") {
        cx.version = match v.as_str() {
            Some("2012-10-17") => PolicyVersion::V2012_10_17,
            Some("2008-10-17") => PolicyVersion::V2008_10_17,
            Some(other) => {
                return Err(cx.err(
                    "/Version".into(),
                    PolicyErrorKind::UnsupportedVersion(clip(other)),
                ));
            }
            None => return Err(cx.err("/Version".into(), PolicyErrorKind::WrongType("a string"))),
        };
    }
    let id = match obj.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(cx.err("/Id".into(), PolicyErrorKind::WrongType("a string"))),
    };
    let raw_statements: Vec<(usize, String, &Value)> = match obj.get("Statement") {
        None => return Err(cx.err(String::new(), PolicyErrorKind::Missing("Statement"))),
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(cx.err("/Statement".into(), PolicyErrorKind::Empty("Statement")));
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i, index_child("/Statement", i), v))
            .collect(),
        Some(v @ Value::Object(_)) => vec![(0, "/Statement".into(), v)],
        Some(_) => {
            return Err(cx.err(
                "/Statement".into(),
                PolicyErrorKind::WrongType("a statement object or an array of them"),
            ));
        }
    };
    let mut sids: HashSet<&str> = HashSet::new();
    let mut statements = Vec::with_capacity(raw_statements.len());
    for (i, ptr, v) in raw_statements {
        let sid = v.get("Sid").and_then(Value::as_str);
        cx.loc = Some(StatementLocation {
            index: i,
            sid: sid.map(str::to_owned),
        });
        let stmt = parse_statement(&cx, v, &ptr)?;
        if let Some(sid) = sid
            && !sid.is_empty()
            && !sids.insert(sid)
        {
            return Err(cx.err(child(&ptr, "Sid"), PolicyErrorKind::DuplicateSid(clip(sid))));
        }
        statements.push(stmt);
    }
    Ok(Policy::new(cx.version, id, opts.kind, statements))
}

const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_statement(cx: &Cx<'_>, v: &Value, ptr: &str) -> Result<Statement, PolicyError> {
    let obj = v.as_object().ok_or_else(|| {
        cx.err(
            ptr.to_owned(),
            PolicyErrorKind::WrongType("a statement object"),
        )
    })?;
    for key in obj.keys() {
        if !STATEMENT_KEYS.contains(&key.as_str()) {
            return Err(cx.err(child(ptr, key), PolicyErrorKind::UnknownKey(clip(key))));
        }
    }
    let kind = cx.opts.kind;
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => {
            if kind != PolicyKind::Resource && !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(cx.err(child(ptr, "Sid"), PolicyErrorKind::InvalidSid(clip(s))));
            }
            Some(Arc::<str>::from(s.as_str()))
        }
        Some(_) => return Err(cx.err(child(ptr, "Sid"), PolicyErrorKind::WrongType("a string"))),
    };
    let effect = match obj.get("Effect") {
        None => return Err(cx.err(ptr.to_owned(), PolicyErrorKind::Missing("Effect"))),
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(Value::String(s)) => {
            return Err(cx.err(
                child(ptr, "Effect"),
                PolicyErrorKind::InvalidEffect(clip(s)),
            ));
        }
        Some(_) => return Err(cx.err(child(ptr, "Effect"), PolicyErrorKind::WrongType("a string"))),
    };

    let principal = match pick(cx, obj, ptr, "Principal", "NotPrincipal")? {
        Some((negated, name, pv)) => {
            if kind == PolicyKind::Identity {
                return Err(cx.err(
                    child(ptr, name),
                    PolicyErrorKind::NotAllowed {
                        element: name,
                        kind: kind.name(),
                    },
                ));
            }
            Some(parse_principal(cx, pv, &child(ptr, name), negated)?)
        }
        None if kind == PolicyKind::Identity => None,
        None => {
            return Err(cx.err(
                ptr.to_owned(),
                PolicyErrorKind::Missing("Principal or NotPrincipal"),
            ));
        }
    };

    let action = match pick(cx, obj, ptr, "Action", "NotAction")? {
        Some((negated, name, av)) => parse_actions(cx, av, &child(ptr, name), negated)?,
        None => {
            return Err(cx.err(
                ptr.to_owned(),
                PolicyErrorKind::Missing("Action or NotAction"),
            ));
        }
    };

    let resource = match pick(cx, obj, ptr, "Resource", "NotResource")? {
        Some((_, name, _)) if kind == PolicyKind::Trust => {
            return Err(cx.err(
                child(ptr, name),
                PolicyErrorKind::NotAllowed {
                    element: name,
                    kind: kind.name(),
                },
            ));
        }
        Some((negated, name, rv)) => Some(parse_resources(cx, rv, &child(ptr, name), negated)?),
        None if kind == PolicyKind::Trust => None,
        None => {
            return Err(cx.err(
                ptr.to_owned(),
                PolicyErrorKind::Missing("Resource or NotResource"),
            ));
        }
    };

    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(c) => parse_conditions(cx, c, &child(ptr, "Condition"))?,
    };

    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions: conditions.into_boxed_slice(),
    })
}

/// Exactly one of a positive element and its `Not` twin, or neither.
fn pick<'v>(
    cx: &Cx<'_>,
    obj: &'v Map<String, Value>,
    ptr: &str,
    pos: &'static str,
    neg: &'static str,
) -> Result<Option<(bool, &'static str, &'v Value)>, PolicyError> {
    match (obj.get(pos), obj.get(neg)) {
        (Some(_), Some(_)) => Err(cx.err(child(ptr, neg), PolicyErrorKind::Conflict(pos, neg))),
        (Some(v), None) => Ok(Some((false, pos, v))),
        (None, Some(v)) => Ok(Some((true, neg, v))),
        (None, None) => Ok(None),
    }
}

/// A string or a non-empty array of strings, each with its pointer.
fn strings<'v>(
    cx: &Cx<'_>,
    v: &'v Value,
    ptr: &str,
    what: &'static str,
) -> Result<Vec<(&'v str, String)>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![(s.as_str(), ptr.to_owned())]),
        Value::Array(items) if items.is_empty() => {
            Err(cx.err(ptr.to_owned(), PolicyErrorKind::Empty(what)))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok((s.as_str(), index_child(ptr, i))),
                _ => Err(cx.err(index_child(ptr, i), PolicyErrorKind::WrongType("a string"))),
            })
            .collect(),
        _ => Err(cx.err(
            ptr.to_owned(),
            PolicyErrorKind::WrongType("a string or an array of strings"),
        )),
    }
}

fn parse_principal(
    cx: &Cx<'_>,
    v: &Value,
    ptr: &str,
    negated: bool,
) -> Result<PrincipalClause, PolicyError> {
    let mut entries = Vec::new();
    match v {
        Value::String(s) if s == "*" => entries.push(PrincipalEntry {
            key: "*",
            raw: "*".into(),
            id: PrincipalId::Everyone,
        }),
        Value::String(s) => {
            return Err(cx.err(
                ptr.to_owned(),
                PolicyErrorKind::InvalidPrincipal(
                    clip(s),
                    "expected \"*\" or a map such as {\"AWS\": ...}",
                ),
            ));
        }
        Value::Object(map) if map.is_empty() => {
            return Err(cx.err(ptr.to_owned(), PolicyErrorKind::Empty("Principal")));
        }
        Value::Object(map) => {
            for (key, val) in map {
                let key: &'static str = match key.as_str() {
                    "AWS" => "AWS",
                    "Service" => "Service",
                    "Federated" => "Federated",
                    "CanonicalUser" => "CanonicalUser",
                    other => {
                        return Err(
                            cx.err(child(ptr, other), PolicyErrorKind::UnknownKey(clip(other)))
                        );
                    }
                };
                for (s, p) in strings(cx, val, &child(ptr, key), "Principal")? {
                    let id = principal_id(key, s).map_err(|k| cx.err(p, k))?;
                    entries.push(PrincipalEntry {
                        key,
                        raw: s.to_owned(),
                        id,
                    });
                }
            }
        }
        _ => {
            return Err(cx.err(
                ptr.to_owned(),
                PolicyErrorKind::WrongType("\"*\" or a principal map"),
            ));
        }
    }
    Ok(PrincipalClause {
        negated,
        entries: entries.into_boxed_slice(),
    })
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn principal_id(key: &'static str, s: &str) -> Result<PrincipalId, PolicyErrorKind> {
    use PolicyErrorKind::*;
    if key == "AWS" && s == "*" {
        return Ok(PrincipalId::Everyone);
    }
    if has_wildcard(s) {
        return Err(WildcardPrincipal(clip(s)));
    }
    if s.is_empty() || s.contains(char::is_whitespace) {
        return Err(InvalidPrincipal(clip(s), "empty or contains whitespace"));
    }
    match key {
        "Service" => return Ok(PrincipalId::Service(s.to_ascii_lowercase())),
        "Federated" => return Ok(PrincipalId::Federated(s.to_owned())),
        "CanonicalUser" => return Ok(PrincipalId::CanonicalUser(s.to_owned())),
        _ => {}
    }
    if is_account_id(s) {
        return Ok(PrincipalId::Account(s.to_owned()));
    }
    let Some(["arn", partition, service, region, account, resource]) = arn::split(s) else {
        return Err(InvalidPrincipal(
            clip(s),
            "expected an account id or an IAM/STS principal ARN",
        ));
    };
    if partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return Err(InvalidPrincipal(
            clip(s),
            "expected an account id or an IAM/STS principal ARN",
        ));
    }
    let named = |prefix: &str, parts: usize| {
        resource.strip_prefix(prefix).is_some_and(|rest| {
            rest.split('/').count() >= parts && rest.split('/').all(|p| !p.is_empty())
        })
    };
    match service {
        "iam" if resource == "root" => Ok(PrincipalId::Account(account.to_owned())),
        "iam" if named("user/", 1) || named("role/", 1) => Ok(PrincipalId::Arn(s.to_owned())),
        "sts" if named("assumed-role/", 2) || named("federated-user/", 1) => {
            Ok(PrincipalId::Arn(s.to_owned()))
        }
        _ => Err(InvalidPrincipal(
            clip(s),
            "only accounts, users, roles, role sessions and federated users can be principals",
        )),
    }
}

fn parse_actions(
    cx: &Cx<'_>,
    v: &Value,
    ptr: &str,
    negated: bool,
) -> Result<ActionClause, PolicyError> {
    let mut patterns = Vec::new();
    for (s, p) in strings(cx, v, ptr, "Action")? {
        let valid = s == "*"
            || s.split_once(':').is_some_and(|(svc, name)| {
                !svc.is_empty()
                    && !name.is_empty()
                    && svc
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '*' | '?'))
                    && !name.contains(':')
                    && !name.contains(char::is_whitespace)
            });
        if !valid {
            return Err(cx.err(p, PolicyErrorKind::InvalidAction(clip(s))));
        }
        patterns.push(ActionPattern {
            raw: s.to_owned(),
            glob: Glob::new(&s.to_lowercase()),
        });
    }
    Ok(ActionClause {
        negated,
        patterns: patterns.into_boxed_slice(),
    })
}

fn parse_resources(
    cx: &Cx<'_>,
    v: &Value,
    ptr: &str,
    negated: bool,
) -> Result<ResourceClause, PolicyError> {
    let mut patterns = Vec::new();
    for (s, p) in strings(cx, v, ptr, "Resource")? {
        if s == "*" {
            patterns.push(ResourcePattern {
                raw: "*".into(),
                matcher: ResourceMatcher::Any,
            });
            continue;
        }
        let raw = match s.strip_prefix("execute-api:") {
            Some(path) if cx.opts.kind == PolicyKind::Resource && path.starts_with('/') => {
                match &cx.opts.execute_api_arn_prefix {
                    Some(prefix) => format!("{prefix}{path}"),
                    None => return Err(cx.err(p, PolicyErrorKind::UnexpandableResource(clip(s)))),
                }
            }
            _ => s.to_owned(),
        };
        let well_formed = arn::split(&raw)
            .is_some_and(|[a, part, svc, ..]| a == "arn" && !part.is_empty() && !svc.is_empty());
        if !well_formed {
            return Err(cx.err(p, PolicyErrorKind::InvalidArn(clip(&raw))));
        }
        let compiled = ArnPattern::compile(&raw, cx.version.substitutes_variables())
            .map_err(|m| cx.err(p.clone(), PolicyErrorKind::InvalidVariable(m)))?
            .ok_or_else(|| cx.err(p.clone(), PolicyErrorKind::InvalidArn(clip(&raw))))?;
        patterns.push(ResourcePattern {
            raw,
            matcher: ResourceMatcher::Arn(compiled),
        });
    }
    Ok(ResourceClause {
        negated,
        patterns: patterns.into_boxed_slice(),
    })
}

/// Splits `ForAnyValue:StringLikeIfExists` into its parts.
pub(crate) fn parse_operator(name: &str) -> Option<(Option<SetQualifier>, Operator, bool)> {
    let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
        (Some(SetQualifier::ForAllValues), r)
    } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (Some(SetQualifier::ForAnyValue), r)
    } else {
        (None, name)
    };
    if let Some(op) = Operator::from_name(rest) {
        return Some((qualifier, op, false));
    }
    let op = Operator::from_name(rest.strip_suffix("IfExists")?)?;
    Some((qualifier, op, true))
}

fn parse_conditions(cx: &Cx<'_>, v: &Value, ptr: &str) -> Result<Vec<Condition>, PolicyError> {
    let ops = v.as_object().ok_or_else(|| {
        cx.err(
            ptr.to_owned(),
            PolicyErrorKind::WrongType("a map of condition operators"),
        )
    })?;
    let mut out = Vec::new();
    for (op_name, block) in ops {
        let op_ptr = child(ptr, op_name);
        let (qualifier, op, if_exists) = parse_operator(op_name).ok_or_else(|| {
            cx.err(
                op_ptr.clone(),
                PolicyErrorKind::UnknownOperator(clip(op_name)),
            )
        })?;
        if op == Operator::Null && (if_exists || qualifier.is_some()) {
            return Err(cx.err(op_ptr, PolicyErrorKind::InvalidNullOperator(clip(op_name))));
        }
        let keys = block.as_object().ok_or_else(|| {
            cx.err(
                op_ptr.clone(),
                PolicyErrorKind::WrongType("a map of condition keys to values"),
            )
        })?;
        for (key, vals) in keys {
            let key_ptr = child(&op_ptr, key);
            if key.is_empty() {
                return Err(cx.err(key_ptr, PolicyErrorKind::EmptyConditionKey));
            }
            let (raw, is_list) = condition_values(cx, vals, &key_ptr)?;
            let cond = Condition::compile(
                op,
                qualifier,
                if_exists,
                key,
                raw,
                cx.version.substitutes_variables(),
            )
            .map_err(|(i, kind)| {
                let p = if is_list {
                    index_child(&key_ptr, i)
                } else {
                    key_ptr.clone()
                };
                cx.err(p, kind)
            })?;
            out.push(cond);
        }
    }
    Ok(out)
}

/// Condition values: a string, number or boolean, or an array of those; read as text.
fn condition_values(cx: &Cx<'_>, v: &Value, ptr: &str) -> Result<(Vec<String>, bool), PolicyError> {
    let scalar = |v: &Value, p: &dyn Fn() -> String| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(cx.err(
            p(),
            PolicyErrorKind::WrongType("a string, number or boolean"),
        )),
    };
    match v {
        Value::Array(items) => {
            let vals = items
                .iter()
                .enumerate()
                .map(|(i, item)| scalar(item, &|| index_child(ptr, i)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((vals, true))
        }
        other => Ok((vec![scalar(other, &|| ptr.to_owned())?], false)),
    }
}
