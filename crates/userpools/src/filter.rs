//! `ListUsers`' `Filter` parameter: `AttributeName Filter-Type "AttributeValue"`, where the type
//! is `=` (exact) or `^=` (starts with), on the attributes Cognito lets a filter name. An empty
//! filter lists everyone. Anything else is `InvalidParameterException`: a filter that cannot be
//! read never silently lists everyone.

use crate::error::{CognitoError, ErrorType};

/// The attributes a filter may name (Cognito's list; `status` is enabled/disabled,
/// `cognito:user_status` the confirmation state).
pub const SEARCHABLE: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Exact,
    Prefix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// One of [`SEARCHABLE`].
    pub attribute: &'static str,
    pub kind: Match,
    pub value: String,
}

fn invalid(why: &str) -> CognitoError {
    CognitoError::new(
        ErrorType::InvalidParameter,
        format!("Error while parsing filter: {why}"),
    )
}

/// Reads a filter; `None` for an empty one (everyone).
pub fn parse(filter: &str) -> Result<Option<Filter>, CognitoError> {
    let text = filter.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let name_end = text
        .find(|c: char| c.is_whitespace() || c == '=' || c == '^')
        .ok_or_else(|| invalid("expected a filter type after the attribute name"))?;
    let (name, rest) = text.split_at(name_end);
    let attribute = SEARCHABLE
        .iter()
        .copied()
        .find(|a| *a == name)
        .ok_or_else(|| invalid("the attribute cannot be used in a filter"))?;
    let rest = rest.trim_start();
    let (kind, rest) = if let Some(r) = rest.strip_prefix("^=") {
        (Match::Prefix, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (Match::Exact, r)
    } else {
        return Err(invalid("the filter type must be = or ^="));
    };
    let rest = rest.trim_start();
    let body = rest
        .strip_prefix('"')
        .ok_or_else(|| invalid("the value must be in double quotes"))?;
    let mut value = String::new();
    let mut chars = body.chars();
    loop {
        match chars.next() {
            None => return Err(invalid("the value's closing quote is missing")),
            Some('"') => break,
            Some('\\') => match chars.next() {
                Some(c @ ('"' | '\\')) => value.push(c),
                _ => return Err(invalid("only \\\" and \\\\ may be escaped")),
            },
            Some(c) => value.push(c),
        }
    }
    if !chars.as_str().trim().is_empty() {
        return Err(invalid("unexpected text after the value"));
    }
    Ok(Some(Filter {
        attribute,
        kind,
        value,
    }))
}

impl Filter {
    /// Whether a user matches, given the user's value of [`Filter::attribute`] (`None`: the user
    /// has no such attribute, which matches nothing).
    pub fn matches(&self, value: Option<&str>) -> bool {
        value.is_some_and(|v| match self.kind {
            Match::Exact => v == self.value,
            Match::Prefix => v.starts_with(&self.value),
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn filters_as_cognito_writes_them() {
        let f = parse(r#"email = "alice@example.com""#).unwrap().unwrap();
        assert_eq!(
            (f.attribute, f.kind, f.value.as_str()),
            ("email", Match::Exact, "alice@example.com")
        );
        let f = parse(r#"family_name^="Sm""#).unwrap().unwrap();
        assert_eq!((f.attribute, f.kind), ("family_name", Match::Prefix));
        assert!(f.matches(Some("Smith")) && !f.matches(Some("smith")) && !f.matches(None));
        let f = parse(r#"name = "say \"hi\" \\ bye""#).unwrap().unwrap();
        assert_eq!(f.value, r#"say "hi" \ bye"#);
        assert_eq!(parse("  ").unwrap(), None);
        let f = parse(r#"cognito:user_status = "UNCONFIRMED""#)
            .unwrap()
            .unwrap();
        assert!(f.matches(Some("UNCONFIRMED")));
    }

    #[test]
    fn anything_unreadable_is_refused() {
        for bad in [
            "email",
            r#"email "a""#,
            r#"email == "a""#,
            r#"email = a"#,
            r#"email = "a"#,
            r#"email = "a" and"#,
            r#"custom:plan = "gold""#,
            r#"password = "x""#,
            r#"email = "\n""#,
            r#"email != "a""#,
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.kind, ErrorType::InvalidParameter, "{bad}");
        }
    }

    proptest! {
        /// Any value, quoted and escaped, reads back as itself.
        #[test]
        fn values_round_trip(value in any::<String>(), prefix in any::<bool>()) {
            let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
            let op = if prefix { "^=" } else { "=" };
            let f = parse(&format!("email {op} \"{escaped}\"")).unwrap().unwrap();
            prop_assert_eq!(f.value, value);
        }

        #[test]
        fn parse_never_panics(text in any::<String>()) {
            let _ = parse(&text);
        }
    }
}
