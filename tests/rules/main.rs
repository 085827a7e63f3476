//! Property test of § 11 a: for random worlds and random requests, no response ever contains
//! a case the caller may not see.
//!
//! The oracle here is written from the law's table (PRODUCT.md §4), independently of the
//! service's own rule code, and it reads the wire response, not internal values.

use std::collections::HashMap;

use bytes::Bytes;
use chrono::{Months, NaiveDate};
use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use sfstub::app::{App, Limits};
use sfstub::scenario::Scenario;
use sfstub::world::{CaseStatus, Sector, World};

/// The rules must hold whatever day it is: every property runs at two clocks a year apart.
const CLOCKS: [&str; 2] = ["2026-11-22T12:00:00Z", "2027-11-22T12:00:00Z"];

/// The world's today: the date of its clock.
fn today(world: &World) -> NaiveDate {
    world.anchor
}

fn app(seed: u64, citizens: u32, clock: &str) -> App {
    let yaml = format!(
        "name: property\nseed: {seed}\nclock: {clock}\npopulation: {{ citizens: {citizens}, with_cases: 0.9 }}\nagreements: [{{ cvr: \"*\", services: [\"*\"] }}]\n"
    );
    App::new(
        Scenario::parse(&yaml, "property.yaml", None).unwrap(),
        Limits::default(),
    )
}

/// One random lookup, described by indexes into the world so proptest can shrink it.
#[derive(Debug, Clone)]
struct Lookup {
    caller: usize,
    citizen: usize,
    stk2: bool,
    consent_days_ago: i64,
    target: Option<usize>,
    exclude_benefit: Option<usize>,
}

fn lookup() -> impl Strategy<Value = Lookup> {
    (
        0usize..1000,
        0usize..1000,
        any::<bool>(),
        -3i64..400,
        proptest::option::of(0usize..1000),
        proptest::option::of(0usize..1000),
    )
        .prop_map(
            |(caller, citizen, stk2, consent_days_ago, target, exclude_benefit)| Lookup {
                caller,
                citizen,
                stk2,
                consent_days_ago,
                target,
                exclude_benefit,
            },
        )
}

fn request_xml(world: &World, l: &Lookup) -> (String, Option<String>) {
    let caller = &world.authorities[l.caller % world.authorities.len()];
    let citizen = &world.citizens[l.citizen % world.citizens.len()];
    let mut criteria = format!(
        "<k:PersonCPRNummer>{}</k:PersonCPRNummer><k:Hjemmel>{}</k:Hjemmel>",
        citizen.cpr,
        if l.stk2 { "UDBL_11A_STK2" } else { "UDBL_11A_STK1" }
    );
    if !l.stk2 {
        let consent = today(world) - chrono::Duration::days(l.consent_days_ago);
        criteria.push_str(&format!("<k:SamtykkeDato>{consent}</k:SamtykkeDato>"));
    }
    if let Some(t) = l.target {
        let target = &world.authorities[t % world.authorities.len()];
        criteria.push_str(&format!("<k:MyndighedCVRNummer>{}</k:MyndighedCVRNummer>", target.cvr));
    }
    let mut excluded = None;
    if let Some(b) = l.exclude_benefit {
        let key = world.classes.benefits[b % world.classes.benefits.len()].class.key;
        criteria.push_str(&format!("<k:AnsoegningYdelse>{key}</k:AnsoegningYdelse>"));
        excluded = Some(key.to_owned());
    }
    let xml = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:c="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1">
<c:HovedOplysninger><c:TransaktionsId>p</c:TransaktionsId><c:TransaktionsTid>2026-11-22T10:00:00Z</c:TransaktionsTid>
<c:AuthorityContext><c:MunicipalityCVR>{}</c:MunicipalityCVR></c:AuthorityContext></c:HovedOplysninger>
<k:KontrolsagSoegKriterie>{criteria}</k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></s:Body></s:Envelope>"#,
        caller.cvr
    );
    (xml, excluded)
}

/// What the response says about one case.
#[derive(Debug, Default)]
struct Shown {
    id: String,
    has_steps: bool,
    henlagt_dato: Option<String>,
    status: String,
}

