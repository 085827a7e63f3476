//! The OpenAPI document is true: every route of the admin router is in it with its
//! parameters; every documented operation answers, with each documented parameter's example,
//! a documented status and media type with a body that fits the documented schema; and an
//! undocumented parameter is refused. A route added to the table is covered without a change
//! here.

use serde_json::Value;

use crate::harness::*;

/// Checks `value` against `schema` (the subset of JSON Schema the document uses).
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r
            .strip_prefix("#/components/schemas/")
            .ok_or(format!("{at}: odd $ref {r}"))?;
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: $ref {r} names no schema"));
        }
        return check(doc, target, value, at);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => return Err(format!("{at}: odd type {t}")),
        };
        let fits = types.iter().any(|t| match *t {
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            "null" => value.is_null(),
            _ => false,
        });
        if !fits {
            return Err(format!("{at}: {value} is not of type {types:?}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {e:?}"));
    }
    if let Some(obj) = value.as_object() {
        for r in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = r.as_str().unwrap();
            if !obj.contains_key(name) {
                return Err(format!("{at}: required property {name} is missing"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, v) in obj {
                match props.get(name) {
                    Some(p) => check(doc, p, v, &format!("{at}.{name}"))?,
                    None => return Err(format!("{at}: property {name} is not documented")),
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// A server with a few entries of every kind, so that `{id}` examples exist.
fn busy_server() -> Server {
    let s = serve_default();
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS));
    s.post(
        "/kontrolsaglistehent/1",
        &[("Content-Type", "application/soap+xml; action=\"urn:x\"")],
        &kontrolsag(UDK, "3102804329"),
    );
    s.get("/nowhere");
    s
}

fn document(s: &Server) -> Value {
    let a = s.get("/__sfstub/openapi.json");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("Content-Type"), Some("application/json"));
    let doc = a.json();
    assert_eq!(doc["openapi"], "3.1.0");
    doc
}

/// Checks one answer against the operation's documented responses.
fn check_answer(doc: &Value, op: &Value, what: &str, a: &Answer) {
    let documented = &op["responses"][a.status.to_string()];
    assert!(
        documented.is_object(),
        "{what}: status {} is not documented: {}",
        a.status,
        a.text()
    );
    let media = a
        .header("Content-Type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let content = documented["content"].as_object().unwrap();
    let schema = content
        .get(&media)
        .or_else(|| content.get("*/*"))
        .unwrap_or_else(|| panic!("{what}: media {media} is not documented for {}", a.status))["schema"]
        .clone();
    if media == "application/json" && !schema.as_object().unwrap().is_empty() {
        check(doc, &schema, &a.json(), what).unwrap_or_else(|e| panic!("{what}: {e}\n{}", a.text()));
    }
}

#[test]
fn every_route_is_documented_with_its_parameters() {
    let s = serve_default();
    let doc = document(&s);
    let routes = sfstub::admin::routes();
    let mut documented = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented += 1;
            let route = routes
                .iter()
                .find(|r| {
                    format!("{}{}", sfstub::admin::PREFIX, r.path) == *path
                        && r.method.as_str().eq_ignore_ascii_case(method)
                })
                .unwrap_or_else(|| panic!("{method} {path} is documented but no route answers it"));
            let params = op["parameters"].as_array().unwrap();
            assert_eq!(params.len(), route.params.len(), "{method} {path}");
            for p in route.params {
                let d = params
                    .iter()
                    .find(|d| d["name"] == p.name)
                    .unwrap_or_else(|| panic!("{method} {path}: {} undocumented", p.name));
                let location = if p.location == sfstub::admin::In::Path {
                    "path"
                } else {
                    "query"
                };
                assert_eq!(d["in"], location);
                assert!(!d["description"].as_str().unwrap().is_empty());
            }
        }
    }
    assert_eq!(documented, routes.len(), "every route once");
}

#[test]
fn every_documented_operation_answers_as_documented_with_each_parameters_example() {
    let s = busy_server();
    let doc = document(&s);
    // Every operation, the ones that change state (DELETE) last.
    let mut operations: Vec<(&String, &String, &Value)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().iter().map(move |(m, op)| (path, m, op)))
        .collect();
    // A DELETE of one item (`/faults/{id}`) before the DELETE of its collection; the reset,
    // which undoes what the examples added, last.
    operations.sort_by_key(|(path, m, _)| {
        (
            path.ends_with("/reset"),
            *m == "delete",
            *m == "delete" && !path.contains('{'),
        )
    });
    {
        for (path, method, op) in operations {
            let params = op["parameters"].as_array().unwrap();
            let mut target = path.clone();
            for p in params.iter().filter(|p| p["in"] == "path") {
                target = target.replace(
                    &format!("{{{}}}", p["name"].as_str().unwrap()),
                    p["example"].as_str().unwrap(),
                );
            }
            let method = method.to_ascii_uppercase();
            let what = format!("{method} {target}");
            // A route that takes a body is sent its documented example.
            let body = op["requestBody"]["content"]["application/json"]["example"].to_string();
            let body = if op["requestBody"].is_object() {
                body.into_bytes()
            } else {
                Vec::new()
            };
            let a = send(s.addr, &method, &target, &[], &body);
            check_answer(&doc, op, &what, &a);
            assert!(a.status < 400, "{what} answers: {}", a.text());
            for p in params.iter().filter(|p| p["in"] == "query") {
                let example = p["example"].as_str().unwrap();
                let with = format!("{target}?{}={example}", p["name"].as_str().unwrap());
                let a = send(s.addr, &method, &with, &[], &body);
                check_answer(&doc, op, &with, &a);
                assert!(
                    a.status < 400,
                    "the documented example is accepted: {with}: {}",
                    a.text()
                );
                let value = match p["schema"]["type"].as_str() {
                    Some("integer") => serde_json::from_str(example).unwrap(),
                    _ => Value::String(example.into()),
                };
                check(&doc, &p["schema"], &value, &with).unwrap_or_else(|e| panic!("the example fits its schema: {e}"));
            }
            let a = send(s.addr, &method, &format!("{target}?undocumented=1"), &[], &body);
            assert_eq!(a.status, 400, "{what}?undocumented=1 is refused: {}", a.text());
            assert_eq!(a.json()["field"], "undocumented");
            check_answer(&doc, op, &format!("{what}?undocumented=1"), &a);
        }
    }
}

#[test]
fn error_answers_fit_the_documented_error_schema() {
    let s = busy_server();
    let doc = document(&s);
    let op = &doc["paths"]["/__sfstub/journal/{id}"]["get"];
    for target in ["/__sfstub/journal/999", "/__sfstub/journal/abc"] {
        let a = s.get(target);
        check_answer(&doc, op, target, &a);
    }
    let op = &doc["paths"]["/__sfstub/journal"]["get"];
    let a = s.get("/__sfstub/journal?limit=0");
    check_answer(&doc, op, "limit=0", &a);
    let a = s.get("/__sfstub/nope");
    check(
        &doc,
        &serde_json::json!({"$ref": "#/components/schemas/Error"}),
        &a.json(),
        "404",
    )
    .unwrap();
}
