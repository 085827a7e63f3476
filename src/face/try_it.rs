//! Try it: a real KontrolsagListeHent sent as a chosen caller and hjemmel through
//! [`crate::http::handle`] — the code path the endpoint answers on, journal and fault rules
//! included — and its request and response shown side by side. In `token` and `strict` mode
//! the request carries a token from sfstub's STS for the sample client and is signed the way
//! `sfstub token --envelope` signs it.

use bytes::Bytes;
use chrono::NaiveDate;
use http::{Response, StatusCode, header};

use super::html::Html;
use super::sees::{Ask, hjemmel_code};
use super::{Nav, page};
use crate::app::{App, Loaded};
use crate::journal::{Filter, Order};
use crate::security::SecurityMode;
use crate::services::sf1472_kontrolsag::{self as sf1472, Hjemmel};
use crate::soap::SoapVersion;
use crate::world::{CitizenId, Cpr, Cvr, Sector};

/// The Try it form for citizen `id`, with `chosen`'s values (else the citizen's own
/// municipality under stk. 2).
pub fn form(app: &App, loaded: &Loaded, id: CitizenId, chosen: Option<&Ask>, h: &mut Html) {
    let world = &loaded.world;
    let c = &world.citizens[id as usize];
    let today = world.clock.now().date_naive();
    let default = Ask {
        caller: world.authority(c.kommune).cvr,
        hjemmel: Hjemmel::Stk2,
        consent: None,
        target: None,
    };
    let ask = chosen.unwrap_or(&default);
    h.raw("<section id=\"try\" aria-labelledby=\"try-h\"><h2 id=\"try-h\">Try it</h2><p>Sends a real KontrolsagListeHent for this citizen to ")
        .text(sf1472::PATHS[0])
        .raw(" and shows what went over the wire")
        .text(match app.security.mode {
            SecurityMode::Off => " (security off: the caller names itself in AuthorityContext).",
            _ => " (with a token from sfstub's STS for the sample client, signed).",
        })
        .raw("</p><form method=\"post\" action=\"")
        .text(&format!("{}/try", super::people::href(c.cpr)))
        .raw("\" class=\"try\"><div class=\"field\"><label for=\"try-caller\">Caller</label><select id=\"try-caller\" name=\"caller\">");
    authority_options(loaded, Some(ask.caller), h);
    h.raw("</select></div><fieldset class=\"field\"><legend>Hjemmel</legend>");
    for (hjemmel, words) in [
        (Hjemmel::Stk2, "stk. 2, without consent"),
        (Hjemmel::Stk1, "stk. 1, with consent"),
    ] {
        let code = hjemmel_code(hjemmel);
        h.raw("<label><input type=\"radio\" name=\"hjemmel\" value=\"")
            .text(code)
            .raw("\" id=\"try-")
            .text(code)
            .raw("\"");
        if ask.hjemmel == hjemmel {
            h.raw(" checked");
        }
        h.raw("> ").text(code).raw(" (").text(words).raw(")</label> ");
    }
    h.raw("</fieldset><div class=\"field\"><label for=\"try-consent\">SamtykkeDato (stk. 1 only)</label><input type=\"date\" id=\"try-consent\" name=\"consent\" value=\"")
        .text(&ask.consent.unwrap_or(today).to_string())
        .raw("\"></div><div class=\"field\"><label for=\"try-target\">MyndighedCVRNummer (optional)</label><select id=\"try-target\" name=\"target\"><option value=\"\">— none —</option>");
    authority_options(loaded, ask.target, h);
    h.raw("</select></div><button type=\"submit\" id=\"try-send\">Send KontrolsagListeHent</button></form></section>");
}

/// `<option>`s for UDK, ATP and the municipalities (by name), `selected` marked.
fn authority_options(loaded: &Loaded, selected: Option<Cvr>, h: &mut Html) {
    let world = &loaded.world;
    let mut all: Vec<_> = world.authorities.iter().collect();
    all.sort_by_key(|a| (a.sector != Sector::Udk, a.sector != Sector::Atp, a.name.clone()));
    for a in all {
        h.raw("<option value=\"").text(&a.cvr.to_string()).raw("\"");
        if Some(a.cvr) == selected {
            h.raw(" selected");
        }
        h.raw(">").text(&format!("{} ({})", a.name, a.cvr)).raw("</option>");
    }
}

