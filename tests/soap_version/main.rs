//! Strict where the platform is strict: the SOAP version. A SOAP-1.2-only service (SF1500,
//! SF1510 Klasse and KlassifikationListeHent, the STS) refuses SOAP 1.1, and the SOAP-1.1-only
//! SF1520 refuses SOAP 1.2, with a SOAP 1.1 VersionMismatch fault (SOAP 1.2 Part 1 Appendix A) —
//! in `strict` security, or with `--soap-version strict`. Lenient (answer in kind) stays the
//! default otherwise.

#[path = "../support/world.rs"]
mod world;

use bytes::Bytes;
use http::header;
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::soap::{SoapVersion, VersionCheck};
use world::{SOAP11, SOAP12, app};

const REQUEST_HEADER: &str = r#"<rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>5a1e0000-1111-4222-8333-944455556666</rh:TransactionUUID></rh:RequestHeader>"#;

/// (path, the version its contract binds, a header, a body that works in `off` mode).
fn services() -> Vec<(&'static str, SoapVersion, &'static str, String)> {
    vec![
        (
            "/organisation/virksomhed/6",
            SoapVersion::V12,
            REQUEST_HEADER,
            r#"<v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:MaksimalAntalKvantitet>1</sd:MaksimalAntalKvantitet></v:SoegInput>"#.into(),
        ),
        (
            "/klasse/7",
            SoapVersion::V12,
            REQUEST_HEADER,
            r#"<k:SoegInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/"><k:MaksimalAntalKvantitet>1</k:MaksimalAntalKvantitet></k:SoegInput>"#.into(),
        ),
        (
            "/klassifikationlistehent/2",
            SoapVersion::V12,
            "",
            r#"<k:KlassifikationListeHent_I xmlns:k="http://www.kombit.dk/2017/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/"><kontekst:HovedOplysninger><kontekst:TransaktionsId>v-1</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:BrugervendtNoegleKriterie><k:KlassifikationBrugervendtNoegle>SFSTUB</k:KlassifikationBrugervendtNoegle></k:BrugervendtNoegleKriterie></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I>"#.into(),
        ),
        (
            world::STS_PATH,
            SoapVersion::V12,
            "",
            r#"<trust:RequestSecurityToken xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512"/>"#.into(),
        ),
        (
            "/service/CPR/PersonBaseDataExtended/4",
            SoapVersion::V11,
            "",
            r#"<tns:PersonLookupRequest xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/"><autctx:AuthorityContext xmlns:autctx="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><autctx:MunicipalityCVR>29189846</autctx:MunicipalityCVR></autctx:AuthorityContext><cpr:PNR xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">1507804329</cpr:PNR></tns:PersonLookupRequest>"#.into(),
        ),
    ]
}

fn other(version: SoapVersion) -> SoapVersion {
    match version {
        SoapVersion::V11 => SoapVersion::V12,
        SoapVersion::V12 => SoapVersion::V11,
    }
}

