//! The journal's and the report's admin routes.

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use serde_json::{Value, json};

use super::{AdminError, AdminRequest, In, Param, Resp, Route, Schema, json_response, response};
use crate::app::App;
use crate::journal::filter::{MAX_LIMIT, parse_limit, parse_order};
use crate::journal::{Filter, Stats};

const FILTERS: [Param; 8] = [
    Param {
        name: "service",
        location: In::Query,
        required: false,
        schema: Schema::Text,
        description: "Part of the service's title, case-insensitive (`SF1472`, `SF1500 Virksomhed`, `Klasse`), or an endpoint path starting with `/`.",
        example: "SF1472",
    },
    Param {
        name: "operation",
        location: In::Query,
        required: false,
        schema: Schema::Text,
        description: "The operation's WSDL name (`KontrolsagListeHent`, `laes`, `PersonLookup`, `Issue`), case-insensitive.",
        example: "KontrolsagListeHent",
    },
    Param {
        name: "caller",
        location: In::Query,
        required: false,
        schema: Schema::Text,
        description: "The caller's CVR number.",
        example: "64942212",
    },
    Param {
        name: "cpr",
        location: In::Query,
        required: false,
        schema: Schema::Text,
        description: "The CPR number the request asked about (10 digits; a hyphen is ignored).",
        example: "1507804329",
    },
    Param {
        name: "outcome",
        location: In::Query,
        required: false,
        schema: Schema::Text,
        description: "`ok`, `refused` (a Fejl or StandardRetur inside a normal answer), `fault` or `error` (an HTTP error), optionally with one of the outcome's codes: `refused:1003`, `fault:PNR_NOT_FOUND`.",
        example: "ok",
    },
    Param {
        name: "conformance",
        location: In::Query,
        required: false,
        schema: Schema::Enum(&["fail", "pass", "warn"]),
        description: "`fail`: at least one conformance error; `pass`: none; `warn`: at least one finding of any severity.",
        example: "fail",
    },
    Param {
        name: "finding",
        location: In::Query,
        required: false,
        schema: Schema::Text,
        description: "Entries with a finding of this code, e.g. `SOAP_ACTION`.",
        example: "SOAP_ACTION",
    },
    Param {
        name: "since",
        location: In::Query,
        required: false,
        schema: Schema::Text,
        description: "An entry ID (entries after it) or an RFC 3339 time (entries from then on).",
        example: "0",
    },
];

const LIST_PARAMS: [Param; 10] = [
    FILTERS[0],
    FILTERS[1],
    FILTERS[2],
    FILTERS[3],
    FILTERS[4],
    FILTERS[5],
    FILTERS[6],
    FILTERS[7],
    Param {
        name: "limit",
        location: In::Query,
        required: false,
        schema: Schema::Integer { min: 1 },
        description: "The most entries to return (default 100; larger values are capped at 1000).",
        example: "10",
    },
    Param {
        name: "order",
        location: In::Query,
        required: false,
        schema: Schema::Enum(&["desc", "asc"]),
        description: "`desc`: newest first (the default); `asc`: oldest first, to page forward with `since`.",
        example: "asc",
    },
];

const ID: [Param; 1] = [Param {
    name: "id",
    location: In::Path,
    required: true,
    schema: Schema::Integer { min: 1 },
    description: "A journal entry's ID.",
    example: "1",
}];

const OFF: Resp = Resp {
    status: 409,
    description: "the journal is off (--journal-size 0)",
    media: "application/json",
    schema: "Error",
};
const BAD: Resp = Resp {
    status: 400,
    description: "a parameter is malformed; `field` names it",
    media: "application/json",
    schema: "Error",
};
const MISSING: Resp = Resp {
    status: 404,
    description: "no such entry (never recorded, or dropped to keep the journal's bounds)",
    media: "application/json",
    schema: "Error",
};

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/journal",
            summary: "Journal entries",
            description: "The entries matching every filter given, without their bodies (`href` leads to the full entry).",
            params: &LIST_PARAMS,
            responses: &[
                Resp {
                    status: 200,
                    description: "the entries",
                    media: "application/json",
                    schema: "JournalPage",
                },
                BAD,
                OFF,
            ],
            handler: list,
        },
        Route {
            method: Method::GET,
            path: "/journal/count",
            summary: "Count journal entries",
            description: "How many entries match every filter given: what a CI step asserts on.",
            params: &FILTERS,
            responses: &[
                Resp {
                    status: 200,
                    description: "the count",
                    media: "application/json",
                    schema: "Count",
                },
                BAD,
                OFF,
            ],
            handler: count,
        },
        Route {
            method: Method::DELETE,
            path: "/journal",
            summary: "Clear the journal",
            description: "Forgets every entry and the report's tally (entry IDs keep counting up).",
            params: &[],
            responses: &[
                Resp {
                    status: 200,
                    description: "how many entries were dropped",
                    media: "application/json",
                    schema: "Cleared",
                },
                OFF,
            ],
            handler: clear,
        },
        Route {
            method: Method::GET,
            path: "/journal/{id}",
            summary: "One journal entry",
            description: "The entry with the request and response bodies (`text`, or `base64` when not UTF-8; at most 64 KiB each, `truncated` when cut).",
            params: &ID,
            responses: &[
                Resp {
                    status: 200,
                    description: "the entry",
                    media: "application/json",
                    schema: "JournalEntry",
                },
                BAD,
                MISSING,
                OFF,
            ],
            handler: one,
        },
        Route {
            method: Method::GET,
            path: "/journal/{id}/request",
            summary: "The request body of an entry",
            description: "As the client sent it (the first 64 KiB), with its Content-Type; header X-Sfstub-Truncated: true when cut.",
            params: &ID,
            responses: &[
                Resp {
                    status: 200,
                    description: "the body",
                    media: "*/*",
                    schema: "",
                },
                BAD,
                MISSING,
                OFF,
            ],
            handler: |app, req| body(app, req, true),
        },
        Route {
            method: Method::GET,
            path: "/journal/{id}/response",
            summary: "The response body of an entry",
            description: "As sfstub sent it (the first 64 KiB), with its Content-Type; header X-Sfstub-Truncated: true when cut.",
            params: &ID,
            responses: &[
                Resp {
                    status: 200,
                    description: "the body",
                    media: "*/*",
                    schema: "",
                },
                BAD,
                MISSING,
                OFF,
            ],
            handler: |app, req| body(app, req, false),
        },
        Route {
            method: Method::GET,
            path: "/report",
            summary: "The conformance report",
            description: "Every exchange since start (or the last clear), one case per service × operation × caller × outcome with its conformance findings; `format=junit` gives JUnit XML (one testsuite per service, a failure per kind of conformance error).",
            params: &[Param {
                name: "format",
                location: In::Query,
                required: false,
                schema: Schema::Enum(&["json", "junit"]),
                description: "`json` (the default) or `junit`.",
                example: "junit",
            }],
            responses: &[
                Resp {
                    status: 200,
                    description: "the report",
                    media: "application/json",
                    schema: "Report",
                },
                Resp {
                    status: 200,
                    description: "the report as JUnit XML (format=junit)",
                    media: "application/xml",
                    schema: "",
                },
                BAD,
                OFF,
            ],
            handler: report,
        },
    ]
}

