//! One client's walk through all four services, as a vendor's case system makes it: look the
//! citizen up in CPR (SF1520), fetch the control cases (SF1472), resolve every authority a
//! case names in Organisation (SF1500) and every theme, benefit and step in Klassifikation
//! (SF1510) — and every identifier agrees.

#[path = "../support/world.rs"]
mod world;

use std::collections::BTreeMap;

use bytes::Bytes;
use sfstub::app::{App, Limits};
use sfstub::security::xmltree::{NodeId, Tree};
use sfstub::world::Sector;

use world::{SOAP11, SOAP12};

const UDK: &str = "14720006";

fn app() -> App {
    App::new(world::scenario(), Limits::default())
}

fn post(app: &App, path: &str, body: String) -> Tree {
    let response = sfstub::http::handle(app, http::Request::post(path).body(Bytes::from(body)).unwrap());
    let text = String::from_utf8(response.body().to_vec()).unwrap();
    assert_eq!(response.status(), 200, "POST {path}: {text}");
    Tree::parse(text.as_bytes()).unwrap()
}

/// Every element with this local name, in document order.
fn all(tree: &Tree, local: &str) -> Vec<NodeId> {
    std::iter::once(tree.root())
        .chain(tree.descendants(tree.root()))
        .filter(|&n| tree.element(n).local_name() == local)
        .collect()
}

fn first_text(tree: &Tree, local: &str) -> String {
    all(tree, local)
        .first()
        .map(|&n| tree.text(n))
        .unwrap_or_else(|| panic!("no {local}"))
}

fn child_text(tree: &Tree, node: NodeId, local: &str) -> String {
    let c = tree
        .child_elements(node)
        .find(|&c| tree.element(c).local_name() == local)
        .unwrap_or_else(|| panic!("no {local}"));
    tree.text(c)
}

fn cpr_lookup(app: &App, caller: &str, cpr: &str) -> Tree {
    post(
        app,
        "/service/CPR/PersonBaseDataExtended/4",
        format!(
            r#"<soap:Envelope xmlns:soap="{SOAP11}" xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/" xmlns:autctx="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/" xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/"><soap:Body><tns:PersonLookupRequest><autctx:AuthorityContext><autctx:MunicipalityCVR>{caller}</autctx:MunicipalityCVR></autctx:AuthorityContext><cpr:PNR>{cpr}</cpr:PNR></tns:PersonLookupRequest></soap:Body></soap:Envelope>"#
        ),
    )
}

fn kontrolsager(app: &App, caller: &str, cpr: &str) -> Tree {
    post(
        app,
        "/kontrolsaglistehent/1",
        format!(
            r#"<soap:Envelope xmlns:soap="{SOAP12}" xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/"><soap:Body><k:KontrolsagListeHent_I revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>walk</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>{caller}</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>{cpr}</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#
        ),
    )
}

/// SF1500: the name of the Virksomhed with this CVR (soeg, then laes).
fn virksomhed_name(app: &App, cvr: &str) -> String {
    let envelope = |body: String| {
        format!(
            r#"<soap:Envelope xmlns:soap="{SOAP12}" xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sd="urn:oio:sagdok:3.0.0" xmlns:sts="urn:oio:sts:6"><soap:Body>{body}</soap:Body></soap:Envelope>"#
        )
    };
    let found = post(
        app,
        "/organisation/virksomhed/6",
        envelope(format!(
            "<v:SoegInput><v:AttributListe><v:Egenskab><sts:CVR-NummerTekst>{cvr}</sts:CVR-NummerTekst></v:Egenskab></v:AttributListe><v:TilstandListe/><v:RelationListe/></v:SoegInput>"
        )),
    );
    assert_eq!(first_text(&found, "StatusKode"), "20");
    let ids = all(&found, "UUIDIdentifikator");
    assert_eq!(ids.len(), 1, "exactly one Virksomhed has CVR {cvr}");
    let uuid = found.text(ids[0]);
    let read = post(
        app,
        "/organisation/virksomhed/6",
        envelope(format!(
            "<v:LaesInput><sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator></v:LaesInput>"
        )),
    );
    assert_eq!(first_text(&read, "StatusKode"), "20");
    assert_eq!(first_text(&read, "CVR-NummerTekst"), cvr);
    first_text(&read, "NavnTekst")
}

