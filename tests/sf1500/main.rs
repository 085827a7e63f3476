//! SF1500 Organisation v6: `laes`, `soeg` and `list` on Virksomhed, Organisation and
//! OrganisationEnhed, as a client generated from KOMBIT's v6 WSDLs calls them. Every response a
//! [`helpers::Session`] receives is validated against the published XSDs in
//! `../shared/contracts/sf1500-organisation-v6` when the test ends.

mod errors;
mod helpers;
mod schema;
mod security;
#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;
#[path = "../support/xmllint.rs"]
mod xmllint;

use helpers::*;
use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;
use sfstub::world::Sector;

pub const ZERO: &str = "00000000-0000-0000-0000-000000000000";

/// The Virksomhed UUID `soeg` finds for a CVR number (exactly one).
fn find_virksomhed(s: &Session, cvr: &str) -> String {
    let reply = s.call(
        Objekt::Virksomhed,
        &soeg(
            Objekt::Virksomhed,
            "",
            &format!("<sts:CVR-NummerTekst>{cvr}</sts:CVR-NummerTekst>"),
            "",
        ),
    );
    assert_eq!(reply.status_kode(), 20, "{}", reply.xml);
    assert_eq!(reply.fejlbesked(), "OK");
    let ids = reply.ids();
    assert_eq!(ids.len(), 1, "CVR {cvr}: {}", reply.xml);
    ids[0].clone()
}

#[test]
fn every_authority_of_the_world_is_a_virksomhed_found_by_its_cvr() {
    let s = Session::new(SecurityMode::Off);
    let world = &s.app.loaded().world;
    assert_eq!(world.authorities.len(), 100);
    for authority in &world.authorities {
        let cvr = authority.cvr.to_string();
        let uuid = find_virksomhed(&s, &cvr);
        assert_eq!(uuid, virksomhed_uuid(authority.cvr).to_string());
        let reply = s.call(Objekt::Virksomhed, &laes(Objekt::Virksomhed, &uuid, ""));
        assert_eq!(reply.status_kode(), 20);
        let snapshot = reply.snapshot(Objekt::Virksomhed);
        assert_eq!(snapshot.uuid(), uuid);
        assert_eq!(snapshot.field(STS_NS, "CVR-NummerTekst"), Some(cvr));
        assert_eq!(
            snapshot.field(STS_NS, "NavnTekst").as_deref(),
            Some(authority.name.as_str())
        );
    }
    assert_eq!(s.responses(), 200);
}

#[test]
fn every_holder_cvr_in_sf1472_responses_resolves_to_the_same_name() {
    let s = Session::new(SecurityMode::Off);
    let world = &s.app.loaded().world;
    // UDK sees the municipalities' cases of every citizen; Københavns Kommune sees UDK's.
    let mut holders = std::collections::BTreeMap::new();
    for (caller, citizen) in world
        .citizens
        .iter()
        .filter(|c| !c.cases.is_empty())
        .map(|c| (UDK, c))
        .chain(
            world
                .citizens
                .iter()
                .filter(|c| !c.cases.is_empty())
                .take(20)
                .map(|c| (KOEBENHAVN, c)),
        )
    {
        let request = sf1472_request(caller, &citizen.cpr.to_string());
        let reply = s.post("/kontrolsaglistehent/1", &request);
        assert_eq!(reply.status, 200, "{}", reply.xml);
        for holder in reply.tree.descendants(reply.tree.root()) {
            if reply.tree.element(holder).local_name() != "AnsvarligMyndighed" {
                continue;
            }
            let field = |name: &str| {
                reply
                    .tree
                    .child_elements(holder)
                    .find(|&c| reply.tree.element(c).local_name() == name)
                    .map(|c| reply.tree.text(c))
                    .unwrap()
            };
            holders.insert(field("MyndighedCVRNummer"), field("MyndighedNavn"));
        }
    }
    assert!(
        holders.len() > 20,
        "the SF1472 responses name {} holders",
        holders.len()
    );
    assert!(holders.contains_key(UDK));
    for (cvr, name) in &holders {
        let virksomhed = find_virksomhed(&s, cvr);
        let reply = s.call(Objekt::Virksomhed, &laes(Objekt::Virksomhed, &virksomhed, ""));
        assert_eq!(
            reply.snapshot(Objekt::Virksomhed).field(STS_NS, "NavnTekst").as_ref(),
            Some(name)
        );
        let reply = s.call(
            Objekt::Organisation,
            &soeg(Objekt::Organisation, "", "", &relation("Virksomhed", &virksomhed)),
        );
        assert_eq!(reply.ids().len(), 1, "CVR {cvr} has one Organisation");
    }
}

