//! JSON objects from untrusted bytes, refusing duplicate member names at every depth.
//!
//! `serde_json` keeps the last of two members with the same name; another JWT library may keep
//! the first. A token whose `alg` or `sub` means one thing to us and another to the next
//! reader is the attack, so a duplicate is a refusal here, not a choice. Nesting depth stays
//! bounded by `serde_json`'s recursion limit (128).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// What went wrong reading an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not JSON (or trailing bytes, or a number out of range).
    Syntax,
    /// JSON, but not an object at the top.
    NotObject,
    /// The member name that appeared twice.
    Duplicate(String),
}

/// Parses `bytes` as one JSON object.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match serde_json::from_slice::<Strict>(bytes) {
        Ok(Strict(Value::Object(map))) => Ok(map),
        Ok(_) => Err(JsonError::NotObject),
        // Every value is acceptable to `Strict` except a duplicate, which it reports through
        // `de::Error::custom`; serde_json classifies custom errors as data errors.
        Err(e) if e.is_data() => Err(JsonError::Duplicate(duplicate_name(&e.to_string()))),
        Err(_) => Err(JsonError::Syntax),
    }
}

const DUPLICATE_PREFIX: &str = "duplicate member ";

/// Recovers the member name from the error message `Strict` wrote (serde_json appends the
/// position after it).
fn duplicate_name(message: &str) -> String {
    let rest = message.strip_prefix(DUPLICATE_PREFIX).unwrap_or(message);
    let name = rest.rsplit_once(" at line ").map_or(rest, |(name, _)| name);
    crate::error::excerpt(name)
}

/// A `serde_json::Value` whose objects were checked for duplicate members.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // JSON cannot spell NaN or infinity; serde_json refuses out-of-range literals itself.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE_PREFIX}{key}")));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_parse() {
        let map = parse_object(br#"{"a":1,"b":[true,null,"x",1.5,-2],"c":{"d":{}}}"#).unwrap();
        assert_eq!(map["a"], 1);
        assert_eq!(map["b"][3], 1.5);
        assert_eq!(map["b"][4], -2);
        assert!(map["c"]["d"].is_object());
    }

    #[test]
    fn duplicates_are_refused_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"alg":"RS256","alg":"none"}"#),
            Err(JsonError::Duplicate("alg".into()))
        );
        assert_eq!(
            parse_object(br#"{"a":{"b":1,"b":1}}"#),
            Err(JsonError::Duplicate("b".into()))
        );
        // The same name spelled with an escape is the same name.
        assert_eq!(
            parse_object(br#"{"sub":"a","\u0073ub":"b"}"#),
            Err(JsonError::Duplicate("sub".into()))
        );
        assert_eq!(
            parse_object(br#"[{"x":1,"x":2}]"#),
            Err(JsonError::Duplicate("x".into()))
        );
    }

    #[test]
    fn non_objects_and_garbage_are_refused() {
        assert_eq!(parse_object(b"[1]"), Err(JsonError::NotObject));
        assert_eq!(parse_object(b"\"s\""), Err(JsonError::NotObject));
        assert_eq!(parse_object(b"{"), Err(JsonError::Syntax));
        assert_eq!(parse_object(b"{} {}"), Err(JsonError::Syntax));
        assert_eq!(parse_object(b"{\"a\":1e999}"), Err(JsonError::Syntax));
        assert_eq!(parse_object(b""), Err(JsonError::Syntax));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(parse_object(deep.as_bytes()), Err(JsonError::Syntax));
    }
}
