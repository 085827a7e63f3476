//! The admin API under the reserved prefix `/__sfstub/` (no KOMBIT path starts like that):
//! the journal, the CI report and the OpenAPI document describing them.
//!
//! Every route is one [`Route`] in [`routes()`]: method, path, parameters with their
//! schemas, responses, handler. The router checks what a request sends against the declared
//! parameters before the handler runs (an undeclared or malformed parameter is a 400 naming
//! it), and the OpenAPI document is generated from the same table, so adding a route is adding
//! one entry, and the test that holds the document to the routes covers it.

pub mod access;
pub mod client;
mod journal_routes;
pub mod openapi;
mod steer_routes;

pub use steer_routes::{PERSON_EXAMPLE, RULE_EXAMPLE};

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use serde_json::{Value, json};

pub use access::{Access, AdminFlag};

use crate::app::App;

/// The reserved path prefix.
pub const PREFIX: &str = "/__sfstub";

/// One admin route.
pub struct Route {
    pub method: Method,
    /// Below [`PREFIX`], with `{name}` for a path parameter: `/journal/{id}`.
    pub path: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub params: &'static [Param],
    pub responses: &'static [Resp],
    pub handler: Handler,
}

/// What answers a route.
pub type Handler = fn(&App, &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError>;

/// A declared parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub location: In,
    pub required: bool,
    pub schema: Schema,
    pub description: &'static str,
    /// A valid value, used by the documentation and the tests.
    pub example: &'static str,
}

/// Where a parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Query,
    Path,
}

/// The schema of a parameter, checked by the router.
#[derive(Debug, Clone, Copy)]
pub enum Schema {
    /// Any non-empty text.
    Text,
    /// A whole number of at least `min` (digits only; large values are left to the handler).
    Integer { min: u64 },
    /// One of these words.
    Enum(&'static [&'static str]),
}

/// A documented response.
#[derive(Debug, Clone, Copy)]
pub struct Resp {
    pub status: u16,
    pub description: &'static str,
    pub media: &'static str,
    /// The name of a schema in the document's components, or "" for none.
    pub schema: &'static str,
}

/// An admin request as a handler sees it: parameters checked against the route.
pub struct AdminRequest<'a> {
    pub parts: &'a http::request::Parts,
    pub body: &'a Bytes,
    query: Vec<(&'static str, String)>,
    path: Vec<(&'static str, String)>,
}

impl AdminRequest<'_> {
    /// A query parameter's value (declared on the route).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// Every query parameter given, in order.
    pub fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query.iter().map(|(n, v)| (*n, v.as_str()))
    }

    /// A path parameter's value.
    pub fn path(&self, name: &str) -> Option<&str> {
        self.path.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON of type `T`; a malformed body is a 400 naming the field when serde
    /// names one.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, AdminError> {
        serde_json::from_slice(self.body).map_err(|e| {
            let text = e.to_string();
            let field = text.split('`').nth(1).map(str::to_owned);
            AdminError {
                status: StatusCode::BAD_REQUEST,
                message: format!("the body is not the JSON this route takes: {text}"),
                field: field.map(Field::Named),
            }
        })
    }
}

/// The field an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Static(&'static str),
    Named(String),
}

/// An error answer: a status and a JSON body `{"error": ..., "field": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    pub status: StatusCode,
    pub message: String,
    pub field: Option<Field>,
}

impl AdminError {
    /// A 400 about one parameter.
    pub fn bad(field: &'static str, message: impl Into<String>) -> AdminError {
        AdminError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            field: Some(Field::Static(field)),
        }
    }

    /// An error with this status and no field.
    pub fn status(status: StatusCode, message: impl Into<String>) -> AdminError {
        AdminError {
            status,
            message: message.into(),
            field: None,
        }
    }

    fn response(&self) -> Response<Bytes> {
        let field = match &self.field {
            Some(Field::Static(f)) => Some(f.to_string()),
            Some(Field::Named(f)) => Some(f.clone()),
            None => None,
        };
        let mut body = json!({ "error": self.message });
        if let Some(f) = field {
            body["field"] = json!(f);
        }
        json_response(self.status, &body)
    }
}

impl From<crate::journal::filter::FilterError> for AdminError {
    fn from(e: crate::journal::filter::FilterError) -> Self {
        AdminError::bad(e.field, e.message)
    }
}

/// A documented request body: the routes that take one, with what they take.
#[derive(Debug, Clone, Copy)]
pub struct RequestBody {
    pub description: &'static str,
    /// The name of the body's schema in the document's components.
    pub schema: &'static str,
    /// A valid body (JSON), used by the documentation and the tests.
    pub example: &'static str,
}