fn sf1472_request(caller: &str, cpr: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body><k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t-1</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>{caller}</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>{cpr}</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#
    )
}

#[test]
fn organisation_is_found_by_its_virksomhed_and_read_with_its_name() {
    let s = Session::new(SecurityMode::Off);
    let virksomhed = find_virksomhed(&s, AALBORG);
    let reply = s.call(
        Objekt::Organisation,
        &soeg(
            Objekt::Organisation,
            "",
            "",
            &relation("Virksomhed", &virksomhed.to_uppercase()),
        ),
    );
    assert_eq!(reply.ids(), vec![organisation_uuid(cvr(AALBORG)).to_string()]);
    let reply = s.call(Objekt::Organisation, &laes(Objekt::Organisation, &reply.ids()[0], ""));
    let org = reply.snapshot(Objekt::Organisation);
    assert_eq!(
        org.field(SAGDOK_NS, "OrganisationNavn").as_deref(),
        Some("Aalborg Kommune")
    );
    assert_eq!(org.relation("Virksomhed"), vec![virksomhed]);
    assert_eq!(
        org.field("http://stoettesystemerne.dk/organisation/6/", "GyldighedStatusKode")
            .as_deref(),
        Some("Aktiv")
    );
    // By name too, with a wildcard.
    let reply = s.call(
        Objekt::Organisation,
        &soeg(
            Objekt::Organisation,
            "",
            "<sd:OrganisationNavn>aalborg%</sd:OrganisationNavn>",
            "",
        ),
    );
    assert_eq!(reply.ids(), vec![organisation_uuid(cvr(AALBORG)).to_string()]);
}

#[test]
fn each_authority_has_a_root_a_control_and_a_citizen_service_unit() {
    let s = Session::new(SecurityMode::Off);
    for (authority, kontrol, prefix) in [(AALBORG, "Kontrolgruppen", "0851"), (UDK, "Kontrol", "UDK")] {
        let org = organisation_uuid(cvr(authority)).to_string();
        let found = s.call(
            Objekt::OrganisationEnhed,
            &soeg(Objekt::OrganisationEnhed, "", "", &relation("Tilhoerer", &org)),
        );
        let ids = found.ids();
        assert_eq!(ids.len(), 3, "{}", found.xml);
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let reply = s.call(Objekt::OrganisationEnhed, &list(Objekt::OrganisationEnhed, &refs));
        assert_eq!(reply.status_kode(), 20);
        let units = reply.snapshots(Objekt::OrganisationEnhed);
        let names: Vec<String> = units.iter().map(|u| u.field(SAGDOK_NS, "EnhedNavn").unwrap()).collect();
        let world_name = s
            .app
            .loaded()
            .world
            .authorities
            .iter()
            .find(|a| a.cvr == cvr(authority))
            .unwrap()
            .name
            .clone();
        assert_eq!(
            names,
            vec![world_name.clone(), kontrol.to_owned(), "Borgerservice".to_owned()]
        );
        let keys: Vec<String> = units
            .iter()
            .map(|u| u.field(SAGDOK_NS, "BrugervendtNoegleTekst").unwrap())
            .collect();
        assert_eq!(
            keys,
            ["ROD", "KONTROL", "BORGERSERVICE"].map(|k| format!("{prefix}-{k}"))
        );
        let root = enhed_uuid(cvr(authority), Enhed::Rod).to_string();
        assert_eq!(units[0].uuid(), root);
        assert!(
            units[0].relation("Overordnet").is_empty(),
            "the root has no overordnet unit"
        );
        assert_eq!(units[1].uuid(), enhed_uuid(cvr(authority), Enhed::Kontrol).to_string());
        for unit in &units {
            assert_eq!(unit.relation("Tilhoerer"), vec![org.clone()]);
        }
        for unit in &units[1..] {
            assert_eq!(unit.relation("Overordnet"), vec![root.clone()]);
        }
        // The units under the root, by the Overordnet relation.
        let under = s.call(
            Objekt::OrganisationEnhed,
            &soeg(Objekt::OrganisationEnhed, "", "", &relation("Overordnet", &root)),
        );
        assert_eq!(under.ids(), ids[1..].to_vec());
    }
}

