//! A scenario's `responses:` rules: matched on request values, with placeholders for request
//! values, the world and the clock, values set on the skeleton, and faults the WSDL declares;
//! an answer that turns out invalid at run time is a Receiver fault naming the rule, and an
//! error in the log.

use std::io::Write;
use std::sync::{Arc, Mutex};

use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

use crate::support::{Answer, app, post, scenario_with, wsdl};

const FREMSOEG: &str = "http://kombit.dk/sts/sagdokumentindeks/fremsoeg";
const SDI: &str = "urn:oio:sts:sagdok:sagdokumentindeks:6";

fn sf1470(responses: &str) -> sfstub::app::App {
    app(
        scenario_with(&format!(
            "  - wsdl: {}\n    path: /sdi\n    responses:\n{responses}",
            wsdl("sf1470-sagdokumentindeks-v6", "wsdl/SagDokumentIndeksService_6.wsdl")
        )),
        SecurityMode::Off,
    )
}

fn fremsoeg(app: &sfstub::app::App, inner: &str) -> Answer {
    post(
        app,
        "/sdi",
        SoapVersion::V12,
        Some(FREMSOEG),
        "",
        &format!(r#"<x:FremsoegSagDokumentIndeksInput xmlns:x="{SDI}">{inner}</x:FremsoegSagDokumentIndeksInput>"#),
    )
}

/// The text of the first `<…:local>` element of a document.
fn text_of<'a>(xml: &'a str, local: &str) -> Option<&'a str> {
    let open = xml.find(&format!(":{local}>"))? + local.len() + 2;
    let end = xml[open..].find("</")? + open;
    Some(&xml[open..end])
}

#[test]
fn rules_match_request_values_in_order_and_the_skeleton_answers_the_rest() {
    let app = sf1470(
        r#"      - operation: fremsoeg
        when: { SagUuid: "sag-1" }
        set: { StandardRetur/FejlbeskedTekst: "first {{ request.SagUuid }}" }
      - operation: fremsoeg
        when: { SagUuid: "*", DokumentUuid: "dok-9" }
        set: { StandardRetur/StatusKode: "44", StandardRetur/FejlbeskedTekst: "Ingen sag fundet pr. {{ today }}" }
"#,
    );
    let first = fremsoeg(&app, "<x:SagUuid>sag-1</x:SagUuid>");
    assert_eq!(first.status, 200, "{}", first.xml);
    assert_eq!(text_of(first.body(), "FejlbeskedTekst"), Some("first sag-1"));
    let second = fremsoeg(
        &app,
        "<x:SagUuid>sag-2</x:SagUuid><x:DokumentUuid>dok-9</x:DokumentUuid>",
    );
    assert_eq!(text_of(second.body(), "StatusKode"), Some("44"), "{}", second.xml);
    assert_eq!(
        text_of(second.body(), "FejlbeskedTekst"),
        Some("Ingen sag fundet pr. 2026-11-22")
    );
    // Only one of the two conditions: no rule, the skeleton.
    let neither = fremsoeg(&app, "<x:SagUuid>sag-2</x:SagUuid>");
    assert_eq!(text_of(neither.body(), "StatusKode"), Some("20"));
    assert_eq!(text_of(neither.body(), "FejlbeskedTekst"), Some("OK"));
}

