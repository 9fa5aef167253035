//! One table per operator family: positive, negated, `…IfExists`, set qualifiers, absent keys.

use super::*;
use crate::parse::{PolicyErrorKind, parse_operator};

/// Compiles `op` (with qualifier/IfExists as written) on `key` with `vals`, Version 2012.
fn cond(op: &str, key: &str, vals: &[&str]) -> Condition {
    try_cond(op, key, vals).unwrap()
}

fn try_cond(op: &str, key: &str, vals: &[&str]) -> Result<Condition, PolicyErrorKind> {
    let (q, o, ie) = parse_operator(op).expect("known operator");
    Condition::compile(
        o,
        q,
        ie,
        key,
        vals.iter().map(|s| s.to_string()).collect(),
        true,
    )
    .map_err(|(_, k)| k)
}

fn ctx(pairs: &[(&str, &[&str])]) -> RequestContext {
    let mut c = RequestContext::new();
    for (k, vs) in pairs {
        c.insert_values(k, vs.iter().copied());
    }
    c
}

/// Evaluates `op` with policy values `vals` against request values `req` for key `k`
/// (`None` = key absent).
fn eval(op: &str, vals: &[&str], req: Option<&[&str]>) -> bool {
    let c = match req {
        Some(r) => ctx(&[("k", r)]),
        None => RequestContext::new(),
    };
    cond(op, "k", vals).evaluate(&c)
}

#[test]
fn every_operator_name_round_trips() {
    for op in Operator::ALL {
        assert_eq!(Operator::from_name(op.name()), Some(*op));
        let (q, o, ie) = parse_operator(&format!("{}IfExists", op.name())).unwrap();
        assert_eq!((q, o, ie), (None, *op, true));
    }
    assert_eq!(parse_operator("StringEquls"), None);
    assert_eq!(
        parse_operator("stringequals"),
        None,
        "operator names are case-sensitive"
    );
    assert_eq!(
        parse_operator("ForAllValues:StringLikeIfExists"),
        Some((Some(SetQualifier::ForAllValues), Operator::StringLike, true))
    );
}

#[test]
fn string_equals_family() {
    assert!(eval("StringEquals", &["a", "b"], Some(&["b"])));
    assert!(
        !eval("StringEquals", &["a"], Some(&["A"])),
        "case-sensitive"
    );
    assert!(!eval("StringEquals", &["a"], None));
    assert!(eval("StringNotEquals", &["a"], Some(&["b"])));
    assert!(!eval("StringNotEquals", &["a", "b"], Some(&["b"])));
    assert!(
        eval("StringNotEquals", &["a"], None),
        "negated operator on absent key is true"
    );
    assert!(eval("StringEqualsIgnoreCase", &["HeLLo"], Some(&["hello"])));
    assert!(!eval(
        "StringNotEqualsIgnoreCase",
        &["HeLLo"],
        Some(&["HELLO"])
    ));
    assert!(eval("StringNotEqualsIgnoreCase", &["x"], None));
    assert!(eval("StringEqualsIfExists", &["a"], None));
    assert!(!eval("StringEqualsIfExists", &["a"], Some(&["b"])));
    assert!(eval("StringNotEqualsIfExists", &["a"], None));
}

#[test]
fn string_like_family() {
    assert!(eval("StringLike", &["home/*"], Some(&["home/alice/x"])));
    assert!(eval("StringLike", &["a?c"], Some(&["abc"])));
    assert!(
        !eval("StringLike", &["A*"], Some(&["abc"])),
        "case-sensitive"
    );
    assert!(!eval("StringLike", &["*"], None));
    assert!(eval("StringNotLike", &["a*"], Some(&["bcd"])));
    assert!(!eval("StringNotLike", &["a*"], Some(&["abc"])));
    assert!(eval("StringNotLike", &["a*"], None));
    assert!(eval("StringLikeIfExists", &["a*"], None));
}

