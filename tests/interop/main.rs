//! Interoperability of sfstub's XML signatures with an implementation nobody here wrote:
//! xmlsec1 (Debian package `xmlsec1`, installed by `scripts/test`). What sfstub signs must
//! verify with xmlsec1, and what xmlsec1 signs must verify with sfstub.

mod tools;
#[path = "../support/xmlsec.rs"]
mod xmlsec;

use sfstub::security::dsig::{self, DS_NS, SIGNATURE_PLACEHOLDER, SignReference};
use sfstub::security::xmltree::Tree;
use tools::test_key;
use xmlsec::{TempDir, xmlsec1};

const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn assertion_template() -> String {
    format!(
        r#"<saml:Assertion xmlns:saml="{SAML_NS}" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="_a1" IssueInstant="2026-11-22T12:00:00Z" Version="2.0"><saml:Issuer>https://sts.sfstub.invalid</saml:Issuer>{SIGNATURE_PLACEHOLDER}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">CN=Test &amp; "quoted", O=Ærø // CVR:12345678, C=DK</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="dk:gov:saml:attribute:CvrNumberIdentifier"><saml:AttributeValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">29189846</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>"#
    )
}

#[test]
fn an_assertion_signed_by_sfstub_verifies_with_xmlsec1() {
    let key = test_key();
    let signed = dsig::sign(
        &assertion_template(),
        &[SignReference::enveloping("_a1")],
        key,
        "<ds:KeyName>sfstub</ds:KeyName>",
    )
    .unwrap();
    let dir = TempDir::new("sign");
    let pubkey = dir.write("pub.pem", key.public_key().to_spki_pem().unwrap().as_bytes());
    let doc = dir.write("signed.xml", signed.as_bytes());
    let (ok, out) = xmlsec1(&[
        "--verify",
        "--pubkey-pem",
        pubkey.to_str().unwrap(),
        "--id-attr:ID",
        &format!("{SAML_NS}:Assertion"),
        doc.to_str().unwrap(),
    ]);
    assert!(ok, "xmlsec1 refused sfstub's signature:\n{out}\n{signed}");
    let tampered = dir.write("tampered.xml", signed.replace("29189846", "29189847").as_bytes());
    let (ok, _) = xmlsec1(&[
        "--verify",
        "--pubkey-pem",
        pubkey.to_str().unwrap(),
        "--id-attr:ID",
        &format!("{SAML_NS}:Assertion"),
        tampered.to_str().unwrap(),
    ]);
    assert!(
        !ok,
        "xmlsec1 accepted a tampered assertion: the test cannot tell good from bad"
    );
}