/// SF1510 Klasse list: key and title of each class UUID.
fn klasser(app: &App, uuids: &[String]) -> BTreeMap<String, (String, String)> {
    let ids: String = uuids
        .iter()
        .map(|u| format!("<sd:UUIDIdentifikator>{u}</sd:UUIDIdentifikator>"))
        .collect();
    let tree = post(
        app,
        "/klasse/7",
        format!(
            r#"<soap:Envelope xmlns:soap="{SOAP12}" xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/" xmlns:sd="urn:oio:sagdok:3.0.0"><soap:Body><k:ListInput>{ids}</k:ListInput></soap:Body></soap:Envelope>"#
        ),
    );
    assert_eq!(first_text(&tree, "StatusKode"), "20");
    all(&tree, "FiltreretOejebliksbillede")
        .into_iter()
        .map(|snapshot| {
            let uuid = all_below(&tree, snapshot, "UUIDIdentifikator")
                .map(|n| tree.text(n))
                .unwrap();
            let key = all_below(&tree, snapshot, "BrugervendtNoegleTekst")
                .map(|n| tree.text(n))
                .unwrap();
            let title = all_below(&tree, snapshot, "TitelTekst").map(|n| tree.text(n)).unwrap();
            (uuid, (key, title))
        })
        .collect()
}

fn all_below(tree: &Tree, node: NodeId, local: &str) -> Option<NodeId> {
    tree.descendants(node)
        .into_iter()
        .find(|&n| tree.element(n).local_name() == local)
}

#[test]
fn a_citizen_walks_through_cpr_kontrolsager_organisation_and_klassifikation() {
    let app = app();
    let world = &app.loaded().world;
    let mut walked = 0;
    let mut classes: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for citizen in world.citizens.iter().filter(|c| !c.cases.is_empty()).take(40) {
        let cpr = citizen.cpr.to_string();
        // 1. CPR: the citizen, named and living as the world says, in a municipality SF1500 knows.
        let person = cpr_lookup(&app, UDK, &cpr);
        assert_eq!(first_text(&person, "personnummer"), cpr);
        assert_eq!(first_text(&person, "efternavn"), citizen.last_name);
        let home = world.authority(citizen.kommune);
        assert_eq!(
            first_text(&person, "kommunekode").trim_start_matches('0'),
            home.kommunekode.as_deref().unwrap().trim_start_matches('0')
        );
        let kommune_cvr = first_text(&person, "kommuneCvr");
        assert_eq!(kommune_cvr, home.cvr.to_string());
        assert_eq!(virksomhed_name(&app, &kommune_cvr), home.name);
        // 2. SF1472, from both sides: UDK sees the municipalities' cases, the home
        //    municipality sees UDK's.
        for caller in [UDK.to_owned(), home.cvr.to_string()] {
            let cases = kontrolsager(&app, &caller, &cpr);
            for sag in all(&cases, "Kontrolsag") {
                walked += 1;
                let holder = tree_child(&cases, sag, "AnsvarligMyndighed");
                let cvr = child_text(&cases, holder, "MyndighedCVRNummer");
                let name = child_text(&cases, holder, "MyndighedNavn");
                names.insert(cvr, name);
                for local in ["Kontroltema", "Ydelse", "SagsskridtType"] {
                    for klasse in std::iter::once(sag)
                        .chain(cases.descendants(sag))
                        .filter(|&n| cases.element(n).local_name() == local)
                    {
                        let uuid = child_text(&cases, klasse, "KlasseIdentifikation");
                        let key = child_text(&cases, klasse, "KlasseBrugervendtNoegle");
                        let title = child_text(&cases, klasse, "KlasseTitel");
                        classes.insert(uuid, (key, title));
                    }
                }
            }
        }
    }
    assert!(walked > 20, "the walk saw only {walked} cases");
    // 3. SF1500: every holder CVR resolves to the name SF1472 gave it.
    for (cvr, name) in &names {
        assert_eq!(&virksomhed_name(&app, cvr), name, "CVR {cvr}");
    }
    assert!(names.keys().any(|c| c == UDK), "UDK's cases were walked");
    assert!(names.keys().any(|c| c != UDK), "municipal cases were walked");
    // 4. SF1510: every theme, benefit and step resolves to the same key and title.
    let uuids: Vec<String> = classes.keys().cloned().collect();
    let resolved = klasser(&app, &uuids);
    assert_eq!(resolved, classes, "SF1510 and SF1472 agree on every class");
    let sectors: Vec<Sector> = names
        .keys()
        .filter_map(|c| world.authority_by_cvr(sfstub::world::Cvr::parse(c).ok()?))
        .map(|a| world.authority(a).sector)
        .collect();
    assert!(sectors.iter().all(|s| matches!(s, Sector::Udk | Sector::Kommune)));
}

fn tree_child(tree: &Tree, node: NodeId, local: &str) -> NodeId {
    tree.child_elements(node)
        .find(|&c| tree.element(c).local_name() == local)
        .unwrap_or_else(|| panic!("no {local}"))
}
