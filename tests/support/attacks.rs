//! Crafted requests that once cost sfstub seconds to minutes of CPU before any caller was
//! authenticated, as they were measured from outside. Shared by `tests/attacks` (which
//! asserts that each now costs little and is refused) and `examples/attack_cost.rs` (which
//! prints what each costs).
//!
//! Included with `#[path = "../support/attacks.rs"] mod attacks;`. Every builder returns the
//! path to post to and the body; all bodies stay under the default 1 MiB body limit.

#![allow(dead_code)]

use std::fmt::Write as _;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sfstub::security::SecurityMode;
use sfstub::security::xmltree::Tree;
use sha2::{Digest, Sha256};

pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const WSSE: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const WSU: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const SF1472_PATH: &str = "/kontrolsaglistehent/1";
pub const STS_PATH: &str = "/runtime/services/kombittrust/14/certificatemixed";

/// The operation element every attack carries in its Body (it is never reached).
const OPERATION: &str = r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" revision="1"/>"#;

/// `xmlns:p0="urn:0" xmlns:p1="urn:1" ...`, `n` declarations.
pub fn declarations(n: usize) -> String {
    let mut s = String::with_capacity(n * 18);
    for i in 0..n {
        let _ = write!(s, " xmlns:p{i}=\"urn:{i}\"");
    }
    s
}

/// ` xmlns:p0="u" p0:a="" xmlns:p1="u" p1:a="" ...`: `n` prefixes, each declared and used by
/// an attribute, so exclusive canonicalisation renders every one of them.
pub fn used_prefixes(n: usize) -> String {
    let mut s = String::with_capacity(n * 30);
    for i in 0..n {
        let _ = write!(s, " xmlns:p{i}=\"u\" p{i}:a=\"\"");
    }
    s
}

/// A SignedInfo with one RSA-SHA256 signature's worth of garbage as its value: a signature
/// that never verifies, whatever key judges it.
fn signature(references: &str) -> String {
    let value = B64.encode([0x5au8; 256]);
    format!(
        r#"<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>{references}</ds:SignedInfo><ds:SignatureValue>{value}</ds:SignatureValue></ds:Signature>"#
    )
}

/// One Reference to `#id`: with the enveloped-signature and exclusive c14n transforms, or
/// (`transforms` false) with none at all, which is the shortest a Reference can be.
fn reference(id: &str, digest: &str, transforms: bool) -> String {
    let transforms = if transforms {
        format!(
            r#"<ds:Transforms><ds:Transform Algorithm="{ENVELOPED}"/><ds:Transform Algorithm="{EXC_C14N}"/></ds:Transforms>"#
        )
    } else {
        String::new()
    };
    format!(
        r##"<ds:Reference URI="#{id}">{transforms}<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>"##
    )
}

/// An envelope whose Security header holds `security` and whose Body the SF1472 operation.
pub fn envelope(envelope_attributes: &str, security: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}" xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"{envelope_attributes}><soap:Header><wsse:Security>{security}</wsse:Security></soap:Header><soap:Body>{OPERATION}</soap:Body></soap:Envelope>"#
    )
}

/// A fake assertion (token mode) whose signature's one Reference points at an element with
/// 18 000 namespace declarations (each used by an attribute) and 110 000 children:
/// canonicalisation copied the map of rendered prefixes into every element, ~(prefixes ×
/// elements). Measured from outside: 145 s of CPU, 1 MB.
pub fn namespace_flood_reference() -> (&'static str, String) {
    let children = "<c/>".repeat(110_000);
    let big = format!(
        r#"<x:Big xmlns:x="urn:x" wsu:Id="big"{}>{children}</x:Big>"#,
        used_prefixes(18_000)
    );
    let assertion = fake_assertion(&reference("big", "AAAA", false));
    (SF1472_PATH, envelope("", &format!("{assertion}{big}")))
}

/// A fake assertion (token mode) whose signature carries 200 correct References to one
/// element with 1 000 rendered prefixes and 5 000 children: every one was canonicalised
/// before the signature value was looked at. ~100 KB; measured from outside: 55 s.
pub fn repeated_references() -> (&'static str, String) {
    repeated_references_with(200, 1_000, 5_000)
}

/// [`repeated_references`] with `count` References to an element with `prefixes` rendered
/// prefixes and `children` children.
pub fn repeated_references_with(count: usize, prefixes: usize, children: usize) -> (&'static str, String) {
    let target = format!(
        r#"<x:T xmlns:x="urn:x" wsu:Id="t"{}>{}</x:T>"#,
        used_prefixes(prefixes),
        "<c/>".repeat(children)
    );
    let references: String = (0..count).map(|_| reference("t", "DIGEST", false)).collect();
    let template = envelope("", &format!("{}{target}", fake_assertion(&references)));
    // Every Reference is correct: the digest of the target where it stands (its `wsu`
    // prefix is declared on the Envelope).
    let tree = Tree::parse_with(template.as_bytes(), generous()).expect("the template parses");
    let t = tree.element_by_id("t").ok().flatten().expect("the target");
    let digest = B64.encode(Sha256::digest(tree.exc_c14n(t, None, &[])));
    (SF1472_PATH, template.replace("DIGEST", &digest))
}

/// [`repeated_references`] kept within the default limits: 200 References to an element with
/// 63 rendered prefixes (126 attributes) and 2 000 children.
pub fn repeated_references_within_limits() -> (&'static str, String) {
    repeated_references_with(200, 63, 2_000)
}

