//! ARN splitting and per-component ARN pattern matching.
//!
//! An ARN is `arn:partition:service:region:account:resource`; the resource part runs to the end
//! and may itself contain `:` and `/`. IAM matches `Resource` patterns and the `Arn*` condition
//! operators component by component ("IAM JSON policy elements: Resource" and "Condition
//! operators" in the IAM User Guide): a wildcard in the region cannot swallow the account, while
//! in the resource part `*` spans `/` and `:` alike. So `arn:aws:execute-api:*:123:api/*`
//! matches every region, but `arn:aws:execute-api:*` is not an ARN pattern at all.

use crate::context::RequestContext;
use crate::glob::{Glob, Token};
use crate::variables::{self, Part, TemplateGlob};

/// Splits an ARN into its six components, or `None` if it has fewer than five colons.
pub(crate) fn split(arn: &str) -> Option<[&str; 6]> {
    let mut it = arn.splitn(6, ':');
    Some([
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ])
}

/// A compiled `Resource` ARN pattern. Variables are allowed only in the resource part (AWS
/// does not substitute before the fifth colon, so such text stays literal there).
#[derive(Clone, Debug)]
pub(crate) struct ArnPattern {
    head: [Glob; 5],
    resource: TemplateGlob,
    /// The pattern's text up to its first wildcard or variable. Any matching ARN starts with
    /// it, so one comparison rejects most non-matching resources.
    literal_prefix: Box<str>,
    /// True when that prefix spans the first five components, which then need no other check.
    head_is_literal: bool,
}

impl ArnPattern {
    /// Compiles a pattern already checked to split into six components.
    pub(crate) fn compile(raw: &str, substitute: bool) -> Result<Option<ArnPattern>, String> {
        let Some([a, p, s, r, acct, res]) = split(raw) else {
            return Ok(None);
        };
        let mut end = raw.find(['*', '?']).unwrap_or(raw.len());
        if substitute && let Some(v) = raw.find("${") {
            end = end.min(v);
        }
        let literal_prefix = raw.get(..end).unwrap_or("");
        Ok(Some(ArnPattern {
            head: [a, p, s, r, acct].map(Glob::new),
            resource: TemplateGlob::new(variables::parse(res, substitute)?),
            head_is_literal: literal_prefix.matches(':').count() >= 5,
            literal_prefix: literal_prefix.into(),
        }))
    }

    /// Matches a request ARN, given whole and split.
    pub(crate) fn matches(&self, whole: &str, arn: &[&str; 6], ctx: &RequestContext) -> bool {
        if !whole.starts_with(&*self.literal_prefix) {
            return false;
        }
        let [a, p, s, r, acct, res] = arn;
        if self.head_is_literal {
            // Same text up to and including the fifth colon: the first five components are equal.
            return self.resource.is_match(res, ctx);
        }
        let [ga, gp, gs, gr, gacct] = &self.head;
        ga.is_match(a)
            && gp.is_match(p)
            && gs.is_match(s)
            && gr.is_match(r)
            && gacct.is_match(acct)
            && self.resource.is_match(res, ctx)
    }
}

/// A compiled value of an `ArnEquals`/`ArnLike` condition.
///
/// A value that is not ARN-shaped (`*`, say) is matched against the whole context value. A
/// value with variables before its fifth colon (`${aws:PrincipalArn}`) is substituted first and
/// split afterwards, at evaluation time.
#[derive(Clone, Debug)]
pub(crate) enum ArnValue {
    Split(ArnPattern),
    Whole(Glob),
    Dynamic(Box<[Part]>),
}

impl ArnValue {
    pub(crate) fn compile(raw: &str, substitute: bool) -> Result<ArnValue, String> {
        let parts = variables::parse(raw, substitute)?;
        if !variables::is_dynamic(&parts) {
            return Ok(match ArnPattern::compile(raw, false)? {
                Some(p) => ArnValue::Split(p),
                None => ArnValue::Whole(Glob::new(raw)),
            });
        }
        // Variables only after the fifth colon of the literal text: split now.
        if let [Part::Text(first), ..] = parts.as_slice()
            && first.matches(':').count() >= 5
            && let Some(p) = ArnPattern::compile(raw, substitute)?
        {
            return Ok(ArnValue::Split(p));
        }
        Ok(ArnValue::Dynamic(parts.into_boxed_slice()))
    }

