//! Condition operators, compiled at parse time and evaluated against the request context.
//!
//! Semantics follow "IAM JSON policy elements: Condition operators" and "Creating a condition
//! with multiple keys or values" in the IAM User Guide:
//!
//! * Several operators in a `Condition` block, and several keys under one operator, are AND-ed;
//!   several values for one key are OR-ed.
//! * When the key is absent from the request: positive operators are false, negated operators
//!   (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, …) are true, a single-valued `…IfExists`
//!   operator is true, `ForAllValues:` is true and `ForAnyValue:` is false — **also as
//!   `ForAnyValue:…IfExists`**: "for no matching context key or a null dataset, the condition
//!   returns false" ("Set operators for multivalued context keys"), and `IfExists` does not turn
//!   an empty set into a match. `Null` tests presence itself.
//! * A negated operator is the negation of its positive twin: `StringNotEquals` holds when the
//!   request value equals none of the policy values. With a set qualifier the negation applies
//!   per request value (`ForAllValues:StringNotEquals` — no request value is in the list;
//!   `ForAnyValue:StringNotEquals` — some request value is not in the list).
//! * Without a qualifier, a key with several request values behaves like `ForAnyValue:` for a
//!   positive operator and as its negation for a negated one.
//! * Policy variables are substituted in string and ARN operator values only (the policy
//!   variables page; the operators page also lists `Bool`, which the variables page excludes —
//!   we follow the variables page). A value whose variable cannot be resolved ("Policy
//!   variables with no value": the value "is effectively null. There is no equal or like
//!   value") matches nothing under the positive operator, so a negated operator holds: "Inverted
//!   condition operators like `StringNotEquals` or `StringNotLike` do match against a null
//!   value". A `Deny` with `StringNotEquals: {key: "${aws:PrincipalTag/team}"}` therefore denies
//!   a caller without the tag — the page's own example.
//! * `ArnEquals` and `ArnLike` behave identically (both take wildcards), as do `ArnNotEquals` and
//!   `ArnNotLike`; ARNs are compared per component.
//! * A request value that cannot be read as the operator's type (a non-number under
//!   `NumericLessThan`) matches nothing.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::arn::ArnValue;
use crate::context::{ContextValue, RequestContext};
use crate::variables::{self, Part, TemplateGlob};

macro_rules! operators {
    ($($name:ident),* $(,)?) => {
        /// A condition operator, without its `…IfExists` suffix or set qualifier.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operator { $($name),* }

        impl Operator {
            /// Every operator.
            pub const ALL: &'static [Operator] = &[$(Operator::$name),*];

            /// The operator's name as written in policies.
            pub fn name(self) -> &'static str {
                match self { $(Operator::$name => stringify!($name)),* }
            }

            /// Looks an operator up by its exact (case-sensitive) name.
            pub fn from_name(name: &str) -> Option<Operator> {
                match name { $(stringify!($name) => Some(Operator::$name),)* _ => None }
            }
        }
    };
}

operators!(
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
);

impl Operator {
    /// True for the operators that match when the request value does *not* match.
    pub fn is_negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// True if policy variables are substituted in this operator's values.
    pub fn takes_variables(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringEquals
                | StringNotEquals
                | StringEqualsIgnoreCase
                | StringNotEqualsIgnoreCase
                | StringLike
                | StringNotLike
                | ArnEquals
                | ArnLike
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// Every request value must match (true when the key is absent).
    ForAllValues,
    /// Some request value must match (false when the key is absent).
    ForAnyValue,
}

impl SetQualifier {
    /// The qualifier as written in policies, without the colon.
    pub fn name(self) -> &'static str {
        match self {
            SetQualifier::ForAllValues => "ForAllValues",
            SetQualifier::ForAnyValue => "ForAnyValue",
        }
    }
}

/// Ordering test shared by the numeric and date operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn of(op: Operator) -> Cmp {
        use Operator::*;
        match op {
            NumericLessThan | DateLessThan => Cmp::Lt,
            NumericLessThanEquals | DateLessThanEquals => Cmp::Le,
            NumericGreaterThan | DateGreaterThan => Cmp::Gt,
            NumericGreaterThanEquals | DateGreaterThanEquals => Cmp::Ge,
            _ => Cmp::Eq,
        }
    }

    /// `request <op> policy`.
    fn test<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

