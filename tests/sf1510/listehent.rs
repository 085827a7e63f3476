//! KlassifikationListeHent v2 at `/klassifikationlistehent/2`: whole classifications, facets
//! and classes by UUID or key, SvarReaktion/Fejl — every response validated against the XSD
//! sfstub publishes for it.

use sfstub::security::xmltree::{NodeId, Tree};
use sfstub::services::sf1510_klassifikation::listehent::fejl_id;
use sfstub::world::classes::Facet;

use super::helpers::*;

/// A KlassifikationListeHent answer, already validated.
pub struct Liste {
    pub reply: Reply,
    pub tree: Tree,
    pub ns: String,
}

impl Liste {
    fn all(&self, local: &str) -> Vec<NodeId> {
        all(&self.tree, &self.ns, local)
    }

    pub fn texts(&self, local: &str) -> Vec<String> {
        texts(&self.tree, &self.ns, local)
    }

    pub fn fejl_ids(&self) -> Vec<u32> {
        texts(&self.tree, KONTEKST, "FejlId")
            .iter()
            .map(|t| t.parse().unwrap())
            .collect()
    }

    pub fn fejl_tekster(&self) -> Vec<String> {
        texts(&self.tree, KONTEKST, "FejlTekst")
    }

    /// `(KlasseIdentifikation, KlasseBrugervendtNøgle, KlasseTitel)` of every listed class.
    pub fn classes(&self) -> Vec<(String, String, String)> {
        self.all("KlasseStruktur")
            .into_iter()
            .map(|n| {
                let child = |local| {
                    self.tree
                        .child(n, &self.ns, local)
                        .map(|c| self.tree.text(c))
                        .unwrap_or_default()
                };
                (
                    child("KlasseIdentifikation"),
                    child("KlasseBrugervendtNøgle"),
                    child("KlasseTitel"),
                )
            })
            .collect()
    }

    /// The keys of the listed facets.
    pub fn facet_keys(&self) -> Vec<String> {
        self.texts("FacetBrugervendtNøgle")
    }
}

/// `KlassifikationListeHent_I` in `ns` with `criteria` (IdentifikationKriterie contents),
/// `extra` after the list and `context` inside HovedOplysninger.
pub fn request_body(ns: &str, context: &str, criteria: &[String], extra: &str) -> String {
    let list: String = criteria
        .iter()
        .map(|c| format!("<k:IdentifikationKriterie>{c}</k:IdentifikationKriterie>"))
        .collect();
    format!(
        r#"<k:KlassifikationListeHent_I xmlns:k="{ns}" xmlns:kontekst="{KONTEKST}" revision="r6821"><kontekst:HovedOplysninger><kontekst:TransaktionsId>tx-liste-1</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>{context}</kontekst:HovedOplysninger><k:KlassifikationKriterieListe>{list}</k:KlassifikationKriterieListe>{extra}</k:KlassifikationListeHent_I>"#
    )
}

pub fn by_key(klassifikation: &str, facet: Option<&str>, klasse: Option<&str>) -> String {
    let f = facet
        .map(|f| format!("<k:FacetBrugervendtNøgle>{f}</k:FacetBrugervendtNøgle>"))
        .unwrap_or_default();
    let c = klasse
        .map(|c| format!("<k:KlasseBrugervendtNøgle>{c}</k:KlasseBrugervendtNøgle>"))
        .unwrap_or_default();
    format!(
        "<k:BrugervendtNøgleKriterie><k:KlassifikationBrugervendtNøgle>{klassifikation}</k:KlassifikationBrugervendtNøgle>{f}{c}</k:BrugervendtNøgleKriterie>"
    )
}

pub fn by_uuid(element: &str, uuid: &str) -> String {
    format!("<k:{element}>{uuid}</k:{element}>")
}

/// Sends a request in the published namespace and validates the answer's body.
#[track_caller]
pub fn liste_in(app: &sfstub::app::App, envelope: &str, ns: &str) -> Liste {
    let reply = post(app, LISTEHENT_PATH, envelope);
    assert_eq!(reply.status, 200, "{}", reply.xml);
    let body = reply.body_element();
    if ns == K2017 {
        assert_valid("the KlassifikationListeHent response body", &body, &listehent_xsd());
    } else {
        // The same schema, published in the request's namespace.
        let xsd = std::fs::read_to_string(listehent_xsd()).unwrap().replace(K2017, ns);
        let path = listehent_xsd().with_file_name(format!("custom-{}.xsd", std::process::id()));
        std::fs::write(&path, xsd).unwrap();
        assert_valid("the KlassifikationListeHent response body", &body, &path);
    }
    let tree = reply.tree();
    Liste {
        reply,
        tree,
        ns: ns.to_owned(),
    }
}

#[track_caller]
pub fn liste(criteria: &[String], extra: &str) -> Liste {
    let body = request_body(K2017, "", criteria, extra);
    assert_valid("the request", &body, &listehent_xsd());
    liste_in(shared(), &envelope("", &body), K2017)
}

