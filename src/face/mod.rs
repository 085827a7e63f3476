//! The demo face: HTML pages for people in front of a browser or a projector. `GET /` with an
//! `Accept` naming `text/html` is the index (the scenario, the services, how to get a token,
//! the admin API); below [`PREFIX`] are the world's citizens ([`people`]), Try it ([`try_it`])
//! and the journal's traffic ([`traffic`]).
//!
//! Everything shown comes from the running world and journal. Pages are rendered on the
//! server with [`html::Html`], which escapes everything that is not a literal of sfstub's
//! source; the CSS and the little JavaScript (large type remembered, the traffic view
//! refreshed) are compiled into the binary. Every page works without JavaScript.
//!
//! The pages below [`PREFIX`] show the journal and send requests, so they follow the admin
//! API's access ([`crate::admin::Access`]): absent with `--admin off`, refused when it is locked
//! or the bearer token is missing.

pub mod html;
pub mod people;
pub mod pretty;
pub mod sees;
pub mod traffic;
pub mod try_it;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};

use crate::admin::Access;
use crate::app::{App, Loaded};
use html::Html;

/// Where the face's pages live (inside the admin API's reserved prefix).
pub const PREFIX: &str = "/__sfstub/ui";

/// The stylesheet, compiled in.
pub const CSS: &str = include_str!("assets/face.css");
/// The script: large type remembered across pages, the traffic view kept fresh.
pub const JS: &str = include_str!("assets/face.js");
/// The icon (so browsers do not ask for `/favicon.ico`, which would fill the journal).
pub const ICON: &str = include_str!("assets/favicon.svg");

/// Answers the face's requests: `GET /` for a browser, and everything below [`PREFIX`].
/// `None` for anything else (and for `/` asked by a client that does not want HTML).
pub fn route(app: &App, parts: &http::request::Parts, path: &str, body: &Bytes) -> Option<Response<Bytes>> {
    if path == "/" {
        let get = parts.method == Method::GET || parts.method == Method::HEAD;
        return (get && wants_html(parts)).then(|| index(app, &app.loaded(), parts));
    }
    let rest = path.strip_prefix(PREFIX)?;
    if !(rest.is_empty() || rest.starts_with('/')) || app.admin == Access::Off {
        return None;
    }
    let authorization = parts.headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    if let Err(why) = app.admin.check(authorization) {
        let mut h = Html::new();
        h.raw("<h1>Not open</h1><p>").text(&why).raw("</p>");
        let mut r = page(StatusCode::UNAUTHORIZED, "Not open", Nav::None, &h);
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"sfstub admin\""),
        );
        return Some(r);
    }
    let loaded = app.loaded();
    let segments: Vec<&str> = rest.split('/').skip(1).collect();
    let get = parts.method == Method::GET || parts.method == Method::HEAD;
    let query = parts.uri.query().unwrap_or("");
    Some(match (segments.as_slice(), get, &parts.method) {
        ([] | [""], true, _) => redirect(&format!("{PREFIX}/people")),
        (["assets", "face.css"], true, _) => asset("text/css; charset=utf-8", CSS),
        (["assets", "face.js"], true, _) => asset("text/javascript; charset=utf-8", JS),
        (["assets", "favicon.svg"], true, _) => asset("image/svg+xml", ICON),
        (["people"], true, _) => people::search(&loaded, query),
        (["people", cpr], true, _) => people::citizen(app, &loaded, &decode(cpr)),
        (["people", cpr, "try"], _, &Method::POST) => try_it::post(app, &loaded, parts, &decode(cpr), body),
        (["traffic"], true, _) => traffic::page_response(app, &loaded, query),
        (["traffic", "live"], true, _) => traffic::live(app, &loaded, query),
        (["traffic", id], true, _) => traffic::exchange(app, &loaded, id),
        (["people", _, "try"], _, _) => method_not_allowed("POST"),
        (_, false, _) => method_not_allowed("GET, HEAD"),
        _ => not_found(path),
    })
}

/// True when the request's `Accept` names `text/html` (a browser); `curl` sends `*/*`.
pub fn wants_html(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            let mut params = media.split(';');
            let kind = params.next().unwrap_or("").trim();
            // `text/html;q=0` says "not HTML".
            let refused = params.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            kind.eq_ignore_ascii_case("text/html") && !refused
        })
}

/// A path segment, percent-decoded when it decodes (else as sent: it is only shown, escaped).
fn decode(segment: &str) -> String {
    crate::admin::percent_decode(segment).unwrap_or_else(|| segment.to_owned())
}

