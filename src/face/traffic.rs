//! Traffic: the journal's newest exchanges as a table (time, caller with name and CVR, service,
//! outcome, conformance findings), a picture of who called whom over them, and each exchange
//! on its own page. The page works without JavaScript; with it, the table and the picture are
//! fetched again every two seconds from `…/traffic/live` (polling, not server-sent events:
//! nothing to hold open, nothing to drain at shutdown).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bytes::Bytes;
use http::{Response, StatusCode, header};

use super::html::Html;
use super::{Nav, page};
use crate::app::{App, Loaded};
use crate::journal::{Entry, Filter, Order, OutcomeKind, Verdict};

/// Exchanges shown by default, and the most a page may ask for (`?n=`).
pub const DEFAULT_N: usize = 50;
pub const MAX_N: usize = 500;

/// The `n` of the query: how many of the newest exchanges to show.
fn read_n(query: &str) -> Result<usize, String> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "n" {
            return match value.parse::<usize>() {
                Ok(n) if (1..=MAX_N).contains(&n) => Ok(n),
                _ => Err(format!(
                    "n: {:?} is not a number from 1 to {MAX_N}",
                    crate::clip::clip(value)
                )),
            };
        }
    }
    Ok(DEFAULT_N)
}

/// `GET /__sfstub/ui/traffic`.
pub fn page_response(app: &App, loaded: &Loaded, query: &str) -> Response<Bytes> {
    let n = match read_n(query) {
        Ok(n) => n,
        Err(why) => return super::bad_request("Traffic", &why, Nav::Traffic),
    };
    let mut h = Html::new();
    h.raw("<h1>Traffic</h1>");
    if !app.journal.enabled() {
        h.raw("<p>The journal is off (<code>--journal-size 0</code>): sfstub keeps no exchanges to show.</p>");
        return page(StatusCode::OK, "Traffic", Nav::Traffic, &h);
    }
    h.raw("<p>The newest ")
        .num(n as u64)
        .raw(" exchanges in the journal, newest first. With JavaScript the view refreshes itself every two seconds; without it, reload the page.</p>");
    live_part(app, loaded, n, &mut h);
    page(StatusCode::OK, "Traffic", Nav::Traffic, &h)
}