#[test]
fn kle_by_key_is_the_whole_kle_subset_with_parents() {
    let answer = liste(&[by_key("KLE", None, None)], "");
    answer.assert_no_fejl();
    assert_eq!(answer.texts("KlassifikationBrugervendtNøgle"), ["KLE"]);
    assert_eq!(answer.facet_keys(), ["KLE-EMNE"]);
    let keys: Vec<String> = answer.classes().into_iter().map(|(_, k, _)| k).collect();
    for b in &shared().loaded().world.classes.benefits {
        let hoved = &b.kle[..2];
        let gruppe = &b.kle[..5];
        for k in [hoved, gruppe, b.kle] {
            assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
        }
    }
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "classes in KLE order");
    // Every emne names its gruppe as ForældreKlasse.
    let emne = answer
        .all("KlasseStruktur")
        .into_iter()
        .find(|&n| text_below(&answer.tree, n, K2017, "KlasseBrugervendtNøgle").as_deref() == Some("32.24.04"))
        .unwrap();
    let parent = answer
        .tree
        .child(emne, K2017, "ForældreKlasse")
        .expect("a ForældreKlasse");
    assert_eq!(
        text_below(&answer.tree, parent, K2017, "KlasseBrugervendtNøgle").as_deref(),
        Some("32.24")
    );
}

#[test]
fn sfstub_s_classification_has_the_four_facets_with_the_world_s_classes() {
    let answer = liste(&[by_key("SFSTUB", None, None)], "");
    answer.assert_no_fejl();
    assert_eq!(
        answer.facet_keys(),
        ["KONTROLTEMA", "YDELSE", "SAGSSKRIDT", "KONTROLSAGSSTATUS"]
    );
    let want: Vec<String> = [
        Facet::Kontroltema,
        Facet::Ydelse,
        Facet::Sagsskridt,
        Facet::Kontrolsagsstatus,
    ]
    .iter()
    .map(|f| f.uuid().to_string())
    .collect();
    assert_eq!(answer.texts("FacetIdentifikation"), want);
    let c = &shared().loaded().world.classes;
    assert_eq!(answer.classes().len(), c.all_classes().count());
    for (class, (uuid, key, title)) in c.all_classes().zip(answer.classes()) {
        assert_eq!(
            (class.uuid.to_string(), class.key, class.title),
            (uuid, key.as_str(), title.as_str())
        );
    }
}

#[test]
fn a_facet_key_and_a_class_key_narrow_the_answer() {
    let answer = liste(&[by_key("SFSTUB", Some("SAGSSKRIDT"), None)], "");
    assert_eq!(answer.facet_keys(), ["SAGSSKRIDT"]);
    assert_eq!(answer.classes().len(), shared().loaded().world.classes.steps.len());
    let one = liste(&[by_key("SFSTUB", None, Some("SAMLIV"))], "");
    let theme = &shared().loaded().world.classes.themes[0].class;
    assert_eq!(one.facet_keys(), ["KONTROLTEMA"]);
    assert_eq!(
        one.classes(),
        [(theme.uuid.to_string(), "SAMLIV".into(), theme.title.into())]
    );
}

#[test]
fn uuids_select_a_classification_a_facet_or_a_class_and_combine() {
    let c = &shared().loaded().world.classes;
    let step = c.steps[2].uuid.to_string();
    let kle = liste(&[by_key("KLE", None, None)], "");
    let kle_uuid = kle.texts("KlassifikationIdentifikation").remove(0);
    let answer = liste(
        &[
            by_uuid("KlasseIdentifikation", &step),
            by_uuid("FacetIdentifikation", &Facet::Kontrolsagsstatus.uuid().to_string()),
            by_uuid("KlassifikationIdentifikation", &kle_uuid),
            by_uuid("KlasseIdentifikation", &c.steps[0].uuid.to_string()),
        ],
        "",
    );
    answer.assert_no_fejl();
    assert_eq!(answer.texts("KlassifikationBrugervendtNøgle"), ["SFSTUB", "KLE"]);
    assert_eq!(answer.facet_keys(), ["SAGSSKRIDT", "KONTROLSAGSSTATUS", "KLE-EMNE"]);
    let steps: Vec<String> = answer.classes().into_iter().take(2).map(|(u, _, _)| u).collect();
    assert_eq!(steps, [c.steps[0].uuid.to_string(), step], "catalogue order");
    assert_eq!(answer.classes().len(), 2 + c.statuses.len() + kle.classes().len());
}

#[test]
fn unknown_or_malformed_identifiers_are_fejl_naming_them() {
    let answer = liste(
        &[
            by_uuid("KlasseIdentifikation", "00000000-0000-4000-8000-000000001510"),
            by_uuid("KlassifikationIdentifikation", &Facet::Ydelse.uuid().to_string()),
            by_key("KLE", Some("HANDLING"), None),
            by_key("FORM", None, None),
        ],
        "",
    );
    assert_eq!(answer.fejl_ids(), [fejl_id::IKKE_FUNDET; 4]);
    let tekster = answer.fejl_tekster().join("\n");
    for needle in ["000000001510", "facetten YDELSE", "HANDLING", "\"FORM\"", "KLE-EMNE"] {
        assert!(tekster.contains(needle), "{needle} not in {tekster}");
    }
    assert!(answer.all("KlassifikationListe").is_empty(), "no list with Fejl");
    // A malformed UUID breaks the schema, but gets a business answer all the same.
    let body = request_body(K2017, "", &[by_uuid("KlasseIdentifikation", "SAMLIV")], "");
    let bad = liste_in(shared(), &envelope("", &body), K2017);
    assert_eq!(bad.fejl_ids(), [fejl_id::UUID_UGYLDIG]);
}

