//! Bad input never panics: for every endpoint, valid requests mutated at random (bytes
//! flipped, cut short, garbage inserted, elements duplicated) get an answer — a result, a
//! business error or a fault — with a status a client can act on, in every security mode.

#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;

mod fuzz;

use bytes::Bytes;
use proptest::prelude::*;
use sfstub::security::SecurityMode;

const K2017: &str = r#"xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/""#;

/// A valid request for each endpoint.
fn requests() -> Vec<(&'static str, String)> {
    vec![
        (
            "/kontrolsaglistehent/1",
            format!(
                r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><k:KontrolsagListeHent_I {K2017} revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK1</k:Hjemmel><k:SamtykkeDato>2026-11-01</k:SamtykkeDato><k:MyndighedCVRNummer>14720006</k:MyndighedCVRNummer><k:AnsoegningYdelse>KONTANTHJAELP</k:AnsoegningYdelse></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#
            ),
        ),
        (
            "/service/CPR/PersonBaseDataExtended/4",
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><tns:PersonLookupRequest xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/" xmlns:a="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/" xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/"><a:AuthorityContext><a:MunicipalityCVR>64942212</a:MunicipalityCVR></a:AuthorityContext><cpr:PNR>1507804329</cpr:PNR></tns:PersonLookupRequest></soap:Body></soap:Envelope>"#.to_owned(),
        ),
        (
            "/organisation/virksomhed/6",
            r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>x</rh:TransactionUUID></rh:RequestHeader></soap:Header><soap:Body><v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sts="urn:oio:sts:6" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:MaksimalAntalKvantitet>5</sd:MaksimalAntalKvantitet><v:AttributListe><v:Egenskab><sts:CVR-NummerTekst>29189420</sts:CVR-NummerTekst></v:Egenskab></v:AttributListe><v:TilstandListe/><v:RelationListe/></v:SoegInput></soap:Body></soap:Envelope>"#.to_owned(),
        ),
        (
            "/klasse/7",
            r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><k:ListInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>db228234-3c26-5265-b008-5debec0ec5f4</sd:UUIDIdentifikator></k:ListInput></soap:Body></soap:Envelope>"#.to_owned(),
        ),
        (
            "/klassifikationlistehent/2",
            format!(
                r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><k:KlassifikationListeHent_I {K2017} revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:BrugervendtNøgleKriterie><k:KlassifikationBrugervendtNøgle>KLE</k:KlassifikationBrugervendtNøgle></k:BrugervendtNøgleKriterie></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I></soap:Body></soap:Envelope>"#
            ),
        ),
        ("/runtime/services/kombittrust/14/certificatemixed", world_rst()),
        (
            "/runtime/api/rest/wstrust/v1/issue",
            r#"{"TokenType":"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0","RequestType":"http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue","KeyType":"http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey","AnvenderKontekst":{"Cvr":"29189846"},"AppliesTo":{"EndpointReference":{"Address":"http://entityid.kombit.dk/service/kontrolsaglistehent/1"}},"UseKey":"AAAA"}"#.to_owned(),
        ),
        (
            "/runtime/api/rest/oauth/v1/issue",
            "grant_type=client_credentials&scope=entityid:http://entityid.kombit.dk/service/kontrolsaglistehent/1,anvenderkontekst:29189846".to_owned(),
        ),
    ]
}

/// An unsigned RST (mutations of its shape are what matters here).
fn world_rst() -> String {
    r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><t:RequestSecurityToken xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><t:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</t:RequestType><t:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0</t:TokenType><t:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey</t:KeyType><p:AppliesTo xmlns:p="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:EndpointReference xmlns:a="http://www.w3.org/2005/08/addressing"><a:Address>http://entityid.kombit.dk/service/kontrolsaglistehent/1</a:Address></a:EndpointReference></p:AppliesTo><t:Claims><c:ClaimType xmlns:c="http://docs.oasis-open.org/wsfed/authorization/200706" Uri="dk:gov:saml:attribute:CvrNumberIdentifier"><c:Value>29189846</c:Value></c:ClaimType></t:Claims><t:UseKey><w:BinarySecurityToken xmlns:w="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">AAAA</w:BinarySecurityToken></t:UseKey></t:RequestSecurityToken></s:Body></s:Envelope>"#.to_owned()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Repeat(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Cut),
        (
            any::<usize>(),
            prop_oneof![
                Just(b"<".to_vec()),
                Just(b"&amp;&#0;&#xD800;&nbsp;".to_vec()),
                Just(b"<x:y/>".to_vec()),
                Just(b"</soap:Body>".to_vec()),
                Just("ÆØÅ\u{feff}".as_bytes().to_vec()),
                proptest::collection::vec(any::<u8>(), 1..16),
            ]
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Repeat(a, b)),
    ]
}

fn apply(mut body: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let n = body.len().max(1);
    match m {
        Mutation::Flip(i, b) => {
            let i = i % n;
            if i < body.len() {
                body[i] ^= b | 1;
            }
        }
        Mutation::Cut(i) => body.truncate(i % n),
        Mutation::Insert(i, s) => {
            let i = i % n;
            body.splice(i..i, s.iter().copied());
        }
        Mutation::Repeat(a, b) => {
            let (a, b) = (a % n, b % n);
            let (lo, hi) = (a.min(b), a.max(b));
            let copy = body[lo..hi.min(body.len())].to_vec();
            body.splice(hi.min(body.len())..hi.min(body.len()), copy);
        }
    }
    body
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_requests_get_an_answer_never_a_panic(
        which in 0usize..8,
        mutations in proptest::collection::vec(mutation(), 1..4),
        mode in prop_oneof![Just(SecurityMode::Off), Just(SecurityMode::Token), Just(SecurityMode::Strict)],
    ) {
        let app = world::app(mode);
        let (path, body) = &requests()[which];
        let body = mutations.iter().fold(body.clone().into_bytes(), apply);
        let response = sfstub::http::handle(&app, http::Request::post(*path).body(Bytes::from(body)).unwrap());
        let status = response.status().as_u16();
        prop_assert!(matches!(status, 200 | 400 | 401 | 403 | 413 | 500), "{path}: status {status}");
        prop_assert!(!response.body().is_empty(), "{path}: an empty answer");
    }
}

#[test]
fn the_unmutated_requests_are_answered() {
    let app = world::app(SecurityMode::Off);
    for (path, body) in requests() {
        let response = sfstub::http::handle(&app, http::Request::post(path).body(Bytes::from(body)).unwrap());
        assert!(
            matches!(response.status().as_u16(), 200 | 400 | 401),
            "{path}: {}",
            response.status()
        );
    }
}