#[test]
fn numeric_family() {
    assert!(eval("NumericEquals", &["10"], Some(&["10.0"])));
    assert!(eval("NumericNotEquals", &["10"], Some(&["11"])));
    assert!(!eval("NumericNotEquals", &["10"], Some(&["10"])));
    assert!(eval("NumericLessThan", &["10"], Some(&["9"])));
    assert!(!eval("NumericLessThan", &["10"], Some(&["10"])));
    assert!(eval("NumericLessThanEquals", &["10"], Some(&["10"])));
    assert!(eval("NumericGreaterThan", &["10"], Some(&["10.5"])));
    assert!(!eval("NumericGreaterThan", &["10"], Some(&["10"])));
    assert!(eval("NumericGreaterThanEquals", &["-1"], Some(&["-1"])));
    assert!(
        !eval("NumericLessThan", &["10"], Some(&["nine"])),
        "unreadable request value"
    );
    assert!(eval("NumericNotEquals", &["10"], Some(&["nine"])));
    assert!(!eval("NumericLessThan", &["10"], None));
    assert!(eval("NumericNotEquals", &["10"], None));
    assert!(eval("NumericLessThanIfExists", &["10"], None));
    assert_eq!(
        try_cond("NumericEquals", "k", &["ten"]).unwrap_err(),
        PolicyErrorKind::InvalidNumber("ten".into())
    );
}

#[test]
fn date_family() {
    let t = "2020-06-01T00:00:00Z";
    assert!(eval("DateEquals", &["2020-06-01T00:00:00Z"], Some(&[t])));
    assert!(
        eval("DateEquals", &["1590969600"], Some(&[t])),
        "epoch and ISO compare"
    );
    assert!(eval("DateNotEquals", &["2020-06-02"], Some(&[t])));
    assert!(eval("DateLessThan", &["2020-06-02"], Some(&[t])));
    assert!(!eval("DateLessThan", &["2020-06-01"], Some(&[t])));
    assert!(eval("DateLessThanEquals", &["2020-06-01"], Some(&[t])));
    assert!(eval(
        "DateGreaterThan",
        &["2020-05-31T23:59:59Z"],
        Some(&[t])
    ));
    assert!(eval(
        "DateGreaterThanEquals",
        &["2020-06-01T02:00:00+02:00"],
        Some(&[t])
    ));
    assert!(!eval("DateGreaterThan", &["2020-01-01"], None));
    assert!(eval("DateNotEquals", &["2020-01-01"], None));
    assert!(eval("DateLessThanIfExists", &["2020-01-01"], None));
    assert!(!eval(
        "DateLessThan",
        &["2021-01-01"],
        Some(&["not a date"])
    ));
    assert_eq!(
        try_cond("DateLessThan", "k", &["tomorrow"]).unwrap_err(),
        PolicyErrorKind::InvalidDate("tomorrow".into())
    );
}

#[test]
fn typed_time_from_the_context() {
    let mut c = RequestContext::new();
    c.set_current_time(time::OffsetDateTime::from_unix_timestamp(1_590_969_600).unwrap());
    assert!(cond("DateLessThan", "aws:CurrentTime", &["2020-06-02T00:00:00Z"]).evaluate(&c));
    assert!(cond("DateGreaterThan", "aws:EpochTime", &["2020-05-01"]).evaluate(&c));
    assert!(cond("NumericEquals", "aws:EpochTime", &["1590969600"]).evaluate(&c));
}

#[test]
fn bool_and_binary_and_null() {
    assert!(eval("Bool", &["true"], Some(&["true"])));
    assert!(eval("Bool", &["false"], Some(&["FALSE"])));
    assert!(!eval("Bool", &["true"], Some(&["false"])));
    assert!(!eval("Bool", &["true"], None));
    assert!(eval("BoolIfExists", &["true"], None));
    assert!(!eval("Bool", &["true"], Some(&["yes"])));
    assert_eq!(
        try_cond("Bool", "k", &["yes"]).unwrap_err(),
        PolicyErrorKind::InvalidBool("yes".into())
    );

    assert!(eval("BinaryEquals", &["QmluYXJ5"], Some(&["Binary"])));
    assert!(!eval("BinaryEquals", &["QmluYXJ5"], Some(&["binary"])));
    assert!(!eval("BinaryEquals", &["QmluYXJ5"], None));
    assert!(eval("BinaryEqualsIfExists", &["QmluYXJ5"], None));
    assert!(try_cond("BinaryEquals", "k", &["***"]).is_err());

    assert!(eval("Null", &["true"], None));
    assert!(!eval("Null", &["true"], Some(&["x"])));
    assert!(eval("Null", &["false"], Some(&["x"])));
    assert!(!eval("Null", &["false"], None));
}