#[test]
fn units_are_searched_by_name_with_paging() {
    let s = Session::new(SecurityMode::Off);
    let kontrol = "<sd:EnhedNavn>KONTROL%</sd:EnhedNavn>";
    let all = s.call(
        Objekt::OrganisationEnhed,
        &soeg(Objekt::OrganisationEnhed, "", kontrol, ""),
    );
    // Kontrolgruppen in 98 municipalities, Kontrol at UDK and ATP.
    assert_eq!(all.ids().len(), 100);
    let page = s.call(
        Objekt::OrganisationEnhed,
        &soeg(
            Objekt::OrganisationEnhed,
            "<sd:FoersteResultatReference>95</sd:FoersteResultatReference><sd:MaksimalAntalKvantitet>10</sd:MaksimalAntalKvantitet>",
            kontrol,
            "",
        ),
    );
    assert_eq!(page.ids(), all.ids()[95..].to_vec());
    let exact = s.call(
        Objekt::OrganisationEnhed,
        &soeg(
            Objekt::OrganisationEnhed,
            "",
            "<sd:EnhedNavn>Kontrol</sd:EnhedNavn>",
            "",
        ),
    );
    let sectors: Vec<Sector> = exact
        .ids()
        .iter()
        .map(|id| {
            let world = &s.app.loaded().world;
            let a = world
                .authorities
                .iter()
                .find(|a| enhed_uuid(a.cvr, Enhed::Kontrol).to_string() == *id);
            a.expect("a Kontrol unit of an authority").sector
        })
        .collect();
    assert_eq!(sectors, vec![Sector::Udk, Sector::Atp]);
}

#[test]
fn a_search_on_a_field_sfstub_does_not_have_finds_nothing() {
    let s = Session::new(SecurityMode::Off);
    let reply = s.call(
        Objekt::Virksomhed,
        &soeg(
            Objekt::Virksomhed,
            "",
            "<sts:SE-NummerTekst>29189420</sts:SE-NummerTekst>",
            "",
        ),
    );
    assert_eq!(reply.status_kode(), 20);
    assert!(reply.ids().is_empty());
    let reply = s.call(
        Objekt::Virksomhed,
        &soeg(
            Objekt::Virksomhed,
            "",
            "<sts:CVR-NummerTekst>12345674</sts:CVR-NummerTekst>",
            "",
        ),
    );
    assert!(reply.ids().is_empty(), "an unknown CVR finds nothing");
}