fn post(app: &App, path: &str, version: SoapVersion, header: &str, body: &str) -> (u16, String, String) {
    let ns = match version {
        SoapVersion::V11 => SOAP11,
        SoapVersion::V12 => SOAP12,
    };
    let envelope =
        format!(r#"<s:Envelope xmlns:s="{ns}"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#);
    let request = http::Request::post(path)
        .header(header::CONTENT_TYPE, version.content_type())
        .body(Bytes::from(envelope))
        .unwrap();
    let response = sfstub::http::handle(app, request);
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        response.status().as_u16(),
        content_type,
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

fn with_check(mode: SecurityMode, check: Option<VersionCheck>) -> App {
    let mut app = app(mode);
    app.soap_version = check;
    app
}

/// SOAP 1.2 Part 1 Appendix A: the VersionMismatch fault is SOAP 1.1 whichever version the
/// service speaks; a SOAP 1.2 service adds the Upgrade header block naming the 1.2 envelope.
#[track_caller]
fn assert_version_mismatch(path: &str, speaks: SoapVersion, status: u16, content_type: &str, xml: &str) {
    assert_eq!(status, 500, "{path}: {xml}");
    assert_eq!(content_type, SoapVersion::V11.content_type(), "{path}");
    assert!(xml.contains(&format!("xmlns:soap=\"{SOAP11}\"")), "{path}: {xml}");
    assert!(
        xml.contains("<faultcode>soap:VersionMismatch</faultcode>"),
        "{path}: {xml}"
    );
    let upgrade = format!(
        "<soap:Header><upg:Upgrade xmlns:upg=\"{SOAP12}\"><upg:SupportedEnvelope qname=\"v:Envelope\" xmlns:v=\"{SOAP12}\"/></upg:Upgrade></soap:Header>"
    );
    match speaks {
        SoapVersion::V12 => {
            assert!(xml.contains(&upgrade), "{path}: {xml}");
            assert!(xml.contains("speaks SOAP 1.2 only"), "{path}: {xml}");
        }
        SoapVersion::V11 => {
            assert!(!xml.contains("Upgrade"), "{path}: {xml}");
            assert!(xml.contains("speaks SOAP 1.1 only"), "{path}: {xml}");
        }
    }
}

#[test]
fn strict_security_refuses_the_soap_version_a_contract_does_not_bind() {
    let app = app(SecurityMode::Strict);
    for (path, speaks, header, body) in services() {
        let (status, content_type, xml) = post(&app, path, other(speaks), header, &body);
        assert_version_mismatch(path, speaks, status, &content_type, &xml);
    }
}

#[test]
fn soap_version_strict_refuses_in_off_mode_and_answers_the_right_version() {
    let app = with_check(SecurityMode::Off, Some(VersionCheck::Strict));
    for (path, speaks, header, body) in services() {
        let (status, content_type, xml) = post(&app, path, other(speaks), header, &body);
        assert_version_mismatch(path, speaks, status, &content_type, &xml);
        let (status, _, xml) = post(&app, path, speaks, header, &body);
        assert!(!xml.contains("VersionMismatch"), "{path}: {xml}");
        if path != world::STS_PATH {
            assert_eq!(status, 200, "{path}: {xml}");
        }
    }
}

#[test]
fn lenient_is_the_default_outside_strict_security_and_answers_in_kind() {
    for app in [
        app(SecurityMode::Off),
        with_check(SecurityMode::Off, Some(VersionCheck::Lenient)),
    ] {
        for (path, speaks, header, body) in services() {
            if path == world::STS_PATH {
                continue;
            }
            let version = other(speaks);
            let (status, content_type, xml) = post(&app, path, version, header, &body);
            assert_eq!(status, 200, "{path}: {xml}");
            assert_eq!(content_type, version.content_type(), "{path}");
        }
    }
    assert_eq!(app(SecurityMode::Token).soap_version_check(), VersionCheck::Lenient);
    assert_eq!(app(SecurityMode::Strict).soap_version_check(), VersionCheck::Strict);
}

#[test]
fn soap_version_lenient_overrides_strict_security() {
    let app = with_check(SecurityMode::Strict, Some(VersionCheck::Lenient));
    let (path, speaks, header, body) = services().remove(0);
    let (status, _, xml) = post(&app, path, other(speaks), header, &body);
    assert_eq!(status, 500, "{xml}");
    assert!(
        !xml.contains("VersionMismatch") && xml.contains("token rejected"),
        "past the version check, the token check speaks: {xml}"
    );
}

#[test]
fn sf1472_binds_both_versions_and_answers_both_even_when_strict() {
    let app = with_check(SecurityMode::Off, Some(VersionCheck::Strict));
    let body = r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:h="http://kombit.dk/xml/schemas/kontekst/2017/01/01/"><h:HovedOplysninger><h:TransaktionsId>v</h:TransaktionsId><h:TransaktionsTid>2026-11-22T10:15:00Z</h:TransaktionsTid><h:AuthorityContext><h:MunicipalityCVR>29189846</h:MunicipalityCVR></h:AuthorityContext></h:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#;
    for version in [SoapVersion::V11, SoapVersion::V12] {
        let (status, content_type, xml) = post(&app, "/kontrolsaglistehent/1", version, "", body);
        assert_eq!(status, 200, "{xml}");
        assert_eq!(content_type, version.content_type());
    }
}
