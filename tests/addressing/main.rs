//! WS-Addressing in responses: whenever a request carries WS-Addressing headers, every service
//! answers with the reply Action its contract gives (read here from the WSDL sfstub serves), a
//! fresh MessageID and RelatesTo = the request's MessageID — in `off` mode plain, in the token
//! model signed with the rest of the response. Faults carry them too. Requests without
//! WS-Addressing get answers without it.

#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;

use bytes::Bytes;
use http::header;
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::security::dsig;
use sfstub::security::keys::shared_test_keys;
use sfstub::security::wss;
use sfstub::security::xmltree::{NodeId, Tree};
use sfstub::soap::SoapVersion;
use world::{SOAP11, SOAP12, WSA, app};

const REQUEST_ID: &str = "urn:uuid:7e57ad0e-5555-4b2a-8c3d-000000000007";
const WSAM: &str = "http://www.w3.org/2007/05/addressing/metadata";
const WSAW: &str = "http://www.w3.org/2006/05/addressing/wsdl";
const REQUEST_HEADER: &str = r#"<rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>5a1e0000-1111-4222-8333-944455556666</rh:TransactionUUID></rh:RequestHeader>"#;
const VIBORG: &str = "29189846";

/// One service to call: where, how, and which WSDL operation answers.
struct Case {
    path: &'static str,
    version: SoapVersion,
    /// The WSDL operation whose output Action the reply must carry.
    operation: &'static str,
    body: String,
    /// Another header the service wants (the støttesystem RequestHeader).
    header: &'static str,
    entity_id: &'static str,
}

fn cases() -> Vec<Case> {
    use sfstub::services::*;
    vec![
        Case {
            path: "/kontrolsaglistehent/1",
            version: SoapVersion::V12,
            operation: "KontrolsagListeHent",
            body: r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:h="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><h:HovedOplysninger><h:TransaktionsId>wsa-1</h:TransaktionsId><h:TransaktionsTid>2026-11-22T10:15:00Z</h:TransaktionsTid><h:AuthorityContext><h:MunicipalityCVR>29189846</h:MunicipalityCVR></h:AuthorityContext></h:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#.into(),
            header: "",
            entity_id: sf1472_kontrolsag::ENTITY_ID,
        },
        Case {
            path: sf1520_cpr::PATH_V4,
            version: SoapVersion::V11,
            operation: "PersonLookup",
            body: format!(
                r#"<tns:PersonLookupRequest xmlns:tns="{}"><autctx:AuthorityContext xmlns:autctx="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><autctx:MunicipalityCVR>29189846</autctx:MunicipalityCVR></autctx:AuthorityContext><cpr:PNR xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">1507804329</cpr:PNR></tns:PersonLookupRequest>"#,
                sf1520_cpr::NAMESPACE_V4
            ),
            header: "",
            entity_id: sf1520_cpr::ENTITY_ID_V4,
        },
        Case {
            path: "/organisation/virksomhed/6",
            version: SoapVersion::V12,
            operation: "soeg",
            body: r#"<v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:MaksimalAntalKvantitet>2</sd:MaksimalAntalKvantitet></v:SoegInput>"#.into(),
            header: REQUEST_HEADER,
            entity_id: sf1500_organisation::ENTITY_ID,
        },
        Case {
            path: "/klasse/7",
            version: SoapVersion::V12,
            operation: "soeg",
            body: r#"<k:SoegInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/"><k:MaksimalAntalKvantitet>1</k:MaksimalAntalKvantitet></k:SoegInput>"#.into(),
            header: REQUEST_HEADER,
            entity_id: sf1510_klassifikation::klasse::ENTITY_ID,
        },
        Case {
            path: "/klassifikationlistehent/2",
            version: SoapVersion::V12,
            operation: "KlassifikationListeHent",
            body: r#"<k:KlassifikationListeHent_I xmlns:k="http://www.kombit.dk/2017/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/"><kontekst:HovedOplysninger><kontekst:TransaktionsId>wsa-2</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:BrugervendtNoegleKriterie><k:KlassifikationBrugervendtNoegle>SFSTUB</k:KlassifikationBrugervendtNoegle></k:BrugervendtNoegleKriterie></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I>"#.into(),
            header: "",
            entity_id: sf1510_klassifikation::listehent::ENTITY_ID,
        },
    ]
}

