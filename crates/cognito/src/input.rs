//! Reading an operation's JSON input, with Cognito's validation messages.

use serde_json::{Map, Value};
use userpools::{CognitoError, ErrorType};

/// The largest request body read (Cognito's requests are small; attributes are at most 2 KB
/// each and there are at most 50 of them).
pub const MAX_INPUT_BYTES: usize = 256 * 1024;

pub(crate) fn invalid(message: impl Into<String>) -> CognitoError {
    CognitoError::new(ErrorType::InvalidParameter, message)
}

/// An operation's input object, and the address it came from (`None` for the signed
/// administrative calls, whose caller is a server, not the user's device).
pub(crate) struct Input(Map<String, Value>, pub(crate) Option<std::net::IpAddr>);

impl Input {
    pub(crate) fn parse(body: &[u8]) -> Result<Input, CognitoError> {
        if body.len() > MAX_INPUT_BYTES {
            return Err(invalid("The request is too large."));
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input(Map::new(), None));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Input(map, None)),
            _ => Err(CognitoError::new(
                ErrorType::InvalidParameter,
                "The request body is not a JSON object.",
            )),
        }
    }

    /// A string member; `None` when absent or null. A member of another type is refused.
    pub(crate) fn opt(&self, name: &str) -> Result<Option<&str>, CognitoError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be a string",
                member(name)
            ))),
        }
    }

    /// A required string member, with the AWS validation message naming it.
    pub(crate) fn req(&self, name: &str) -> Result<&str, CognitoError> {
        self.opt(name)?.ok_or_else(|| missing(name))
    }

    /// A boolean member; absent is `false`.
    pub(crate) fn flag(&self, name: &str) -> Result<bool, CognitoError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be a boolean",
                member(name)
            ))),
        }
    }

    /// An integer member.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, CognitoError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(_) => Err(invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be an integer",
                member(name)
            ))),
        }
    }

    /// An object member (`SoftwareTokenMfaSettings`), read as an input of its own.
    pub(crate) fn object(&self, name: &str) -> Result<Option<Input>, CognitoError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Input(m.clone(), self.1))),
            Some(_) => Err(invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be an object",
                member(name)
            ))),
        }
    }

    /// A map of strings (`AuthParameters`, `ChallengeResponses`, `ClientMetadata`).
    pub(crate) fn strings(&self, name: &str) -> Result<Strings<'_>, CognitoError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(Strings(None)),
            Some(Value::Object(m)) => {
                if m.values().all(Value::is_string) {
                    Ok(Strings(Some(m)))
                } else {
                    Err(invalid(format!(
                        "1 validation error detected: Value at '{}' failed to satisfy constraint: Map value must be a string",
                        member(name)
                    )))
                }
            }
            Some(_) => Err(invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be a map",
                member(name)
            ))),
        }
    }

    /// `UserAttributes`: `[{"Name": …, "Value": …}]`.
    pub(crate) fn attributes(&self, name: &str) -> Result<Vec<(String, String)>, CognitoError> {
        let items = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(invalid(format!("{name} must be a list"))),
        };
        if items.len() > 50 {
            return Err(invalid(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to 50",
                member(name)
            )));
        }
        items
            .iter()
            .map(|item| {
                let n = item.get("Name").and_then(Value::as_str);
                let v = item.get("Value").and_then(Value::as_str).unwrap_or("");
                match n {
                    Some(n) if !n.is_empty() && n.len() <= 32 => Ok((n.to_string(), v.to_string())),
                    _ => Err(invalid(format!(
                        "1 validation error detected: Value at '{}' failed to satisfy constraint: every attribute has a Name of 1 to 32 characters",
                        member(name)
                    ))),
                }
            })
            .collect()
    }
}

/// A string map member of the input.
pub(crate) struct Strings<'a>(Option<&'a Map<String, Value>>);

impl Strings<'_> {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0?.get(key)?.as_str()
    }

    /// A required entry: Cognito names the missing parameter.
    pub(crate) fn req(&self, key: &str) -> Result<&str, CognitoError> {
        self.get(key)
            .ok_or_else(|| invalid(format!("Missing required parameter {key}")))
    }
}

fn missing(name: &str) -> CognitoError {
    invalid(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        member(name)
    ))
}

/// AWS names members in its validation messages in lower camel case (`clientId`).
fn member(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_messages() {
        let input =
            Input::parse(br#"{"ClientId": "c", "Bad": 3, "AuthParameters": {"USERNAME": "u"}}"#)
                .unwrap();
        assert_eq!(input.req("ClientId").unwrap(), "c");
        let e = input.req("Username").unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null"
        );
        assert!(input.opt("Bad").is_err());
        let params = input.strings("AuthParameters").unwrap();
        assert_eq!(params.get("USERNAME"), Some("u"));
        assert_eq!(
            params.req("PASSWORD").unwrap_err().message,
            "Missing required parameter PASSWORD"
        );
        assert!(Input::parse(b"[1]").is_err());
        assert!(Input::parse(b"").is_ok());
        assert!(Input::parse(&vec![b' '; MAX_INPUT_BYTES + 1]).is_err());
    }

    #[test]
    fn attributes_are_name_value_pairs() {
        let input = Input::parse(
            br#"{"UserAttributes": [{"Name": "email", "Value": "a@b.co"}], "X": [{"Value": "v"}]}"#,
        )
        .unwrap();
        assert_eq!(
            input.attributes("UserAttributes").unwrap(),
            [("email".to_string(), "a@b.co".to_string())]
        );
        assert!(input.attributes("X").is_err());
        assert!(input.attributes("Missing").unwrap().is_empty());
    }
}