/// Which part of the navigation a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Index,
    People,
    Traffic,
    None,
}

/// A whole page: the layout around `main`.
pub fn page(status: StatusCode, title: &str, nav: Nav, main: &Html) -> Response<Bytes> {
    let mut h = Html::new();
    h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<title>")
        .text(title)
        .raw(" · sfstub</title><link rel=\"stylesheet\" href=\"/__sfstub/ui/assets/face.css\">")
        .raw("<link rel=\"icon\" href=\"/__sfstub/ui/assets/favicon.svg\" type=\"image/svg+xml\">")
        .raw("<script src=\"/__sfstub/ui/assets/face.js\" defer></script></head><body>")
        .raw("<a class=\"skip\" href=\"#main\">Skip to content</a>")
        .raw("<header><nav aria-label=\"sfstub\"><ul>");
    for (which, href, label) in [
        (Nav::Index, "/", "sfstub"),
        (Nav::People, "/__sfstub/ui/people", "People"),
        (Nav::Traffic, "/__sfstub/ui/traffic", "Traffic"),
    ] {
        h.raw("<li><a href=\"").text(href).raw("\"");
        if which == nav {
            h.raw(" aria-current=\"page\"");
        }
        h.raw(">").text(label).raw("</a></li>");
    }
    h.raw("</ul></nav><label class=\"large\"><input type=\"checkbox\" id=\"large\"> Large type</label></header>")
        .raw("<main id=\"main\">")
        .html(main)
        .raw("</main></body></html>\n");
    let mut r = Response::new(Bytes::from(h.into_string()));
    *r.status_mut() = status;
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Nothing but the face's own script and stylesheet runs, whatever a page shows.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

fn asset(content_type: &'static str, text: &'static str) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from_static(text.as_bytes()));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    r.headers_mut()
        .insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

fn redirect(to: &str) -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A 404 page naming the path (escaped).
pub fn not_found(path: &str) -> Response<Bytes> {
    let mut h = Html::new();
    h.raw("<h1>Not found</h1><p>sfstub has no page at <code>")
        .text(&crate::clip::clip(path))
        .raw("</code>. Try <a href=\"/__sfstub/ui/people\">People</a> or <a href=\"/__sfstub/ui/traffic\">Traffic</a>.</p>");
    page(StatusCode::NOT_FOUND, "Not found", Nav::None, &h)
}

/// A page saying what was wrong with the request (400).
pub fn bad_request(title: &str, why: &str, nav: Nav) -> Response<Bytes> {
    let mut h = Html::new();
    h.raw("<h1>")
        .text(title)
        .raw("</h1><p class=\"error\">")
        .text(why)
        .raw("</p>");
    page(StatusCode::BAD_REQUEST, title, nav, &h)
}

fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut h = Html::new();
    h.raw("<h1>Method not allowed</h1><p>This page answers ")
        .text(allow)
        .raw(".</p>");
    let mut r = page(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", Nav::None, &h);
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// The name of the authority with this CVR number, if the world has one.
pub fn authority_name<'a>(loaded: &'a Loaded, cvr: &str) -> Option<&'a str> {
    let cvr = crate::world::Cvr::parse(cvr).ok()?;
    let id = loaded.world.authority_by_cvr(cvr)?;
    Some(loaded.world.authority(id).name.as_str())
}