/// The Action of `operation`'s output in the WSDL served at `path`: its explicit
/// `wsam:Action`/`wsaw:Action`, or the WS-Addressing 1.0 default action (written out here
/// independently of sfstub's code).
fn contract_action(app: &App, path: &str, operation: &str) -> String {
    let (status, wsdl) = get(app, &format!("{path}?wsdl"));
    assert_eq!(status, 200, "{path}?wsdl: {wsdl}");
    let tree = Tree::parse(wsdl.as_bytes()).unwrap();
    let root = tree.root();
    let tns = tree.attribute(root, None, "targetNamespace").unwrap().to_owned();
    let port_type = tree
        .child_elements(root)
        .find(|&c| tree.element(c).local_name() == "portType")
        .unwrap();
    let op = tree
        .child_elements(port_type)
        .find(|&c| tree.attribute(c, None, "name") == Some(operation))
        .unwrap_or_else(|| panic!("{path}: no operation {operation}"));
    let output = tree
        .child_elements(op)
        .find(|&c| tree.element(c).local_name() == "output")
        .unwrap();
    if let Some(a) = tree
        .attribute(output, Some(WSAM), "Action")
        .or(tree.attribute(output, Some(WSAW), "Action"))
    {
        return a.to_owned();
    }
    let name = tree
        .attribute(output, None, "name")
        .map_or(format!("{operation}Response"), str::to_owned);
    let port_type_name = tree.attribute(port_type, None, "name").unwrap();
    let delimiter = if tns.starts_with("urn:") { ":" } else { "/" };
    let separator = if tns.ends_with(delimiter) { "" } else { delimiter };
    format!("{tns}{separator}{port_type_name}{delimiter}{name}")
}

fn get(app: &App, uri: &str) -> (u16, String) {
    let request = http::Request::get(uri)
        .header(header::HOST, "127.0.0.1:8080")
        .body(Bytes::new())
        .unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

fn post(app: &App, path: &str, version: SoapVersion, body: String) -> (u16, String) {
    let request = http::Request::post(path)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::CONTENT_TYPE, version.content_type())
        .body(Bytes::from(body))
        .unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

fn soap_ns(version: SoapVersion) -> &'static str {
    match version {
        SoapVersion::V11 => SOAP11,
        SoapVersion::V12 => SOAP12,
    }
}

/// A plain request (no token) with or without WS-Addressing headers.
fn plain(case: &Case, addressing: bool) -> String {
    let wsa = if addressing {
        format!(
            r#"<a:Action xmlns:a="{WSA}">urn:request</a:Action><a:MessageID xmlns:a="{WSA}">{REQUEST_ID}</a:MessageID><a:To xmlns:a="{WSA}">http://127.0.0.1:8080{}</a:To><a:ReplyTo xmlns:a="{WSA}"><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>"#,
            case.path
        )
    } else {
        String::new()
    };
    format!(
        r#"<s:Envelope xmlns:s="{}"><s:Header>{wsa}{}</s:Header><s:Body>{}</s:Body></s:Envelope>"#,
        soap_ns(case.version),
        case.header,
        case.body
    )
}

/// A token-model request signed by the holder-of-key (it always carries WS-Addressing).
fn signed(app: &App, case: &Case) -> String {
    signed_with_id(app, case, REQUEST_ID)
}

/// [`signed`] with the MessageID `message_id`.
fn signed_with_id(app: &App, case: &Case, message_id: &str) -> String {
    let assertion = token::issue_token(app, case.entity_id, VIBORG);
    let assertion_id = token::assertion_id(&assertion);
    wss::signed_request(&wss::ClientRequest {
        version: case.version,
        action: "urn:request",
        to: &format!("http://127.0.0.1:8080{}", case.path),
        body: &case.body,
        assertion: &assertion,
        assertion_id: &assertion_id,
        key: &shared_test_keys().client.key,
        now: world::now(),
        message_id,
        header: (!case.header.is_empty()).then_some(case.header),
    })
    .unwrap()
}