fn enabled(app: &App) -> Result<(), AdminError> {
    if app.journal.enabled() {
        Ok(())
    } else {
        Err(AdminError::status(
            StatusCode::CONFLICT,
            "the journal is off (sfstub was started with --journal-size 0): nothing is recorded",
        ))
    }
}

/// The journal's size and bounds as JSON.
pub(super) fn stats_json(s: &Stats) -> Value {
    json!({
        "entries": s.entries,
        "bytes": s.bytes,
        "max_entries": s.max_entries,
        "max_bytes": s.max_bytes,
        "evicted": s.evicted,
        "oldest": s.oldest,
        "newest": s.newest,
    })
}

fn list(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    enabled(app)?;
    let filter = Filter::from_params(req.query_pairs())?;
    let (limit, capped) = parse_limit(req.query("limit"))?;
    let order = parse_order(req.query("order"))?;
    let selection = app.journal.select(&filter, order, limit);
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "matched": selection.matched,
            "returned": selection.entries.len(),
            "limit": limit,
            "limit_capped": capped,
            "max_limit": MAX_LIMIT,
            "order": if order == crate::journal::Order::Asc { "asc" } else { "desc" },
            "journal": stats_json(&app.journal.stats()),
            "entries": selection.entries.iter().map(|e| e.json(false)).collect::<Vec<_>>(),
        }),
    ))
}

fn count(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    enabled(app)?;
    let filter = Filter::from_params(req.query_pairs())?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "count": app.journal.count(&filter) }),
    ))
}

fn clear(app: &App, _: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    enabled(app)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "cleared": app.journal.clear() }),
    ))
}

fn entry(app: &App, req: &AdminRequest<'_>) -> Result<std::sync::Arc<crate::journal::Entry>, AdminError> {
    enabled(app)?;
    let text = req.path("id").unwrap_or("");
    let id: u64 = text
        .parse()
        .map_err(|_| AdminError::bad("id", format!("{text:?} is not an entry ID")))?;
    app.journal.get(id).ok_or_else(|| {
        let s = app.journal.stats();
        let held = match (s.oldest, s.newest) {
            (Some(a), Some(b)) => format!("the journal holds entries {a} to {b}"),
            _ => "the journal is empty".to_owned(),
        };
        AdminError::status(StatusCode::NOT_FOUND, format!("no journal entry {id}: {held}"))
    })
}

fn one(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    Ok(json_response(StatusCode::OK, &entry(app, req)?.json(true)))
}

fn body(app: &App, req: &AdminRequest<'_>, request: bool) -> Result<Response<Bytes>, AdminError> {
    let e = entry(app, req)?;
    let b = if request { &e.request } else { &e.response };
    let mut r = Response::new(b.to_bytes());
    let ct = b
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    r.headers_mut().insert(header::CONTENT_TYPE, ct);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if b.truncated() {
        r.headers_mut()
            .insert("x-sfstub-truncated", HeaderValue::from_static("true"));
    }
    Ok(r)
}

fn report(app: &App, req: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    enabled(app)?;
    let report = app.journal.report();
    match req.query("format") {
        Some("junit") => Ok(response(
            StatusCode::OK,
            "application/xml; charset=utf-8",
            report.junit().into_bytes(),
        )),
        _ => Ok(json_response(
            StatusCode::OK,
            &serde_json::to_value(&report).unwrap_or_default(),
        )),
    }
}