#[test]
fn list_returns_what_it_finds_and_names_what_it_does_not() {
    let s = Session::new(SecurityMode::Off);
    let aalborg = virksomhed_uuid(cvr(AALBORG)).to_string();
    let udk = virksomhed_uuid(cvr(UDK)).to_string();
    let reply = s.call(
        Objekt::Virksomhed,
        &list(Objekt::Virksomhed, &[&udk, ZERO, &aalborg, &udk]),
    );
    assert_eq!(reply.status_kode(), 20);
    assert_eq!(reply.fejlbesked(), format!("OK; ikke fundet: {ZERO}"));
    let uuids: Vec<String> = reply.snapshots(Objekt::Virksomhed).iter().map(|s| s.uuid()).collect();
    assert_eq!(uuids, vec![udk, aalborg], "in request order, once each");
    let reply = s.call(Objekt::Virksomhed, &list(Objekt::Virksomhed, &[ZERO]));
    assert_eq!(reply.status_kode(), 44);
}

#[test]
fn filters_before_the_registration_or_the_virkning_empty_the_snapshot() {
    let s = Session::new(SecurityMode::Off);
    let v = Objekt::Virksomhed;
    let uuid = virksomhed_uuid(cvr(AALBORG)).to_string();
    let full = s.call(v, &laes(v, &uuid, &filter("VirkningTilFilter", "2026-11-22T12:00:00")));
    assert_eq!(
        full.snapshot(v).field(STS_NS, "CVR-NummerTekst").as_deref(),
        Some(AALBORG)
    );
    // Before the municipal reform (2007-01-01): registered, but nothing in effect.
    let before = s.call(
        v,
        &laes(v, &uuid, &filter("VirkningTilFilter", "2006-12-31T23:00:00+01:00")),
    );
    let snapshot = before.snapshot(v);
    assert!(snapshot.has_registrering());
    assert_eq!(snapshot.field(STS_NS, "CVR-NummerTekst"), None);
    // Registrations up to 2000: none.
    let reply = s.call(
        v,
        &laes(v, &uuid, &filter("RegistreringTilFilter", "2000-01-01T00:00:00Z")),
    );
    let snapshot = reply.snapshot(v);
    assert_eq!(snapshot.uuid(), uuid);
    assert!(!snapshot.has_registrering());
    // GraenseIndikator: open-ended.
    let open = "<sd:VirkningTilFilter><sd:GraenseIndikator>true</sd:GraenseIndikator></sd:VirkningTilFilter>";
    let reply = s.call(v, &laes(v, &uuid, open));
    assert_eq!(
        reply.snapshot(v).field(STS_NS, "NavnTekst").as_deref(),
        Some("Aalborg Kommune")
    );
}

#[test]
fn the_transaction_uuid_is_echoed_in_the_response_header() {
    let s = Session::new(SecurityMode::Off);
    let reply = s.call(Objekt::Virksomhed, &laes(Objekt::Virksomhed, ZERO, ""));
    assert_eq!(reply.transaction_uuid().as_deref(), Some(TRANSACTION));
    // Without a RequestHeader the call is answered, without a header.
    let reply = s.post(
        Objekt::Virksomhed.path(),
        &envelope(SoapVersion::V12, None, &laes(Objekt::Virksomhed, ZERO, "")),
    );
    assert_eq!(reply.status_kode(), 44);
    assert_eq!(reply.transaction_uuid(), None);
    assert!(!reply.xml.contains("Header"), "{}", reply.xml);
}

#[test]
fn soap_1_1_and_the_sts_soap_organisation_path_are_answered_too() {
    let s = Session::new(SecurityMode::Off);
    let v = Objekt::Virksomhed;
    let body = envelope(
        SoapVersion::V11,
        Some(&request_header(TRANSACTION)),
        &laes(v, &virksomhed_uuid(cvr(UDK)).to_string(), ""),
    );
    let reply = s.post("/sts-soap-organisation/v6_0_0_0/virksomhed", &body);
    assert_eq!(reply.status_kode(), 20);
    assert!(reply.xml.contains(SOAP11), "answered in SOAP 1.1");
    assert_eq!(
        reply.snapshot(v).field(STS_NS, "NavnTekst").as_deref(),
        Some("Udbetaling Danmark")
    );
    assert_eq!(reply.transaction_uuid().as_deref(), Some(TRANSACTION));
}