/// The response's header children in the WS-Addressing namespace, by local name.
fn addressing_headers(tree: &Tree) -> Vec<(String, String, NodeId)> {
    let Some(header) = tree
        .child_elements(tree.root())
        .find(|&c| tree.element(c).local_name() == "Header")
    else {
        return Vec::new();
    };
    tree.child_elements(header)
        .filter(|&c| tree.namespace(c) == Some(WSA))
        .map(|c| (tree.element(c).local_name().to_owned(), tree.text(c), c))
        .collect()
}

fn value<'a>(headers: &'a [(String, String, NodeId)], local: &str) -> Option<&'a str> {
    headers.iter().find(|(l, _, _)| l == local).map(|(_, v, _)| v.as_str())
}

/// Asserts the three headers: the contract's Action, a fresh urn:uuid MessageID, RelatesTo.
#[track_caller]
fn assert_reply_addressing(what: &str, xml: &str, action: &str) -> (Tree, Vec<(String, String, NodeId)>) {
    let tree = Tree::parse(xml.as_bytes()).unwrap();
    let headers = addressing_headers(&tree);
    assert_eq!(value(&headers, "Action"), Some(action), "{what}: {xml}");
    assert_eq!(value(&headers, "RelatesTo"), Some(REQUEST_ID), "{what}: {xml}");
    let id = value(&headers, "MessageID").unwrap_or_else(|| panic!("{what}: no MessageID: {xml}"));
    let uuid = id.strip_prefix("urn:uuid:").unwrap_or_default();
    assert!(uuid::Uuid::try_parse(uuid).is_ok(), "{what}: MessageID {id:?}");
    assert_ne!(id, REQUEST_ID, "{what}: the reply has its own MessageID");
    assert_eq!(headers.len(), 3, "{what}: exactly Action, MessageID, RelatesTo: {xml}");
    (tree, headers)
}

#[test]
fn off_mode_answers_carry_the_contracts_action_a_fresh_message_id_and_relates_to() {
    let app = app(SecurityMode::Off);
    for case in cases() {
        let action = contract_action(&app, case.path, case.operation);
        let (status, first) = post(&app, case.path, case.version, plain(&case, true));
        assert_eq!(status, 200, "{}: {first}", case.path);
        assert!(first.contains(soap_ns(case.version)), "{}", case.path);
        let (_, headers) = assert_reply_addressing(case.path, &first, &action);
        let (_, second) = post(&app, case.path, case.version, plain(&case, true));
        let (_, again) = assert_reply_addressing(case.path, &second, &action);
        assert_ne!(
            value(&headers, "MessageID"),
            value(&again, "MessageID"),
            "{}: a fresh MessageID per answer",
            case.path
        );
        if !case.header.is_empty() {
            assert!(
                first.contains("5a1e0000-1111-4222-8333-944455556666"),
                "{}: the RequestHeader is still echoed: {first}",
                case.path
            );
        }
    }
}

#[test]
fn requests_without_addressing_get_answers_without_it() {
    let app = app(SecurityMode::Off);
    for case in cases() {
        let (status, xml) = post(&app, case.path, case.version, plain(&case, false));
        assert_eq!(status, 200, "{}: {xml}", case.path);
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        assert!(addressing_headers(&tree).is_empty(), "{}: {xml}", case.path);
    }
}

#[test]
fn token_mode_answers_sign_action_message_id_and_relates_to() {
    for mode in [SecurityMode::Token, SecurityMode::Strict] {
        let app = app(mode);
        for case in cases() {
            let action = contract_action(&app, case.path, case.operation);
            let (status, xml) = post(&app, case.path, case.version, signed(&app, &case));
            assert_eq!(status, 200, "{} ({mode:?}): {xml}", case.path);
            let (tree, headers) = assert_reply_addressing(case.path, &xml, &action);
            let signature = tree
                .descendants(tree.root())
                .into_iter()
                .find(|&n| tree.is(n, dsig::DS_NS, "Signature"))
                .unwrap_or_else(|| panic!("{}: a signed answer: {xml}", case.path));
            let verified = dsig::verify(
                &tree,
                signature,
                shared_test_keys().service.public_key(),
                "the service certificate",
                None,
            )
            .unwrap();
            for (local, _, node) in &headers {
                assert!(
                    verified.covered.contains(node),
                    "{} ({mode:?}): wsa:{local} is signed",
                    case.path
                );
            }
        }
    }
}

