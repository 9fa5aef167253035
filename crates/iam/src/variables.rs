//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, any request-context key,
//! the defaults `${key, 'value'}`, and the escapes `${*}`, `${?}` and `${$}`.
//!
//! Follows "IAM policy elements: Variables and tags" in the IAM User Guide:
//!
//! * Variables are substituted only in policies whose `Version` is `2012-10-17`; in `2008-10-17`
//!   policies (and those without `Version`) the text is taken literally.
//! * They may appear in the resource part of `Resource`/`NotResource` ARNs and in the values of
//!   the string and ARN condition operators — nowhere else.
//! * A variable names a request-context key (case-insensitively). When the key is absent, or
//!   has several values so that no single value can stand in, the variable cannot be resolved
//!   and the `Resource` entry or condition value holding it matches nothing — unless a default
//!   is given, which is then used.
//! * Substituted text is always literal: a `*` inside a user name is not a wildcard. The escapes
//!   are how a policy writes a literal `*`, `?` or `$` in a pattern.
//!
//! Text that merely looks like the start of a variable (`${` with no closing `}`) is kept as
//! literal text; a malformed variable inside `${…}` (empty name, unquoted default) is refused at
//! parse time.

use std::borrow::Cow;

use crate::context::RequestContext;
use crate::glob::{self, Glob, Token};

/// One piece of a value that may hold variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Policy text. In a pattern its `*` and `?` are wildcards.
    Text(Box<str>),
    /// `${key}` or `${key, 'default'}`; the key is stored lowercased.
    Var {
        key: Box<str>,
        default: Option<Box<str>>,
    },
    /// `${*}`, `${?}` or `${$}`: a literal character.
    Escape(char),
}

/// Parses `text` into parts. With `substitute == false` (Version 2008) the whole text is one
/// literal part.
pub(crate) fn parse(text: &str, substitute: bool) -> Result<Vec<Part>, String> {
    if !substitute || !text.contains("${") {
        return Ok(vec![Part::Text(text.into())]);
    }
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let (before, from_dollar) = rest.split_at(i);
        lit.push_str(before);
        let after = from_dollar.get(2..).unwrap_or("");
        let Some(close) = after.find('}') else {
            // No closing brace: not a variable, keep the text as written.
            lit.push_str(from_dollar);
            rest = "";
            break;
        };
        let inner = after.get(..close).unwrap_or("");
        let part = match inner {
            "*" => Part::Escape('*'),
            "?" => Part::Escape('?'),
            "$" => Part::Escape('$'),
            _ => parse_var(inner)?,
        };
        if !lit.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut lit).into()));
        }
        parts.push(part);
        rest = after.get(close + 1..).unwrap_or("");
    }
    lit.push_str(rest);
    if !lit.is_empty() || parts.is_empty() {
        parts.push(Part::Text(lit.into()));
    }
    Ok(parts)
}

fn parse_var(inner: &str) -> Result<Part, String> {
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((k, d)) => {
            let d = d.trim();
            let quoted = d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'');
            if !quoted {
                return Err(format!(
                    "the default value of policy variable ${{{}}} must be in single quotes",
                    crate::parse::clip(inner)
                ));
            }
            (k.trim(), Some(d.get(1..d.len() - 1).unwrap_or("")))
        }
    };
    let bad_char = |c: char| c.is_whitespace() || matches!(c, '$' | '{' | '}' | '\'');
    if key.is_empty() || key.contains(bad_char) {
        return Err(format!(
            "invalid policy variable ${{{}}}",
            crate::parse::clip(inner)
        ));
    }
    Ok(Part::Var {
        key: key.to_lowercase().into(),
        default: default.map(Into::into),
    })
}

/// True if the parts hold a variable or escape (anything that needs work at evaluation time).
pub(crate) fn is_dynamic(parts: &[Part]) -> bool {
    parts.iter().any(|p| !matches!(p, Part::Text(_)))
}

/// Resolves one variable against the request context.
fn resolve_var<'c>(
    key: &str,
    default: Option<&'c str>,
    ctx: &'c RequestContext,
) -> Option<&'c str> {
    match ctx.single_value(key) {
        Some(v) => Some(v),
        None => default,
    }
}

