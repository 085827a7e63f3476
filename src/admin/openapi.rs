//! The OpenAPI 3.1 document of the admin API, generated from the route table, with the
//! schemas of what the routes answer.

use serde_json::{Map, Value, json};

use super::{In, PREFIX, Route, Schema};

/// The document for `routes`.
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for r in routes {
        let path = format!("{PREFIX}{}", if r.path == "/" { "/" } else { r.path });
        let item = paths.entry(path).or_insert_with(|| json!({}));
        let mut responses = Map::new();
        for resp in r.responses {
            let entry = responses
                .entry(resp.status.to_string())
                .or_insert_with(|| json!({ "description": resp.description, "content": {} }));
            let schema = if resp.schema.is_empty() {
                json!({})
            } else {
                json!({ "$ref": format!("#/components/schemas/{}", resp.schema) })
            };
            entry["content"][resp.media] = json!({ "schema": schema });
        }
        responses.entry("400").or_insert_with(|| {
            json!({
                "description": "a parameter is malformed or not one this route takes; `field` names it",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
            })
        });
        responses.insert(
            "401".into(),
            json!({
                "description": "the admin API needs a bearer token (--admin-token), or is locked (listening beyond loopback)",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
            }),
        );
        let params: Vec<Value> = r
            .params
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "in": if p.location == In::Path { "path" } else { "query" },
                    "required": p.required || p.location == In::Path,
                    "description": p.description,
                    "schema": schema(p.schema),
                    "example": p.example,
                })
            })
            .collect();
        item[r.method.as_str().to_ascii_lowercase()] = json!({
            "summary": r.summary,
            "description": r.description,
            "operationId": operation_id(r),
            "parameters": params,
            "responses": responses,
        });
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "sfstub admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The request journal, the conformance report and the means to steer sfstub in tests. \
                Open on loopback; elsewhere a bearer token (--admin-token) or --admin open.",
        },
        "security": [{}, { "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
    })
}

