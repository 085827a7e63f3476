//! The demo face, in-process: `GET /` by `Accept`, the people pages, what each caller sees
//! (held against the service's own answers), Try it, the traffic view, access, and escaping of
//! everything a request can put on a page.

use bytes::Bytes;
use http::{Request, StatusCode, header};
use sfstub::admin::Access;
use sfstub::app::{App, Limits};
use sfstub::face::sees::{self, Ask};
use sfstub::scenario::Scenario;
use sfstub::security::SecurityMode;

const SOFIE: &str = "2208854626";
const AALBORG: &str = "29189420";
const AARHUS: &str = "55133018";
const UDK: &str = "14720006";
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn demo() -> App {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo-tre-myndigheder.yaml");
    App::new(
        Scenario::load(&path, None).expect("the demo scenario is valid"),
        Limits::default(),
    )
}

fn default_world() -> App {
    let clock = sfstub::scenario::parse_clock("2026-11-22T12:00:00Z").unwrap();
    let scenario = Scenario::parse(sfstub::scenario::DEFAULT_SCENARIO, "default", Some(clock)).unwrap();
    App::new(scenario, Limits::default())
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
    headers: http::HeaderMap,
}

fn send(app: &App, request: Request<Bytes>) -> Answer {
    let response = sfstub::http::handle(app, request);
    Answer {
        status: response.status(),
        content_type: response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        headers: response.headers().clone(),
        body: String::from_utf8(response.body().to_vec()).expect("UTF-8"),
    }
}

fn browse(app: &App, path: &str) -> Answer {
    send(
        app,
        Request::get(path)
            .header(header::ACCEPT, BROWSER)
            .body(Bytes::new())
            .unwrap(),
    )
}

fn post_form(app: &App, path: &str, form: &str) -> Answer {
    send(
        app,
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Bytes::from(form.to_owned()))
            .unwrap(),
    )
}

/// Every text between `open` and `close` in `xml`.
fn between(xml: &str, open: &str, close: &str) -> Vec<String> {
    xml.split(open)
        .skip(1)
        .filter_map(|s| s.find(close).map(|i| s[..i].to_owned()))
        .collect()
}