/// The form's fields, read and checked: a bad one is an error naming it.
pub fn read_form(body: &[u8]) -> Result<Ask, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the form is not UTF-8".to_owned())?;
    let mut caller = None;
    let mut hjemmel = None;
    let mut consent = None;
    let mut target = None;
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = crate::admin::percent_decode(value)
            .ok_or_else(|| format!("{}: not well percent-encoded UTF-8", crate::clip::clip(name)))?;
        let value = value.trim();
        match name {
            "caller" => {
                caller = Some(
                    Cvr::parse(value)
                        .map_err(|e| format!("caller: {:?} is not a CVR number: {e}", crate::clip::clip(value)))?,
                )
            }
            "hjemmel" => {
                hjemmel = Some(match value {
                    "UDBL_11A_STK1" => Hjemmel::Stk1,
                    "UDBL_11A_STK2" => Hjemmel::Stk2,
                    other => {
                        return Err(format!(
                            "hjemmel: {:?} is neither UDBL_11A_STK1 nor UDBL_11A_STK2",
                            crate::clip::clip(other)
                        ));
                    }
                })
            }
            "consent" if value.is_empty() => {}
            "consent" => {
                consent = Some(
                    NaiveDate::parse_from_str(value, "%Y-%m-%d")
                        .map_err(|_| format!("consent: {:?} is not a date (YYYY-MM-DD)", crate::clip::clip(value)))?,
                )
            }
            "target" if value.is_empty() => {}
            "target" => {
                target = Some(
                    Cvr::parse(value)
                        .map_err(|e| format!("target: {:?} is not a CVR number: {e}", crate::clip::clip(value)))?,
                )
            }
            other => return Err(format!("the form has no field {:?}", crate::clip::clip(other))),
        }
    }
    let caller = caller.ok_or("caller: missing")?;
    let hjemmel = hjemmel.ok_or("hjemmel: missing")?;
    Ok(Ask {
        caller,
        hjemmel,
        consent: consent.filter(|_| hjemmel == Hjemmel::Stk1),
        target,
    })
}

/// The envelope Try it sends: plain SOAP 1.2 with `security` off, else a token-model request
/// signed by the sample client's key. `Err` when the STS refuses the token.
pub fn envelope(app: &App, loaded: &Loaded, cpr: Cpr, ask: &Ask, transaktions_id: &str) -> Result<String, String> {
    let namespace = &loaded.scenario.sf1472.namespace;
    crate::http::with_trace(app, loaded, &crate::journal::Trace::default(), |ctx| {
        let operation = ask.operation(cpr, namespace, transaktions_id, &ctx.now.to_rfc3339());
        if app.security.mode == SecurityMode::Off {
            return Ok(format!(
                "<soap:Envelope xmlns:soap=\"{}\"><soap:Body>{operation}</soap:Body></soap:Envelope>",
                SoapVersion::V12.namespace()
            ));
        }
        let client = &app.keys.client;
        let audiences = loaded.audiences();
        let issuer = crate::services::sf1514_sts::Issuer {
            ctx,
            audiences: &audiences,
        };
        let issued = issuer
            .issue(sf1472::ENTITY_ID, ask.caller, &client.cert_der, client.info())
            .map_err(|e| {
                format!(
                    "the STS refuses a token for CVR {}: {}: {}",
                    ask.caller, e.code, e.reason
                )
            })?;
        let message_id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
        let request = crate::security::wss::ClientRequest {
            version: SoapVersion::V12,
            action: &action(namespace),
            to: &format!("http://127.0.0.1{}", sf1472::PATHS[0]),
            body: &operation,
            assertion: &issued.assertion,
            assertion_id: &issued.assertion_id,
            key: &client.key,
            now: ctx.guard.now(),
            message_id: &message_id,
            header: None,
        };
        crate::security::wss::signed_request(&request).map_err(|e| format!("cannot sign the request: {e}"))
    })
}