#[test]
fn the_sts_answers_with_the_rstrc_action_a_fresh_message_id_and_relates_to_signed() {
    let app = app(SecurityMode::Off);
    let action = contract_action(&app, world::STS_PATH, "Trust13Issue");
    assert_eq!(
        action,
        "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal"
    );
    let rst = token::rst(sfstub::services::sf1472_kontrolsag::ENTITY_ID, VIBORG, true);
    let (status, xml) = post(&app, world::STS_PATH, SoapVersion::V12, rst);
    assert_eq!(status, 200, "{xml}");
    let tree = Tree::parse(xml.as_bytes()).unwrap();
    let headers = addressing_headers(&tree);
    assert_eq!(value(&headers, "Action"), Some(action.as_str()));
    assert_eq!(value(&headers, "RelatesTo"), Some(token::RST_MESSAGE_ID));
    let id = value(&headers, "MessageID").expect("a MessageID");
    assert!(id.starts_with("urn:uuid:") && id != token::RST_MESSAGE_ID, "{id}");
    let signature = tree
        .descendants(tree.root())
        .into_iter()
        .find(|&n| {
            tree.is(n, dsig::DS_NS, "Signature") && tree.element(tree_parent(&tree, n)).local_name() == "Security"
        })
        .expect("the RSTR is signed");
    let verified = dsig::verify(&tree, signature, shared_test_keys().sts.public_key(), "the STS", None).unwrap();
    for (local, _, node) in &headers {
        assert!(verified.covered.contains(node), "wsa:{local} is signed");
    }
}

/// The parent element of `node`.
fn tree_parent(tree: &Tree, node: NodeId) -> NodeId {
    tree.descendants(tree.root())
        .into_iter()
        .chain(std::iter::once(tree.root()))
        .find(|&p| tree.child_elements(p).any(|c| c == node))
        .unwrap()
}

#[test]
fn faults_carry_addressing_too_with_the_declared_fault_action() {
    let app = app(SecurityMode::Off);
    // SF1520 declares ServiceplatformFault: its fault action is the WSDL's default fault action.
    let case = &cases()[1];
    let unknown = plain(case, true).replace("1507804329", "0101010101");
    let (status, xml) = post(&app, case.path, case.version, unknown);
    assert_eq!(status, 500, "{xml}");
    assert!(xml.contains("PNR not found"), "{xml}");
    assert_reply_addressing(
        "SF1520 fault",
        &xml,
        "http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/PersonBaseDataExtendedPortType/PersonLookup/Fault/ServiceplatformFault",
    );
    // A fault the contract does not declare: the generic SOAP fault action.
    let case = &cases()[0];
    let bad = plain(case, true).replace("UDBL_11A_STK2</k:Hjemmel>", "UDBL_11A_STK2</k:Hjemmel><k:Unknown>");
    let (status, xml) = post(&app, case.path, case.version, bad);
    assert_eq!(status, 400, "{xml}");
    let tree = Tree::parse(xml.as_bytes()).unwrap();
    assert!(
        addressing_headers(&tree).is_empty(),
        "a body that does not parse cannot be related: {xml}"
    );
    let wrong_operation = plain(case, true).replace("KontrolsagListeHent_I", "Nope_I");
    let (status, xml) = post(&app, case.path, case.version, wrong_operation);
    assert_eq!(status, 400, "{xml}");
    assert_reply_addressing("SF1472 fault", &xml, "http://www.w3.org/2005/08/addressing/soap/fault");
}

/// The reason of the fault in `tree` (SOAP 1.1 `faultstring`, SOAP 1.2 `Reason/Text`).
fn fault_reason(tree: &Tree) -> Option<String> {
    tree.descendants(tree.root())
        .into_iter()
        .find(|&n| matches!(tree.element(n).local_name(), "faultstring" | "Text"))
        .map(|n| tree.text(n))
}

