//! Policies AWS refuses are refused here too, naming the statement, a JSON pointer and the fault.
#![allow(clippy::unwrap_used)]

use iam::{ParseOptions, Policy, PolicyError, PolicyErrorKind, PolicyKind, PolicyVersion};
use serde_json::json;

fn err(doc: serde_json::Value, opts: &ParseOptions) -> PolicyError {
    match Policy::parse(&doc, opts) {
        Ok(_) => panic!("accepted: {doc}"),
        Err(e) => e,
    }
}

fn id() -> ParseOptions {
    ParseOptions::identity()
}

fn res() -> ParseOptions {
    ParseOptions::resource(Some(
        "arn:aws:execute-api:us-east-1:123456789012:abc123".into(),
    ))
}

fn allow_all() -> serde_json::Value {
    json!({"Effect": "Allow", "Action": "*", "Resource": "*"})
}

/// Asserts the pointer, the statement index and the kind (by its Debug prefix).
#[track_caller]
fn check(e: &PolicyError, pointer: &str, statement: Option<usize>, kind: &str) {
    assert_eq!(e.pointer, pointer, "{e}");
    assert_eq!(e.statement.as_ref().map(|s| s.index), statement, "{e}");
    assert!(
        format!("{:?}", e.kind).starts_with(kind),
        "{e} / {:?}",
        e.kind
    );
}

#[test]
fn top_level() {
    check(&err(json!([]), &id()), "", None, "WrongType");
    check(
        &err(json!({"Statement": [allow_all()], "Foo": 1}), &id()),
        "/Foo",
        None,
        "UnknownKey",
    );
    check(
        &err(json!({"statement": [allow_all()]}), &id()),
        "/statement",
        None,
        "UnknownKey",
    );
    check(
        &err(
            json!({"Version": "2013-01-01", "Statement": [allow_all()]}),
            &id(),
        ),
        "/Version",
        None,
        "UnsupportedVersion",
    );
    check(
        &err(json!({"Version": 2012, "Statement": [allow_all()]}), &id()),
        "/Version",
        None,
        "WrongType",
    );
    check(
        &err(json!({"Version": "2012-10-17"}), &id()),
        "",
        None,
        "Missing",
    );
    check(
        &err(json!({"Statement": []}), &id()),
        "/Statement",
        None,
        "Empty",
    );
    check(
        &err(json!({"Statement": "x"}), &id()),
        "/Statement",
        None,
        "WrongType",
    );
    check(
        &err(json!({"Id": 5, "Statement": [allow_all()]}), &id()),
        "/Id",
        None,
        "WrongType",
    );
}

#[test]
fn statement_elements() {
    let e = err(
        json!({"Statement": [allow_all(), {"Sid": "Two", "Action": "*", "Resource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/1", Some(1), "Missing");
    assert_eq!(e.statement.as_ref().unwrap().sid.as_deref(), Some("Two"));

    let e = err(
        json!({"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0/Effect", Some(0), "InvalidEffect");
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Actions": "*", "Resource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0/Actions", Some(0), "UnknownKey");
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0/NotAction", Some(0), "Conflict");
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0", Some(0), "Missing");
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Action": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0", Some(0), "Missing");
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0/NotResource", Some(0), "Conflict");
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0/Action", Some(0), "Empty");
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", 5], "Resource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0/Action/1", Some(0), "WrongType");
    let e = err(
        json!({"Statement": {"Effect": "Allow", "Action": "Invoke", "Resource": "*"}}),
        &id(),
    );
    check(&e, "/Statement/Action", Some(0), "InvalidAction");
}

#[test]
fn principals_by_kind() {
    let with_principal = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]});
    check(
        &err(with_principal, &id()),
        "/Statement/0/Principal",
        Some(0),
        "NotAllowed",
    );
    check(
        &err(json!({"Statement": [allow_all()]}), &res()),
        "/Statement/0",
        Some(0),
        "Missing",
    );
    let trust_with_resource = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}]});
    check(
        &err(trust_with_resource, &ParseOptions::trust()),
        "/Statement/0/Resource",
        Some(0),
        "NotAllowed",
    );

    let bad = |p: serde_json::Value| {
        err(
            json!({"Statement": [{"Effect": "Allow", "Principal": p, "Action": "*", "Resource": "*"}]}),
            &res(),
        )
    };
    check(
        &bad(json!({"AWS": ["arn:aws:iam::123456789012:user/*"]})),
        "/Statement/0/Principal/AWS/0",
        Some(0),
        "WildcardPrincipal",
    );
    check(
        &bad(json!({"AWS": "arn:aws:iam::*:root"})),
        "/Statement/0/Principal/AWS",
        Some(0),
        "WildcardPrincipal",
    );
    check(
        &bad(json!({"AWS": "1234"})),
        "/Statement/0/Principal/AWS",
        Some(0),
        "InvalidPrincipal",
    );
    check(
        &bad(json!({"AWS": "arn:aws:iam::123456789012:group/devs"})),
        "/Statement/0/Principal/AWS",
        Some(0),
        "InvalidPrincipal",
    );
    check(
        &bad(json!({"Service": "*"})),
        "/Statement/0/Principal/Service",
        Some(0),
        "WildcardPrincipal",
    );
    check(
        &bad(json!({"Users": "x"})),
        "/Statement/0/Principal/Users",
        Some(0),
        "UnknownKey",
    );
    check(&bad(json!({})), "/Statement/0/Principal", Some(0), "Empty");
    check(
        &bad(json!("someone")),
        "/Statement/0/Principal",
        Some(0),
        "InvalidPrincipal",
    );
    let both = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "NotPrincipal": "*", "Action": "*", "Resource": "*"}]});
    check(
        &err(both, &res()),
        "/Statement/0/NotPrincipal",
        Some(0),
        "Conflict",
    );
}