/// Policy values pre-parsed for their operator.
#[derive(Clone, Debug)]
enum Values {
    Equals(Box<[Box<[Part]>]>),
    EqualsIgnoreCase(Box<[Box<[Part]>]>),
    Like(Box<[TemplateGlob]>),
    Numeric(Cmp, Box<[f64]>),
    Date(Cmp, Box<[i128]>),
    Bool(Box<[bool]>),
    Binary(Box<[Box<[u8]>]>),
    Ip(Box<[IpNet]>),
    Arn(Box<[ArnValue]>),
    Null(Box<[bool]>),
}

/// One `operator: { key: values }` test of a statement's `Condition` block.
#[derive(Clone, Debug)]
pub struct Condition {
    operator: Operator,
    qualifier: Option<SetQualifier>,
    if_exists: bool,
    key: Box<str>,
    key_lc: Box<str>,
    raw_values: Box<[String]>,
    values: Values,
}

impl Condition {
    /// Compiles one condition. `values` are the policy values in string form; `substitute`
    /// says whether policy variables apply (Version 2012-10-17). Errors are messages for
    /// `PolicyError`; `Err(index, message)` names the offending value.
    pub(crate) fn compile(
        operator: Operator,
        qualifier: Option<SetQualifier>,
        if_exists: bool,
        key: &str,
        raw_values: Vec<String>,
        substitute: bool,
    ) -> Result<Condition, (usize, crate::parse::PolicyErrorKind)> {
        use crate::parse::PolicyErrorKind as K;
        use Operator::*;
        let subst = substitute && operator.takes_variables();
        let parts = |v: &str| variables::parse(v, subst).map_err(K::InvalidVariable);
        let values = match operator {
            StringEquals | StringNotEquals => Values::Equals(collect(&raw_values, |v| {
                parts(v).map(Vec::into_boxed_slice)
            })?),
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                Values::EqualsIgnoreCase(collect(&raw_values, |v| {
                    let lowered: Vec<Part> = parts(v)?
                        .into_iter()
                        .map(|p| match p {
                            Part::Text(t) => Part::Text(t.to_lowercase().into()),
                            other => other,
                        })
                        .collect();
                    Ok(lowered.into_boxed_slice())
                })?)
            }
            StringLike | StringNotLike => {
                Values::Like(collect(&raw_values, |v| Ok(TemplateGlob::new(parts(v)?)))?)
            }
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Values::Numeric(
                Cmp::of(operator),
                collect(&raw_values, |v| {
                    crate::datetime::parse_number(v)
                        .ok_or_else(|| K::InvalidNumber(crate::parse::clip(v)))
                })?,
            ),
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Values::Date(
                Cmp::of(operator),
                collect(&raw_values, |v| {
                    crate::datetime::parse_date(v)
                        .ok_or_else(|| K::InvalidDate(crate::parse::clip(v)))
                })?,
            ),
            Bool => Values::Bool(collect(&raw_values, |v| {
                crate::context::parse_bool(v).ok_or_else(|| K::InvalidBool(crate::parse::clip(v)))
            })?),
            BinaryEquals => Values::Binary(collect(&raw_values, |v| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .map(Vec::into_boxed_slice)
                    .map_err(|_| K::InvalidBase64(crate::parse::clip(v)))
            })?),
            IpAddress | NotIpAddress => Values::Ip(collect(&raw_values, |v| {
                parse_cidr(v).ok_or_else(|| K::InvalidIp(crate::parse::clip(v)))
            })?),
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
                Values::Arn(collect(&raw_values, |v| {
                    ArnValue::compile(v, subst).map_err(K::InvalidVariable)
                })?)
            }
            Null => Values::Null(collect(&raw_values, |v| {
                crate::context::parse_bool(v).ok_or_else(|| K::InvalidBool(crate::parse::clip(v)))
            })?),
        };
        Ok(Condition {
            operator,
            qualifier,
            if_exists,
            key: key.into(),
            key_lc: key.to_lowercase().into(),
            raw_values: raw_values.into_boxed_slice(),
            values,
        })
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The set qualifier, if any.
    pub fn qualifier(&self) -> Option<SetQualifier> {
        self.qualifier
    }

    /// True for `…IfExists`.
    pub fn if_exists(&self) -> bool {
        self.if_exists
    }

    /// The condition key as written.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The policy values in string form, as written (numbers and booleans in their JSON text).
    pub fn values(&self) -> &[String] {
        &self.raw_values
    }

    /// Evaluates the condition against the request.
    pub fn evaluate(&self, ctx: &RequestContext) -> bool {
        if let Values::Null(want) = &self.values {
            let absent = ctx.get_lc(&self.key_lc).is_none();
            return want.contains(&absent);
        }
        let Some(request_values) = ctx.get_lc(&self.key_lc) else {
            return Self::absent_key(self.qualifier, self.if_exists, self.operator);
        };
        let negated = self.operator.is_negated();
        match self.qualifier {
            None => {
                let any = request_values.iter().any(|v| self.positive(v, ctx));
                any != negated
            }
            Some(SetQualifier::ForAnyValue) => request_values
                .iter()
                .any(|v| self.positive(v, ctx) != negated),
            Some(SetQualifier::ForAllValues) => request_values
                .iter()
                .all(|v| self.positive(v, ctx) != negated),
        }
    }

    /// The condition's value when its key is absent from the request (or has no values):
    ///
    /// * `ForAnyValue:` — false, with or without `IfExists`: no request value can match ("For
    ///   no matching context key or a null dataset, the condition returns false"). `IfExists`
    ///   does not rescue it: the set operator is evaluated over the (empty) request set first.
    /// * `ForAllValues:` — true ("It also returns true if there are no context keys in the
    ///   request"), with or without `IfExists`.
    /// * no qualifier — true with `IfExists` ("If the key is not present, evaluate the condition
    ///   element as true"); otherwise false for a positive operator and true for a negated one.
    pub(crate) fn absent_key(
        qualifier: Option<SetQualifier>,
        if_exists: bool,
        operator: Operator,
    ) -> bool {
        match qualifier {
            Some(SetQualifier::ForAnyValue) => false,
            Some(SetQualifier::ForAllValues) => true,
            None => if_exists || operator.is_negated(),
        }
    }

    /// True if any policy value matches the request value under the positive form of the
    /// operator.
    fn positive(&self, v: &ContextValue, ctx: &RequestContext) -> bool {
        match &self.values {
            Values::Equals(vals) => vals
                .iter()
                .any(|p| variables::resolve_text(p, ctx).is_some_and(|t| *t == *v.as_str())),
            Values::EqualsIgnoreCase(vals) => {
                let lowered = v.as_str().to_lowercase();
                vals.iter().any(|p| {
                    variables::resolve_text(p, ctx).is_some_and(|t| {
                        // Substituted text was not lowercased at compile time.
                        if variables::is_dynamic(p) {
                            t.to_lowercase() == lowered
                        } else {
                            *t == *lowered
                        }
                    })
                })
            }
            Values::Like(vals) => vals.iter().any(|g| g.is_match(v.as_str(), ctx)),
            Values::Numeric(cmp, vals) => v
                .as_number()
                .is_some_and(|n| vals.iter().any(|&p| cmp.test(n, p))),
            Values::Date(cmp, vals) => v
                .as_instant()
                .is_some_and(|t| vals.iter().any(|&p| cmp.test(t, p))),
            Values::Bool(vals) => v.as_bool().is_some_and(|b| vals.contains(&b)),
            Values::Binary(vals) => vals.iter().any(|p| **p == *v.as_str().as_bytes()),
            Values::Ip(nets) => v
                .as_ip()
                .is_some_and(|ip: IpAddr| nets.iter().any(|n| n.contains(&ip))),
            Values::Arn(vals) => vals.iter().any(|a| a.matches(v.as_str(), ctx)),
            Values::Null(_) => false,
        }
    }
}

fn collect<T, E>(raw: &[String], f: impl Fn(&str) -> Result<T, E>) -> Result<Box<[T]>, (usize, E)> {
    raw.iter()
        .enumerate()
        .map(|(i, v)| f(v).map_err(|e| (i, e)))
        .collect()
}

/// An IP address or CIDR block; a bare address means the single host (`/32`, `/128`).
fn parse_cidr(s: &str) -> Option<IpNet> {
    if let Ok(net) = s.parse::<IpNet>() {
        return Some(net);
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

#[cfg(test)]
mod tests;