#[test]
fn placeholders_name_the_citizen_its_cases_and_classes_of_the_world() {
    let app = sf1470(
        r#"      - operation: fremsoeg
        citizen: SoegUdtryk/**/URNIdentifikator
        body: |
          <sdi:FremsoegSagDokumentIndeksOutput xmlns:sdi="urn:oio:sts:sagdok:sagdokumentindeks:6" xmlns:sd="urn:oio:sagdok:3.0.0">
            <sd:StandardRetur><sd:StatusKode>20</sd:StatusKode><sd:FejlbeskedTekst>{{ citizen.name }}, {{ citizen.address }}, {{ citizen.postcode }} {{ citizen.town }}, {{ citizen.kommune }} ({{ citizen.kommune_cvr }}){{#each citizen.cases}}; {{ case.id }} {{ case.status }} {{ case.holder_name }} {{ case.benefit_key }}{{/each}}; {{ class.YDELSE.BOERNETILSKUD.uuid }}</sd:FejlbeskedTekst></sd:StandardRetur>
          </sdi:FremsoegSagDokumentIndeksOutput>
"#,
    );
    let search = |cpr: &str| {
        format!(
            r#"<x:SoegUdtryk><x:SoegSag xmlns:sag="urn:oio:sts:sagdok:sag:6" xmlns:gd="urn:oio:sts:generelledefinitioner:6" xmlns:sd="urn:oio:sagdok:3.0.0"><sag:AttributListe/><sag:TilstandListe/><sag:RelationListe><sag:Sagspart><gd:ReferenceID><sd:URNIdentifikator>urn:oio:cpr-nr:{cpr}</sd:URNIdentifikator></gd:ReferenceID></sag:Sagspart></sag:RelationListe></x:SoegSag></x:SoegUdtryk>"#
        )
    };
    let jens = fremsoeg(&app, &search("1507804329"));
    assert_eq!(jens.status, 200, "{}", jens.xml);
    let text = text_of(jens.body(), "FejlbeskedTekst").unwrap();
    let world = &app.loaded().world;
    let citizen = world
        .citizen_by_cpr(sfstub::world::Cpr::parse("1507804329", true).unwrap())
        .unwrap();
    assert!(text.starts_with("Jens Kjær Jensen, "), "{text}");
    assert!(
        text.contains(", 1550 København V, Københavns Kommune (64942212)"),
        "{text}"
    );
    assert_eq!(citizen.cases.len(), 3);
    for &id in &citizen.cases {
        let case = &world.cases[id as usize];
        let benefit = world.classes.benefits[usize::from(case.benefit)].class.key;
        let holder = &world.authority(case.holder).name;
        let expected = format!("; {} {} {holder} {benefit}", case.id, case.status.code());
        assert!(text.contains(&expected), "{expected:?} in {text}");
    }
    assert!(text.ends_with("; 144c233b-82d6-558e-a971-76ae25a2c659"), "{text}");
    // A CPR number the world does not know: the rule does not apply.
    let nobody = fremsoeg(&app, &search("0101010000"));
    assert_eq!(text_of(nobody.body(), "FejlbeskedTekst"), Some("OK"), "{}", nobody.xml);
}

#[test]
fn rules_choose_the_wsdls_faults() {
    let app = app(
        scenario_with(&format!(
            r#"  - wsdl: {}
    path: /print
    responses:
      - operation: spoergTilmelding
        citizen: TilmeldingRequest/**/CPRnummerIdentifikator
        set: {{ tilmeldt: "false" }}
      - operation: spoergTilmelding
        fault: SP_FejlFault
        reason: Ukendt CPR-nummer {{{{ request.TilmeldingRequest/**/CPRnummerIdentifikator }}}}
        body: |
          <dkal:Fejl xmlns:dkal="urn:oio:dkal:1.0.0"><dkal:FejlKode>1001</dkal:FejlKode><dkal:FejlTekst>Ukendt CPR-nummer</dkal:FejlTekst></dkal:Fejl>
      - operation: afsendBrev
        fault: ServiceplatformFault
        code: PRINT_CLOSED
        reason: Print er lukket
"#,
            wsdl(
                "sf1600-print-fjernprint",
                "resources/sf1600/wsdl/context/PrintService.wsdl"
            )
        )),
        SecurityMode::Off,
    );
    let ask = |cpr: &str| {
        post(
            &app,
            "/print",
            SoapVersion::V11,
            None,
            "",
            &format!(
                r#"<p:PrintSpoergTilmeldingRequest xmlns:p="http://serviceplatformen.dk/xml/wsdl/soap11/Print/Print/2/"><ac:AuthorityContext xmlns:ac="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><ac:MunicipalityCVR>29189846</ac:MunicipalityCVR></ac:AuthorityContext><p:TilmeldingRequest><d:SlutbrugerIdentitet xmlns:d="urn:oio:dkal:1.0.0"><a:CPRnummerIdentifikator xmlns:a="urn:oio:adir:dagpenge:2009.07.01">{cpr}</a:CPRnummerIdentifikator></d:SlutbrugerIdentitet></p:TilmeldingRequest></p:PrintSpoergTilmeldingRequest>"#
            ),
        )
    };
    let known = ask("1507804329");
    assert_eq!(known.status, 200, "{}", known.xml);
    assert_eq!(text_of(known.body(), "tilmeldt"), Some("false"));
    let unknown = ask("0101010000");
    assert_eq!(unknown.status, 500, "{}", unknown.xml);
    assert_eq!(unknown.reason(), "Ukendt CPR-nummer 0101010000");
    assert!(
        unknown
            .xml
            .contains("<detail><dkal:Fejl xmlns:dkal=\"urn:oio:dkal:1.0.0\"><dkal:FejlKode>1001</dkal:FejlKode>"),
        "{}",
        unknown.xml
    );
    let brev = post(
        &app,
        "/print",
        SoapVersion::V11,
        None,
        "",
        r#"<p:PrintAfsendBrevRequest xmlns:p="http://serviceplatformen.dk/xml/wsdl/soap11/Print/Print/2/"><ac:AuthorityContext xmlns:ac="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><ac:MunicipalityCVR>29189846</ac:MunicipalityCVR></ac:AuthorityContext></p:PrintAfsendBrevRequest>"#,
    );
    assert_eq!(brev.status, 500, "{}", brev.xml);
    assert_eq!(brev.reason(), "Print er lukket");
    assert!(
        brev.xml
            .contains("<ErrorCode>PRINT_CLOSED</ErrorCode><ErrorText>Print er lukket</ErrorText>"),
        "{}",
        brev.xml
    );
}

/// Log lines written while `f` runs.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    (out, text)
}

#[test]
fn an_answer_invalid_at_run_time_is_a_loud_fault_naming_the_rule() {
    let app = app(
        scenario_with(&format!(
            r#"  - wsdl: {}
    path: /sdi
    responses:
      - operation: fjern
        body: |
          <sdi:FjernSagDokumentIndeksOutput xmlns:sdi="urn:oio:sts:sagdok:sagdokumentindeks:6" xmlns:sd="urn:oio:sagdok:3.0.0">
            <sd:UnikRetur><sd:StatusKode>20</sd:StatusKode><sd:Type>sag</sd:Type><sd:UUIDIdentifikator>{{{{ request.SagUuid/UUIDIdentifikator }}}}</sd:UUIDIdentifikator></sd:UnikRetur>
          </sdi:FjernSagDokumentIndeksOutput>
"#,
            wsdl("sf1470-sagdokumentindeks-v6", "wsdl/SagDokumentIndeksService_6.wsdl")
        )),
        SecurityMode::Off,
    );
    let fjern = |uuid: &str| {
        post(
            &app,
            "/sdi",
            SoapVersion::V12,
            None,
            "",
            &format!(
                r#"<x:FjernSagDokumentIndeksInput xmlns:x="{SDI}" xmlns:sd="urn:oio:sagdok:3.0.0"><x:SagUuid><sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator></x:SagUuid></x:FjernSagDokumentIndeksInput>"#
            ),
        )
    };
    let good = fjern("0cc5d90e-0648-5c84-9b11-28bb2db50ee7");
    assert_eq!(good.status, 200, "{}", good.xml);
    assert!(
        good.body()
            .contains(">0cc5d90e-0648-5c84-9b11-28bb2db50ee7</sd:UUIDIdentifikator>")
    );
    let (bad, log) = logged(|| fjern("not-a-uuid"));
    assert_eq!(bad.status, 500, "{}", bad.xml);
    assert!(bad.xml.contains("soap:Receiver"), "{}", bad.xml);
    let reason = bad.reason();
    assert!(reason.contains("sfstub will not send an invalid answer"), "{reason}");
    assert!(reason.contains("the rule contracts[0].responses[0] ("), "{reason}");
    assert!(reason.contains("test.yaml:"), "{reason}");
    assert!(
        reason.contains("UUIDIdentifikator") && reason.contains("not-a-uuid"),
        "{reason}"
    );
    assert!(log.contains("ERROR") && log.contains("sfstub::engine"), "{log}");
    assert!(log.contains("contracts[0].responses[0]"), "{log}");
}