#[test]
fn uuids_are_the_same_in_every_scenario_and_registrations_follow_the_seed() {
    let other = scenario_with_seed(99);
    let a = Session::new(SecurityMode::Off);
    let b = Session::with(sfstub::app::App::new(other, sfstub::app::Limits::default()));
    let v = Objekt::Virksomhed;
    let uuid = find_virksomhed(&a, AALBORG);
    assert_eq!(find_virksomhed(&b, AALBORG), uuid);
    let time = |s: &Session| {
        s.call(v, &laes(v, &uuid, ""))
            .snapshot(v)
            .field(SAGDOK_NS, "Tidspunkt")
            .unwrap()
    };
    assert_eq!(time(&a), time(&a));
    assert_ne!(time(&a), time(&b));
}

fn scenario_with_seed(seed: u64) -> sfstub::scenario::Scenario {
    let yaml = sfstub::scenario::DEFAULT_SCENARIO.replace("seed: 1472", &format!("seed: {seed}"));
    let clock = sfstub::scenario::parse_clock(CLOCK).unwrap();
    sfstub::scenario::Scenario::parse(&yaml, "seed.yaml", Some(clock)).unwrap()
}

#[test]
fn wsdl_serves_the_shipped_contract_or_the_vendors_copy() {
    let mut app = app(SecurityMode::Off);
    let get = |app: &sfstub::app::App, uri: &str| {
        let request = http::Request::get(uri)
            .header("Host", "sfstub.test:8080")
            .body(bytes::Bytes::new())
            .unwrap();
        let response = sfstub::http::handle(app, request);
        (
            response.status().as_u16(),
            String::from_utf8(response.body().to_vec()).unwrap(),
        )
    };
    let (status, text) = get(&app, "/organisation/virksomhed/6?wsdl");
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(r#"<soap12:address location="http://sfstub.test:8080/organisation/virksomhed/6"/>"#)
            && text.contains("?file=sf1500-organisation-v6/xsd/6.0.STS-0/VirksomhedOperationer.xsd"),
        "{text}"
    );
    app.contracts = Some(sfstub::contracts::ContractDir::open(&schema::contract_dir()).unwrap());
    let (status, wsdl) = get(&app, "/organisation/organisationenhed/6?wsdl");
    assert_eq!(status, 200, "{wsdl}");
    assert!(wsdl.contains("name=\"OrganisationEnhedService\""), "{wsdl}");
    assert!(
        wsdl.contains(r#"<soap12:address location="http://sfstub.test:8080/organisation/organisationenhed/6"/>"#),
        "{wsdl}"
    );
}

#[test]
fn registrations_are_the_same_at_every_clock() {
    let at = |clock: &str| {
        let clock = sfstub::scenario::parse_clock(clock).unwrap();
        let scenario =
            sfstub::scenario::Scenario::parse(sfstub::scenario::DEFAULT_SCENARIO, "default", Some(clock)).unwrap();
        Session::with(sfstub::app::App::new(scenario, sfstub::app::Limits::default()))
    };
    let (now, later) = (at(world::CLOCK), at("2027-12-02T12:00:00Z"));
    let uuids: Vec<String> = [AALBORG, UDK, KOEBENHAVN]
        .into_iter()
        .map(|c| virksomhed_uuid(cvr(c)).to_string())
        .collect();
    let uuids: Vec<&str> = uuids.iter().map(String::as_str).collect();
    let operation = list(Objekt::Virksomhed, &uuids);
    let (a, b) = (
        now.call(Objekt::Virksomhed, &operation),
        later.call(Objekt::Virksomhed, &operation),
    );
    assert_eq!(a.status_kode(), 20);
    assert!(
        a.xml.contains("RegistreringFra") || a.xml.contains("TidsstempelDatoTid"),
        "{}",
        a.xml
    );
    assert_eq!(a.xml, b.xml, "a registration never moves with the clock");
}