/// The cases of a response and whether it reported a Fejl.
fn read_response(xml: &[u8]) -> (Vec<Shown>, bool) {
    let mut reader = Reader::from_reader(xml);
    let mut path: Vec<String> = Vec::new();
    let mut cases = Vec::new();
    let mut fejl = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).unwrap();
                match name.as_str() {
                    "Kontrolsag" => cases.push(Shown::default()),
                    "SagsskridtListe" => cases.last_mut().unwrap().has_steps = true,
                    "Fejl" => fejl = true,
                    _ => {}
                }
                path.push(name);
            }
            Event::Text(t) => {
                let text = t.decode().unwrap().trim().to_owned();
                match path.last().map(String::as_str) {
                    Some("KontrolsagIdentifikation") => cases.last_mut().unwrap().id = text,
                    Some("HenlagtDato") => cases.last_mut().unwrap().henlagt_dato = Some(text),
                    Some("KontrolsagStatus") => cases.last_mut().unwrap().status = text,
                    _ => {}
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (cases, fejl)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_response_contains_a_case_the_caller_may_not_see(
        seed in any::<u64>(),
        citizens in 20u32..200,
        clock in proptest::sample::select(CLOCKS.to_vec()),
        lookups in proptest::collection::vec(lookup(), 1..24),
    ) {
        let app = app(seed, citizens, clock);
        let world = &app.loaded().world;
        let by_id: HashMap<String, usize> =
            world.cases.iter().enumerate().map(|(i, c)| (c.id.to_string(), i)).collect();
        let window_start = today(world).checked_sub_months(Months::new(6)).unwrap();
        for l in &lookups {
            let (xml, excluded) = request_xml(world, l);
            let request = http::Request::post("/kontrolsaglistehent/1").body(Bytes::from(xml)).unwrap();
            let response = sfstub::http::handle(&app, request);
            prop_assert_eq!(response.status(), 200);
            let (shown, fejl) = read_response(response.body());
            let caller = &world.authorities[l.caller % world.authorities.len()];
            let target = l.target.map(|t| &world.authorities[t % world.authorities.len()]);
            if caller.sector == Sector::Atp {
                prop_assert!(fejl && shown.is_empty(), "ATP may not look up control cases");
            }
            if caller.sector == Sector::Kommune && target.is_some_and(|t| t.sector == Sector::Kommune) {
                prop_assert!(fejl && shown.is_empty(), "a municipality named a municipality as target");
            }
            if !l.stk2 && l.consent_days_ago < 0 {
                prop_assert!(fejl && shown.is_empty(), "consent dated in the future");
            }
            for s in &shown {
                let case = &world.cases[*by_id.get(&s.id).expect("every shown id is a case of the world")];
                let holder = world.authority(case.holder);
                let citizen = &world.citizens[l.citizen % world.citizens.len()];
                prop_assert_eq!(&world.citizens[case.citizen as usize].cpr, &citizen.cpr, "another citizen's case");
                match caller.sector {
                    Sector::Kommune => prop_assert_eq!(holder.sector, Sector::Udk, "a municipality saw a non-UDK case"),
                    Sector::Udk => {
                        prop_assert_eq!(holder.sector, Sector::Kommune, "UDK saw a non-municipal case");
                        if let Some(t) = target {
                            prop_assert_eq!(holder.cvr, t.cvr, "UDK named one municipality and saw another's");
                        }
                    }
                    Sector::Atp => prop_assert!(false, "ATP saw a case"),
                }
                prop_assert_ne!(case.status, CaseStatus::Afgjort, "a decided case was shown");
                if Some(world.classes.benefits[usize::from(case.benefit)].class.key.to_owned()) == excluded {
                    prop_assert!(false, "a case on the application's own benefit was shown");
                }
                if l.stk2 {
                    if case.status == CaseStatus::Henlagt {
                        let closed = case.closed.unwrap();
                        prop_assert!(closed >= window_start, "henlagt {closed}, before the six-month window");
                        prop_assert_eq!(s.henlagt_dato.clone(), Some(closed.to_string()));
                        prop_assert_eq!(s.status.as_str(), "HENLAGT");
                    }
                } else {
                    prop_assert_eq!(case.status, CaseStatus::Aaben, "stk. 1 showed a closed case");
                    prop_assert!(!s.has_steps, "stk. 1 showed case steps");
                    prop_assert!(s.henlagt_dato.is_none(), "stk. 1 showed a HenlagtDato");
                }
            }
        }
    }
}

/// The property above must also be able to see cases: over many lookups some are shown,
/// so it is not vacuously true.
#[test]
fn lookups_do_show_cases() {
    for clock in CLOCKS {
        lookups_show_cases_at(clock);
    }
}

fn lookups_show_cases_at(clock: &str) {
    let app = app(1472, 300, clock);
    let world = &app.loaded().world;
    let udk = world.authorities.iter().position(|a| a.sector == Sector::Udk).unwrap();
    let mut shown = 0;
    for citizen in 0..world.citizens.len() {
        let l = Lookup {
            caller: udk,
            citizen,
            stk2: true,
            consent_days_ago: 1,
            target: None,
            exclude_benefit: None,
        };
        let (xml, _) = request_xml(world, &l);
        let request = http::Request::post("/kontrolsaglistehent/1")
            .body(Bytes::from(xml))
            .unwrap();
        shown += read_response(sfstub::http::handle(&app, request).body()).0.len();
    }
    assert!(
        shown > 50,
        "only {shown} cases shown to UDK across 300 citizens at {clock}"
    );
}