/// [`namespace_flood_reference`] kept within the default limits: one Reference to an element
/// with 63 rendered prefixes and 110 000 children.
pub fn namespace_flood_within_limits() -> (&'static str, String) {
    let children = "<c/>".repeat(110_000);
    let big = format!(
        r#"<x:Big xmlns:x="urn:x" wsu:Id="big"{}>{children}</x:Big>"#,
        used_prefixes(63)
    );
    let assertion = fake_assertion(&reference("big", "AAAA", false));
    (SF1472_PATH, envelope("", &format!("{assertion}{big}")))
}

/// Limits wide enough for the attacks themselves, to compute their digests.
fn generous() -> sfstub::soap::Limits {
    sfstub::soap::Limits {
        max_depth: 64,
        max_attributes: 1 << 20,
        max_namespaces: 1 << 20,
    }
}

/// An assertion that looks issued by the STS but whose signature (with these References)
/// never verifies.
fn fake_assertion(references: &str) -> String {
    format!(
        r#"<saml:Assertion xmlns:saml="{SAML}" ID="_fake" Version="2.0"><saml:Issuer>x</saml:Issuer>{}</saml:Assertion>"#,
        signature(references)
    )
}

/// One element with 140 000 attributes (977 KB) in a Security header: quick-xml's duplicate
/// check compares each name with all before it. Read in every mode, `off` included; measured:
/// 17–23 s.
pub fn many_attributes() -> (&'static str, String) {
    (SF1472_PATH, envelope("", &format!("<x{}/>", attributes(140_000))))
}

/// The same element in a WS-Trust request to the SOAP STS, which reads every request into a
/// tree.
pub fn sts_many_attributes() -> (&'static str, String) {
    let body = format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body><trust:RequestSecurityToken xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><x{}/></trust:RequestSecurityToken></soap:Body></soap:Envelope>"#,
        attributes(140_000)
    );
    (STS_PATH, body)
}

/// ` aaa="" aab="" ...`: `n` distinct attributes with three-letter names (at most 52³).
pub fn attributes(n: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let l = LETTERS.len();
    let mut s = String::with_capacity(n * 7);
    for i in 0..n.min(l * l * l) {
        let name = [LETTERS[i / (l * l)], LETTERS[i / l % l], LETTERS[i % l]];
        s.push(' ');
        s.push_str(std::str::from_utf8(&name).unwrap_or("aaa"));
        s.push_str("=\"\"");
    }
    s
}

/// 20 000 namespace declarations on the Envelope, then elements using the first prefix: each
/// name resolves by searching the declarations from the last. ~1 MiB; measured: ~1 s.
pub fn namespace_flood_prefix() -> (&'static str, String) {
    let children = "<p0:a/>".repeat(80_000);
    let body = format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}"{}><soap:Body><p0:KontrolsagListeHent_I>{children}</p0:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#,
        declarations(20_000)
    );
    (SF1472_PATH, body)
}

/// A 900 KB LIKE pattern (`%a%a%a…`) in a soeg: SF1500 Virksomhed by `NavnTekst`, or SF1510
/// Klasse by `TitelTekst`. It was lower-cased and split again for every object compared.
pub fn huge_like_pattern(sf1510: bool) -> (&'static str, String) {
    let pattern = "%a".repeat(450_000);
    if sf1510 {
        let body = format!(
            r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body><k:SoegInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/" xmlns:sd="urn:oio:sagdok:3.0.0"><k:AttributListe><k:Egenskab><sd:TitelTekst>{pattern}</sd:TitelTekst></k:Egenskab></k:AttributListe><k:TilstandListe/><k:RelationListe/></k:SoegInput></soap:Body></soap:Envelope>"#
        );
        ("/klasse/7", body)
    } else {
        let body = format!(
            r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body><v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sts="urn:oio:sts:6"><v:AttributListe><v:Egenskab><sts:NavnTekst>{pattern}</sts:NavnTekst></v:Egenskab></v:AttributListe><v:TilstandListe/><v:RelationListe/></v:SoegInput></soap:Body></soap:Envelope>"#
        );
        ("/organisation/virksomhed/6", body)
    }
}

/// One attack: what it is, the mode it was measured in, where it goes and what it sends.
pub struct Attack {
    pub name: &'static str,
    pub mode: SecurityMode,
    pub path: &'static str,
    pub body: String,
}

/// Every attack, for the example that prints their cost.
pub fn all() -> Vec<Attack> {
    let attack = |name, mode, (path, body): (&'static str, String)| Attack { name, mode, path, body };
    vec![
        attack(
            "namespace flood behind one Reference",
            SecurityMode::Token,
            namespace_flood_reference(),
        ),
        attack("200 repeated References", SecurityMode::Token, repeated_references()),
        attack(
            "140 000 attributes on one element",
            SecurityMode::Off,
            many_attributes(),
        ),
        attack("140 000 attributes in an RST", SecurityMode::Off, sts_many_attributes()),
        attack(
            "20 000 namespace declarations, then their first prefix",
            SecurityMode::Off,
            namespace_flood_prefix(),
        ),
        attack(
            "200 repeated References, within the XML limits",
            SecurityMode::Token,
            repeated_references_within_limits(),
        ),
        attack(
            "one Reference to 110 000 elements under 63 prefixes, within the XML limits",
            SecurityMode::Token,
            namespace_flood_within_limits(),
        ),
        attack(
            "900 KB LIKE pattern, SF1500 soeg",
            SecurityMode::Off,
            huge_like_pattern(false),
        ),
        attack(
            "900 KB LIKE pattern, SF1510 Klasse soeg",
            SecurityMode::Off,
            huge_like_pattern(true),
        ),
    ]
}
