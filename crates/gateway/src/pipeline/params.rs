//! Reading method request parameters (`method.request.querystring.x`, headers, path parameters)
//! and evaluating parameter-mapping sources.
//!
//! Query strings are kept raw (percent-encoded) when they are forwarded, and decoded when a value
//! lands in a header, where percent-encoding means nothing.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::percent_decode_str;
use restapi::MappingSource;
use restapi::render::Vars;

use super::context::RequestCtx;

/// Splits a raw query string into raw (still encoded) pairs.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// Decodes a query component: `+` is a space, then percent-decoding (lossy on invalid UTF-8).
pub fn decode_component(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['+', '%']) {
        return Cow::Borrowed(raw);
    }
    let spaced = raw.replace('+', " ");
    Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

/// The last value of a query parameter, decoded (API Gateway's `method.request.querystring.x`
/// takes the last of repeated values).
pub fn query_value(query: &str, name: &str) -> Option<String> {
    query_pairs(query)
        .filter(|(k, _)| decode_component(k) == name)
        .last()
        .map(|(_, v)| decode_component(v).into_owned())
}

/// Every value of a query parameter, decoded.
pub fn query_values(query: &str, name: &str) -> Vec<String> {
    query_pairs(query)
        .filter(|(k, _)| decode_component(k) == name)
        .map(|(_, v)| decode_component(v).into_owned())
        .collect()
}

/// A header's values joined with commas, as API Gateway presents repeated headers.
pub fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
    let first = values.next()?;
    let mut out = first.to_string();
    for v in values {
        out.push(',');
        out.push_str(v);
    }
    Some(out)
}

/// The values a mapping source produces for this request: none when the source is absent, more
/// than one for multi-value sources.
pub fn evaluate(
    source: &MappingSource,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    query: &str,
) -> Vec<String> {
    match source {
        MappingSource::Path(name) => ctx
            .route
            .as_ref()
            .and_then(|r| r.param(name))
            .map(|v| decode_component(v).into_owned())
            .into_iter()
            .collect(),
        MappingSource::Query(name) => query_value(query, name).into_iter().collect(),
        MappingSource::MultiQuery(name) => query_values(query, name),
        MappingSource::Header(name) => header_value(headers, name).into_iter().collect(),
        MappingSource::MultiHeader(name) => headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect(),
        MappingSource::Static(s) => vec![s.clone()],
        MappingSource::Context(var) => ctx
            .context(var)
            .map(|v| v.into_owned())
            .into_iter()
            .collect(),
        MappingSource::StageVariable(name) => ctx
            .stage_variable(name)
            .map(str::to_string)
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_helpers() {
        let q = "a=1&b=x+y&a=2&c&d=%E2%9C%93&&e=";
        assert_eq!(query_value(q, "a").as_deref(), Some("2"));
        assert_eq!(query_values(q, "a"), ["1", "2"]);
        assert_eq!(query_value(q, "b").as_deref(), Some("x y"));
        assert_eq!(query_value(q, "c").as_deref(), Some(""));
        assert_eq!(query_value(q, "d").as_deref(), Some("✓"));
        assert_eq!(query_value(q, "e").as_deref(), Some(""));
        assert_eq!(query_value(q, "z"), None);
        assert_eq!(query_value("%ZZ=1", "%ZZ").as_deref(), Some("1"));
    }

    #[test]
    fn repeated_headers_join_with_commas() {
        let mut h = HeaderMap::new();
        h.append("x-a", "1".parse().unwrap());
        h.append("x-a", "2".parse().unwrap());
        assert_eq!(header_value(&h, "x-a").as_deref(), Some("1,2"));
        assert_eq!(header_value(&h, "x-b"), None);
    }
}
