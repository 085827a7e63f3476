//! The shipped scenario `scenarios/indeks.yaml` binds SF1470 and SF1490 to the world:
//! `fremsoeg` for a citizen returns the citizen's control cases (SF1470) and the benefits of
//! those cases (SF1490 YdelseIndeks), with identifiers that resolve in the other services —
//! case UUIDs as SF1472 returns them, classes in SF1510, authorities in SF1500.

use std::path::Path;

use sfstub::scenario::{Scenario, parse_clock};
use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;
use sfstub::soap::xml::leaf_texts;
use sfstub::world::Cpr;

use crate::support::{CLOCK, app, post};

fn indeks() -> sfstub::app::App {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/indeks.yaml");
    let clock = parse_clock(CLOCK).unwrap();
    let mut scenario = Scenario::load(&file, Some(clock)).unwrap_or_else(|e| panic!("{e}"));
    scenario.security.clock = clock;
    assert_eq!(scenario.contracts.len(), 4);
    app(scenario, SecurityMode::Off)
}

/// The texts of the leaves at `path` (local names below the answer's element).
fn values(xml: &str, path: &str) -> Vec<String> {
    leaf_texts(xml.as_bytes())
        .unwrap()
        .iter()
        .filter(|l| l.path == path)
        .map(|l| l.text.to_owned())
        .collect()
}

fn sager(app: &sfstub::app::App, cpr: &str) -> String {
    let answer = post(
        app,
        "/sagdokumentindeks/6",
        SoapVersion::V12,
        Some("http://kombit.dk/sts/sagdokumentindeks/fremsoeg"),
        r#"<h:RequestHeader xmlns:h="http://kombit.dk/xml/schemas/RequestHeader/1/"><h:TransactionUUID>7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f</h:TransactionUUID></h:RequestHeader>"#,
        &format!(
            r#"<sdi:FremsoegSagDokumentIndeksInput xmlns:sdi="urn:oio:sts:sagdok:sagdokumentindeks:6" xmlns:sag="urn:oio:sts:sagdok:sag:6" xmlns:gd="urn:oio:sts:generelledefinitioner:6" xmlns:sd="urn:oio:sagdok:3.0.0"><sdi:SoegUdtryk><sdi:SoegSag><sag:AttributListe/><sag:TilstandListe/><sag:RelationListe><sag:Sagspart><gd:ReferenceID><sd:URNIdentifikator>urn:oio:cpr-nr:{cpr}</sd:URNIdentifikator></gd:ReferenceID></sag:Sagspart></sag:RelationListe></sdi:SoegSag></sdi:SoegUdtryk></sdi:FremsoegSagDokumentIndeksInput>"#
        ),
    );
    assert_eq!(answer.status, 200, "{}", answer.xml);
    assert!(
        answer
            .xml
            .contains("<rh:TransactionUUID>7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f</rh:TransactionUUID>"),
        "the RequestHeader is echoed"
    );
    answer.body().to_owned()
}

fn bevillinger(app: &sfstub::app::App, cpr: &str) -> String {
    let answer = post(
        app,
        "/ydelseindeks/6",
        SoapVersion::V12,
        Some("http://kombit.dk/sts/ydelseindeks/fremsoeg"),
        "",
        &format!(
            r#"<yi:FremsoegYdelseIndeksInput xmlns:yi="urn:oio:sts:ydelse:ydelseindeks:6" xmlns:bi="urn:oio:sts:ydelse:bevillingindeks:6" xmlns:gd="urn:oio:sts:generelledefinitioner:6" xmlns:sd="urn:oio:sagdok:3.0.0"><yi:SoegUdtryk><yi:SoegBevillingIndeks><bi:AttributListe/><bi:TilstandListe/><bi:RelationListe><bi:Bevillingspart><gd:ReferenceID><sd:URNIdentifikator>urn:oio:cpr-nr:{cpr}</sd:URNIdentifikator></gd:ReferenceID></bi:Bevillingspart></bi:RelationListe></yi:SoegBevillingIndeks></yi:SoegUdtryk></yi:FremsoegYdelseIndeksInput>"#
        ),
    );
    assert_eq!(answer.status, 200, "{}", answer.xml);
    answer.body().to_owned()
}

/// SF1510 Klasse `laes` of a UUID: its BrugervendtNoegleTekst, or None when SF1510 does not
/// know it.
fn klasse(app: &sfstub::app::App, uuid: &str) -> Option<String> {
    let answer = post(
        app,
        "/klasse/7",
        SoapVersion::V12,
        None,
        "",
        &format!(
            r#"<k:LaesInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator></k:LaesInput>"#
        ),
    );
    let xml = answer.body();
    (values(xml, "StandardRetur/StatusKode") == ["20"]).then(|| {
        values(
            xml,
            "FiltreretOejebliksbillede/Registrering/AttributListe/Egenskab/BrugervendtNoegleTekst",
        )
        .into_iter()
        .next()
        .unwrap_or_default()
    })
}

/// SF1500 Organisation `laes` of a UUID: its OrganisationNavn.
fn organisation(app: &sfstub::app::App, uuid: &str) -> Option<String> {
    let answer = post(
        app,
        "/organisation/organisation/6",
        SoapVersion::V12,
        None,
        "",
        &format!(
            r#"<o:LaesInput xmlns:o="http://stoettesystemerne.dk/organisation/organisation/6/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator></o:LaesInput>"#
        ),
    );
    let xml = answer.body();
    (values(xml, "StandardRetur/StatusKode") == ["20"]).then(|| {
        values(
            xml,
            "FiltreretOejebliksbillede/Registrering/AttributListe/Egenskab/OrganisationNavn",
        )
        .into_iter()
        .next()
        .unwrap_or_default()
    })
}