#[test]
fn a_document_signed_by_xmlsec1_verifies_with_sfstub() {
    let key = test_key();
    let dir = TempDir::new("verify");
    let keyfile = dir.write("key.pem", key.to_pkcs8_pem().as_bytes());
    let template = format!(
        r##"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
  <soap:Header>
    <ds:Signature xmlns:ds="{DS_NS}">
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
        <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
        <ds:Reference URI="#body">
          <ds:Transforms>
            <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">
              <ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="soap"/>
            </ds:Transform>
          </ds:Transforms>
          <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
          <ds:DigestValue/>
        </ds:Reference>
      </ds:SignedInfo>
      <ds:SignatureValue/>
    </ds:Signature>
  </soap:Header>
  <soap:Body wsu:Id="body">
    <k:Op xmlns:k="urn:k" b="2" a="1">Æble &amp; &lt;pære&gt;
      <k:Empty/>
    </k:Op>
  </soap:Body>
</soap:Envelope>"##
    );
    let tmpl = dir.write("tmpl.xml", template.as_bytes());
    let out_path = dir.path().join("signed.xml");
    let (ok, out) = xmlsec1(&[
        "--sign",
        "--privkey-pem",
        keyfile.to_str().unwrap(),
        "--id-attr:Id",
        "http://www.w3.org/2003/05/soap-envelope:Body",
        "--output",
        out_path.to_str().unwrap(),
        tmpl.to_str().unwrap(),
    ]);
    assert!(ok, "xmlsec1 could not sign:\n{out}");
    let signed = std::fs::read(&out_path).unwrap();
    let tree = Tree::parse(&signed).unwrap();
    let sig = tree
        .descendants(tree.root())
        .into_iter()
        .find(|&n| tree.is(n, DS_NS, "Signature"))
        .unwrap();
    let verified = dsig::verify(&tree, sig, key.public_key(), "the test key", None);
    assert!(verified.is_ok(), "{verified:?}\n{}", String::from_utf8_lossy(&signed));
    let tampered = String::from_utf8(signed).unwrap().replace("b=\"2\"", "b=\"3\"");
    assert!(tampered.contains("b=\"3\""), "the tampering took place");
    let tree = Tree::parse(tampered.as_bytes()).unwrap();
    let sig = tree
        .descendants(tree.root())
        .into_iter()
        .find(|&n| tree.is(n, DS_NS, "Signature"))
        .unwrap();
    assert!(matches!(
        dsig::verify(&tree, sig, key.public_key(), "the test key", None),
        Err(dsig::DsigError::DigestMismatch(what)) if what.contains("soap:Body")
    ));
}

#[test]
fn a_signed_response_relating_to_a_message_id_with_a_carriage_return_verifies_with_xmlsec1() {
    use sfstub::security::wss::{Signer, signed_response};
    use sfstub::soap::{ResponseAddressing, SoapVersion};
    let key = test_key();
    let addressing = ResponseAddressing {
        action: "urn:reply".into(),
        message_id: "urn:uuid:1".into(),
        // Sent as &#13;, which the client's reader reads as a carriage return: what is signed
        // (exc-c14n writes it &#xD;) must be what xmlsec1 reads from what is sent.
        relates_to: Some("urn:uuid:a\r\nb\rc\t<&>".into()),
    };
    let signer = Signer {
        key,
        certificate_base64: "MIIB",
    };
    let body = r#"<x:Answer xmlns:x="urn:x">1</x:Answer>"#.as_bytes();
    let signed = signed_response(
        SoapVersion::V12,
        body,
        Some(&addressing),
        None,
        chrono::Utc::now(),
        &signer,
    )
    .unwrap();
    let signed = String::from_utf8(signed).unwrap();
    assert!(signed.contains("urn:uuid:a&#13;\nb&#13;c"), "{signed}");
    let dir = TempDir::new("relates-to");
    let pubkey = dir.write("pub.pem", key.public_key().to_spki_pem().unwrap().as_bytes());
    let verify = |name: &str, xml: &str| {
        let doc = dir.write(name, xml.as_bytes());
        let mut args = vec![
            "--verify".to_owned(),
            "--pubkey-pem".to_owned(),
            pubkey.to_str().unwrap().to_owned(),
        ];
        for element in [
            "http://www.w3.org/2003/05/soap-envelope:Body",
            "http://www.w3.org/2005/08/addressing:Action",
            "http://www.w3.org/2005/08/addressing:MessageID",
            "http://www.w3.org/2005/08/addressing:RelatesTo",
            "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd:Timestamp",
        ] {
            args.push("--id-attr:Id".to_owned());
            args.push(element.to_owned());
        }
        args.push(doc.to_str().unwrap().to_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        xmlsec1(&args)
    };
    let (ok, out) = verify("signed.xml", &signed);
    assert!(ok, "xmlsec1 refused the signed response:\n{out}\n{signed}");
    // A raw carriage return where &#13; was sent reads as a line feed: the digest differs.
    let (ok, _) = verify("raw.xml", &signed.replacen("&#13;", "\r", 1));
    assert!(!ok, "xmlsec1 accepted a RelatesTo that is not what was signed");
}