/// The SOAP action of KontrolsagListeHent in `namespace`.
fn action(namespace: &str) -> String {
    format!("{namespace}KontrolsagListeHentService#KontrolsagListeHent")
}

/// What Try it sent and got.
pub struct Sent {
    pub request: String,
    pub status: StatusCode,
    pub response: Bytes,
    /// The exchange's journal entry, when the journal holds it.
    pub entry: Option<u64>,
}

/// Sends `ask` about `cpr` through [`crate::http::handle`].
pub fn send(app: &App, loaded: &Loaded, cpr: Cpr, ask: &Ask) -> Result<Sent, String> {
    let transaktions_id = uuid::Uuid::new_v4().to_string();
    let request = envelope(app, loaded, cpr, ask, &transaktions_id)?;
    let content_type = format!(
        "application/soap+xml; charset=utf-8; action=\"{}\"",
        action(&loaded.scenario.sf1472.namespace)
    );
    let http_request = http::Request::post(sf1472::PATHS[0])
        .header(header::CONTENT_TYPE, content_type)
        .header(header::HOST, "127.0.0.1")
        .body(Bytes::from(request.clone()))
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let response = crate::http::handle(app, http_request);
    // The exchange's entry: the newest one that carries this transaction's ID.
    let entry = app
        .journal
        .select(&Filter::default(), Order::Desc, 64)
        .entries
        .iter()
        .find(|e| {
            e.request
                .bytes()
                .windows(transaktions_id.len())
                .any(|w| w == transaktions_id.as_bytes())
        })
        .map(|e| e.id);
    Ok(Sent {
        request,
        status: response.status(),
        response: response.into_body(),
        entry,
    })
}

/// `POST /__sfstub/ui/people/{cpr}/try`: sends the form's question and shows the exchange.
pub fn post(app: &App, loaded: &Loaded, parts: &http::request::Parts, cpr: &str, body: &Bytes) -> Response<Bytes> {
    let id = match super::people::find(&loaded.world, cpr) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let form_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        return super::bad_request(
            "Try it",
            "Try it takes a form (Content-Type: application/x-www-form-urlencoded)",
            Nav::People,
        );
    }
    let ask = match read_form(body) {
        Ok(a) => a,
        Err(why) => return super::bad_request("Try it", &why, Nav::People),
    };
    let citizen = &loaded.world.citizens[id as usize];
    let mut h = Html::new();
    h.raw("<h1>Try it: ")
        .text(&citizen.name())
        .raw("</h1><p class=\"lead\"><a href=\"")
        .text(&super::people::href(citizen.cpr))
        .raw("\">Back to ")
        .text(&citizen.name())
        .raw("'s page</a></p>");
    match send(app, loaded, citizen.cpr, &ask) {
        Err(why) => {
            h.raw("<p class=\"error\" id=\"try-outcome\">").text(&why).raw("</p>");
        }
        Ok(sent) => exchange(loaded, &ask, &sent, &mut h),
    }
    let mut again = Html::new();
    form(app, loaded, id, Some(&ask), &mut again);
    h.html(&again);
    page(StatusCode::OK, "Try it", Nav::People, &h)
}

