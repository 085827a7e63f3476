//! The OpenAPI 3.1 document of the admin API, generated from the route table, with the
//! schemas of what the routes answer.

use serde_json::{Map, Value, json};

use super::{In, PREFIX, Route, Schema, request_body};

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
        let mut operation = json!({
            "summary": r.summary,
            "description": r.description,
            "operationId": operation_id(r),
            "parameters": params,
            "responses": responses,
        });
        if let Some(body) = request_body(&r.method, r.path) {
            let schema = json!({ "$ref": format!("#/components/schemas/{}", body.schema) });
            let example: Value = serde_json::from_str(body.example).unwrap_or(Value::Null);
            operation["requestBody"] = json!({
                "required": true,
                "description": body.description,
                "content": {
                    "application/json": { "schema": schema, "example": example },
                    "application/yaml": { "schema": schema },
                },
            });
        }
        item[r.method.as_str().to_ascii_lowercase()] = operation;
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
                "injected": {
                    "type": ["object", "null"],
                    "description": "what a fault rule did to the answer (status 0: no answer was sent)",
                    "required": ["rule", "effect", "delay_ms", "trickle_ms", "text"],
                    "properties": {
                        "rule": { "type": "string" },
                        "effect": { "type": "string", "enum": ["delay", "trickle", "serviceplatform_fault", "platform_status", "sts_fault", "fejl", "http", "drop", "hang"] },
                        "delay_ms": nullable("integer"),
                        "trickle_ms": nullable("integer"),
                        "text": { "type": "string" },
                    },
                },
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
        "Problems": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": { "type": "string" },
                "field": { "type": "string", "description": "the field of the first problem, as a scenario file names it (`persons[0].cpr`, `match.service`)" },
                "text": { "type": "string", "description": "the problems as `sfstub validate` prints them (reload)" },
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {
                            "field": { "type": "string" },
                            "message": { "type": "string" },
                            "line": { "type": "integer" },
                            "column": { "type": "integer" },
                        },
                    },
                },
            },
        },
        "RuleInput": {
            "type": "object",
            "description": "A fault rule as written in a scenario's `faults:` (also accepted: a list of them, or `{\"faults\": [...]}`).",
            "properties": {
                "id": { "type": "string", "description": "1 to 64 letters, digits, '-', '_' or '.'; default f1, f2, ..." },
                "match": {
                    "type": "object",
                    "properties": {
                        "service": { "type": "string", "description": "part of a service's title or an endpoint path" },
                        "operation": { "type": "string" },
                        "caller": { "type": "string", "description": "a CVR number" },
                        "cpr": { "type": "string" },
                        "nth": { "type": "integer", "minimum": 1 },
                        "probability": { "type": "number", "minimum": 0, "maximum": 1 },
                        "seed": { "type": "integer" },
                    },
                },
                "delay": { "type": "string", "description": "`2s` or a range `500ms..2s`, at most 300s" },
                "trickle": {
                    "type": "object",
                    "required": ["over"],
                    "properties": { "over": { "type": "string" }, "chunk": { "type": "integer" } },
                },
                "effect": {
                    "type": "object",
                    "description": "exactly one of these",
                    "properties": {
                        "serviceplatform_fault": { "type": "object", "properties": { "code": { "type": "string" }, "text": { "type": "string" } } },
                        "platform_status": { "type": "integer", "enum": [500, 502, 503, 504] },
                        "sts_fault": { "type": "object", "required": ["code"], "properties": { "code": { "type": "integer" }, "text": { "type": "string" } } },
                        "fejl": { "type": "object", "required": ["id"], "properties": { "id": { "type": "integer" }, "text": { "type": "string" } } },
                        "http": { "type": "object", "required": ["status"], "properties": { "status": { "type": "integer" }, "body": { "type": "string" }, "content_type": { "type": "string" } } },
                        "drop": { "type": "boolean" },
                        "hang": { "type": "string" },
                    },
                },
                "times": { "type": "integer", "minimum": 1 },
                "ttl": { "type": "string" },
                "until": { "type": "string", "format": "date-time" },
            },
        },
        "Rule": {
            "type": "object",
            "required": ["id", "match", "origin", "seen", "hits", "added"],
            "properties": {
                "id": { "type": "string" },
                "match": { "type": "object" },
                "delay": { "type": "string" },
                "trickle": { "type": "object" },
                "effect": { "type": "object" },
                "times": { "type": "integer" },
                "ttl": { "type": "string" },
                "until": { "type": "string" },
                "origin": { "type": "string", "enum": ["scenario", "api"] },
                "seen": { "type": "integer", "description": "calls that matched the matchers" },
                "hits": { "type": "integer", "description": "calls the rule fired on" },
                "added": { "type": "string", "format": "date-time" },
                "expires": { "type": "string", "format": "date-time" },
            },
        },
        "Rules": {
            "type": "object",
            "required": ["rules"],
            "properties": { "rules": { "type": "array", "items": { "$ref": "#/components/schemas/Rule" } } },
        },
        "RulesAdded": {
            "type": "object",
            "required": ["added", "rules"],
            "properties": {
                "added": { "type": "array", "items": { "type": "string" } },
                "rules": { "type": "integer", "description": "rules held now" },
            },
        },
        "PersonInput": {
            "type": "object",
            "description": "A person as written in a scenario's `persons:` (also accepted: a list, or `{\"persons\": [...]}`).",
            "required": ["cpr", "kommune"],
            "properties": {
                "cpr": { "type": "string" },
                "name": { "type": "string" },
                "kommune": { "type": "string" },
                "cases": { "type": "array", "items": { "type": "object" } },
                "address": {
                    "type": "object",
                    "required": ["street", "number"],
                    "properties": {
                        "street": { "type": "string" },
                        "number": { "type": "integer" },
                        "floor": { "type": "string" },
                        "door": { "type": "string", "enum": ["th", "tv", "mf"] },
                        "postcode": { "type": "string" },
                        "town": { "type": "string" },
                        "moved_in": { "type": "string" },
                    },
                },
                "relations": {
                    "type": "object",
                    "properties": {
                        "spouse": { "type": "string" },
                        "mother": { "type": "string" },
                        "father": { "type": "string" },
                        "children": { "type": "array", "items": { "type": "string" } },
                    },
                },
            },
        },
        "Citizen": {
            "type": "object",
            "required": ["cpr", "kommunekode", "name", "cases"],
            "properties": {
                "cpr": { "type": "string" },
                "kommunekode": { "type": "string" },
                "kommune_cvr": { "type": "string" },
                "name": { "type": "string" },
                "origin": { "type": "string", "enum": ["generated", "scenario", "added"] },
                "sf1520": {
                    "type": "object",
                    "description": "what SF1520 gives beyond the world's facts",
                    "properties": {
                        "address": { "type": "string" },
                        "civilstand": { "type": "string" },
                        "spouse": nullable("string"),
                        "mother": nullable("string"),
                        "father": nullable("string"),
                        "children": { "type": "array", "items": { "type": "string" } },
                    },
                },
                "cases": { "type": "array", "items": { "type": "object" } },
            },
        },
        "Persons": {
            "type": "object",
            "required": ["persons", "max_persons", "max_cases"],
            "properties": {
                "persons": { "type": "array", "items": { "$ref": "#/components/schemas/Citizen" } },
                "max_persons": { "type": "integer" },
                "max_cases": { "type": "integer" },
            },
        },
        "PersonsAdded": {
            "type": "object",
            "required": ["added", "replaced", "persons", "citizens"],
            "properties": {
                "added": { "type": "array", "items": { "type": "string" } },
                "replaced": { "type": "array", "items": { "type": "string" } },
                "persons": { "type": "integer", "description": "persons added in all" },
                "citizens": { "type": "integer", "description": "citizens of the world now" },
            },
        },
        "Reset": {
            "type": "object",
            "required": ["reset"],
            "properties": {
                "reset": {
                    "type": "object",
                    "properties": {
                        "persons": { "type": "integer", "description": "added persons forgotten" },
                        "faults": { "type": "integer", "description": "rules dropped or re-armed" },
                        "rules": { "type": "integer", "description": "rules held after the reset" },
                        "journal": { "type": "integer", "description": "journal entries dropped" },
                    },
                },
            },
        },
        "Reloaded": {
            "type": "object",
            "required": ["reloaded", "scenario", "citizens", "cases", "dropped_persons", "notes"],
            "properties": {
                "reloaded": { "type": "string" },
                "scenario": { "type": "string" },
                "citizens": { "type": "integer" },
                "cases": { "type": "integer" },
                "dropped_persons": { "type": "array", "items": { "type": "string" } },
                "notes": { "type": "array", "items": { "type": "string" } },
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
