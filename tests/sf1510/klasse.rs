//! Klasse v7 at `/klasse/7`: laes, soeg and list over the world's classes, StatusKode 20, 40
//! and 44, the RequestHeader echo — every response validated against KOMBIT's schema.

use sfstub::security::xmltree::Tree;
use sfstub::world::classes::Facet;

use super::helpers::*;

/// A Klasse v7 answer, already validated against `KlasseOperationer.xsd`.
pub struct Klasse {
    pub reply: Reply,
    pub tree: Tree,
}

impl Klasse {
    pub fn status_kode(&self) -> String {
        texts(&self.tree, SD, "StatusKode").concat()
    }

    pub fn fejlbesked(&self) -> String {
        texts(&self.tree, SD, "FejlbeskedTekst").concat()
    }

    /// `SoegOutput/IdListe`.
    pub fn ids(&self) -> Vec<String> {
        match first(&self.tree, SD, "IdListe") {
            None => Vec::new(),
            Some(list) => self.tree.child_elements(list).map(|n| self.tree.text(n)).collect(),
        }
    }

    /// `(ObjektID, BrugervendtNoegleTekst, TitelTekst)` of every snapshot.
    pub fn snapshots(&self) -> Vec<(String, String, String)> {
        all(&self.tree, KLASSE_NS, "FiltreretOejebliksbillede")
            .into_iter()
            .map(|n| {
                let get = |ns, local| text_below(&self.tree, n, ns, local).unwrap_or_default();
                (
                    get(SD, "UUIDIdentifikator"),
                    get(SD, "BrugervendtNoegleTekst"),
                    get(SD, "TitelTekst"),
                )
            })
            .collect()
    }

    /// The UUID a relation (`Facet`, `OverordnetKlasse`) of the first snapshot points at.
    pub fn relation(&self, name: &str) -> Option<String> {
        first(&self.tree, SD, name).and_then(|n| text_below(&self.tree, n, SD, "UUIDIdentifikator"))
    }
}

/// Sends `envelope` to `/klasse/7` and validates the answer's body (and header) against
/// KOMBIT's schemas.
#[track_caller]
pub fn klasse(app: &sfstub::app::App, envelope: &str) -> Klasse {
    let reply = post(app, KLASSE_PATH, envelope);
    assert_eq!(reply.status, 200, "{}", reply.xml);
    assert_valid("the Klasse v7 response body", &reply.body_element(), &klasse_xsd());
    let tree = reply.tree();
    if let Some(h) = first(&tree, REQUEST_HEADER_NS, "RequestHeader") {
        let start = reply.xml.find("<h:RequestHeader").unwrap();
        let end = reply.xml.find("</h:RequestHeader>").unwrap() + "</h:RequestHeader>".len();
        assert_valid(
            "the response RequestHeader",
            &reply.xml[start..end],
            &request_header_xsd(),
        );
        assert!(tree.text(h).contains('-'));
    }
    Klasse { reply, tree }
}

pub fn laes_body(uuid: &str) -> String {
    format!(
        r#"<k:LaesInput xmlns:k="{KLASSE_NS}" xmlns:sd="{SD}"><sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator></k:LaesInput>"#
    )
}

