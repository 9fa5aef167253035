//! Keys, plans, usage and cache flushes through their whole lifecycle; the file's items read-only.

use http::Method;
use serde_json::json;

use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_plan_usage_and_flush_lifecycle() {
    let s = Server::start().await;

    // CreateApiKey: a generated value, returned once.
    let r = s
        .admin(Method::POST, "/apikeys", Some(json!({"name": "partner-b", "description": "B", "enabled": true, "customerId": "ignored"})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json();
    let key_id = key["id"].as_str().unwrap().to_string();
    let value = key["value"].as_str().unwrap().to_string();
    assert_eq!(key_id.len(), 10);
    assert!(
        key_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_eq!(value.len(), 40);
    assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(key["enabled"], true);
    assert!(key["createdDate"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(key["createdDate"], key["lastUpdatedDate"]);

    // A given value; a duplicate value (even the configuration file's) conflicts.
    let r = s
        .admin(
            Method::POST,
            "/apikeys",
            Some(json!({"name": "given", "value": "given-value-0123456789"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let given = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["enabled"], false, "API Gateway's default");
    for dup in ["given-value-0123456789", CONFIG_KEY_VALUE] {
        let r = s
            .admin(
                Method::POST,
                "/apikeys",
                Some(json!({"name": "dup", "value": dup})),
            )
            .await;
        assert_refused(&r, 409, "ConflictException", "already exists");
    }
    for (body, text) in [
        (json!({"name": "short", "value": "too-short"}), "20 to 128"),
        (
            json!({"name": "s", "stageKeys": [{"restApiId": "petstore01", "stageName": "prod"}]}),
            "stageKeys are not supported",
        ),
        (json!({"name": "s", "colour": "red"}), "unknown field"),
    ] {
        let r = s.admin(Method::POST, "/apikeys", Some(body)).await;
        assert_refused(&r, 400, "BadRequestException", text);
    }

    // GetApiKey with and without the value; GetApiKeys lists both sources, values on request.
    let r = s
        .admin(Method::GET, &format!("/apikeys/{key_id}"), None)
        .await;
    assert_eq!(r.json()["name"], "partner-b");
    assert!(r.json().get("value").is_none());
    let r = s
        .admin(
            Method::GET,
            &format!("/apikeys/{key_id}?includeValue=true"),
            None,
        )
        .await;
    assert_eq!(r.json()["value"], value.as_str());
    let list = s.admin(Method::GET, "/apikeys", None).await.json();
    let items = list["item"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|k| k.get("value").is_none()));
    let cfg = items.iter().find(|k| k["id"] == "cfgkey1").unwrap();
    assert_eq!(cfg["name"], "config-partner");
    assert_eq!(cfg["tags"]["portcullis:source"], "configuration");
    let list = s
        .admin(Method::GET, "/apikeys?includeValues=true", None)
        .await
        .json();
    let cfg = list["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == "cfgkey1")
        .unwrap()
        .clone();
    assert_eq!(cfg["value"], CONFIG_KEY_VALUE);
    let named = s
        .admin(Method::GET, "/apikeys?name=partner", None)
        .await
        .json();
    assert_eq!(named["item"].as_array().unwrap().len(), 1);
    // Paging: limit and position walk every item once.
    let mut seen = Vec::new();
    let mut path = "/apikeys?limit=2".to_string();
    loop {
        let page = s.admin(Method::GET, &path, None).await.json();
        seen.extend(
            page["item"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["id"].clone()),
        );
        match page["position"].as_str() {
            Some(p) => path = format!("/apikeys?limit=2&position={p}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    let r = s.admin(Method::GET, "/apikeys?limit=0", None).await;
    assert_refused(&r, 400, "BadRequestException", "Invalid limit");
    let r = s.admin(Method::GET, "/apikeys/nope0nope0", None).await;
    assert_refused(
        &r,
        404,
        "NotFoundException",
        "Invalid API Key identifier specified",
    );

    // UpdateApiKey.
    let patch = json!({"patchOperations": [
        {"op": "replace", "path": "/enabled", "value": "false"},
        {"op": "replace", "path": "/name", "value": "partner-b2"}]});
    let r = s
        .admin(Method::PATCH, &format!("/apikeys/{key_id}"), Some(patch))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["enabled"], false);
    assert_eq!(r.json()["name"], "partner-b2");
    assert!(r.json().get("value").is_none());
    let bad = json!({"patchOperations": [{"op": "replace", "path": "/value", "value": "x"}]});
    let r = s
        .admin(Method::PATCH, &format!("/apikeys/{key_id}"), Some(bad))
        .await;
    assert_refused(&r, 400, "BadRequestException", "not supported");

    // CreateUsagePlan, checked against the deployment.
    let plan_body = json!({"name": "Gold", "description": "g",
        "apiStages": [{"apiId": "petstore01", "stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 5.0, "burstLimit": 5}}}],
        "throttle": {"rateLimit": 10.0, "burstLimit": 20},
        "quota": {"limit": 100, "period": "DAY"}});
    let r = s.admin(Method::POST, "/usageplans", Some(plan_body)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let plan = r.json();
    let plan_id = plan["id"].as_str().unwrap().to_string();
    assert_eq!(plan_id.len(), 10);
    assert_eq!(
        plan["quota"],
        json!({"limit": 100, "offset": 0, "period": "DAY"})
    );
    assert_eq!(
        plan["apiStages"][0]["throttle"]["/pets/GET"]["burstLimit"],
        5
    );
    for (body, text) in [
        (
            json!({"name": "x", "apiStages": [{"apiId": "petstore01", "stage": "gamma"}]}),
            "has no stage",
        ),
        (
            json!({"name": "x", "apiStages": [{"apiId": "nope", "stage": "prod"}]}),
            "no API has the id",
        ),
        (
            json!({"name": "x", "apiStages": [{"apiId": "petstore01", "stage": "prod", "throttle": {"/cats/GET": {"rateLimit": 1.0, "burstLimit": 1}}}]}),
            "has no method",
        ),
        (
            json!({"name": "x", "quota": {"limit": 1, "period": "HOUR"}}),
            "not a quota period",
        ),
        (
            json!({"name": "x", "apiStages": [{"apiId": "petstore01", "stage": "beta"}, {"apiId": "petstore01", "stage": "beta"}]}),
            "listed twice",
        ),
    ] {
        let r = s.admin(Method::POST, "/usageplans", Some(body)).await;
        assert_refused(&r, 400, "BadRequestException", text);
    }

    // CreateUsagePlanKey: the key must exist; one plan per key and API stage.
    let add = |key: &str| json!({"keyId": key, "keyType": "API_KEY"});
    let keys_path = format!("/usageplans/{plan_id}/keys");
    let r = s.admin(Method::POST, &keys_path, Some(add(&key_id))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"id": key_id, "name": "partner-b2", "type": "API_KEY"})
    );
    let r = s.admin(Method::POST, &keys_path, Some(add(&key_id))).await;
    assert_refused(&r, 409, "ConflictException", "already in usage plan");
    let r = s
        .admin(Method::POST, &keys_path, Some(add("nope0nope0")))
        .await;
    assert_refused(
        &r,
        404,
        "NotFoundException",
        "Invalid API Key identifier specified",
    );
    // The configuration file's key is in the configuration file's plan for petstore01/prod.
    let r = s
        .admin(Method::POST, &keys_path, Some(add("cfgkey1")))
        .await;
    assert_refused(&r, 409, "ConflictException", "cfgplan");
    let r = s
        .admin(
            Method::POST,
            &keys_path,
            Some(json!({"keyId": given, "keyType": "OTHER"})),
        )
        .await;
    assert_refused(&r, 400, "BadRequestException", "API_KEY");
    // A second plan on beta may take the configuration file's key; growing it onto prod then
    // conflicts.
    let r = s
        .admin(
            Method::POST,
            "/usageplans",
            Some(json!({"name": "Beta", "apiStages": [{"apiId": "petstore01", "stage": "beta"}]})),
        )
        .await;
    let beta_id = r.json()["id"].as_str().unwrap().to_string();
    let r = s
        .admin(
            Method::POST,
            &format!("/usageplans/{beta_id}/keys"),
            Some(add("cfgkey1")),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let grow = json!({"patchOperations": [{"op": "add", "path": "/apiStages", "value": "petstore01:prod"}]});
    let r = s
        .admin(Method::PATCH, &format!("/usageplans/{beta_id}"), Some(grow))
        .await;
    assert_refused(&r, 409, "ConflictException", "one usage plan per API stage");

    // GetUsagePlanKeys / GetUsagePlanKey, and GetUsagePlans filtered by key.
    let r = s.admin(Method::GET, &keys_path, None).await.json();
    assert_eq!(
        r["item"],
        json!([{"id": key_id, "name": "partner-b2", "type": "API_KEY"}])
    );
    let r = s
        .admin(Method::GET, &format!("{keys_path}/{key_id}"), None)
        .await;
    assert_eq!(r.status, 200);
    let r = s
        .admin(Method::GET, &format!("/usageplans?keyId={key_id}"), None)
        .await
        .json();
    assert_eq!(r["item"].as_array().unwrap().len(), 1);
    assert_eq!(r["item"][0]["id"], plan_id.as_str());
    let r = s.admin(Method::GET, "/usageplans", None).await.json();
    let ids: Vec<&str> = r["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&"cfgplan"));
    let r = s
        .admin(Method::GET, "/usageplans/cfgplan", None)
        .await
        .json();
    assert_eq!(r["name"], "ConfigPlan");
    assert_eq!(
        r["apiStages"],
        json!([{"apiId": "petstore01", "stage": "prod"}])
    );
    assert_eq!(r["tags"]["portcullis:source"], "configuration");

    // UpdateUsagePlan.
    let patch = json!({"patchOperations": [
        {"op": "replace", "path": "/quota/limit", "value": "50"},
        {"op": "replace", "path": "/quota/period", "value": "WEEK"},
        {"op": "replace", "path": "/throttle/rateLimit", "value": "2.5"},
        {"op": "replace", "path": "/throttle/burstLimit", "value": "4"},
        {"op": "replace", "path": "/name", "value": "Gold2"},
        {"op": "add", "path": "/apiStages", "value": "petstore01:beta"}]});
    let r = s
        .admin(
            Method::PATCH,
            &format!("/usageplans/{plan_id}"),
            Some(patch),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let p = r.json();
    assert_eq!(p["name"], "Gold2");
    assert_eq!(
        p["quota"],
        json!({"limit": 50, "offset": 0, "period": "WEEK"})
    );
    assert_eq!(p["throttle"], json!({"rateLimit": 2.5, "burstLimit": 4}));
    assert_eq!(p["apiStages"].as_array().unwrap().len(), 2);
    let r = s
        .admin(Method::GET, &format!("/usageplans/{plan_id}"), None)
        .await
        .json();
    assert_eq!(r, p);
    let patch = json!({"patchOperations": [
        {"op": "remove", "path": "/apiStages", "value": "petstore01:beta"},
        {"op": "replace", "path": "/quota/period", "value": "DAY"}]});
    let r = s
        .admin(
            Method::PATCH,
            &format!("/usageplans/{plan_id}"),
            Some(patch),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let patch = json!({"patchOperations": [{"op": "add", "path": "/apiStages", "value": "petstore01:gamma"}]});
    let r = s
        .admin(
            Method::PATCH,
            &format!("/usageplans/{plan_id}"),
            Some(patch),
        )
        .await;
    assert_refused(&r, 400, "BadRequestException", "has no stage");

    // GetUsage: one [used, remaining] pair per day, remaining from the quota (now 50 a day).
    s.record_usage(&plan_id, &key_id, "2026-03-01", 7).await;
    s.record_usage(&plan_id, &key_id, "2026-03-03", 60).await;
    let usage_path = format!("/usageplans/{plan_id}/usage?startDate=2026-03-01&endDate=2026-03-03");
    let r = s.admin(Method::GET, &usage_path, None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"usagePlanId": plan_id, "startDate": "2026-03-01", "endDate": "2026-03-03",
               "values": {key_id.clone(): [[7, 43], [0, 50], [60, 0]]}})
    );
    let r = s
        .admin(Method::GET, &format!("{usage_path}&keyId=nope0nope0"), None)
        .await
        .json();
    assert_eq!(
        r["values"],
        json!({"nope0nope0": [[0, 50], [0, 50], [0, 50]]})
    );
    for (query, text) in [
        (
            "startDate=2026-03-03&endDate=2026-03-01",
            "must not be before",
        ),
        ("startDate=2026-3-1&endDate=2026-03-03", "YYYY-MM-DD"),
        ("endDate=2026-03-03", "startDate is required"),
        (
            "startDate=2024-01-01&endDate=2026-01-01",
            "at most 366 days",
        ),
    ] {
        let r = s
            .admin(
                Method::GET,
                &format!("/usageplans/{plan_id}/usage?{query}"),
                None,
            )
            .await;
        assert_refused(&r, 400, "BadRequestException", text);
    }

    // FlushStageCache: prod has a cache, beta has none.
    let r = s
        .admin(
            Method::DELETE,
            "/restapis/petstore01/stages/prod/cache/data",
            None,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert!(r.body.is_empty());
    let r = s
        .admin(
            Method::DELETE,
            "/restapis/petstore01/stages/beta/cache/data",
            None,
        )
        .await;
    assert_refused(&r, 404, "NotFoundException", "has no cache cluster");
    let r = s
        .admin(
            Method::DELETE,
            "/restapis/petstore01/stages/gamma/cache/data",
            None,
        )
        .await;
    assert_refused(&r, 404, "NotFoundException", "Invalid Stage identifier");

    // DeleteUsagePlanKey, DeleteApiKey (its memberships go with it), DeleteUsagePlan.
    let r = s
        .admin(
            Method::DELETE,
            &format!("/usageplans/{beta_id}/keys/cfgkey1"),
            None,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let r = s
        .admin(
            Method::DELETE,
            &format!("/usageplans/{beta_id}/keys/cfgkey1"),
            None,
        )
        .await;
    assert_refused(&r, 404, "NotFoundException", "is not in usage plan");
    let r = s
        .admin(Method::DELETE, &format!("/apikeys/{key_id}"), None)
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let r = s.admin(Method::GET, &keys_path, None).await.json();
    assert_eq!(r["item"], json!([]));
    let r = s
        .admin(Method::GET, &format!("/apikeys/{key_id}"), None)
        .await;
    assert_refused(
        &r,
        404,
        "NotFoundException",
        "Invalid API Key identifier specified",
    );
    let r = s
        .admin(Method::DELETE, &format!("/usageplans/{plan_id}"), None)
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let r = s
        .admin(Method::GET, &format!("/usageplans/{plan_id}"), None)
        .await;
    assert_refused(
        &r,
        404,
        "NotFoundException",
        "Invalid Usage Plan ID specified",
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_items_are_read_only() {
    let s = Server::start().await;
    let edit = "edit the configuration file";
    let patch =
        json!({"patchOperations": [{"op": "replace", "path": "/enabled", "value": "false"}]});
    let r = s
        .admin(Method::PATCH, "/apikeys/cfgkey1", Some(patch))
        .await;
    assert_refused(&r, 400, "BadRequestException", edit);
    let r = s.admin(Method::DELETE, "/apikeys/cfgkey1", None).await;
    assert_refused(&r, 400, "BadRequestException", edit);
    let patch = json!({"patchOperations": [{"op": "replace", "path": "/name", "value": "x"}]});
    let r = s
        .admin(Method::PATCH, "/usageplans/cfgplan", Some(patch))
        .await;
    assert_refused(&r, 400, "BadRequestException", edit);
    let r = s.admin(Method::DELETE, "/usageplans/cfgplan", None).await;
    assert_refused(&r, 400, "BadRequestException", edit);
    let r = s
        .admin(
            Method::POST,
            "/usageplans/cfgplan/keys",
            Some(json!({"keyId": "cfgkey1", "keyType": "API_KEY"})),
        )
        .await;
    assert_refused(&r, 400, "BadRequestException", edit);
    let r = s
        .admin(Method::DELETE, "/usageplans/cfgplan/keys/cfgkey1", None)
        .await;
    assert_refused(&r, 400, "BadRequestException", edit);
    // Still readable, values only on request.
    let r = s.admin(Method::GET, "/apikeys/cfgkey1", None).await.json();
    assert_eq!(r["enabled"], true);
    assert!(r.get("value").is_none());
    let r = s
        .admin(Method::GET, "/apikeys/cfgkey1?includeValue=true", None)
        .await
        .json();
    assert_eq!(r["value"], CONFIG_KEY_VALUE);
    let r = s
        .admin(Method::GET, "/usageplans/cfgplan/keys", None)
        .await
        .json();
    assert_eq!(
        r["item"],
        json!([{"id": "cfgkey1", "name": "config-partner", "type": "API_KEY"}])
    );
    // The configuration file's plan reports usage like any other.
    s.record_usage("cfgplan", "cfgkey1", "2026-03-01", 3).await;
    let r = s
        .admin(
            Method::GET,
            "/usageplans/cfgplan/usage?startDate=2026-03-01&endDate=2026-03-01",
            None,
        )
        .await
        .json();
    assert_eq!(r["values"], json!({"cfgkey1": [[3, 997]]}));
    s.stop().await;
}