/// The outcome, read from the response, and the two bodies side by side.
fn exchange(loaded: &Loaded, ask: &Ask, sent: &Sent, h: &mut Html) {
    let caller = super::authority_name(loaded, &ask.caller.to_string()).unwrap_or("an unknown authority");
    let leaves = crate::soap::xml::leaf_texts(&sent.response).unwrap_or_default();
    let ends = |name: &str| {
        leaves
            .iter()
            .filter(|l| l.path.rsplit('/').next() == Some(name))
            .map(|l| l.text.to_owned())
            .collect::<Vec<_>>()
    };
    let fejl_ids = ends("FejlId");
    let fejl_texts = ends("FejlTekst");
    let cases = ends("KontrolsagIdentifikation");
    h.raw("<div id=\"try-outcome\" class=\"outcome-box\" data-status=\"")
        .num(sent.status.as_u16())
        .raw("\" data-fejl=\"")
        .text(&fejl_ids.join(","))
        .raw("\"><p><strong>")
        .text(&format!("{caller} ({})", ask.caller))
        .raw("</strong> asked under ")
        .text(hjemmel_code(ask.hjemmel));
    if let Some(t) = ask.target {
        let name = super::authority_name(loaded, &t.to_string()).unwrap_or("an unknown authority");
        h.raw(", naming ").text(&format!("{name} ({t})"));
    }
    h.raw(": HTTP ").num(sent.status.as_u16()).raw(", ");
    if !fejl_ids.is_empty() {
        h.raw("<span class=\"refused\">refused</span></p><ul>");
        for (i, id) in fejl_ids.iter().enumerate() {
            h.raw("<li><strong>Fejl ")
                .text(id)
                .raw("</strong>: ")
                .text(fejl_texts.get(i).map(String::as_str).unwrap_or(""))
                .raw("</li>");
        }
        h.raw("</ul>");
    } else if sent.status.is_success() {
        h.text(&format!("{} case(s) returned", cases.len())).raw("</p>");
    } else {
        let reason = leaves
            .iter()
            .find(|l| l.path.ends_with("Reason/Text") || l.path.ends_with("faultstring"))
            .map(|l| l.text)
            .unwrap_or("");
        h.raw("<span class=\"refused\">fault</span>: ").text(reason).raw("</p>");
    }
    if let Some(entry) = sent.entry {
        h.raw("<p>In the journal as <a href=\"/__sfstub/ui/traffic/")
            .num(entry)
            .raw("\">exchange ")
            .num(entry)
            .raw("</a> (see <a href=\"/__sfstub/ui/traffic\">Traffic</a>).</p>");
    }
    h.raw("</div>");
    side_by_side(sent.request.as_bytes(), &sent.response, h);
}

/// Request and response, pretty-printed, in two columns.
pub fn side_by_side(request: &[u8], response: &[u8], h: &mut Html) {
    h.raw("<div class=\"pair\"><section aria-labelledby=\"req-h\"><h2 id=\"req-h\">Request</h2><pre class=\"xml\" id=\"request-xml\" tabindex=\"0\"><code>")
        .text(&super::pretty::readable(request))
        .raw("</code></pre></section><section aria-labelledby=\"resp-h\"><h2 id=\"resp-h\">Response</h2><pre class=\"xml\" id=\"response-xml\" tabindex=\"0\"><code>")
        .text(&super::pretty::readable(response))
        .raw("</code></pre></section></div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_read_and_bad_fields_are_named() {
        let ask = read_form(b"caller=29189420&hjemmel=UDBL_11A_STK2&consent=2026-11-22&target=55133018").unwrap();
        assert_eq!(ask.caller.to_string(), "29189420");
        assert_eq!(ask.hjemmel, Hjemmel::Stk2);
        assert_eq!(ask.consent, None, "a consent date is sent under stk. 1 only");
        assert_eq!(ask.target.map(|t| t.to_string()).as_deref(), Some("55133018"));
        let ask = read_form(b"caller=14720006&hjemmel=UDBL_11A_STK1&consent=2026-11-01&target=").unwrap();
        assert_eq!(ask.consent.map(|d| d.to_string()).as_deref(), Some("2026-11-01"));
        assert_eq!(ask.target, None);
        for (body, field) in [
            (&b"caller=%3Cscript%3E&hjemmel=UDBL_11A_STK2"[..], "caller"),
            (b"caller=29189420&hjemmel=STK3", "hjemmel"),
            (b"caller=29189420&hjemmel=UDBL_11A_STK1&consent=yesterday", "consent"),
            (b"caller=29189420&hjemmel=UDBL_11A_STK2&target=x", "target"),
            (b"hjemmel=UDBL_11A_STK2", "caller"),
            (b"caller=29189420", "hjemmel"),
            (b"caller=29189420&hjemmel=UDBL_11A_STK2&evil=1", "evil"),
        ] {
            let err = read_form(body).unwrap_err();
            assert!(err.contains(field), "{field}: {err}");
        }
    }
}
