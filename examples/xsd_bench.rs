//! The contract loader and validator's figures (`scripts/bench` runs this): how long each
//! KOMBIT contract in `../shared/contracts` takes to load and compile, and validations per
//! second for a typical SF1472 request and an SF1500 response, on one core; and what request
//! conformance's XSD check costs per request for each service.
//!
//!     cargo run --release --example xsd_bench

#[path = "support/requests.rs"]
mod requests;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sfstub::xsd::{Contract, Instance, Limits, QName, SchemaSet, Source};

fn contracts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts")
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let t = f();
    (t, start.elapsed())
}

/// Validations per second over about a second (at least 1000).
fn rate(set: &SchemaSet, doc: &[u8], expected: &QName) -> f64 {
    let id = set.global_element(expected).expect("the element is declared");
    let input = Instance::new(doc);
    assert!(
        set.validate_instance(&input, Some(id), Limits::default()).is_empty(),
        "the benchmark document is valid"
    );
    let start = Instant::now();
    let mut n = 0u64;
    while n < 1000 || start.elapsed() < Duration::from_secs(1) {
        std::hint::black_box(set.validate_instance(&input, Some(id), Limits::default()));
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let sets: Vec<(&str, Vec<&str>)> = vec![
        (
            "sf1470-sagdokumentindeks-v6",
            vec!["wsdl/SagDokumentIndeksService_6.wsdl"],
        ),
        (
            "sf1490-ydelsesindeks-v6",
            vec![
                "wsdl/YdelseIndeks.wsdl",
                "wsdl/BevillingIndeks.wsdl",
                "wsdl/OekonomiskEffektueringIndeks.wsdl",
            ],
        ),
        (
            "sf1500-organisation-v6",
            vec![
                "wsdl/Adresse.wsdl",
                "wsdl/Bruger.wsdl",
                "wsdl/Facet.wsdl",
                "wsdl/Interessefaellesskab.wsdl",
                "wsdl/ItSystem.wsdl",
                "wsdl/Klasse.wsdl",
                "wsdl/Klassifikation.wsdl",
                "wsdl/KlassifikationSystem.wsdl",
                "wsdl/Myndighed.wsdl",
                "wsdl/Organisation.wsdl",
                "wsdl/OrganisationAdministration.wsdl",
                "wsdl/OrganisationEnhed.wsdl",
                "wsdl/OrganisationFunktion.wsdl",
                "wsdl/OrganisationSystem.wsdl",
                "wsdl/Person.wsdl",
                "wsdl/Virksomhed.wsdl",
            ],
        ),
        ("sf1510-klasse-v7", vec!["wsdl/KlasseService.wsdl"]),
        (
            "sf1520-personbasedataextended-v4",
            vec![
                "wsdl/context/PersonBaseDataExtendedService.wsdl",
                "wsdl/token/PersonBaseDataExtendedService.wsdl",
            ],
        ),
        (
            "sf2900-fordelingskomponent",
            vec![
                "resources/sf2900/wsdl/context/DistributionService.wsdl",
                "resources/sf2900/wsdl/token/DistributionService.wsdl",
            ],
        ),
        (
            "sf1600-print-fjernprint",
            vec![
                "resources/sf1600/wsdl/context/PrintService.wsdl",
                "resources/sf1600/wsdl/token/PrintService.wsdl",
            ],
        ),
        ("sf1514-sts", vec!["sts.wsdl"]),
    ];
    println!("== loading (parse every file, resolve, compile) — one core");
    let mut total = Duration::ZERO;
    for (folder, wsdls) in &sets {
        let source = Source::dir(contracts().join(folder));
        let (files, elapsed) = time(|| {
            wsdls
                .iter()
                .map(|w| {
                    let c = Contract::load(&source, w).unwrap_or_else(|e| panic!("{e}"));
                    c.schema.files().len() + c.wsdl.files.len()
                })
                .sum::<usize>()
        });
        total += elapsed;
        println!(
            "{folder:<36} {:>2} WSDL(s), {files:>4} files read: {:>7.1} ms",
            wsdls.len(),
            elapsed.as_secs_f64() * 1e3
        );
    }
    let oio = Source::dir(contracts().join("sf1600-print-fjernprint/resources/sf1600/SF1600_EP_SP1-2/xsd/oio"));
    let (set, elapsed) = time(|| SchemaSet::load(&oio, &["ForsendelseI.xsd"]).expect("Fjernprint loads"));
    total += elapsed;
    println!(
        "{:<36} ForsendelseI, {:>4} files read: {:>7.1} ms",
        "Fjernprint (as published)",
        set.files().len(),
        elapsed.as_secs_f64() * 1e3
    );
    println!("every set: {:.1} ms", total.as_secs_f64() * 1e3);

    println!("== validation — one core, one element at a time");
    let minimal = std::fs::read(
        contracts().join("sf1601-kombipostafsend-examples/tests/physical_mail_xml/ForsendelseI_Minimal.xml"),
    )
    .unwrap();
    let r = rate(&set, &minimal, &QName::new("urn:oio:fjernprint:1.0.0", "ForsendelseI"));
    println!(
        "Fjernprint ForsendelseI_Minimal ({} bytes): {r:.0} validations/s ({:.1} µs each)",
        minimal.len(),
        1e6 / r
    );
    let scenario = sfstub::scenario::Scenario::parse(
        sfstub::scenario::DEFAULT_SCENARIO,
        sfstub::scenario::DEFAULT_SCENARIO_FILE,
        None,
    )
    .expect("the built-in scenario");
    let app = sfstub::app::App::new(scenario, sfstub::app::Limits::default());
    let base = "http://127.0.0.1:8080/kontrolsaglistehent/1";
    let loaded = app.loaded();
    let service = loaded
        .services
        .iter()
        .find(|s| s.contract(Some("KontrolsagListeHent.xsd"), base).is_some())
        .expect("SF1472");
    let files: Vec<(String, String)> = ["KontrolsagListeHent.xsd", "Kontekst.xsd"]
        .iter()
        .map(|f| (f.to_string(), service.contract(Some(f), base).unwrap()))
        .collect();
    let sf1472 = SchemaSet::load(&Source::memory(files), &["KontrolsagListeHent.xsd"]).unwrap();
    let request = SF1472_REQUEST;
    let r = rate(
        &sf1472,
        request,
        &QName::new("http://www.kombit.dk/int/2022/01/01/", "KontrolsagListeHent_I"),
    );
    println!(
        "SF1472 KontrolsagListeHent_I ({} bytes): {r:.0} validations/s ({:.1} µs each)",
        request.len(),
        1e6 / r
    );

    let sf1500 = Contract::load(
        &Source::dir(contracts().join("sf1500-organisation-v6")),
        "wsdl/Virksomhed.wsdl",
    )
    .unwrap();
    let request = http::Request::post("/organisation/virksomhed/6")
        .header("Content-Type", "application/soap+xml; charset=utf-8")
        .body(bytes::Bytes::from_static(br#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f</rh:TransactionUUID></rh:RequestHeader></soap:Header><soap:Body><v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sts="urn:oio:sts:6" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:MaksimalAntalKvantitet>100</sd:MaksimalAntalKvantitet><v:AttributListe/><v:TilstandListe/><v:RelationListe/></v:SoegInput></soap:Body></soap:Envelope>"#))
        .unwrap();
    let mut app = app;
    app.security.mode = sfstub::security::SecurityMode::Off;
    let response = sfstub::http::handle(&app, request);
    let body = response.body().to_vec();
    let (start, end) = body_span(&body).expect("the response has a Body element");
    let input = Instance::within(&body, start..end);
    let expected = QName::new("http://stoettesystemerne.dk/organisation/virksomhed/6/", "SoegOutput");
    let id = sf1500.schema.global_element(&expected).unwrap();
    let findings = sf1500.schema.validate_instance(&input, Some(id), Limits::default());
    assert!(findings.is_empty(), "{findings:?}");
    let begin = Instant::now();
    let mut n = 0u64;
    while n < 1000 || begin.elapsed() < Duration::from_secs(1) {
        std::hint::black_box(sf1500.schema.validate_instance(&input, Some(id), Limits::default()));
        n += 1;
    }
    let r = n as f64 / begin.elapsed().as_secs_f64();
    println!(
        "SF1500 SoegOutput ({} bytes, with namespaces from the envelope): {r:.0} validations/s ({:.1} µs each)",
        end - start,
        1e6 / r
    );
    conformance_per_service(&app);
}

use requests::KONTROLSAG_STK1_ELEMENT as SF1472_REQUEST;

/// The byte range of the first element inside the SOAP Body.
fn body_span(doc: &[u8]) -> Option<(usize, usize)> {
    let text = std::str::from_utf8(doc).ok()?;
    let body = text.find(":Body>")? + ":Body>".len();
    let start = body + text[body..].find('<')?;
    let end = text.rfind("</")?;
    let end = text[..end].rfind("</")?;
    Some((start, end))
}

/// The cost of request conformance's XSD check per request, in-process, for a valid request
/// to each service: parse the envelope, find the namespaces in scope, validate the operation
/// element against the service's compiled schema.
fn conformance_per_service(app: &sfstub::app::App) {
    use sfstub::conformance::schema::{Target, check};
    use sfstub::soap::xml::Utf8Input;
    println!("== conformance: the XSD check of one valid request (envelope parsed once) — one core");
    let rh = r#"<s:Header><rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f</rh:TransactionUUID></rh:RequestHeader></s:Header>"#;
    let env = |ns: &str, header: &str, body: &str| {
        format!("<s:Envelope xmlns:s=\"{ns}\">{header}<s:Body>{body}</s:Body></s:Envelope>")
    };
    let v11 = "http://schemas.xmlsoap.org/soap/envelope/";
    let v12 = "http://www.w3.org/2003/05/soap-envelope";
    let sf1472 = format!(
        "<s:Envelope xmlns:s=\"{v12}\"><s:Body>{}</s:Body></s:Envelope>",
        std::str::from_utf8(SF1472_REQUEST).unwrap()
    );
    let requests = [
        ("/kontrolsaglistehent/1", sf1472),
        (
            "/service/CPR/PersonBaseDataExtended/4",
            env(
                v11,
                "",
                r#"<p:PersonLookupRequest xmlns:p="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/"><a:AuthorityContext xmlns:a="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><a:MunicipalityCVR>64942212</a:MunicipalityCVR></a:AuthorityContext><c:PNR xmlns:c="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">1507804329</c:PNR></p:PersonLookupRequest>"#,
            ),
        ),
        (
            "/organisation/virksomhed/6",
            env(
                v12,
                rh,
                r#"<o:SoegInput xmlns:o="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sts="urn:oio:sts:6" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:MaksimalAntalKvantitet>100</sd:MaksimalAntalKvantitet><o:AttributListe><o:Egenskab><sts:CVR-NummerTekst>29189420</sts:CVR-NummerTekst></o:Egenskab></o:AttributListe><o:TilstandListe/><o:RelationListe/></o:SoegInput>"#,
            ),
        ),
        (
            "/klasse/7",
            env(
                v12,
                rh,
                r#"<k:LaesInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>9b8b2a6e-0000-5000-8000-000000000000</sd:UUIDIdentifikator></k:LaesInput>"#,
            ),
        ),
        (
            "/klassifikationlistehent/2",
            env(
                v12,
                "",
                r#"<k:KlassifikationListeHent_I xmlns:k="http://www.kombit.dk/2017/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="r6821"><kontekst:HovedOplysninger><kontekst:TransaktionsId>tx-1</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:BrugervendtNøgleKriterie><k:KlassifikationBrugervendtNøgle>SFSTUB</k:KlassifikationBrugervendtNøgle></k:BrugervendtNøgleKriterie></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I>"#,
            ),
        ),
        (
            "/runtime/services/kombittrust/14/certificatemixed",
            env(
                v12,
                "",
                r#"<trust:RequestSecurityToken xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512" Context="ctx-1"><trust:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</trust:RequestType><trust:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0</trust:TokenType><trust:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey</trust:KeyType></trust:RequestSecurityToken>"#,
            ),
        ),
    ];
    for (path, body) in requests {
        let loaded = app.loaded();
        let service = loaded.service_for(path).expect("served");
        let profile = loaded.profile(service);
        let envelope =
            sfstub::soap::parse_envelope(body.as_bytes(), Default::default(), sfstub::soap::SoapVersion::V12)
                .expect("a SOAP envelope");
        let target = Target::of(service, profile.and_then(|p| p.schema.as_deref()), &envelope).expect("a schema");
        // As `serve` hands it over: the body checked to be UTF-8 once, when it was received.
        let request = Utf8Input::checked(body.as_bytes(), Some(body.as_str()));
        let mut findings = Vec::new();
        check(&target, request, &envelope, None, &mut findings);
        assert!(findings.is_empty(), "{}: {findings:?}", service.title());
        let begin = Instant::now();
        let mut n = 0u64;
        while n < 1000 || begin.elapsed() < Duration::from_millis(500) {
            findings.clear();
            check(&target, request, &envelope, None, &mut findings);
            std::hint::black_box(&findings);
            n += 1;
        }
        let each = begin.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("{:<36} ({:>4} bytes): {each:.1} µs", service.title(), body.len());
    }
}