#[test]
fn resources() {
    let bad = |r: &str, opts: &ParseOptions| {
        err(
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": r}]}),
            opts,
        )
    };
    check(
        &bad("arn:aws:execute-api:*", &id()),
        "/Statement/0/Resource",
        Some(0),
        "InvalidArn",
    );
    check(
        &bad("bucket/*", &id()),
        "/Statement/0/Resource",
        Some(0),
        "InvalidArn",
    );
    check(
        &bad("execute-api:/*", &id()),
        "/Statement/0/Resource",
        Some(0),
        "InvalidArn",
    );
    let no_prefix = err(
        json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": ["execute-api:/*"]}]}),
        &ParseOptions::resource(None),
    );
    check(
        &no_prefix,
        "/Statement/0/Resource/0",
        Some(0),
        "UnexpandableResource",
    );
    let var = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${ }"}]});
    check(
        &err(var, &id()),
        "/Statement/0/Resource",
        Some(0),
        "InvalidVariable",
    );
    // Version 2008 takes the same text literally.
    assert!(Policy::parse(&json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${ }"}]}), &id()).is_ok());
}

#[test]
fn conditions_name_the_operator_and_value() {
    let doc = json!({"Version": "2012-10-17", "Statement": [
        allow_all(),
        {"Sid": "Second", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "Third", "Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"StringEquls": {"aws:username": "x"}}}
    ]});
    let e = err(doc, &id());
    check(
        &e,
        "/Statement/2/Condition/StringEquls",
        Some(2),
        "UnknownOperator",
    );
    assert_eq!(
        e.to_string(),
        r#"invalid policy: statement 2 (Sid "Third"), at /Statement/2/Condition/StringEquls: unknown condition operator "StringEquls""#
    );

    let cond = |c: serde_json::Value| {
        err(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": c}]}),
            &id(),
        )
    };
    check(
        &cond(json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "10.0.0.300"]}})),
        "/Statement/0/Condition/IpAddress/aws:SourceIp/1",
        Some(0),
        "InvalidIp",
    );
    check(
        &cond(json!({"DateLessThan": {"aws:CurrentTime": "soon"}})),
        "/Statement/0/Condition/DateLessThan/aws:CurrentTime",
        Some(0),
        "InvalidDate",
    );
    check(
        &cond(json!({"NumericLessThan": {"k": "ten"}})),
        "/Statement/0/Condition/NumericLessThan/k",
        Some(0),
        "InvalidNumber",
    );
    check(
        &cond(json!({"Bool": {"aws:SecureTransport": "yes"}})),
        "/Statement/0/Condition/Bool/aws:SecureTransport",
        Some(0),
        "InvalidBool",
    );
    check(
        &cond(json!({"BinaryEquals": {"k": "!!"}})),
        "/Statement/0/Condition/BinaryEquals/k",
        Some(0),
        "InvalidBase64",
    );
    check(
        &cond(json!({"NullIfExists": {"k": "true"}})),
        "/Statement/0/Condition/NullIfExists",
        Some(0),
        "InvalidNullOperator",
    );
    check(
        &cond(json!({"ForAnyValue:Null": {"k": "true"}})),
        "/Statement/0/Condition/ForAnyValue:Null",
        Some(0),
        "InvalidNullOperator",
    );
    check(
        &cond(json!({"StringEquals": {"k": null}})),
        "/Statement/0/Condition/StringEquals/k",
        Some(0),
        "WrongType",
    );
    check(
        &cond(json!({"StringEquals": {"k": [{"a": 1}]}})),
        "/Statement/0/Condition/StringEquals/k/0",
        Some(0),
        "WrongType",
    );
    check(
        &cond(json!({"StringEquals": "x"})),
        "/Statement/0/Condition/StringEquals",
        Some(0),
        "WrongType",
    );
    check(
        &cond(json!({"StringEquals": {"": "x"}})),
        "/Statement/0/Condition/StringEquals/",
        Some(0),
        "EmptyConditionKey",
    );
    check(
        &cond(json!([1])),
        "/Statement/0/Condition",
        Some(0),
        "WrongType",
    );
    // Pointer tokens are escaped (RFC 6901): the tag key's `/` becomes `~1`.
    check(
        &cond(json!({"StringEquals": {"aws:PrincipalTag/team": "${bad var}"}})),
        "/Statement/0/Condition/StringEquals/aws:PrincipalTag~1team",
        Some(0),
        "InvalidVariable",
    );
}

#[test]
fn sids() {
    let doc = json!({"Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"}
    ]});
    check(
        &err(doc, &id()),
        "/Statement/1/Sid",
        Some(1),
        "DuplicateSid",
    );
    let spaced = json!({"Statement": [{"Sid": "allow invoke", "Effect": "Allow", "Action": "*", "Resource": "*"}]});
    check(
        &err(spaced, &id()),
        "/Statement/0/Sid",
        Some(0),
        "InvalidSid",
    );
    // Resource policies of other services allow more characters.
    let spaced = json!({"Statement": [{"Sid": "allow invoke", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]});
    assert!(Policy::parse(&spaced, &res()).is_ok());
    let e = err(
        json!({"Statement": [{"Sid": 1, "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        &id(),
    );
    check(&e, "/Statement/0/Sid", Some(0), "WrongType");
}

#[test]
fn json_text_errors() {
    let e = Policy::from_json_str("{\"Statement\": [", &id()).unwrap_err();
    assert!(matches!(e.kind, PolicyErrorKind::Json(_)));
    assert!(
        e.to_string()
            .starts_with("invalid policy: at the document root: the policy is not valid JSON")
    );
}

#[test]
fn lenient_where_aws_is() {
    let doc = json!({
        "Id": "policy-1",
        "Statement": {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*",
                      "Condition": {"NumericLessThan": {"k": 10}, "Bool": {"aws:SecureTransport": true}}}
    });
    let p = Policy::parse(&doc, &id()).unwrap();
    assert_eq!(p.version(), PolicyVersion::V2008_10_17);
    assert_eq!(p.id(), Some("policy-1"));
    assert_eq!(p.kind(), PolicyKind::Identity);
    let conds = p.statements()[0].conditions();
    assert_eq!(conds.len(), 2);
    assert!(conds.iter().any(|c| c.values() == ["10"]));
    assert!(conds.iter().any(|c| c.values() == ["true"]));
    // The abbreviated API Gateway form expands.
    let rp = Policy::parse(
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/prod/GET/*"}]}),
        &res(),
    )
    .unwrap();
    assert_eq!(
        rp.statements()[0].resource().unwrap().patterns()[0].as_str(),
        "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/*"
    );
    // A trust policy has no Resource.
    let trust = Policy::parse(
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}]}),
        &ParseOptions::trust(),
    )
    .unwrap();
    assert!(trust.statements()[0].resource().is_none());
}

#[test]
fn long_values_are_clipped_in_messages() {
    let long = "x".repeat(1000);
    let e = err(
        json!({"Statement": [{"Effect": "Allow", "Action": long, "Resource": "*"}]}),
        &id(),
    );
    assert!(e.to_string().len() < 300, "{e}");
}