#[test]
fn a_message_id_with_a_character_xml_does_not_allow_gets_a_sender_fault_naming_it() {
    let app = app(SecurityMode::Off);
    for case in &cases()[..2] {
        let sender = match case.version {
            SoapVersion::V11 => 500,
            SoapVersion::V12 => 400,
        };
        let id = |id: &str| plain(case, true).replace(REQUEST_ID, id);
        for (request, names) in [
            (
                id("urn:uuid:&#1;"),
                "the character reference &#1; names U+0001, a character XML 1.0 does not allow",
            ),
            (id("urn:uuid:&#xFFFE;"), "the character reference &#xFFFE; names U+FFFE"),
            (id("urn:uuid:\u{1}"), "it holds the character U+0001 written as it is"),
            (
                id("urn:uuid:\u{fffe}"),
                "it holds the character U+FFFE written as it is",
            ),
            (
                plain(case, true).replace("29189846<", "29189846\u{1}<"),
                "it holds the character U+0001",
            ),
        ] {
            let (status, xml) = post(&app, case.path, case.version, request.clone());
            assert_eq!(status, sender, "{}: {xml}", case.path);
            // The fault is well-formed XML, and says what is wrong where.
            let tree = Tree::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}: {xml:?}", case.path));
            let reason = fault_reason(&tree).unwrap_or_default();
            assert!(
                reason.starts_with("the request is not well-formed XML (at byte "),
                "{reason}"
            );
            assert!(reason.contains(names), "{}: {reason}", case.path);
            let at: usize = reason["the request is not well-formed XML (at byte ".len()..]
                .split(')')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a byte offset");
            assert!(
                request.as_bytes()[at..].starts_with(b"&#")
                    || request.as_bytes()[at] < 0x20
                    || request[at..].starts_with('\u{fffe}'),
                "{reason}"
            );
        }
    }
}

#[test]
fn a_message_id_with_a_carriage_return_comes_back_as_sent() {
    // `&#13;` is a carriage return; written raw it would be read back as a line feed.
    let sent = "urn:uuid:7e57ad0e&#13;5555";
    let read = "urn:uuid:7e57ad0e\r5555";
    let app_off = app(SecurityMode::Off);
    for case in &cases()[..2] {
        let (status, xml) = post(
            &app_off,
            case.path,
            case.version,
            plain(case, true).replace(REQUEST_ID, sent),
        );
        assert_eq!(status, 200, "{}: {xml}", case.path);
        assert!(xml.contains("&#13;"), "{xml:?}");
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        assert_eq!(
            value(&addressing_headers(&tree), "RelatesTo"),
            Some(read),
            "{}: {xml:?}",
            case.path
        );
        // A raw carriage return (and CR LF) in the MessageID is a line feed, as any reader reads it.
        let raw = plain(case, true).replace(REQUEST_ID, "urn:uuid:a\r\nb\rc");
        let (status, xml) = post(&app_off, case.path, case.version, raw);
        assert_eq!(status, 200, "{}: {xml}", case.path);
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        assert_eq!(
            value(&addressing_headers(&tree), "RelatesTo"),
            Some("urn:uuid:a\nb\nc"),
            "{xml:?}"
        );
    }
    // Signed: what is signed is what is sent.
    let app_token = app(SecurityMode::Token);
    for case in &cases()[..2] {
        let (status, xml) = post(
            &app_token,
            case.path,
            case.version,
            signed_with_id(&app_token, case, read),
        );
        assert_eq!(status, 200, "{}: {xml}", case.path);
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        let headers = addressing_headers(&tree);
        assert_eq!(value(&headers, "RelatesTo"), Some(read), "{}: {xml:?}", case.path);
        let signature = tree
            .descendants(tree.root())
            .into_iter()
            .find(|&n| tree.is(n, dsig::DS_NS, "Signature"))
            .expect("a signed answer");
        let verified = dsig::verify(
            &tree,
            signature,
            shared_test_keys().service.public_key(),
            "the service certificate",
            None,
        )
        .unwrap_or_else(|e| panic!("{}: {e}: {xml:?}", case.path));
        let relates_to = headers.iter().find(|(l, _, _)| l == "RelatesTo").map(|&(_, _, n)| n);
        assert!(
            verified.covered.contains(&relates_to.expect("RelatesTo")),
            "{}",
            case.path
        );
    }
}