/// The request body `method` on `path` (below [`PREFIX`]) takes, if any.
pub fn request_body(method: &Method, path: &str) -> Option<RequestBody> {
    match (method.as_str(), path) {
        ("POST", "/faults") => Some(RequestBody {
            description: "One fault rule, a list, or {\"faults\": [...]}, as JSON or YAML",
            schema: "RuleInput",
            example: RULE_EXAMPLE,
        }),
        ("POST", "/persons") => Some(RequestBody {
            description: "One person, a list, or {\"persons\": [...]}, as JSON or YAML",
            schema: "PersonInput",
            example: PERSON_EXAMPLE,
        }),
        _ => None,
    }
}

/// Every admin route. Other admin features add theirs here.
pub fn routes() -> Vec<Route> {
    let mut all = vec![
        Route {
            method: Method::GET,
            path: "/",
            summary: "The admin routes",
            description: "Every route of the admin API, and the journal's size and bounds.",
            params: &[],
            responses: &[Resp {
                status: 200,
                description: "the routes",
                media: "application/json",
                schema: "Index",
            }],
            handler: index,
        },
        Route {
            method: Method::GET,
            path: "/openapi.json",
            summary: "This document",
            description: "The OpenAPI 3.1 description of the admin API.",
            params: &[],
            responses: &[Resp {
                status: 200,
                description: "the OpenAPI document",
                media: "application/json",
                schema: "",
            }],
            handler: |_, _| Ok(json_response(StatusCode::OK, &openapi::document(&routes()))),
        },
    ];
    all.extend(journal_routes::routes());
    all.extend(steer_routes::routes());
    all
}

/// Answers a request under [`PREFIX`], unless the admin API is off (then the request is an
/// unknown path like any other): `None` for paths outside the prefix.
pub fn route(app: &App, parts: &http::request::Parts, path: &str, body: &Bytes) -> Option<Response<Bytes>> {
    let rest = path.strip_prefix(PREFIX)?;
    if !(rest.is_empty() || rest.starts_with('/')) || app.admin == Access::Off {
        return None;
    }
    let rest = if rest.is_empty() { "/" } else { rest };
    let authorization = parts.headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    if let Err(why) = app.admin.check(authorization) {
        let mut r = AdminError::status(StatusCode::UNAUTHORIZED, why).response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"sfstub admin\""),
        );
        return Some(r);
    }
    Some(dispatch(app, parts, rest, body).unwrap_or_else(|e| e.response()))
}

fn dispatch(app: &App, parts: &http::request::Parts, rest: &str, body: &Bytes) -> Result<Response<Bytes>, AdminError> {
    let routes = routes();
    let segments: Vec<&str> = rest.split('/').skip(1).collect();
    // Literal routes before templated ones (`/journal/count` before `/journal/{id}`).
    let mut matching: Vec<(&Route, Vec<(&'static str, String)>)> = routes
        .iter()
        .filter_map(|r| match_path(r.path, &segments).map(|p| (r, p)))
        .collect();
    matching.sort_by_key(|(_, p)| p.len());
    let Some(first) = matching.first() else {
        return Ok(not_found(&routes, parts.method.as_str(), rest));
    };
    let literal = first.1.len();
    let method = if parts.method == Method::HEAD {
        &Method::GET
    } else {
        &parts.method
    };
    let Some((route, path)) = matching
        .iter()
        .filter(|(_, p)| p.len() == literal)
        .find(|(r, _)| r.method == *method)
    else {
        let allow: Vec<&str> = matching
            .iter()
            .filter(|(_, p)| p.len() == literal)
            .map(|(r, _)| r.method.as_str())
            .collect();
        let mut r = AdminError::status(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{PREFIX}{rest} answers {}, not {}", allow.join(", "), parts.method),
        )
        .response();
        if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
            r.headers_mut().insert(header::ALLOW, v);
        }
        return Ok(r);
    };
    for (name, value) in path {
        let param = route.params.iter().find(|p| p.name == *name && p.location == In::Path);
        if let Some(p) = param {
            check_value(p, value)?;
        }
    }
    let query = read_query(route, parts.uri.query().unwrap_or(""))?;
    let request = AdminRequest {
        parts,
        body,
        query,
        path: path.clone(),
    };
    (route.handler)(app, &request)
}

/// The path parameters when `template` matches `segments`.
fn match_path(template: &'static str, segments: &[&str]) -> Option<Vec<(&'static str, String)>> {
    let parts: Vec<&'static str> = template.split('/').skip(1).collect();
    let parts: Vec<&'static str> = if template == "/" { vec![""] } else { parts };
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (t, s) in parts.iter().zip(segments) {
        match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(name) if !s.is_empty() => params.push((name, percent_decode(s).unwrap_or_else(|| (*s).to_owned()))),
            Some(_) => return None,
            None if t == s => {}
            None => return None,
        }
    }
    Some(params)
}