/// The case IDs and FejlIds the service answers to `ask` about `cpr`, over `http::handle`.
fn service_answer(app: &App, cpr: sfstub::world::Cpr, ask: &Ask) -> (Vec<String>, Vec<String>) {
    let namespace = app.loaded().scenario.sf1472.namespace.clone();
    let body = format!(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>{}</soap:Body></soap:Envelope>",
        ask.operation(cpr, &namespace, "face-test", "2026-11-22T12:00:00Z")
    );
    let answer = send(
        app,
        Request::post("/kontrolsaglistehent/1")
            .header(header::CONTENT_TYPE, "application/soap+xml; charset=utf-8")
            .body(Bytes::from(body))
            .unwrap(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    (
        between(
            &answer.body,
            "<KontrolsagIdentifikation>",
            "</KontrolsagIdentifikation>",
        ),
        between(&answer.body, "<kontekst:FejlId>", "</kontekst:FejlId>"),
    )
}

/// Holds every view of every citizen with cases (at most `limit`) to the service's answer.
fn views_match_the_service(app: &App, limit: usize) -> usize {
    let loaded = app.loaded();
    let world = &loaded.world;
    let today = world.clock.now().date_naive();
    let mut checked = 0;
    for (id, citizen) in world
        .citizens
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.cases.is_empty())
        .take(limit)
    {
        let views = sees::views(world, id as u32, today);
        assert!(views.len() >= 4, "{}: {} views", citizen.cpr, views.len());
        for view in views {
            let (cases, fejl) = service_answer(app, citizen.cpr, &view.ask);
            match &view.answer {
                Ok(selection) => {
                    let expected: Vec<String> = selection
                        .cases
                        .iter()
                        .map(|&k| world.cases[k as usize].id.to_string())
                        .collect();
                    assert_eq!((cases, fejl), (expected, vec![]), "{}: {}", citizen.cpr, view.label);
                }
                Err(expected) => {
                    let ids: Vec<String> = expected.iter().map(|f| f.id.to_string()).collect();
                    assert_eq!((cases, fejl), (vec![], ids), "{}: {}", citizen.cpr, view.label);
                }
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_view_of_the_demo_world_is_what_the_service_answers() {
    let checked = views_match_the_service(&demo(), usize::MAX);
    assert!(checked >= 5, "{checked} views checked");
}

#[test]
fn every_view_of_the_default_world_is_what_the_service_answers() {
    let checked = views_match_the_service(&default_world(), 60);
    assert!(checked >= 60 * 4, "{checked} views checked");
}

#[test]
fn sofie_as_each_caller_sees_her() {
    let app = demo();
    let loaded = app.loaded();
    let world = &loaded.world;
    let cpr = sfstub::world::Cpr::parse(SOFIE, true).unwrap();
    let id = world.citizen_id_by_cpr(cpr).unwrap();
    let views = sees::views(world, id, world.clock.now().date_naive());
    /// Caller, hjemmel, target, and the holders seen or the FejlIds.
    type Seen = (String, String, Option<String>, Result<Vec<String>, Vec<u32>>);
    let seen: Vec<Seen> = views
        .iter()
        .map(|v| {
            (
                v.ask.caller.to_string(),
                sees::hjemmel_code(v.ask.hjemmel).to_owned(),
                v.ask.target.map(|t| t.to_string()),
                v.answer
                    .as_ref()
                    .map(|s| {
                        s.cases
                            .iter()
                            .map(|&k| world.authority(world.cases[k as usize].holder).cvr.to_string())
                            .collect()
                    })
                    .map_err(|f| f.iter().map(|f| f.id).collect()),
            )
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        seen,
        vec![
            (s(UDK), s("UDBL_11A_STK1"), None, Ok(vec![s(AALBORG)])),
            (s(UDK), s("UDBL_11A_STK2"), None, Ok(vec![s(AALBORG), s(AARHUS)])),
            (s(AALBORG), s("UDBL_11A_STK2"), None, Ok(vec![s(UDK)])),
            (s(AARHUS), s("UDBL_11A_STK2"), None, Ok(vec![s(UDK)])),
            (s(AALBORG), s("UDBL_11A_STK2"), Some(s(AARHUS)), Err(vec![1006])),
        ]
    );
    let refusal = views[4].answer.as_ref().unwrap_err();
    assert!(refusal[0].tekst.contains("§ 11 a"), "{}", refusal[0].tekst);

    // The page shows the same, and the refusal's reason.
    let page = browse(&app, &format!("/__sfstub/ui/people/{SOFIE}"));
    assert_eq!(page.status, 200);
    for (caller, outcome) in [
        (UDK, "1 case(s)"),
        (UDK, "2 case(s)"),
        (AALBORG, "1 case(s)"),
        (AARHUS, "1 case(s)"),
        (AALBORG, "Fejl 1006"),
    ] {
        let needle = format!("data-caller=\"{caller}\"");
        assert!(
            page.body
                .split("<article class=\"view\" ")
                .any(|a| a.starts_with(&needle) && a.contains(&format!("data-outcome=\"{outcome}\""))),
            "{caller} {outcome}"
        );
    }
    assert!(
        page.body
            .contains("en kommune kan ikke søge i en anden kommunes kontrolsager")
    );
    // Her cases with their steps, and her CPR data as SF1520 answers it.
    assert!(
        page.body.contains("Børnetilskud") || page.body.contains("børnetilskud"),
        "benefit title"
    );
    assert!(page.body.contains("2026-09-20"), "the henlagt date");
    assert!(page.body.contains("persondata/navn/fornavn"), "the SF1520 fields");
    assert!(page.body.contains(">Sofie<"), "her first name from SF1520");
}

#[test]
fn curl_gets_the_text_index_and_a_browser_the_html_one() {
    let app = demo();
    let curl = send(
        &app,
        Request::get("/")
            .header(header::ACCEPT, "*/*")
            .body(Bytes::new())
            .unwrap(),
    );
    assert_eq!(curl.status, 200);
    assert!(curl.content_type.starts_with("text/plain"), "{}", curl.content_type);
    assert!(curl.body.starts_with("sfstub "), "{}", curl.body);
    let html = browse(&app, "/");
    assert_eq!(html.status, 200);
    assert!(html.content_type.starts_with("text/html"), "{}", html.content_type);
    let b = &html.body;
    assert!(b.starts_with("<!DOCTYPE html>"));
    assert!(b.contains("demo-tre-myndigheder"), "the scenario");
    assert!(b.contains("<dt>Seed</dt><dd>2208</dd>"), "the seed");
    assert!(b.contains("pinned at 2026-11-22T12:00:00+00:00"), "the clock");
    assert!(b.contains("<dt>Security mode</dt><dd>off</dd>"), "the mode");
    assert!(b.contains("/kontrolsaglistehent/1?wsdl"), "the WSDL link");
    assert!(
        b.contains("http://entityid.kombit.dk/service/kontrolsaglistehent/1"),
        "the entity ID"
    );
    assert!(b.contains("sfstub token --cvr"), "how to get a token");
    assert!(b.contains("href=\"/__sfstub/journal\""), "the admin API's links");
    // Every service of the running world is listed.
    for service in &app.loaded().services {
        assert!(b.contains(service.title()), "{}", service.title());
    }
    // Offline: nothing is fetched from elsewhere.
    for attr in ["src=\"http", "href=\"//", "src=\"//", "@import", "url(http"] {
        assert!(!b.contains(attr), "{attr}");
    }
    assert!(
        html.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
}

#[test]
fn the_assets_are_compiled_in_small_and_fetch_nothing_from_elsewhere() {
    let app = demo();
    let css = browse(&app, "/__sfstub/ui/assets/face.css");
    let js = browse(&app, "/__sfstub/ui/assets/face.js");
    assert_eq!((css.status, js.status), (StatusCode::OK, StatusCode::OK));
    assert!(css.content_type.starts_with("text/css"));
    assert!(js.content_type.starts_with("text/javascript"));
    let total = css.body.len() + js.body.len();
    assert!(total < 16 * 1024, "{total} bytes of assets");
    for text in [&css.body, &js.body] {
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "an outside address"
        );
    }
}

#[test]
fn search_finds_citizens_by_cpr_name_and_municipality() {
    let app = demo();
    for q in [
        "2208854626",
        "220885-4626",
        "Sofie+Lund",
        "sofie",
        "lund+aalborg",
        "0851",
    ] {
        let page = browse(&app, &format!("/__sfstub/ui/people?q={q}"));
        assert_eq!(page.status, 200, "{q}");
        assert!(
            page.body.contains("href=\"/__sfstub/ui/people/2208854626\""),
            "{q}: {}",
            page.body
        );
    }
    let none = browse(&app, "/__sfstub/ui/people?q=Nobody+Atall");
    assert!(none.body.contains("0 citizen(s) match"));
    assert!(!none.body.contains("<table id=\"people\""));
    // Without a query: the citizens with cases.
    let all = browse(&app, "/__sfstub/ui/people");
    let with_cases = app.loaded().world.citizens_with_cases();
    assert!(
        all.body.contains(&format!("{with_cases} of the world&#39;s")),
        "{}",
        all.body
    );
}

#[test]
fn hostile_input_is_escaped_on_every_page() {
    let app = demo();
    let script = "<script>alert(1)</script>";
    let raw_script = "<script>alert";
    // A search.
    let page = browse(&app, "/__sfstub/ui/people?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(raw_script), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // A quote that would close the attribute.
    let page = browse(
        &app,
        "/__sfstub/ui/people?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    );
    assert!(!page.body.contains("<img"), "{}", page.body);
    assert!(page.body.contains("&quot;&gt;&lt;img"));
    // Paths.
    for path in [
        "/__sfstub/ui/people/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/__sfstub/ui/people/<script>alert(1)</script>",
        "/__sfstub/ui/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/__sfstub/ui/traffic/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let Ok(request) = Request::get(path).header(header::ACCEPT, BROWSER).body(Bytes::new()) else {
            continue; // a URI http refuses cannot be sent either
        };
        let page = send(&app, request);
        assert!(page.status.is_client_error(), "{path}: {}", page.status);
        assert!(!page.body.contains(raw_script), "{path}: {}", page.body);
        assert!(page.content_type.starts_with("text/html"), "{path}");
    }
    // Try it with hostile fields: refused, the value escaped.
    let page = post_form(
        &app,
        &format!("/__sfstub/ui/people/{SOFIE}/try"),
        "caller=%3Cscript%3Ealert(1)%3C%2Fscript%3E&hjemmel=UDBL_11A_STK2",
    );
    assert_eq!(page.status, 400);
    assert!(page.body.contains("caller:"), "{}", page.body);
    assert!(!page.body.contains(raw_script));
    // A request whose path, SOAPAction and body carry markup: the traffic view and the
    // exchange page show it escaped.
    let hostile = send(
        &app,
        Request::post(format!("/kontrolsaglistehent/1?{}", "x=%3Cscript%3E"))
            .header(header::CONTENT_TYPE, "application/soap+xml")
            .header("SOAPAction", "\"><script>alert(1)</script>")
            .body(Bytes::from(format!(
                "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body><k:{0} xmlns:k=\"urn:x\">{script}</k:{0}></soap:Body></soap:Envelope>",
                "KontrolsagListeHent_I"
            )))
            .unwrap(),
    );
    assert!(hostile.status.is_client_error() || hostile.status.is_server_error() || hostile.status == 200);
    let traffic = browse(&app, "/__sfstub/ui/traffic");
    assert_eq!(traffic.status, 200);
    assert!(!traffic.body.contains(raw_script), "{}", traffic.body);
    let id = app.journal.stats().newest.unwrap();
    let exchange = browse(&app, &format!("/__sfstub/ui/traffic/{id}"));
    assert_eq!(exchange.status, 200);
    assert!(!exchange.body.contains(raw_script), "{}", exchange.body);
    assert!(
        exchange.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the body, escaped"
    );
}

#[test]
fn try_it_as_a_municipality_naming_another_is_refused_and_lands_in_the_journal() {
    let app = demo();
    let page = post_form(
        &app,
        &format!("/__sfstub/ui/people/{SOFIE}/try"),
        &format!("caller={AALBORG}&hjemmel=UDBL_11A_STK2&consent=2026-11-22&target={AARHUS}"),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-fejl=\"1006\""), "{}", page.body);
    assert!(page.body.contains("id=\"request-xml\""));
    // The request and the response, pretty-printed (one element per line) and escaped.
    assert!(
        page.body.contains("\n      &lt;k:KontrolsagSoegKriterie&gt;"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("&lt;kontekst:FejlId&gt;1006&lt;/kontekst:FejlId&gt;")
    );
    // The journal holds the exchange, as the service's endpoint recorded it.
    let entries = app
        .journal
        .select(&Default::default(), sfstub::journal::Order::Desc, 10)
        .entries;
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.caller(), Some(AALBORG));
    assert_eq!(e.service, Some("SF1472 KontrolsagListeHent"));
    assert_eq!(e.outcome, sfstub::journal::OutcomeKind::Refused);
    assert_eq!(e.codes(), ["1006".to_owned()]);
    assert!(
        e.findings().is_empty(),
        "Try it's request keeps the contract: {:?}",
        e.findings()
    );
    assert!(page.body.contains(&format!("href=\"/__sfstub/ui/traffic/{}\"", e.id)));
    // And the traffic view shows it: caller by name and CVR, the refusal.
    let traffic = browse(&app, "/__sfstub/ui/traffic");
    assert!(traffic.body.contains("Aalborg Kommune (29189420)"), "{}", traffic.body);
    assert!(traffic.body.contains("data-kind=\"refused\""));
    assert!(traffic.body.contains("Fejl 1006"));
    assert!(traffic.body.contains("<svg id=\"callers-services\""));
    assert!(
        traffic
            .body
            .contains("Aalborg Kommune (29189420) called SF1472 KontrolsagListeHent 1 time(s).")
    );
}

#[test]
fn try_it_with_consent_shows_what_udk_sees() {
    let app = demo();
    let page = post_form(
        &app,
        &format!("/__sfstub/ui/people/{SOFIE}/try"),
        &format!("caller={UDK}&hjemmel=UDBL_11A_STK1&consent=2026-11-01&target="),
    );
    assert_eq!(page.status, 200);
    assert!(page.body.contains("1 case(s) returned"), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;k:SamtykkeDato&gt;2026-11-01&lt;/k:SamtykkeDato&gt;")
    );
}

#[test]
fn try_it_in_token_mode_sends_a_signed_request_with_a_token_from_the_sts() {
    let mut app = demo();
    app.security.mode = SecurityMode::Token;
    let page = post_form(
        &app,
        &format!("/__sfstub/ui/people/{SOFIE}/try"),
        &format!("caller={UDK}&hjemmel=UDBL_11A_STK2&target="),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("2 case(s) returned"), "{}", page.body);
    assert!(page.body.contains("saml:Assertion") || page.body.contains("Assertion"));
    let e = app
        .journal
        .select(&Default::default(), sfstub::journal::Order::Desc, 1)
        .entries[0]
        .clone();
    assert_eq!(e.facts.token.as_ref().map(|t| t.cvr.as_str()), Some(UDK));
}

#[test]
fn the_face_follows_the_admin_api_access() {
    let mut app = demo();
    app.admin = Access::Off;
    let page = browse(&app, "/__sfstub/ui/people");
    assert_eq!(page.status, 404);
    assert!(page.content_type.starts_with("text/plain"), "no face with --admin off");
    // The index still answers, saying so.
    assert!(browse(&app, "/").body.contains("The admin API is off"));

    app.admin = Access::Locked("0.0.0.0:8080".parse().unwrap());
    let page = browse(&app, "/__sfstub/ui/traffic");
    assert_eq!(page.status, 401);
    assert!(page.body.contains("--admin-token"), "{}", page.body);

    app.admin = Access::decide(
        sfstub::admin::AdminFlag::Auto,
        Some("s3cret"),
        "0.0.0.0:8080".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(browse(&app, "/__sfstub/ui/people").status, 401);
    let with_token = send(
        &app,
        Request::get("/__sfstub/ui/people")
            .header(header::AUTHORIZATION, "Bearer s3cret")
            .body(Bytes::new())
            .unwrap(),
    );
    assert_eq!(with_token.status, 200);
}

#[test]
fn the_traffic_view_counts_callers_and_the_exchange_page_shows_both_bodies() {
    let app = demo();
    for caller in [AALBORG, AALBORG, UDK] {
        post_form(
            &app,
            &format!("/__sfstub/ui/people/{SOFIE}/try"),
            &format!("caller={caller}&hjemmel=UDBL_11A_STK2"),
        );
    }
    let live = browse(&app, "/__sfstub/ui/traffic/live?n=10");
    assert_eq!(live.status, 200);
    assert!(
        live.body.starts_with("<div id=\"live\" data-newest=\"3\""),
        "{}",
        live.body
    );
    assert!(
        live.body
            .contains("Aalborg Kommune (29189420) called SF1472 KontrolsagListeHent 2 time(s).")
    );
    assert!(
        live.body
            .contains("Udbetaling Danmark (14720006) called SF1472 KontrolsagListeHent 1 time(s).")
    );
    // n bounds the view.
    let one = browse(&app, "/__sfstub/ui/traffic/live?n=1");
    assert_eq!(one.body.matches("<tr data-id=").count(), 1);
    assert_eq!(browse(&app, "/__sfstub/ui/traffic?n=0").status, 400);
    let page = browse(&app, "/__sfstub/ui/traffic/3");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Udbetaling Danmark (14720006)"));
    assert!(page.body.contains("id=\"request-xml\"") && page.body.contains("id=\"response-xml\""));
    assert!(page.body.contains("&lt;KontrolsagListeHent_O"));
    assert_eq!(browse(&app, "/__sfstub/ui/traffic/999").status, 404);
}

#[test]
fn a_citizen_that_does_not_exist_is_a_page_saying_so() {
    let app = demo();
    let page = browse(&app, "/__sfstub/ui/people/0101010000");
    assert!(page.status == 404 || page.status == 400, "{}", page.status);
    let page = browse(&app, "/__sfstub/ui/people/12");
    assert_eq!(page.status, 400);
    assert!(page.body.contains("is not a CPR number"));
}

#[test]
fn try_it_in_strict_mode_is_answered_too() {
    let mut app = demo();
    app.security.mode = SecurityMode::Strict;
    let page = post_form(
        &app,
        &format!("/__sfstub/ui/people/{SOFIE}/try"),
        &format!("caller={AALBORG}&hjemmel=UDBL_11A_STK2&target={AARHUS}"),
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-fejl=\"1006\""), "{}", page.body);
}

#[test]
fn the_traffic_view_names_refused_tokens_and_conformance_findings() {
    let mut app = demo();
    app.security.mode = SecurityMode::Token;
    let request = |action: &str| {
        Request::post("/kontrolsaglistehent/1")
            .header(
                header::CONTENT_TYPE,
                format!("application/soap+xml; charset=utf-8; action=\"{action}\""),
            )
            .body(Bytes::from(format!(
                "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>{}</soap:Body></soap:Envelope>",
                Ask {
                    caller: sfstub::world::Cvr::parse(AALBORG).unwrap(),
                    hjemmel: sfstub::services::sf1472_kontrolsag::Hjemmel::Stk2,
                    consent: None,
                    target: None,
                }
                .operation(
                    sfstub::world::Cpr::parse(SOFIE, true).unwrap(),
                    "http://www.kombit.dk/int/2022/01/01/",
                    "t",
                    "2026-11-22T12:00:00Z"
                )
            )))
            .unwrap()
    };
    // No token in token mode: refused by the security layer, with a wrong SOAP action too.
    send(&app, request("urn:wrong-action"));
    let traffic = browse(&app, "/__sfstub/ui/traffic");
    let row = traffic.body.split("<tr data-id=").nth(1).expect("a row");
    assert!(row.contains("data-kind=\"refused-token\""), "{row}");
    assert!(row.contains("refused token:"), "{row}");
    assert!(row.contains("SOAP_ACTION"), "the finding is named: {row}");
    assert!(row.contains("finding(s)"), "{row}");
}

#[test]
fn the_banner_points_a_browser_at_the_page() {
    let mut app = demo();
    let banner = sfstub::banner(&app, "http://127.0.0.1:8080");
    assert!(
        banner.contains(
            "  in a browser: http://127.0.0.1:8080/ (the citizens, what each caller sees, Try it, the traffic)\n"
        ),
        "{banner}"
    );
    app.admin = Access::Off;
    let banner = sfstub::banner(&app, "http://127.0.0.1:8080");
    assert!(
        banner.contains("--admin off hides the citizens, Try it and the traffic"),
        "{banner}"
    );
}
