//! `x-amazon-apigateway-gateway-responses`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::integration::templates;
use super::{Cx, escape, mapping};
use crate::model::{GatewayResponse, ResponseType};

pub(crate) fn gateway_responses(
    cx: &mut Cx,
    value: &Value,
) -> BTreeMap<ResponseType, GatewayResponse> {
    let pointer = "/x-amazon-apigateway-gateway-responses";
    let mut out = BTreeMap::new();
    let Some(obj) = value.as_object() else {
        cx.error(pointer, "must be an object keyed by gateway response type");
        return out;
    };
    for (key, spec) in obj {
        let p = format!("{pointer}/{}", escape(key));
        let Some(kind) = ResponseType::parse(key) else {
            cx.error(&p, format!("unknown gateway response type {key:?}"));
            continue;
        };
        let Some(spec) = spec.as_object() else {
            cx.error(&p, "must be an object");
            continue;
        };
        let mut response = GatewayResponse::default();
        for (field, v) in spec {
            let fp = format!("{p}/{}", escape(field));
            match field.as_str() {
                "statusCode" => {
                    let status = v
                        .as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                        .and_then(|s| u16::try_from(s).ok())
                        .filter(|s| (100..=599).contains(s));
                    match status {
                        Some(s) => response.status = Some(s),
                        None => cx.error(&fp, "statusCode must be between 100 and 599"),
                    }
                }
                "responseParameters" => {
                    response.headers = mapping::gateway_response_parameters(cx, v, &fp);
                }
                "responseTemplates" => response.templates = templates(cx, Some(v), &fp),
                "defaultResponse" => {}
                other => cx.error(&fp, format!("unknown gateway response property {other:?}")),
            }
        }
        out.insert(kind, response);
    }
    out
}