#[test]
fn ip_family() {
    assert!(eval(
        "IpAddress",
        &["203.0.113.0/24"],
        Some(&["203.0.113.9"])
    ));
    assert!(!eval(
        "IpAddress",
        &["203.0.113.0/24"],
        Some(&["203.0.114.9"])
    ));
    assert!(
        eval("IpAddress", &["203.0.113.5"], Some(&["203.0.113.5"])),
        "bare address is /32"
    );
    assert!(!eval("IpAddress", &["203.0.113.5"], Some(&["203.0.113.6"])));
    assert!(eval(
        "IpAddress",
        &["2001:DB8:1234:5678::/64"],
        Some(&["2001:db8:1234:5678::1"])
    ));
    assert!(!eval(
        "IpAddress",
        &["2001:DB8::/32"],
        Some(&["203.0.113.5"])
    ));
    assert!(eval("NotIpAddress", &["10.0.0.0/8"], Some(&["192.0.2.1"])));
    assert!(!eval("NotIpAddress", &["10.0.0.0/8"], Some(&["10.1.2.3"])));
    assert!(!eval("IpAddress", &["10.0.0.0/8"], None));
    assert!(eval("NotIpAddress", &["10.0.0.0/8"], None));
    assert!(eval("IpAddressIfExists", &["10.0.0.0/8"], None));
    assert!(!eval("IpAddress", &["10.0.0.0/8"], Some(&["not-an-ip"])));
    for bad in ["10.0.0.300", "10.0.0.0/33", "10.0.0.0/", "foo", " 10.0.0.1"] {
        assert!(
            matches!(
                try_cond("IpAddress", "k", &[bad]),
                Err(PolicyErrorKind::InvalidIp(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn arn_family() {
    let role = "arn:aws:iam::123456789012:role/dev";
    assert!(eval(
        "ArnEquals",
        &["arn:aws:iam::123456789012:role/*"],
        Some(&[role])
    ));
    assert!(eval("ArnLike", &["arn:aws:iam::*:role/dev"], Some(&[role])));
    assert!(!eval(
        "ArnLike",
        &["arn:aws:iam::*:role/dev"],
        Some(&["arn:aws:iam::1:role/Dev"])
    ));
    assert!(eval(
        "ArnNotEquals",
        &["arn:aws:iam::*:role/prod"],
        Some(&[role])
    ));
    assert!(!eval(
        "ArnNotLike",
        &["arn:aws:iam::*:role/*"],
        Some(&[role])
    ));
    assert!(!eval("ArnLike", &["arn:aws:iam::*:*"], None));
    assert!(eval("ArnNotLike", &["arn:aws:iam::*:*"], None));
    assert!(eval("ArnLikeIfExists", &["arn:aws:iam::*:*"], None));
    // Per component: the region wildcard does not swallow the account.
    let odd = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/x";
    assert!(!eval(
        "ArnLike",
        &["arn:aws:someservice:*:111122223333:finance/*"],
        Some(&[odd])
    ));
    assert!(eval(
        "StringLike",
        &["arn:aws:someservice:*:111122223333:finance/*"],
        Some(&[odd])
    ));
}

#[test]
fn set_qualifiers() {
    let allowed = &["PostDateTime", "Message", "Tags"];
    assert!(eval(
        "ForAllValues:StringLike",
        allowed,
        Some(&["PostDateTime", "Message"])
    ));
    assert!(!eval(
        "ForAllValues:StringLike",
        allowed,
        Some(&["PostDateTime", "UserName"])
    ));
    assert!(
        eval("ForAllValues:StringLike", allowed, None),
        "ForAllValues on absent key is true"
    );
    assert!(eval(
        "ForAnyValue:StringLike",
        &["ID", "PostDateTime"],
        Some(&["UserName", "PostDateTime"])
    ));
    assert!(!eval(
        "ForAnyValue:StringLike",
        &["ID", "PostDateTime"],
        Some(&["UserName"])
    ));
    assert!(
        !eval("ForAnyValue:StringLike", &["ID"], None),
        "ForAnyValue on absent key is false"
    );
    // Negated operators negate per request value.
    assert!(eval(
        "ForAllValues:StringNotEquals",
        &["a", "b"],
        Some(&["c", "d"])
    ));
    assert!(!eval(
        "ForAllValues:StringNotEquals",
        &["a", "b"],
        Some(&["c", "a"])
    ));
    assert!(eval(
        "ForAnyValue:StringNotEquals",
        &["a", "b"],
        Some(&["c", "a"])
    ));
    assert!(!eval(
        "ForAnyValue:StringNotEquals",
        &["a", "b"],
        Some(&["a", "b"])
    ));
    assert!(eval("ForAllValues:StringNotEquals", &["a"], None));
    assert!(!eval("ForAnyValue:StringNotEquals", &["a"], None));
    assert!(
        !eval("ForAnyValue:StringEqualsIfExists", &["a"], None),
        "IfExists does not rescue ForAnyValue on an absent key"
    );
    // No qualifier with several request values: any for positive, none for negated.
    assert!(eval("StringEquals", &["a"], Some(&["b", "a"])));
    assert!(!eval("StringNotEquals", &["a"], Some(&["b", "a"])));
    assert!(eval(
        "ForAnyValue:IpAddress",
        &["10.0.0.0/8"],
        Some(&["192.0.2.1", "10.0.0.1"])
    ));
    assert!(!eval(
        "ForAllValues:IpAddress",
        &["10.0.0.0/8"],
        Some(&["192.0.2.1", "10.0.0.1"])
    ));
}

#[test]
fn variables_in_string_and_arn_values_only() {
    let c = ctx(&[
        ("aws:username", &["alice"]),
        ("k", &["home/alice/x"]),
        ("n", &["5"]),
    ]);
    assert!(cond("StringLike", "k", &["home/${aws:username}/*"]).evaluate(&c));
    assert!(!cond("StringLike", "k", &["home/${aws:missing}/*"]).evaluate(&c));
    assert!(
        cond("StringNotLike", "k", &["home/${aws:missing}/*"]).evaluate(&c),
        "unresolvable value matches nothing"
    );
    assert!(
        cond(
            "StringEqualsIgnoreCase",
            "aws:username",
            &["${AWS:USERNAME}"]
        )
        .evaluate(&c)
    );
    let c2 = ctx(&[("aws:username", &["ALICE"]), ("k", &["alice"])]);
    assert!(cond("StringEqualsIgnoreCase", "k", &["${aws:username}"]).evaluate(&c2));
    assert!(cond("StringEquals", "k", &["${aws:missing, 'home/alice/x'}"]).evaluate(&c));
    assert!(cond("StringEquals", "k", &["home/${aws:username}/x"]).evaluate(&c));
    assert!(
        cond("StringEquals", "weird", &["${*}${?}${$}"]).evaluate(&ctx(&[("weird", &["*?$"])]))
    );
    // Numeric values never take variables: the text is a (bad) number.
    assert!(try_cond("NumericEquals", "n", &["${aws:username}"]).is_err());
    let arn = ctx(&[
        ("aws:username", &["alice"]),
        ("a", &["arn:aws:iam::123456789012:user/alice"]),
    ]);
    assert!(cond("ArnLike", "a", &["arn:aws:iam::*:user/${aws:username}"]).evaluate(&arn));
}

#[test]
fn version_2008_does_not_substitute() {
    let (q, o, ie) = parse_operator("StringEquals").unwrap();
    let c = Condition::compile(o, q, ie, "k", vec!["${aws:username}".into()], false).unwrap();
    assert!(c.evaluate(&ctx(&[("k", &["${aws:username}"])])));
    assert!(!c.evaluate(&ctx(&[("k", &["alice"]), ("aws:username", &["alice"])])));
}

#[test]
fn keys_are_case_insensitive() {
    let c = ctx(&[("AWS:SourceIP", &["10.0.0.1"])]);
    assert!(cond("IpAddress", "aws:sourceip", &["10.0.0.0/8"]).evaluate(&c));
    assert!(cond("IpAddress", "Aws:SourceIp", &["10.0.0.0/8"]).evaluate(&c));
}

/// "Set operators for multivalued context keys": `ForAnyValue` over no request values is false
/// and `ForAllValues` true; "…IfExists condition operators": a single-valued `…IfExists` on an
/// absent key is true. `IfExists` does not turn `ForAnyValue`'s empty set into a match — the
/// regression an independent evaluator found (`ForAnyValue:StringEqualsIfExists` on an absent
/// key allowed).
#[test]
fn absent_keys_for_every_operator_qualifier_and_if_exists() {
    let sample = |op: Operator| -> &'static str {
        use Operator::*;
        match op {
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => "5",
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => "2024-01-01T00:00:00Z",
            Bool | Null => "true",
            BinaryEquals => "QmluYXJ5",
            IpAddress | NotIpAddress => "10.0.0.0/8",
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => "arn:aws:iam::*:user/*",
            _ => "a",
        }
    };
    let absent = RequestContext::new();
    for &op in Operator::ALL {
        if op == Operator::Null {
            continue;
        }
        for qualifier in ["", "ForAllValues:", "ForAnyValue:"] {
            for if_exists in [false, true] {
                let name = format!(
                    "{qualifier}{}{}",
                    op.name(),
                    if if_exists { "IfExists" } else { "" }
                );
                let want = match qualifier {
                    "ForAnyValue:" => false,
                    "ForAllValues:" => true,
                    _ => if_exists || op.is_negated(),
                };
                let c = cond(&name, "k", &[sample(op)]);
                assert_eq!(c.evaluate(&absent), want, "{name} on an absent key");
                // An empty value list is an absent key.
                let empty = ctx(&[("k", &[])]);
                assert_eq!(c.evaluate(&empty), want, "{name} on an empty key");
            }
        }
    }
}

#[test]
fn for_any_value_if_exists_still_tests_present_keys() {
    assert!(eval(
        "ForAnyValue:StringEqualsIfExists",
        &["a"],
        Some(&["b", "a"])
    ));
    assert!(!eval(
        "ForAnyValue:StringEqualsIfExists",
        &["a"],
        Some(&["b"])
    ));
    assert!(eval(
        "ForAnyValue:StringNotEqualsIfExists",
        &["a"],
        Some(&["a", "b"])
    ));
    assert!(!eval("ForAnyValue:StringNotLikeIfExists", &["*"], None));
    assert!(eval("ForAllValues:StringLikeIfExists", &["a*"], None));
    assert!(eval("StringNotEqualsIfExists", &["a"], None));
}

/// "Policy variables with no value" (IAM User Guide, "IAM policy elements: Variables and
/// tags"): a variable with no value "is effectively null. There is no equal or like value";
/// positive operators do not match it and "Inverted condition operators like `StringNotEquals`
/// or `StringNotLike` do match against a null value". Pinned for every operator that takes
/// variables, with the key present and absent, and with a default (which does resolve).
#[test]
fn unresolvable_variables_in_condition_values() {
    let present = ctx(&[("k", &["x"]), ("aws:username", &["alice"])]);
    let absent = ctx(&[("aws:username", &["alice"])]);
    for &op in Operator::ALL {
        if !op.takes_variables() {
            continue;
        }
        let value = if op.name().starts_with("Arn") {
            "arn:aws:iam::123456789012:user/${aws:PrincipalTag/team}"
        } else {
            "${aws:PrincipalTag/team}"
        };
        let c = cond(op.name(), "k", &[value]);
        assert_eq!(
            c.evaluate(&present),
            op.is_negated(),
            "{} with an unresolvable value, key present",
            op.name()
        );
        assert_eq!(
            c.evaluate(&absent),
            op.is_negated(),
            "{} with an unresolvable value, key absent",
            op.name()
        );
        // With a set qualifier the negation is per request value.
        for (q, want) in [
            ("ForAnyValue:", op.is_negated()),
            ("ForAllValues:", op.is_negated()),
        ] {
            let c = cond(&format!("{q}{}", op.name()), "k", &[value]);
            assert_eq!(c.evaluate(&present), want, "{q}{}", op.name());
        }
    }
    // A default stands in for the missing value.
    let c = cond("StringNotEquals", "k", &["${aws:PrincipalTag/team, 'x'}"]);
    assert!(!c.evaluate(&present));
    // A multivalued key cannot stand in for a variable either.
    let multi = ctx(&[("k", &["x"]), ("aws:PrincipalTag/team", &["x", "y"])]);
    assert!(!cond("StringEquals", "k", &["${aws:PrincipalTag/team}"]).evaluate(&multi));
    assert!(cond("StringNotEquals", "k", &["${aws:PrincipalTag/team}"]).evaluate(&multi));
}
