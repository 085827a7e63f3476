//! The identifiers agree across services: every `KlasseIdentifikation` in SF1472 responses
//! resolves in SF1510 — with Klasse v7 `list` and with KlassifikationListeHent — to the same
//! key and title.

use std::collections::BTreeMap;

use sfstub::services::sf1472_kontrolsag;

use super::helpers::*;
use super::klasse::{klasse, list_body};
use super::listehent::{by_uuid, liste, liste_in, request_body};

const SF1472_NS: &str = "http://www.kombit.dk/int/2022/01/01/";

/// `KontrolsagListeHent_I` from `cvr` for `cpr`, stk. 2 (steps shown).
fn sf1472_request(cvr: &str, cpr: &str) -> String {
    envelope(
        "",
        &format!(
            r#"<k:KontrolsagListeHent_I xmlns:k="{SF1472_NS}" xmlns:kontekst="{KONTEKST}"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>{cvr}</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>{cpr}</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#
        ),
    )
}

/// Every class SF1472 names for the world's citizens with cases, asked by UDK and by
/// Copenhagen: UUID → (key, title), checked consistent within SF1472.
fn sf1472_classes() -> BTreeMap<String, (String, String)> {
    let app = shared();
    let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    let loaded = app.loaded();
    let citizens = loaded.world.citizens.iter().filter(|c| !c.cases.is_empty());
    for citizen in citizens {
        for caller in [UDK, KOEBENHAVN] {
            let reply = post(
                app,
                sf1472_kontrolsag::PATHS[0],
                &sf1472_request(caller, &citizen.cpr.to_string()),
            );
            assert_eq!(reply.status, 200, "{}", reply.xml);
            let tree = reply.tree();
            for id in all(&tree, SF1472_NS, "KlasseIdentifikation") {
                let parent = tree.element(id).parent().expect("KlasseIdentifikation has a parent");
                let get = |local| tree.text(tree.child(parent, SF1472_NS, local).unwrap());
                let entry = (get("KlasseBrugervendtNoegle"), get("KlasseTitel"));
                let previous = seen.insert(tree.text(id), entry.clone());
                assert!(
                    previous.is_none_or(|p| p == entry),
                    "SF1472 names {} two ways",
                    tree.text(id)
                );
            }
        }
    }
    seen
}

#[test]
fn every_klasse_identifikation_in_sf1472_resolves_with_klasse_list() {
    let named = sf1472_classes();
    let world = &shared().loaded().world.classes;
    assert!(
        named.len() >= world.themes.len() + world.benefits.len(),
        "a broad sample: {} classes",
        named.len()
    );
    let uuids: Vec<String> = named.keys().cloned().collect();
    let answer = klasse(shared(), &envelope("", &list_body(&uuids)));
    assert_eq!(answer.status_kode(), "20");
    assert_eq!(answer.fejlbesked(), "OK");
    let resolved: BTreeMap<String, (String, String)> = answer
        .snapshots()
        .into_iter()
        .map(|(uuid, key, title)| (uuid, (key, title)))
        .collect();
    assert_eq!(resolved, named);
}

#[test]
fn every_klasse_identifikation_in_sf1472_resolves_with_klassifikationlistehent() {
    let named = sf1472_classes();
    let criteria: Vec<String> = named.keys().map(|u| by_uuid("KlasseIdentifikation", u)).collect();
    let answer = liste(&criteria, "");
    answer.assert_no_fejl();
    let resolved: BTreeMap<String, (String, String)> = answer
        .classes()
        .into_iter()
        .map(|(uuid, key, title)| (uuid, (key, title)))
        .collect();
    assert_eq!(resolved, named);
    // A benefit's KLE number (its search word) is a class of the KLE classification.
    let with_kle = request_body(K2017, "", &[super::listehent::by_key("KLE", None, None)], "");
    let kle = liste_in(shared(), &envelope("", &with_kle), K2017);
    let kle_keys: Vec<String> = kle.classes().into_iter().map(|(_, k, _)| k).collect();
    for word in answer.texts("SøgeordTitel") {
        let number = word.rsplit(' ').next().unwrap().to_owned();
        assert!(kle_keys.contains(&number), "{word}: no KLE class {number}");
    }
}