/// Resolves parts to plain text, all of it literal. `None` if a variable cannot be resolved.
pub(crate) fn resolve_text<'a>(parts: &'a [Part], ctx: &'a RequestContext) -> Option<Cow<'a, str>> {
    if let [Part::Text(t)] = parts {
        return Some(Cow::Borrowed(t));
    }
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Text(t) => out.push_str(t),
            Part::Escape(c) => out.push(*c),
            Part::Var { key, default } => out.push_str(resolve_var(key, default.as_deref(), ctx)?),
        }
    }
    Some(Cow::Owned(out))
}

/// Resolves parts to pattern tokens: wildcards in policy text stay wildcards, everything
/// substituted is literal. `None` if a variable cannot be resolved.
pub(crate) fn resolve_tokens(
    parts: &[Part],
    ctx: &RequestContext,
    out: &mut Vec<Token>,
) -> Option<()> {
    for p in parts {
        match p {
            Part::Text(t) => out.extend(glob::tokens(t)),
            Part::Escape(c) => out.push(Token::Lit(*c)),
            Part::Var { key, default } => {
                out.extend(
                    resolve_var(key, default.as_deref(), ctx)?
                        .chars()
                        .map(Token::Lit),
                );
            }
        }
    }
    Some(())
}

/// A pattern value (`StringLike`, the resource part of an ARN) that may hold variables.
#[derive(Clone, Debug)]
pub(crate) enum TemplateGlob {
    Static(Glob),
    Dynamic(Box<[Part]>),
}

impl TemplateGlob {
    pub(crate) fn new(parts: Vec<Part>) -> TemplateGlob {
        match parts.as_slice() {
            [Part::Text(t)] => TemplateGlob::Static(Glob::new(t)),
            [] => TemplateGlob::Static(Glob::new("")),
            _ => TemplateGlob::Dynamic(parts.into_boxed_slice()),
        }
    }

    pub(crate) fn is_match(&self, text: &str, ctx: &RequestContext) -> bool {
        match self {
            TemplateGlob::Static(g) => g.is_match(text),
            TemplateGlob::Dynamic(parts) => {
                let mut toks = Vec::with_capacity(32);
                resolve_tokens(parts, ctx, &mut toks).is_some()
                    && Glob::from_tokens(&toks).is_match(text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> RequestContext {
        let mut c = RequestContext::new();
        c.insert("aws:username", "alice");
        c.insert("aws:PrincipalTag/Team", "blue*");
        c
    }

    #[test]
    fn parses_variables_defaults_and_escapes() {
        let parts = parse("home/${aws:username}/${*}${?}${$}", true).unwrap();
        assert_eq!(
            parts,
            vec![
                Part::Text("home/".into()),
                Part::Var {
                    key: "aws:username".into(),
                    default: None
                },
                Part::Text("/".into()),
                Part::Escape('*'),
                Part::Escape('?'),
                Part::Escape('$'),
            ]
        );
        let parts = parse("${aws:userid, 'anonymous'}", true).unwrap();
        assert_eq!(
            parts,
            vec![Part::Var {
                key: "aws:userid".into(),
                default: Some("anonymous".into())
            }]
        );
        assert!(parse("${aws:userid, anonymous}", true).is_err());
        assert!(parse("${}", true).is_err());
        assert_eq!(
            parse("a${b", true).unwrap(),
            vec![Part::Text("a${b".into())]
        );
        assert_eq!(
            parse("${aws:username}", false).unwrap(),
            vec![Part::Text("${aws:username}".into())]
        );
    }

    #[test]
    fn resolves_case_insensitively_and_literally() {
        let c = ctx();
        let parts = parse("${AWS:UserName}-${aws:principaltag/team}", true).unwrap();
        assert_eq!(resolve_text(&parts, &c).unwrap(), "alice-blue*");
        let g = TemplateGlob::new(parse("x/${aws:PrincipalTag/Team}", true).unwrap());
        assert!(g.is_match("x/blue*", &c));
        assert!(!g.is_match("x/blueberry", &c), "substituted * is literal");
        let g = TemplateGlob::new(parse("x/${aws:missing}", true).unwrap());
        assert!(!g.is_match("x/", &c));
        let g = TemplateGlob::new(parse("x/${aws:missing, 'd'}*", true).unwrap());
        assert!(g.is_match("x/dz", &c));
    }
}