#[test]
fn an_empty_criteria_list_and_bad_flags_are_fejl() {
    let body = request_body(
        K2017,
        "",
        &[],
        "<k:KunAktuelle>ja</k:KunAktuelle><k:KlassifikationPubliceretFraDato>i går</k:KlassifikationPubliceretFraDato>",
    );
    let answer = liste_in(shared(), &envelope("", &body), K2017);
    assert_eq!(
        answer.fejl_ids(),
        [
            fejl_id::KRITERIE_MANGLER,
            fejl_id::MARKERING_UGYLDIG,
            fejl_id::DATO_UGYLDIG
        ]
    );
}

#[test]
fn a_period_before_publication_finds_nothing_unless_only_current_data_is_asked_for() {
    let before = "<k:KunAktuelle>false</k:KunAktuelle><k:KlassifikationPubliceretTilDato>2009-06-01</k:KlassifikationPubliceretTilDato>";
    let empty = liste(&[by_key("KLE", None, None)], before);
    empty.assert_no_fejl();
    assert!(empty.all("KlassifikationListe").is_empty());
    let current = before.replace("false", "true");
    assert!(!liste(&[by_key("KLE", None, None)], &current).classes().is_empty());
    let later = before.replace("2009-06-01", "2027-01-01");
    assert!(!liste(&[by_key("KLE", None, None)], &later).classes().is_empty());
}

#[test]
fn ascii_element_names_are_understood_and_the_namespace_and_revision_echoed() {
    // As Magenta's client writes it: int/2017 namespace, BrugervendtNoegle in ASCII.
    let ns = "http://www.kombit.dk/int/2017/01/01/";
    let criterion = "<k:BrugervendtNoegleKriterie><k:KlassifikationBrugervendtNoegle>SFSTUB</k:KlassifikationBrugervendtNoegle><k:FacetBrugervendtNoegle>YDELSE</k:FacetBrugervendtNoegle></k:BrugervendtNoegleKriterie>";
    let body = request_body(ns, "", &[criterion.to_owned()], "");
    let answer = liste_in(shared(), &envelope("", &body), ns);
    answer.assert_no_fejl();
    assert_eq!(answer.facet_keys(), ["YDELSE"]);
    assert_eq!(texts(&answer.tree, KONTEKST, "TransaktionsId"), ["tx-liste-1"]);
    assert_eq!(
        texts(&answer.tree, KONTEKST, "TransaktionsTid"),
        ["2026-11-22T10:15:00Z"]
    );
    let root = answer
        .tree
        .child_elements(first(&answer.tree, SOAP12, "Body").unwrap())
        .next()
        .unwrap();
    assert_eq!(answer.tree.attribute(root, None, "revision"), Some("r6821"));
}

#[test]
fn a_request_without_hovedoplysninger_is_a_sender_fault() {
    let body = format!(
        r#"<k:KlassifikationListeHent_I xmlns:k="{K2017}"><k:KlassifikationKriterieListe/></k:KlassifikationListeHent_I>"#
    );
    let reply = post(shared(), LISTEHENT_PATH, &envelope("", &body));
    assert_eq!(reply.status, 400);
    assert!(reply.fault_reason().contains("HovedOplysninger"));
}

#[test]
fn the_wsdl_and_both_schemas_are_published() {
    let get = |query: &str| {
        let request = http::Request::get(format!("{LISTEHENT_PATH}?{query}"))
            .header("host", "sfstub.test")
            .body(bytes::Bytes::new())
            .unwrap();
        let response = sfstub::http::handle(shared(), request);
        assert_eq!(response.status(), 200, "?{query}");
        String::from_utf8(response.body().to_vec()).unwrap()
    };
    let wsdl = get("wsdl");
    assert!(
        wsdl.contains(r#"location="http://sfstub.test/klassifikationlistehent/2""#),
        "{wsdl}"
    );
    assert!(wsdl.contains("KlassifikationListeHentService_2#KlassifikationListeHent"));
    Tree::parse(wsdl.as_bytes()).unwrap();
    let xsd = get("xsd=KlassifikationListeHent.xsd");
    assert!(xsd.contains("http://sfstub.test/klassifikationlistehent/2/Kontekst.xsd"));
    assert!(get("xsd=Kontekst.xsd").contains("HovedOplysningerSvar"));
}

impl Liste {
    #[track_caller]
    pub fn assert_no_fejl(&self) {
        assert!(self.fejl_ids().is_empty(), "Fejl: {:?}", self.fejl_tekster());
    }
}
