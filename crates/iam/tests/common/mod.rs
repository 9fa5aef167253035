//! Helpers shared by the end-to-end tests.
#![allow(dead_code, clippy::unwrap_used)]

use iam::*;
use serde_json::{Value, json};

pub const OWNER: &str = "123456789012";
pub const OTHER: &str = "210987654321";
pub const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123";
pub const INVOKE: &str = "execute-api:Invoke";

pub fn res(path: &str) -> String {
    format!("{API}{path}")
}

pub fn policy(statements: Value) -> Policy {
    Policy::parse(
        &json!({"Version": "2012-10-17", "Statement": statements}),
        &ParseOptions::identity(),
    )
    .unwrap()
}

pub fn ident(statements: Value) -> PolicySet {
    PolicySet::new([NamedPolicy::new("identity", policy(statements))])
}

pub fn rpol(statements: Value) -> NamedPolicy {
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    NamedPolicy::new(
        "abc123",
        Policy::parse(&doc, &ParseOptions::resource(Some(API.into()))).unwrap(),
    )
}

pub struct Req<'a> {
    pub principal: &'a Principal,
    pub identity: Option<&'a PolicySet>,
    pub session: Option<&'a PolicySet>,
    pub resource_policy: Option<&'a NamedPolicy>,
    pub action: &'a str,
    pub resource: &'a str,
    pub ctx: Option<RequestContext>,
}

impl<'a> Req<'a> {
    pub fn new(principal: &'a Principal, resource: &'a str) -> Self {
        Req {
            principal,
            identity: None,
            session: None,
            resource_policy: None,
            action: INVOKE,
            resource,
            ctx: None,
        }
    }
    pub fn identity(mut self, s: &'a PolicySet) -> Self {
        self.identity = Some(s);
        self
    }
    pub fn session(mut self, s: &'a PolicySet) -> Self {
        self.session = Some(s);
        self
    }
    pub fn rp(mut self, p: &'a NamedPolicy) -> Self {
        self.resource_policy = Some(p);
        self
    }
    pub fn action(mut self, a: &'a str) -> Self {
        self.action = a;
        self
    }
    pub fn ctx(mut self, c: RequestContext) -> Self {
        self.ctx = Some(c);
        self
    }
    pub fn run(&self) -> Authorization {
        let ctx = self
            .ctx
            .clone()
            .unwrap_or_else(|| RequestContext::for_principal(self.principal));
        authorize(&AuthzInput {
            principal: self.principal,
            action: self.action,
            resource: self.resource,
            context: &ctx,
            resource_account: OWNER,
            identity: self.identity,
            session_policies: self.session,
            resource_policy: self.resource_policy,
        })
    }
    pub fn decision(&self) -> Decision {
        self.run().decision()
    }
}

pub fn alice() -> Principal {
    Principal::user(OWNER, "alice")
}