/// Reads the query string: every name must be declared, given once, well encoded and valid.
fn read_query(route: &Route, query: &str) -> Result<Vec<(&'static str, String)>, AdminError> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(raw_name)
            .ok_or_else(|| AdminError::bad("query", format!("{raw_name:?} is not a well-encoded parameter name")))?;
        let Some(param) = route.params.iter().find(|p| p.name == name && p.location == In::Query) else {
            let known: Vec<&str> = route
                .params
                .iter()
                .filter(|p| p.location == In::Query)
                .map(|p| p.name)
                .collect();
            return Err(AdminError {
                status: StatusCode::BAD_REQUEST,
                message: format!(
                    "{PREFIX}{} takes no parameter {name:?}; it takes: {}",
                    route.path,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
                field: Some(Field::Named(name)),
            });
        };
        let value = percent_decode(raw_value)
            .ok_or_else(|| AdminError::bad(param.name, format!("{raw_value:?} is not well percent-encoded UTF-8")))?;
        if out.iter().any(|(n, _)| *n == param.name) {
            return Err(AdminError::bad(param.name, "given more than once"));
        }
        check_value(param, &value)?;
        out.push((param.name, value));
    }
    if let Some(missing) = route
        .params
        .iter()
        .find(|p| p.required && p.location == In::Query && !out.iter().any(|(n, _)| *n == p.name))
    {
        return Err(AdminError::bad(missing.name, "is required"));
    }
    Ok(out)
}

fn check_value(param: &Param, value: &str) -> Result<(), AdminError> {
    match param.schema {
        Schema::Text if value.trim().is_empty() => Err(AdminError::bad(param.name, "empty value")),
        Schema::Text => Ok(()),
        Schema::Integer { min } => {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AdminError::bad(param.name, format!("{value:?} is not a whole number")));
            }
            // Digits only: a number too large for u64 is certainly above `min`.
            if value.parse::<u64>().is_ok_and(|n| n < min) {
                return Err(AdminError::bad(param.name, format!("must be at least {min}")));
            }
            Ok(())
        }
        Schema::Enum(words) if words.contains(&value) => Ok(()),
        Schema::Enum(words) => Err(AdminError::bad(
            param.name,
            format!("{value:?}: use one of {}", words.join(", ")),
        )),
    }
}

/// Decodes `%XX` and `+`; `None` for a bad escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn route_list(routes: &[Route]) -> Value {
    Value::Array(
        routes
            .iter()
            .map(|r| {
                json!({
                    "method": r.method.as_str(),
                    "path": format!("{PREFIX}{}", r.path),
                    "summary": r.summary,
                })
            })
            .collect(),
    )
}

fn not_found(routes: &[Route], method: &str, rest: &str) -> Response<Bytes> {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({
            "error": format!("no admin route {method} {PREFIX}{rest}; the routes are listed in \"routes\""),
            "routes": route_list(routes),
        }),
    )
}

fn index(app: &App, _: &AdminRequest<'_>) -> Result<Response<Bytes>, AdminError> {
    let stats = app.journal.stats();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "sfstub": env!("CARGO_PKG_VERSION"),
            "admin": app.admin.describe(),
            "conformance": app.conformance.name(),
            "journal": journal_routes::stats_json(&stats),
            "routes": route_list(&routes()),
        }),
    ))
}

/// A JSON answer, not to be cached.
pub fn json_response(status: StatusCode, body: &Value) -> Response<Bytes> {
    let mut text = serde_json::to_vec_pretty(body).unwrap_or_else(|_| b"{}".to_vec());
    text.push(b'\n');
    response(status, "application/json", text)
}

/// An answer with this media type, not to be cached.
pub fn response(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = status;
    let ct = HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    r.headers_mut().insert(header::CONTENT_TYPE, ct);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("SF1500%20Virksomhed").as_deref(),
            Some("SF1500 Virksomhed")
        );
        assert_eq!(percent_decode("a+b").as_deref(), Some("a b"));
        assert_eq!(
            percent_decode("2026-11-22T12%3A00%3A00%2B01%3A00").as_deref(),
            Some("2026-11-22T12:00:00+01:00")
        );
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn every_route_is_unique_and_its_path_parameters_are_declared() {
        let routes = routes();
        for (i, r) in routes.iter().enumerate() {
            assert!(r.path.starts_with('/'), "{}", r.path);
            for other in &routes[i + 1..] {
                assert!(
                    !(r.method == other.method && r.path == other.path),
                    "{} {} twice",
                    r.method,
                    r.path
                );
            }
            for seg in r.path.split('/') {
                if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    assert!(
                        r.params.iter().any(|p| p.name == name && p.location == In::Path),
                        "{} {}: {name} undeclared",
                        r.method,
                        r.path
                    );
                }
            }
        }
    }

    #[test]
    fn a_malformed_json_body_names_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Person {
            cpr: String,
        }
        let parts = http::Request::new(()).into_parts().0;
        for (body, field) in [(r#"{}"#, "cpr"), (r#"{"cpr":"1","x":1}"#, "x")] {
            let body = Bytes::from(body);
            let req = AdminRequest {
                parts: &parts,
                body: &body,
                query: vec![],
                path: vec![],
            };
            let err = req.json::<Person>().unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
            assert_eq!(err.field, Some(Field::Named(field.into())), "{err:?}");
        }
    }
}