pub fn list_body(uuids: &[String]) -> String {
    let ids: String = uuids
        .iter()
        .map(|u| format!("<sd:UUIDIdentifikator>{u}</sd:UUIDIdentifikator>"))
        .collect();
    format!(r#"<k:ListInput xmlns:k="{KLASSE_NS}" xmlns:sd="{SD}">{ids}</k:ListInput>"#)
}

/// A SoegInput with `paging` (FoersteResultatReference, MaksimalAntalKvantitet), the
/// Egenskab content and the RelationListe content.
fn soeg_body(paging: &str, egenskab: &str, relationer: &str) -> String {
    format!(
        r#"<k:SoegInput xmlns:k="{KLASSE_NS}" xmlns:sd="{SD}">{paging}<k:AttributListe><k:Egenskab>{egenskab}</k:Egenskab></k:AttributListe><k:TilstandListe/><k:RelationListe>{relationer}</k:RelationListe></k:SoegInput>"#
    )
}

fn soeg_key(key: &str) -> Vec<String> {
    let answer = klasse(
        shared(),
        &envelope(
            "",
            &soeg_body(
                "",
                &format!("<sd:BrugervendtNoegleTekst>{key}</sd:BrugervendtNoegleTekst>"),
                "",
            ),
        ),
    );
    assert_eq!(answer.status_kode(), "20", "{}", answer.reply.xml);
    answer.ids()
}

fn laes(uuid: &str) -> Klasse {
    klasse(shared(), &envelope(&request_header("tx-1510"), &laes_body(uuid)))
}

#[test]
fn laes_returns_a_theme_with_its_key_title_facet_and_published_status() {
    let theme = &shared().loaded().world.classes.themes[0].class;
    let answer = laes(&theme.uuid.to_string());
    assert_eq!(answer.status_kode(), "20");
    assert_eq!(answer.fejlbesked(), "OK");
    assert_eq!(
        answer.snapshots(),
        vec![(theme.uuid.to_string(), theme.key.to_owned(), theme.title.to_owned())]
    );
    assert_eq!(answer.relation("Facet"), Some(Facet::Kontroltema.uuid().to_string()));
    assert_eq!(answer.relation("OverordnetKlasse"), None);
    assert_eq!(texts(&answer.tree, SD, "ErPubliceretIndikator"), ["true"]);
    assert_eq!(texts(&answer.tree, REQUEST_HEADER_NS, "TransactionUUID"), ["tx-1510"]);
}

#[test]
fn a_benefit_carries_its_kle_number_as_a_search_word() {
    let world = &shared().loaded().world;
    let b = &world.classes.benefits[world.classes.benefit("KONTANTHJAELP").unwrap() as usize];
    let answer = laes(&b.class.uuid.to_string());
    assert_eq!(texts(&answer.tree, SD, "SoegeordIdentifikator"), [b.kle]);
    assert_eq!(answer.relation("Facet"), Some(Facet::Ydelse.uuid().to_string()));
}

#[test]
fn soeg_finds_a_kle_emne_by_its_number_under_its_gruppe_and_hovedgruppe() {
    let emne = soeg_key("32.24.04");
    assert_eq!(emne.len(), 1);
    let gruppe = soeg_key("32.24");
    let hovedgruppe = soeg_key("32");
    let answer = laes(&emne[0]);
    let (_, key, title) = answer.snapshots().remove(0);
    assert_eq!((key.as_str(), title.as_str()), ("32.24.04", "Kontanthjælp"));
    assert_eq!(answer.relation("OverordnetKlasse").as_ref(), gruppe.first());
    assert_eq!(
        laes(&gruppe[0]).relation("OverordnetKlasse").as_ref(),
        hovedgruppe.first()
    );
    assert_eq!(laes(&hovedgruppe[0]).relation("OverordnetKlasse"), None);
}

#[test]
fn soeg_finds_a_theme_by_its_key() {
    let theme = &shared().loaded().world.classes.themes[0].class;
    assert_eq!(soeg_key(theme.key), [theme.uuid.to_string()]);
}

#[test]
fn soeg_by_facet_lists_every_class_of_the_facet_in_order() {
    let facet = Facet::Sagsskridt.uuid();
    let relation = format!(
        "<sd:Facet><sd:ReferenceID><sd:UUIDIdentifikator>{facet}</sd:UUIDIdentifikator></sd:ReferenceID></sd:Facet>"
    );
    let answer = klasse(shared(), &envelope("", &soeg_body("", "", &relation)));
    let steps: Vec<String> = shared()
        .loaded()
        .world
        .classes
        .steps
        .iter()
        .map(|s| s.uuid.to_string())
        .collect();
    assert_eq!(answer.ids(), steps);
}

#[test]
fn soeg_takes_wildcards_and_pages() {
    let egenskab = "<sd:BrugervendtNoegleTekst>32.%</sd:BrugervendtNoegleTekst>";
    let all_32 = klasse(shared(), &envelope("", &soeg_body("", egenskab, ""))).ids();
    let listed = klasse(shared(), &envelope("", &list_body(&all_32)));
    let keys: Vec<String> = listed.snapshots().into_iter().map(|(_, k, _)| k).collect();
    assert!(keys.len() >= 4, "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("32.")), "{keys:?}");
    assert!(keys.contains(&"32.24.04".to_owned()) && keys.contains(&"32.03".to_owned()));
    let paging = "<sd:FoersteResultatReference>1</sd:FoersteResultatReference><sd:MaksimalAntalKvantitet>2</sd:MaksimalAntalKvantitet>";
    let page = klasse(shared(), &envelope("", &soeg_body(paging, egenskab, ""))).ids();
    assert_eq!(page, all_32[1..3]);
    let titled = "<sd:TitelTekst>%hjælp</sd:TitelTekst>";
    let hjaelp = klasse(shared(), &envelope("", &soeg_body("", titled, ""))).ids();
    assert_eq!(hjaelp.len(), 2, "the benefit Kontanthjælp and its KLE emne");
}

#[test]
fn soeg_without_a_match_is_ok_and_empty() {
    assert!(soeg_key("99.99.99").is_empty());
}

#[test]
fn soeg_with_a_bad_count_is_status_40() {
    let paging = "<sd:MaksimalAntalKvantitet>mange</sd:MaksimalAntalKvantitet>";
    let answer = klasse(shared(), &envelope("", &soeg_body(paging, "", "")));
    assert_eq!(answer.status_kode(), "40");
    assert!(
        answer.fejlbesked().contains("MaksimalAntalKvantitet"),
        "{}",
        answer.fejlbesked()
    );
    assert!(answer.ids().is_empty());
}

#[test]
fn list_returns_the_classes_in_the_order_asked() {
    let c = &shared().loaded().world.classes;
    let wanted = [
        c.steps[3].uuid.to_string(),
        c.statuses[1].uuid.to_string(),
        c.themes[2].class.uuid.to_string(),
    ];
    let answer = klasse(shared(), &envelope("", &list_body(&wanted)));
    assert_eq!(answer.status_kode(), "20");
    let got: Vec<String> = answer.snapshots().into_iter().map(|(u, _, _)| u).collect();
    assert_eq!(got, wanted);
}

#[test]
fn list_names_the_unknown_and_is_44_when_nothing_is_known() {
    let known = shared().loaded().world.classes.themes[0].class.uuid.to_string();
    let unknown = "00000000-0000-4000-8000-000000001510".to_owned();
    let partly = klasse(shared(), &envelope("", &list_body(&[known, unknown.clone()])));
    assert_eq!(partly.status_kode(), "20");
    assert_eq!(partly.snapshots().len(), 1);
    assert!(partly.fejlbesked().contains(&unknown), "{}", partly.fejlbesked());
    let none = klasse(shared(), &envelope("", &list_body(std::slice::from_ref(&unknown))));
    assert_eq!(none.status_kode(), "44");
    assert!(none.snapshots().is_empty());
}

#[test]
fn laes_of_an_unknown_uuid_is_status_44() {
    let answer = laes("00000000-0000-4000-8000-000000001510");
    assert_eq!(answer.status_kode(), "44");
    assert!(answer.fejlbesked().contains("findes ikke"), "{}", answer.fejlbesked());
    assert!(answer.snapshots().is_empty());
    assert_eq!(texts(&answer.tree, REQUEST_HEADER_NS, "TransactionUUID"), ["tx-1510"]);
}

#[test]
fn laes_of_a_facet_uuid_is_44_and_says_it_is_a_facet() {
    let answer = laes(&Facet::Ydelse.uuid().to_string());
    assert_eq!(answer.status_kode(), "44");
    assert!(
        answer.fejlbesked().contains("facetten YDELSE"),
        "{}",
        answer.fejlbesked()
    );
}

#[test]
fn laes_of_a_malformed_or_missing_uuid_is_status_40() {
    let answer = laes("SAMLIV");
    assert_eq!(answer.status_kode(), "40");
    assert!(answer.fejlbesked().contains("\"SAMLIV\""), "{}", answer.fejlbesked());
    let empty = format!(r#"<k:LaesInput xmlns:k="{KLASSE_NS}"/>"#);
    let missing = klasse(shared(), &envelope("", &empty));
    assert_eq!(missing.status_kode(), "40");
    assert!(missing.fejlbesked().contains("mangler"));
}

#[test]
fn write_operations_are_refused_with_status_40() {
    for (input, output) in [
        ("OpretInput", "OpretOutput"),
        ("SletInput", "SletOutput"),
        ("RetInput", "RetOutput"),
    ] {
        let body = format!(r#"<k:{input} xmlns:k="{KLASSE_NS}"/>"#);
        let answer = klasse(shared(), &envelope("", &body));
        assert!(first(&answer.tree, KLASSE_NS, output).is_some(), "{}", answer.reply.xml);
        assert_eq!(answer.status_kode(), "40");
        assert!(answer.fejlbesked().contains("skrivebeskyttet"));
    }
}

#[test]
fn an_unknown_operation_is_a_sender_fault_naming_the_operations() {
    let reply = post(
        shared(),
        KLASSE_PATH,
        &envelope("", &format!(r#"<k:FremsoegInput xmlns:k="{KLASSE_NS}"/>"#)),
    );
    assert_eq!(reply.status, 400);
    let reason = reply.fault_reason();
    assert!(
        reason.contains("FremsoegInput") && reason.contains("LaesInput"),
        "{reason}"
    );
}

#[test]
fn without_a_request_header_the_response_has_none() {
    let theme = &shared().loaded().world.classes.themes[0].class;
    let answer = klasse(shared(), &envelope("", &laes_body(&theme.uuid.to_string())));
    assert!(first(&answer.tree, REQUEST_HEADER_NS, "RequestHeader").is_none());
    assert!(!answer.reply.xml.contains("<soap:Header>"));
}

#[test]
fn a_soap11_request_is_answered_in_soap11() {
    let theme = &shared().loaded().world.classes.themes[0].class;
    let request = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>{}</s:Header><s:Body>{}</s:Body></s:Envelope>"#,
        request_header("tx-11"),
        laes_body(&theme.uuid.to_string())
    );
    let answer = klasse(shared(), &request);
    assert!(answer.reply.xml.contains("http://schemas.xmlsoap.org/soap/envelope/"));
    assert_eq!(answer.status_kode(), "20");
    assert_eq!(texts(&answer.tree, REQUEST_HEADER_NS, "TransactionUUID"), ["tx-11"]);
}

#[test]
fn the_schema_check_is_real_it_rejects_what_kombit_s_schema_forbids() {
    let theme = &shared().loaded().world.classes.themes[0].class;
    let answer = laes(&theme.uuid.to_string());
    let body = answer.reply.body_element();
    assert!(validate(&body, &klasse_xsd()).is_ok());
    let broken = body.replace(
        "<sd:StatusKode>20</sd:StatusKode>",
        "<sd:StatusKode>tyve</sd:StatusKode>",
    );
    assert!(validate(&broken, &klasse_xsd()).is_err());
    let misordered = body
        .replacen("<sd:LivscyklusKode>Importeret</sd:LivscyklusKode>", "", 1)
        .replacen(
            "</AttributListe>",
            "</AttributListe><sd:LivscyklusKode>Importeret</sd:LivscyklusKode>",
            1,
        );
    assert!(validate(&misordered, &klasse_xsd()).is_err());
}

#[test]
fn wsdl_serves_kombit_s_contract_shipped_or_from_the_contracts_folder() {
    let get = |app: &sfstub::app::App, query: &str| {
        let request = http::Request::get(format!("{KLASSE_PATH}?{query}"))
            .header("host", "sfstub.test")
            .body(bytes::Bytes::new())
            .unwrap();
        let response = sfstub::http::handle(app, request);
        (
            response.status().as_u16(),
            String::from_utf8(response.body().to_vec()).unwrap(),
        )
    };
    let (status, text) = get(shared(), "wsdl");
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(r#"<soap12:address location="http://sfstub.test/klasse/7" />"#)
            && text.contains("?file=sf1510-klasse-v7/wsdl/KlasseOperationer.xsd"),
        "{text}"
    );
    let mut app = app(sfstub::security::SecurityMode::Off);
    let folder = contract_file("sf1510-klasse-v7/wsdl/KlasseService.wsdl");
    let folder = folder.parent().unwrap().parent().unwrap();
    app.contracts = Some(sfstub::contracts::ContractDir::open(folder).unwrap());
    let (status, wsdl) = get(&app, "wsdl");
    assert_eq!(status, 200, "{wsdl}");
    assert!(
        wsdl.contains(r#"<soap12:address location="http://sfstub.test/klasse/7" />"#),
        "{wsdl}"
    );
    assert!(wsdl.contains("?file=wsdl/KlasseOperationer.xsd"), "{wsdl}");
    let (status, xsd) = get(&app, "file=wsdl/KlasseOperationer.xsd");
    assert_eq!(status, 200);
    assert!(
        xsd.contains("http://sfstub.test/klasse/7?file=wsdl/SagDokObjekt.xsd"),
        "{xsd}"
    );
}