    pub(crate) fn matches(&self, value: &str, ctx: &RequestContext) -> bool {
        match self {
            ArnValue::Split(p) => split(value).is_some_and(|arn| p.matches(value, &arn, ctx)),
            ArnValue::Whole(g) => g.is_match(value),
            ArnValue::Dynamic(parts) => {
                let mut toks = Vec::with_capacity(64);
                if variables::resolve_tokens(parts, ctx, &mut toks).is_none() {
                    return false;
                }
                match_split_tokens(&toks, value)
            }
        }
    }
}

/// Splits resolved pattern tokens at their first five literal colons and matches per component.
fn match_split_tokens(toks: &[Token], value: &str) -> bool {
    let mut groups: Vec<&[Token]> = Vec::with_capacity(6);
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if groups.len() < 5 && *t == Token::Lit(':') {
            groups.push(toks.get(start..i).unwrap_or(&[]));
            start = i + 1;
        }
    }
    groups.push(toks.get(start..).unwrap_or(&[]));
    if groups.len() < 6 {
        return Glob::from_tokens(toks).is_match(value);
    }
    let Some(parts) = split(value) else {
        return false;
    };
    groups
        .iter()
        .zip(parts.iter())
        .all(|(g, p)| Glob::from_tokens(g).is_match(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(raw: &str) -> ArnPattern {
        ArnPattern::compile(raw, true).unwrap().unwrap()
    }

    #[test]
    fn splits_resource_part_whole() {
        assert_eq!(
            split("arn:aws:execute-api:us-east-1:123:abc/prod/GET/a:b").unwrap(),
            [
                "arn",
                "aws",
                "execute-api",
                "us-east-1",
                "123",
                "abc/prod/GET/a:b"
            ]
        );
        assert!(split("arn:aws:s3::").is_none());
        assert_eq!(split("arn:aws:s3:::bucket").unwrap()[5], "bucket");
    }

    #[test]
    fn wildcards_do_not_cross_components() {
        let ctx = RequestContext::new();
        let whole = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets";
        let req = split(whole).unwrap();
        assert!(pat("arn:aws:execute-api:*:*:*").matches(whole, &req, &ctx));
        assert!(pat("arn:aws:execute-api:us-*:123456789012:abc/*").matches(whole, &req, &ctx));
        assert!(pat("arn:aws:execute-api:*:123456789012:abc/*/GET/*").matches(whole, &req, &ctx));
        // The region wildcard may not swallow the account.
        assert!(!pat("arn:aws:execute-api:*:abc/*:*").matches(whole, &req, &ctx));
        assert!(
            !pat("arn:aws:execute-api:us-east-1:123456789012:abc/prod/get/*")
                .matches(whole, &req, &ctx)
        );
        let whole2 = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/x";
        let req2 = split(whole2).unwrap();
        assert!(!pat("arn:aws:someservice:*:111122223333:finance/*").matches(whole2, &req2, &ctx));
        // Literal heads are checked with one prefix comparison.
        let lit = pat("arn:aws:execute-api:us-east-1:123456789012:abc/prod/*");
        assert!(lit.head_is_literal && lit.matches(whole, &req, &ctx));
        assert!(!lit.matches(
            "arn:aws:execute-api:us-east-1:123456789012:abc/dev/x",
            &split("arn:aws:execute-api:us-east-1:123456789012:abc/dev/x").unwrap(),
            &ctx
        ));
    }

    #[test]
    fn arn_condition_values() {
        let mut ctx = RequestContext::new();
        ctx.insert("aws:PrincipalArn", "arn:aws:iam::123456789012:role/dev");
        let v = ArnValue::compile("${aws:PrincipalArn}", true).unwrap();
        assert!(v.matches("arn:aws:iam::123456789012:role/dev", &ctx));
        assert!(!v.matches("arn:aws:iam::123456789012:role/devx", &ctx));
        let v = ArnValue::compile("*", true).unwrap();
        assert!(v.matches("anything", &ctx));
        let v = ArnValue::compile("arn:aws:iam::*:role/${aws:missing}", true).unwrap();
        assert!(!v.matches("arn:aws:iam::1:role/", &ctx));
    }
}