/// `GET /__sfstub/ui/traffic/live`: only the part that changes, for the script.
pub fn live(app: &App, loaded: &Loaded, query: &str) -> Response<Bytes> {
    let n = match read_n(query) {
        Ok(n) => n,
        Err(why) => return super::bad_request("Traffic", &why, Nav::Traffic),
    };
    let mut h = Html::new();
    live_part(app, loaded, n, &mut h);
    let mut r = Response::new(Bytes::from(h.into_string()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    r
}

/// The picture and the table of the `n` newest exchanges, in `<div id="live">`.
fn live_part(app: &App, loaded: &Loaded, n: usize, h: &mut Html) {
    let selection = app.journal.select(&Filter::default(), Order::Desc, n);
    let newest = selection.entries.first().map_or(0, |e| e.id);
    h.raw("<div id=\"live\" data-newest=\"")
        .num(newest)
        .raw("\" data-n=\"")
        .num(n as u64)
        .raw("\">");
    if selection.entries.is_empty() {
        h.raw("<p id=\"no-traffic\">No exchanges yet. Call a service, or use Try it on a citizen's page.</p></div>");
        return;
    }
    h.raw("<h2>Who called whom</h2>");
    picture(loaded, &selection.entries, h);
    h.raw("<h2>Exchanges</h2><div class=\"scroll\"><table id=\"traffic\"><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Caller</th><th scope=\"col\">Service</th><th scope=\"col\">Outcome</th><th scope=\"col\">Conformance</th></tr></thead><tbody>");
    for e in &selection.entries {
        row(loaded, e, h);
    }
    h.raw("</tbody></table></div></div>");
}

/// The caller of an exchange in words: name and CVR, or what is known.
fn caller_words(loaded: &Loaded, e: &Entry) -> String {
    let cvr = e.caller().or(e.facts.token.as_ref().map(|t| t.cvr.as_str()));
    match cvr {
        Some(cvr) => match super::authority_name(loaded, cvr) {
            Some(name) => format!("{name} ({cvr})"),
            None => format!("CVR {cvr}"),
        },
        None => "—".to_owned(),
    }
}

/// The outcome's kind as the view names it, and its words.
fn outcome_words(e: &Entry) -> (&'static str, String) {
    if let Some(Verdict::Rejected { diagnosis }) = &e.facts.verdict {
        return ("refused-token", format!("refused token: {diagnosis}"));
    }
    match e.outcome {
        OutcomeKind::Ok => ("ok", e.outcome_text().to_owned()),
        OutcomeKind::Refused => ("refused", e.outcome_text().to_owned()),
        OutcomeKind::Fault => ("fault", e.outcome_text().to_owned()),
        OutcomeKind::Error => ("error", format!("HTTP {}: {}", e.status, e.outcome_text())),
    }
}

fn row(loaded: &Loaded, e: &Entry, h: &mut Html) {
    let time: chrono::DateTime<chrono::Utc> = e.time.into();
    let (kind, words) = outcome_words(e);
    h.raw("<tr data-id=\"")
        .num(e.id)
        .raw("\" data-kind=\"")
        .text(kind)
        .raw("\" data-caller=\"")
        .text(e.caller().unwrap_or(""))
        .raw("\"><td><a href=\"/__sfstub/ui/traffic/")
        .num(e.id)
        .raw("\" aria-label=\"exchange ")
        .num(e.id)
        .raw("\">")
        .num(e.id)
        .raw("</a></td><td>")
        .text(&time.format("%H:%M:%S%.3f").to_string())
        .raw("</td><td>")
        .text(&caller_words(loaded, e))
        .raw("</td><td>")
        .text(e.service.unwrap_or("—"));
    if let Some(op) = &e.operation {
        h.raw("<br><small>").text(op).raw("</small>");
    } else {
        h.raw("<br><small>")
            .text(&format!("{} {}", e.method, crate::clip::clip(e.target())))
            .raw("</small>");
    }
    h.raw("</td><td><span class=\"badge ")
        .text(kind)
        .raw("\">")
        .text(kind)
        .raw("</span> ")
        .text(&crate::clip::clip_to(&words, 200))
        .raw("</td><td>");
    if e.findings().is_empty() {
        h.raw("—");
    } else {
        let codes: Vec<&str> = e.findings().iter().map(|f| f.code.as_str()).collect();
        h.raw("<span class=\"badge ")
            .text(if e.fails() { "fault" } else { "refused" })
            .raw("\">")
            .text(&format!("{} finding(s)", e.findings().len()))
            .raw("</span> ")
            .text(&codes.join(", "));
    }
    h.raw("</td></tr>");
}

/// Callers on the left, services on the right, a line for each pair that talked, as wide as
/// the number of calls.
fn picture(loaded: &Loaded, entries: &[std::sync::Arc<Entry>], h: &mut Html) {
    let mut pairs: BTreeMap<(String, String), u32> = BTreeMap::new();
    for e in entries {
        let caller = caller_words(loaded, e);
        let service = e.service.unwrap_or("(no service)").to_owned();
        *pairs.entry((caller, service)).or_default() += 1;
    }
    let mut callers: Vec<&str> = pairs.keys().map(|(c, _)| c.as_str()).collect();
    callers.dedup();
    let mut services: Vec<&str> = pairs.keys().map(|(_, s)| s.as_str()).collect();
    services.sort_unstable();
    services.dedup();
    let row_height = 34;
    let rows = callers.len().max(services.len());
    let height = rows * row_height + 16;
    let (left, right, width) = (8, 512, 880);
    let y = |i: usize| i * row_height + 8 + row_height / 2;
    let mut description = String::new();
    for ((c, s), n) in &pairs {
        let _ = write!(description, "{c} called {s} {n} time(s). ");
    }
    h.raw("<figure class=\"picture\"><svg id=\"callers-services\" role=\"img\" viewBox=\"0 0 ")
        .num(width as u64)
        .raw(" ")
        .num(height as u64)
        .raw("\" width=\"100%\" aria-label=\"")
        .text(&description)
        .raw("\"><title>")
        .text(&description)
        .raw("</title>");
    for ((c, s), n) in &pairs {
        let (Some(ci), Some(si)) = (
            callers.iter().position(|x| x == c),
            services.iter().position(|x| x == s),
        ) else {
            continue;
        };
        let stroke = 1 + (*n).min(12);
        h.raw("<line x1=\"")
            .num(352u64)
            .raw("\" y1=\"")
            .num(y(ci) as u64)
            .raw("\" x2=\"")
            .num(right as u64)
            .raw("\" y2=\"")
            .num(y(si) as u64)
            .raw("\" stroke-width=\"")
            .num(stroke)
            .raw("\" class=\"edge\"/><text class=\"count\" x=\"")
            .num(((352 + right) / 2) as u64)
            .raw("\" y=\"")
            .num(((y(ci) + y(si)) / 2 - 4) as u64)
            .raw("\">")
            .num(*n)
            .raw("</text>");
    }
    for (i, c) in callers.iter().enumerate() {
        h.raw("<rect class=\"node caller\" x=\"")
            .num(left as u64)
            .raw("\" y=\"")
            .num((y(i) - 13) as u64)
            .raw("\" width=\"344\" height=\"26\" rx=\"4\"/><text x=\"")
            .num((left + 8) as u64)
            .raw("\" y=\"")
            .num((y(i) + 5) as u64)
            .raw("\">")
            .text(&crate::clip::clip_to(c, 44))
            .raw("</text>");
    }
    for (i, s) in services.iter().enumerate() {
        h.raw("<rect class=\"node service\" x=\"")
            .num(right as u64)
            .raw("\" y=\"")
            .num((y(i) - 13) as u64)
            .raw("\" width=\"360\" height=\"26\" rx=\"4\"/><text x=\"")
            .num((right + 8) as u64)
            .raw("\" y=\"")
            .num((y(i) + 5) as u64)
            .raw("\">")
            .text(&crate::clip::clip_to(s, 46))
            .raw("</text>");
    }
    h.raw("</svg><figcaption>Callers (left) and the services they called (right) over the exchanges below; the number on a line counts the calls.</figcaption></figure>");
}

/// `GET /__sfstub/ui/traffic/{id}`: one exchange.
pub fn exchange(app: &App, loaded: &Loaded, id: &str) -> Response<Bytes> {
    let Some(entry) = id.parse::<u64>().ok().and_then(|id| app.journal.get(id)) else {
        let mut h = Html::new();
        h.raw("<h1>No such exchange</h1><p>The journal holds no exchange ")
            .text(&crate::clip::clip(id))
            .raw(" (never recorded, or dropped to keep the journal's bounds). <a href=\"/__sfstub/ui/traffic\">Back to the traffic</a>.</p>");
        return page(StatusCode::NOT_FOUND, "No such exchange", Nav::Traffic, &h);
    };
    let e = &entry;
    let time: chrono::DateTime<chrono::Utc> = e.time.into();
    let (kind, words) = outcome_words(e);
    let mut h = Html::new();
    h.raw("<h1>Exchange ")
        .num(e.id)
        .raw("</h1><p class=\"lead\"><a href=\"/__sfstub/ui/traffic\">Back to the traffic</a> · <a href=\"/__sfstub/journal/")
        .num(e.id)
        .raw("\">as JSON</a></p><dl class=\"facts\" id=\"exchange\" data-kind=\"")
        .text(kind)
        .raw("\">");
    let mut fact = |name: &'static str, value: &str| {
        h.raw("<dt>").text(name).raw("</dt><dd>").text(value).raw("</dd>");
    };
    fact("Time (UTC)", &time.to_rfc3339());
    fact("Request", &format!("{} {}", e.method, e.target()));
    fact("Service", e.service.unwrap_or("—"));
    fact("Operation", e.operation.as_deref().unwrap_or("—"));
    fact("Caller", &caller_words(loaded, e));
    fact("Security", &format!("{} mode", e.security.name()));
    if let Some(t) = &e.facts.token {
        fact(
            "Token",
            &format!(
                "CVR {}, {} ({})",
                t.cvr,
                t.subject,
                if t.verified { "verified" } else { "not verified" }
            ),
        );
    }
    if let Some(v) = &e.facts.verdict {
        fact(
            "Verdict",
            &match v {
                Verdict::Accepted { model } => format!("accepted ({model})"),
                Verdict::Anonymous => "anonymous".to_owned(),
                Verdict::Rejected { diagnosis } => format!("rejected: {diagnosis}"),
            },
        );
    }
    if let Some(cpr) = e.cpr() {
        fact("CPR asked about", cpr);
    }
    fact("Status", &e.status.to_string());
    fact("Outcome", &format!("{kind}: {words}"));
    if !e.codes().is_empty() {
        fact("Codes", &e.codes().join(", "));
    }
    if let Some(i) = e.injected() {
        fact("Fault rule", &format!("{}: {}", i.rule, i.text));
    }
    fact("Latency", &format!("{:.3} ms", e.latency().as_secs_f64() * 1000.0));
    h.raw("</dl><h2>Conformance</h2>");
    if e.findings().is_empty() {
        h.raw("<p>No findings.</p>");
    } else {
        h.raw("<ul class=\"findings\">");
        for f in e.findings() {
            h.raw("<li><span class=\"badge ")
                .text(if f.severity == crate::conformance::Severity::Error {
                    "fault"
                } else {
                    "refused"
                })
                .raw("\">")
                .text(f.severity.name())
                .raw("</span> <code>")
                .text(f.code.as_str())
                .raw("</code> ")
                .text(&f.message);
            if let Some(p) = &f.path {
                h.raw(" <small>(").text(p).raw(")</small>");
            }
            h.raw("</li>");
        }
        h.raw("</ul>");
    }
    for (name, body) in [("request", &e.request), ("response", &e.response)] {
        if body.truncated() {
            h.raw("<p>The ")
                .text(name)
                .raw(" was cut: the journal keeps its first ")
                .num(body.kept_len() as u64)
                .raw(" of ")
                .num(body.len as u64)
                .raw(" bytes.</p>");
        }
    }
    super::try_it::side_by_side(&e.request.bytes(), &e.response.bytes(), &mut h);
    page(StatusCode::OK, &format!("Exchange {}", e.id), Nav::Traffic, &h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_is_bounded() {
        assert_eq!(read_n(""), Ok(DEFAULT_N));
        assert_eq!(read_n("n=5"), Ok(5));
        assert!(read_n("n=0").is_err());
        assert!(read_n("n=501").is_err());
        assert!(read_n("n=%3Cb%3E").unwrap_err().contains("n:"));
    }
}
