//! YAML (and JSON, a subset of it) parsed into a `serde_json::Value` plus the line and column of
//! every node, addressed by JSON pointer, so that problems found later — by the OpenAPI importer,
//! the policy parser, or typed deserialization — can name the line they are about.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

/// A parsed document and where each of its nodes came from.
#[derive(Debug, Clone, Default)]
pub struct Located {
    pub value: Value,
    positions: HashMap<String, Position>,
}

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A syntax error, with its position when the parser knows it.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub position: Option<Position>,
    pub message: String,
}

impl Located {
    pub fn parse(text: &str) -> Result<Located, SyntaxError> {
        let root: Spanned<Node> = serde_saphyr::from_str(text).map_err(|e| SyntaxError {
            position: e.location().map(|l| Position {
                line: l.line() as u32,
                column: l.column() as u32,
            }),
            message: e.without_snippet().to_string(),
        })?;
        let mut positions = HashMap::new();
        let value = flatten(root, String::new(), &mut positions);
        Ok(Located { value, positions })
    }

    /// The position of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn position(&self, pointer: &str) -> Option<Position> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(String, Spanned<Node>)>),
}

fn flatten(
    node: Spanned<Node>,
    pointer: String,
    positions: &mut HashMap<String, Position>,
) -> Value {
    let loc = node.referenced;
    if loc.line() > 0 {
        positions.insert(
            pointer.clone(),
            Position {
                line: loc.line() as u32,
                column: loc.column() as u32,
            },
        );
    }
    match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Number(n) => Value::Number(n),
        Node::String(s) => Value::String(s),
        Node::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| flatten(item, format!("{pointer}/{i}"), positions))
                .collect(),
        ),
        Node::Map(entries) => {
            let mut map = Map::new();
            for (key, item) in entries {
                let child = format!("{pointer}/{}", restapi::import::escape(&key));
                map.insert(key, flatten(item, child, positions));
            }
            Value::Object(map)
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Number::from_f64(v)
            .map(Node::Number)
            .ok_or_else(|| E::custom("non-finite numbers are not allowed"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key.0, value));
        }
        Ok(Node::Map(entries))
    }
}

/// A mapping key: YAML allows scalars of any type as keys (`200:` in OpenAPI responses); JSON
/// pointers and `serde_json` need strings.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_positions() {
        let text = "a: 1\nb:\n  - x\n  - {c: true, 200: ok}\nd: ~\ne: 'str'\n";
        let doc = Located::parse(text).unwrap();
        assert_eq!(
            doc.value,
            serde_json::json!({"a": 1, "b": ["x", {"c": true, "200": "ok"}], "d": null, "e": "str"})
        );
        assert_eq!(doc.position("/a").map(|p| p.line), Some(1));
        assert_eq!(doc.position("/b/0").map(|p| p.line), Some(3));
        assert_eq!(doc.position("/b/1/200").map(|p| p.line), Some(4));
        assert_eq!(doc.position("/e").map(|p| p.line), Some(6));
        // Unknown pointers fall back to the nearest known ancestor.
        assert_eq!(doc.position("/b/1/nope/x").map(|p| p.line), Some(4));
    }

    #[test]
    fn json_is_yaml() {
        let doc = Located::parse("{\n  \"a\": [1, 2.5],\n  \"b\": {\"c\": \"d\"}\n}\n").unwrap();
        assert_eq!(
            doc.value,
            serde_json::json!({"a": [1, 2.5], "b": {"c": "d"}})
        );
        assert_eq!(doc.position("/b/c").map(|p| p.line), Some(3));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = Located::parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.position.is_some(), "{err:?}");
    }
}