fn operation_id(r: &Route) -> String {
    let mut id = r.method.as_str().to_ascii_lowercase();
    for seg in r.path.split('/').filter(|s| !s.is_empty()) {
        let seg = seg.trim_matches(|c| c == '{' || c == '}');
        let mut chars = seg.chars().filter(|c| c.is_ascii_alphanumeric());
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    if r.path == "/" {
        id.push_str("Index");
    }
    id
}

fn schema(s: Schema) -> Value {
    match s {
        Schema::Text => json!({ "type": "string", "minLength": 1 }),
        Schema::Integer { min } => json!({ "type": "integer", "minimum": min }),
        Schema::Enum(words) => json!({ "type": "string", "enum": words }),
    }
}

fn schemas() -> Value {
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    json!({
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": { "type": "string" },
                "field": { "type": "string", "description": "the parameter or body field at fault" },
                "routes": { "type": "array", "items": { "$ref": "#/components/schemas/RouteRef" } },
            },
        },
        "RouteRef": {
            "type": "object",
            "required": ["method", "path", "summary"],
            "properties": {
                "method": { "type": "string" },
                "path": { "type": "string" },
                "summary": { "type": "string" },
            },
        },
        "Index": {
            "type": "object",
            "required": ["sfstub", "admin", "conformance", "journal", "routes"],
            "properties": {
                "sfstub": { "type": "string" },
                "admin": { "type": "string" },
                "conformance": { "type": "string", "enum": ["off", "record", "strict"] },
                "journal": { "$ref": "#/components/schemas/JournalStats" },
                "routes": { "type": "array", "items": { "$ref": "#/components/schemas/RouteRef" } },
            },
        },
        "JournalStats": {
            "type": "object",
            "required": ["entries", "bytes", "max_entries", "max_bytes", "evicted", "oldest", "newest"],
            "properties": {
                "entries": { "type": "integer" },
                "bytes": { "type": "integer" },
                "max_entries": { "type": "integer" },
                "max_bytes": { "type": "integer" },
                "evicted": { "type": "integer", "description": "entries dropped to keep the bounds since the last clear" },
                "oldest": nullable("integer"),
                "newest": nullable("integer"),
            },
        },
        "JournalPage": {
            "type": "object",
            "required": ["matched", "returned", "limit", "limit_capped", "max_limit", "order", "journal", "entries"],
            "properties": {
                "matched": { "type": "integer" },
                "returned": { "type": "integer" },
                "limit": { "type": "integer" },
                "limit_capped": { "type": "boolean" },
                "max_limit": { "type": "integer" },
                "order": { "type": "string", "enum": ["asc", "desc"] },
                "journal": { "$ref": "#/components/schemas/JournalStats" },
                "entries": { "type": "array", "items": { "$ref": "#/components/schemas/JournalEntry" } },
            },
        },
        "JournalEntry": {
            "type": "object",
            "required": ["id", "time", "method", "path", "query", "service", "operation", "soap_version", "soap_action",
                         "caller", "cpr", "security", "status", "outcome", "latency_us", "conformance", "findings",
                         "request", "response"],
            "properties": {
                "id": { "type": "integer" },
                "time": { "type": "string", "format": "date-time" },
                "method": { "type": "string" },
                "path": { "type": "string" },
                "query": nullable("string"),
                "service": nullable("string"),
                "operation": nullable("string"),
                "soap_version": { "type": ["string", "null"], "enum": ["1.1", "1.2", null] },
                "soap_action": nullable("string"),
                "caller": { "type": ["string", "null"], "description": "the caller's CVR" },
                "cpr": { "type": ["string", "null"], "description": "the CPR number asked about, as sent" },
                "security": {
                    "type": "object",
                    "required": ["mode", "verdict", "model", "diagnosis", "token"],
                    "properties": {
                        "mode": { "type": "string", "enum": ["off", "token", "strict"] },
                        "verdict": { "type": ["string", "null"], "enum": ["accepted", "anonymous", "rejected", null] },
                        "model": { "type": ["string", "null"], "enum": ["context", "token", null] },
                        "diagnosis": nullable("string"),
                        "token": {
                            "type": ["object", "null"],
                            "required": ["cvr", "subject", "thumbprint", "verified"],
                            "properties": {
                                "cvr": { "type": "string" },
                                "subject": { "type": "string" },
                                "thumbprint": { "type": "string", "description": "SHA-256 of the holder-of-key certificate, hex" },
                                "verified": { "type": "boolean" },
                            },
                        },
                    },
                },
                "status": { "type": "integer" },
                "outcome": {
                    "type": "object",
                    "required": ["kind", "text", "codes", "ids"],
                    "properties": {
                        "kind": { "type": "string", "enum": ["ok", "refused", "fault", "error"] },
                        "text": { "type": "string" },
                        "codes": { "type": "array", "items": { "type": "string" } },
                        "ids": { "type": "array", "items": { "type": "string" } },
                    },
                },
                "latency_us": { "type": "integer" },
                "conformance": { "type": "string", "enum": ["pass", "fail"] },
                "findings": { "type": "array", "items": { "$ref": "#/components/schemas/Finding" } },
                "request": { "$ref": "#/components/schemas/BodyInfo" },
                "response": { "$ref": "#/components/schemas/BodyInfo" },
                "href": { "type": "string", "description": "in lists: the full entry" },
            },
        },
        "BodyInfo": {
            "type": "object",
            "required": ["bytes", "truncated", "content_type"],
            "properties": {
                "bytes": { "type": "integer", "description": "the whole body's length" },
                "truncated": { "type": "boolean" },
                "content_type": nullable("string"),
                "text": { "type": "string", "description": "the kept body (single entries only)" },
                "base64": { "type": "string", "description": "the kept body when it is not UTF-8 (single entries only)" },
            },
        },
        "Finding": {
            "type": "object",
            "required": ["code", "severity", "message"],
            "properties": {
                "code": { "type": "string", "enum": crate::conformance::Code::ALL.map(|c| c.as_str()) },
                "severity": { "type": "string", "enum": ["error", "warning"] },
                "message": { "type": "string" },
                "path": { "type": "string" },
                "line": { "type": "integer" },
            },
        },
        "Count": {
            "type": "object",
            "required": ["count"],
            "properties": { "count": { "type": "integer" } },
        },
        "Cleared": {
            "type": "object",
            "required": ["cleared"],
            "properties": { "cleared": { "type": "integer" } },
        },
        "Report": {
            "type": "object",
            "required": ["sfstub", "generated", "exchanges", "failed", "errors", "warnings", "untallied", "suites"],
            "properties": {
                "sfstub": { "type": "string" },
                "generated": { "type": "string", "format": "date-time" },
                "exchanges": { "type": "integer" },
                "failed": { "type": "integer", "description": "exchanges with a conformance error" },
                "errors": { "type": "integer" },
                "warnings": { "type": "integer" },
                "untallied": { "type": "integer" },
                "suites": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["service", "cases"],
                        "properties": {
                            "service": { "type": "string" },
                            "cases": { "type": "array", "items": { "$ref": "#/components/schemas/ReportCase" } },
                        },
                    },
                },
            },
        },
        "ReportCase": {
            "type": "object",
            "required": ["operation", "caller", "outcome", "exchanges", "seconds", "first_entry", "last_entry", "findings"],
            "properties": {
                "operation": { "type": "string" },
                "caller": { "type": "string" },
                "outcome": { "type": "string" },
                "exchanges": { "type": "integer" },
                "seconds": { "type": "number" },
                "first_entry": { "type": "integer" },
                "last_entry": { "type": "integer" },
                "findings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "severity", "message", "exchanges", "entries"],
                        "properties": {
                            "code": { "type": "string" },
                            "severity": { "type": "string", "enum": ["error", "warning"] },
                            "message": { "type": "string" },
                            "path": { "type": "string" },
                            "line": { "type": "integer" },
                            "exchanges": { "type": "integer" },
                            "entries": { "type": "array", "items": { "type": "integer" } },
                        },
                    },
                },
            },
        },
    })
}