/// `GET /` for a browser: the scenario, the services, how to get a token, the admin API.
fn index(app: &App, loaded: &Loaded, parts: &http::request::Parts) -> Response<Bytes> {
    let w = &loaded.world;
    let s = &loaded.scenario;
    let mut h = Html::new();
    h.raw("<h1>sfstub ")
        .text(env!("CARGO_PKG_VERSION"))
        .raw("</h1><p class=\"lead\">A local stand-in for KOMBIT's Serviceplatformen, serving scenario <strong>")
        .text(&s.name)
        .raw("</strong>.</p>");
    if let Some(d) = &s.description {
        h.raw("<p>").text(d).raw("</p>");
    }
    h.raw("<dl class=\"facts\"><dt>Seed</dt><dd>")
        .num(s.seed)
        .raw("</dd><dt>Clock</dt><dd>")
        .text(&match w.clock {
            crate::world::Clock::Now => format!("real time (today {})", w.clock.today()),
            crate::world::Clock::Fixed(t) => format!("pinned at {}", t.to_rfc3339()),
        })
        .raw("</dd><dt>Security mode</dt><dd>")
        .text(app.security.mode.name())
        .raw("</dd><dt>World</dt><dd>")
        .text(&format!(
            "{} citizens ({} with control cases), {} control cases, {} authorities",
            w.citizens.len(),
            w.citizens_with_cases(),
            w.cases.len(),
            w.authorities.len()
        ))
        .raw("</dd></dl>");
    h.raw("<p><a class=\"button\" href=\"/__sfstub/ui/people\">Find a citizen</a> <a class=\"button\" href=\"/__sfstub/ui/traffic\">Watch the traffic</a></p>");

    h.raw("<h2>Services</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Endpoint</th><th scope=\"col\">Contract</th><th scope=\"col\">Entity ID</th></tr></thead><tbody>");
    let host = base(app, parts);
    for service in &loaded.services {
        let url = format!("{host}{}", service.paths()[0]);
        h.raw("<tr><th scope=\"row\">")
            .text(service.title())
            .raw("</th><td><code>")
            .text(&url)
            .raw("</code></td><td>");
        if app.serves_wsdl(service.as_ref()) {
            h.link(&format!("{url}?wsdl"), "?wsdl");
        } else {
            h.raw("—");
        }
        h.raw("</td><td><code>")
            .text(service.entity_id())
            .raw("</code></td></tr>");
    }
    for (title, path) in [
        ("SF1514 STS, REST (JSON)", crate::services::sf1514_rest::WSTRUST_PATH),
        ("SF1514 STS, OAuth (JWT)", crate::services::sf1514_rest::OAUTH_PATH),
    ] {
        h.raw("<tr><th scope=\"row\">")
            .text(title)
            .raw("</th><td><code>")
            .text(&format!("{host}{path}"))
            .raw("</code></td><td>—</td><td>—</td></tr>");
    }
    h.raw("</tbody></table></div>");

    h.raw("<h2>Getting a token</h2>");
    match app.security.mode {
        crate::security::SecurityMode::Off => {
            h.raw("<p>Security is <strong>off</strong>: a caller names itself in <code>HovedOplysninger/AuthorityContext/MunicipalityCVR</code>; no token is needed. Start sfstub with <code>--security token</code> or <code>strict</code> to require one.</p>");
        }
        mode => {
            h.raw("<p>Security is <strong>")
                .text(mode.name())
                .raw("</strong>: every call carries a SAML token from sfstub's STS, for the service's entity ID. Ask the STS above with the sample client certificate, or let sfstub write a signed request:</p>");
        }
    }
    h.raw("<pre><code>sfstub token --cvr 29189420 --service ")
        .text(crate::services::sf1472_kontrolsag::ENTITY_ID)
        .raw("\nsfstub token --cvr 29189420 --envelope request.xml   # a whole signed request\nsfstub certs export DIR                               # the sample client's certificate and key</code></pre>");

    h.raw("<h2>Admin API</h2>");
    match app.admin {
        Access::Off => {
            h.raw("<p>The admin API is off (<code>--admin off</code>): no journal, no People or Traffic pages.</p>");
        }
        ref access => {
            h.raw("<p>Access: ")
                .text(&access.describe())
                .raw(". JSON routes, described by ");
            h.link("/__sfstub/openapi.json", "/__sfstub/openapi.json")
                .raw(":</p><ul class=\"routes\">");
            for route in crate::admin::routes() {
                if route.method != Method::GET || route.path.contains('{') {
                    continue;
                }
                let path = format!("{}{}", crate::admin::PREFIX, route.path);
                h.raw("<li>")
                    .link(&path, &path)
                    .raw(" — ")
                    .text(route.summary)
                    .raw("</li>");
            }
            h.raw("</ul>");
        }
    }
    page(StatusCode::OK, "sfstub", Nav::Index, &h)
}

/// `scheme://host` as the client addressed sfstub (a Host that is not `host[:port]` falls back
/// to 127.0.0.1; it is escaped anyway).
fn base(app: &App, parts: &http::request::Parts) -> String {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| crate::http::is_authority(h))
        .unwrap_or("127.0.0.1");
    format!("{}://{host}", app.scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(accept: &[&str]) -> http::request::Parts {
        let mut b = http::Request::get("/");
        for a in accept {
            b = b.header(header::ACCEPT, *a);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn browsers_want_html_and_curl_does_not() {
        assert!(wants_html(&parts(&[
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        ])));
        assert!(wants_html(&parts(&["application/json", "TEXT/HTML"])));
        assert!(!wants_html(&parts(&["*/*"])));
        assert!(!wants_html(&parts(&[])));
        assert!(!wants_html(&parts(&["text/plain"])));
        assert!(!wants_html(&parts(&["text/html;q=0, text/plain"])));
    }
}
