//! Session tags on `AssumeRole`: `Tags.member.N.Key`/`.Value` and `TransitiveTagKeys.member.N`,
//! with STS's limits — at most 50 tags, keys of 1-128 and values of 0-256 characters of
//! `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, keys unique regardless of case and not starting with `aws:`,
//! transitive keys naming tags of the same request.

use std::collections::BTreeMap;

use crate::error::StsError;
use crate::request::constraint;

/// The most session tags a request (or a session, with inherited transitive tags) may carry.
pub const MAX_TAGS: usize = 50;
pub const MAX_KEY_CHARS: usize = 128;
pub const MAX_VALUE_CHARS: usize = 256;

/// A request's session tags, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionTags {
    pub tags: Vec<(String, String)>,
    /// Keys of `tags` that pass on to sessions this session assumes.
    pub transitive: Vec<String>,
}

impl SessionTags {
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}

fn tag_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

const PATTERN: &str =
    "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+";

/// The members of a `Prefix.member.N[.Field]` list, by N (1-based, any order in the form).
fn members<'a>(
    map: &'a BTreeMap<String, String>,
    prefix: &str,
    field: Option<&str>,
) -> Result<BTreeMap<u32, &'a str>, StsError> {
    let mut out = BTreeMap::new();
    let head = format!("{prefix}.member.");
    for (k, v) in map.range(head.clone()..) {
        let Some(rest) = k.strip_prefix(&head) else {
            break;
        };
        let (index, tail) = match rest.split_once('.') {
            Some((i, t)) => (i, Some(t)),
            None => (rest, None),
        };
        if tail != field {
            if field.is_some() && matches!(tail, Some("Key" | "Value")) {
                continue;
            }
            return Err(StsError::validation(format!("Unknown parameter {k}")));
        }
        let n: u32 = index
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| StsError::validation(format!("Unknown parameter {k}")))?;
        out.insert(n, v.as_str());
    }
    Ok(out)
}

pub(crate) fn parse(map: &BTreeMap<String, String>) -> Result<SessionTags, StsError> {
    let keys = members(map, "Tags", Some("Key"))?;
    let values = members(map, "Tags", Some("Value"))?;
    if keys.len() > MAX_TAGS || values.len() > MAX_TAGS {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {MAX_TAGS}"
        )));
    }
    let mut tags = Vec::with_capacity(keys.len());
    let mut seen = std::collections::HashSet::new();
    for (n, key) in &keys {
        let field = format!("tags.{n}.member.key");
        let count = key.chars().count();
        if !(1..=MAX_KEY_CHARS).contains(&count) {
            return Err(constraint(
                key,
                &field,
                "Member must have length less than or equal to 128 and greater than or equal to 1",
            ));
        }
        if !tag_chars(key) {
            return Err(constraint(key, &field, PATTERN));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(StsError::validation(
                "Tag keys may not begin with the reserved prefix aws:",
            ));
        }
        if !seen.insert(key.to_lowercase()) {
            return Err(StsError::validation(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        let value = values.get(n).ok_or_else(|| {
            StsError::validation(format!(
                "1 validation error detected: Value null at 'tags.{n}.member.value' failed to satisfy constraint: Member must not be null"
            ))
        })?;
        if value.chars().count() > MAX_VALUE_CHARS || !tag_chars(value) {
            return Err(constraint(
                value,
                &format!("tags.{n}.member.value"),
                "Member must have length less than or equal to 256 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
            ));
        }
        tags.push((key.to_string(), value.to_string()));
    }
    if let Some(n) = values.keys().find(|n| !keys.contains_key(n)) {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value null at 'tags.{n}.member.key' failed to satisfy constraint: Member must not be null"
        )));
    }
    let transitive_members = members(map, "TransitiveTagKeys", None)?;
    if transitive_members.len() > MAX_TAGS {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to {MAX_TAGS}"
        )));
    }
    let mut transitive = Vec::new();
    for key in transitive_members.values() {
        let Some((tag, _)) = tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else {
            return Err(StsError::validation(
                "The transitive tag keys must be a subset of the session tag keys of the request",
            ));
        };
        if !transitive.contains(tag) {
            transitive.push(tag.clone());
        }
    }
    Ok(SessionTags { tags, transitive })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(s: &str) -> BTreeMap<String, String> {
        form_urlencoded::parse(s.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn tags_and_transitive_keys() {
        let t = parse(&form(
            "Tags.member.2.Key=team&Tags.member.2.Value=ops&Tags.member.1.Key=Project&Tags.member.1.Value=x%20y&TransitiveTagKeys.member.1=project",
        ))
        .unwrap();
        assert_eq!(
            t.tags,
            [
                ("Project".to_string(), "x y".to_string()),
                ("team".to_string(), "ops".to_string())
            ]
        );
        assert_eq!(t.transitive, ["Project"]);
        assert!(parse(&form("")).unwrap().is_empty());
        let empty_value = parse(&form("Tags.member.1.Key=k&Tags.member.1.Value=")).unwrap();
        assert_eq!(empty_value.tags, [("k".to_string(), String::new())]);
    }

    #[test]
    fn limits() {
        let err = |s: &str| parse(&form(s)).unwrap_err().message;
        assert!(err("Tags.member.1.Key=k").contains("'tags.1.member.value'"));
        assert!(err("Tags.member.1.Value=v").contains("'tags.1.member.key'"));
        assert!(
            err("Tags.member.1.Key=&Tags.member.1.Value=v").contains("greater than or equal to 1")
        );
        assert!(err("Tags.member.1.Key=a%21&Tags.member.1.Value=v").contains("pattern"));
        assert!(err("Tags.member.1.Key=aws%3Ax&Tags.member.1.Value=v").contains("aws:"));
        assert!(
            err("Tags.member.1.Key=K&Tags.member.1.Value=v&Tags.member.2.Key=k&Tags.member.2.Value=w")
                .starts_with("Duplicate tag keys")
        );
        assert!(
            err("Tags.member.1.Key=k&Tags.member.1.Value=v&TransitiveTagKeys.member.1=other")
                .contains("subset")
        );
        assert!(err("Tags.member.0.Key=k&Tags.member.0.Value=v").contains("Unknown parameter"));
        assert!(err("Tags.member.1.Colour=k").contains("Unknown parameter"));
        let long = format!(
            "Tags.member.1.Key={}&Tags.member.1.Value=v",
            "k".repeat(129)
        );
        assert!(err(&long).contains("128"));
        let value = format!(
            "Tags.member.1.Key=k&Tags.member.1.Value={}",
            "v".repeat(257)
        );
        assert!(err(&value).contains("256"));
        let many: String = (1..=51)
            .map(|n| format!("Tags.member.{n}.Key=k{n}&Tags.member.{n}.Value=v&"))
            .collect();
        assert!(err(&many).contains("less than or equal to 50"));
    }

    proptest::proptest! {
        #[test]
        fn any_members_never_panic(
            entries in proptest::collection::vec(("(Tags|TransitiveTagKeys)\\.member\\.[0-9]{1,3}(\\.(Key|Value))?", "\\PC{0,10}"), 0..8)
        ) {
            let map: BTreeMap<String, String> = entries.into_iter().collect();
            if let Ok(t) = parse(&map) {
                proptest::prop_assert!(t.tags.len() <= MAX_TAGS);
                for k in &t.transitive {
                    proptest::prop_assert!(t.tags.iter().any(|(key, _)| key == k));
                }
            }
        }
    }
}