#[test]
fn fremsoeg_returns_the_citizens_cases_and_benefits_consistent_with_the_other_services() {
    let app = indeks();
    let world = &app.loaded().world;
    let mut checked = 0;
    let with_cases = world.citizens.iter().filter(|c| !c.cases.is_empty()).take(12);
    for citizen in with_cases {
        let cpr = citizen.cpr.to_string();
        let xml = sager(&app, &cpr);
        let ids = values(&xml, "SagFiltreretOejebliksbillede/ObjektType/UUIDIdentifikator");
        let expected: Vec<String> = citizen
            .cases
            .iter()
            .map(|&i| world.cases[i as usize].id.to_string())
            .collect();
        assert_eq!(ids, expected, "{cpr}: the sager are the citizen's control cases\n{xml}");
        let classes = values(
            &xml,
            "SagFiltreretOejebliksbillede/Registrering/RelationListe/Sagsklasse/ReferenceID/UUIDIdentifikator",
        );
        assert_eq!(classes.len(), 2 * ids.len());
        for (k, class) in classes.iter().enumerate() {
            let case = &world.cases[citizen.cases[k / 2] as usize];
            let key = if k % 2 == 0 {
                world.classes.themes[usize::from(case.theme)].class.key
            } else {
                world.classes.benefits[usize::from(case.benefit)].class.key
            };
            assert_eq!(
                klasse(&app, class).as_deref(),
                Some(key),
                "{cpr}: class {class} in SF1510"
            );
        }
        let actors = values(
            &xml,
            "SagFiltreretOejebliksbillede/Registrering/RelationListe/Sagsaktoer/ReferenceID/UUIDIdentifikator",
        );
        for (k, actor) in actors.iter().enumerate() {
            let holder = world.authority(world.cases[citizen.cases[k] as usize].holder);
            assert_eq!(
                organisation(&app, actor).as_deref(),
                Some(holder.name.as_str()),
                "{cpr}: SF1500"
            );
        }
        let parts = values(
            &xml,
            "SagFiltreretOejebliksbillede/Registrering/RelationListe/Sagspart/ReferenceID/URNIdentifikator",
        );
        assert!(parts.iter().all(|p| *p == format!("urn:oio:cpr-nr:{cpr}")));

        let xml = bevillinger(&app, &cpr);
        let mut benefits: Vec<u8> = Vec::new();
        for &i in &citizen.cases {
            let b = world.cases[i as usize].benefit;
            if !benefits.contains(&b) {
                benefits.push(b);
            }
        }
        let granted = values(
            &xml,
            "BevillingFiltreretOejebliksbillede/Registrering/AttributListe/BevilgetYdelse/Id",
        );
        assert_eq!(granted.len(), benefits.len(), "{cpr}: one bevilling per benefit\n{xml}");
        for (uuid, b) in granted.iter().zip(&benefits) {
            let key = world.classes.benefits[usize::from(*b)].class.key;
            assert_eq!(
                klasse(&app, uuid).as_deref(),
                Some(key),
                "{cpr}: benefit {uuid} in SF1510"
            );
        }
        let cvrs = values(
            &xml,
            "BevillingFiltreretOejebliksbillede/Registrering/RelationListe/Bevillingsaktoer/CVR-nr",
        );
        for cvr in &cvrs {
            assert!(
                world
                    .authority_by_cvr(sfstub::world::Cvr::parse(cvr).unwrap())
                    .is_some(),
                "{cvr}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn the_sager_are_the_control_cases_sf1472_returns() {
    let app = indeks();
    let jens = sager(&app, "1507804329");
    let ids = values(&jens, "SagFiltreretOejebliksbillede/ObjektType/UUIDIdentifikator");
    for caller in ["64942212", "14720006"] {
        let request = format!(
            r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>{caller}</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#
        );
        let answer = post(&app, "/kontrolsaglistehent/1", SoapVersion::V12, None, "", &request);
        let listed = values(answer.body(), "KontrolsagListe/Kontrolsag/KontrolsagIdentifikation");
        assert_eq!(listed.len(), 1, "{}", answer.xml);
        assert!(ids.contains(&listed[0]), "{listed:?} among {ids:?}");
    }
}

#[test]
fn a_citizen_the_world_does_not_know_gets_an_empty_result_and_other_operations_their_skeleton() {
    let app = indeks();
    let unknown = Cpr::parse("0101010000", true).unwrap().to_string();
    assert!(
        app.loaded()
            .world
            .citizen_by_cpr(Cpr::parse(&unknown, true).unwrap())
            .is_none()
    );
    let xml = sager(&app, &unknown);
    assert_eq!(values(&xml, "StandardRetur/StatusKode"), ["20"]);
    assert!(values(&xml, "SagFiltreretOejebliksbillede/ObjektType/UUIDIdentifikator").is_empty());
    let ida = bevillinger(&app, "1111904126");
    assert!(
        !ida.contains("BevillingFiltreretOejebliksbillede"),
        "Ida has no cases: {ida}"
    );
    let fjern = r#"<bi:FjernInput xmlns:bi="urn:oio:sts:ydelse:bevillingindeks:6" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>0cc5d90e-0648-5c84-9b11-28bb2db50ee7</sd:UUIDIdentifikator></bi:FjernInput>"#;
    let answer = post(&app, "/bevillingindeks/6", SoapVersion::V12, None, "", fjern);
    assert_eq!(answer.status, 200, "{}", answer.xml);
    assert_eq!(
        values(answer.body(), "StandardRetur/StatusKode"),
        ["20"],
        "{}",
        answer.xml
    );
}
