//! SAML 2.0 holder-of-key assertions as KOMBIT's STS issues them: writing (signed by the STS
//! key) and reading (for the token model of every service).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, SecondsFormat, Utc};

use super::crypto::PrivateKey;
use super::dsig::{self, SIGNATURE_PLACEHOLDER, SignReference};
use super::xmltree::{NodeId, Tree};
use crate::soap::xml::escape;

pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const HOLDER_OF_KEY: &str = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key";
pub const CVR_ATTRIBUTE: &str = "dk:gov:saml:attribute:CvrNumberIdentifier";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Everything an issued assertion states.
#[derive(Debug, Clone)]
pub struct AssertionSpec {
    /// `_` + UUID.
    pub id: String,
    pub issuer: String,
    /// The client certificate's subject (NameID, X509SubjectName format).
    pub subject: String,
    /// The holder-of-key certificate, DER.
    pub holder_certificate: Vec<u8>,
    /// The service's entity ID (Audience and Recipient).
    pub audience: String,
    /// The CVR of the authority the token speaks for (anvenderkontekst).
    pub cvr: String,
    /// Role URIs for the basic privilege profile.
    pub privileges: Vec<String>,
    pub issued: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// An xs:dateTime in UTC with milliseconds, as the STS writes them.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Writes and signs the assertion (enveloped RSA-SHA256 / exc-c14n signature, the STS
/// certificate in `KeyInfo/X509Data`).
pub fn issue(spec: &AssertionSpec, sts_key: &PrivateKey, sts_certificate: &[u8]) -> Result<String, dsig::DsigError> {
    let issued = instant(spec.issued);
    let expires = instant(spec.expires);
    let audience = escape(&spec.audience);
    let privileges = privilege_list(&spec.cvr, &spec.privileges);
    let attribute = |name: &str, value: &str| {
        format!(
            "<saml:Attribute Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\"><saml:AttributeValue>{}</saml:AttributeValue></saml:Attribute>",
            escape(value)
        )
    };
    let xml = format!(
        "<saml:Assertion xmlns:saml=\"{SAML_NS}\" ID=\"{id}\" IssueInstant=\"{issued}\" Version=\"2.0\">\
<saml:Issuer Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:entity\">{issuer}</saml:Issuer>{SIGNATURE_PLACEHOLDER}\
<saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName\">{subject}</saml:NameID>\
<saml:SubjectConfirmation Method=\"{HOLDER_OF_KEY}\"><saml:SubjectConfirmationData xmlns:xsi=\"{XSI_NS}\" xsi:type=\"saml:KeyInfoConfirmationDataType\" NotBefore=\"{issued}\" NotOnOrAfter=\"{expires}\" Recipient=\"{audience}\">\
<ds:KeyInfo xmlns:ds=\"{ds}\"><ds:X509Data><ds:X509Certificate>{holder}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
</saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject>\
<saml:Conditions NotBefore=\"{issued}\" NotOnOrAfter=\"{expires}\"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
<saml:AttributeStatement>{cvr}{level}{spec_ver}{kombit_ver}{privileges}</saml:AttributeStatement>\
<saml:AuthnStatement AuthnInstant=\"{issued}\"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:X509</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
</saml:Assertion>",
        id = escape(&spec.id),
        issuer = escape(&spec.issuer),
        subject = escape(&spec.subject),
        ds = dsig::DS_NS,
        holder = B64.encode(&spec.holder_certificate),
        cvr = attribute(CVR_ATTRIBUTE, &spec.cvr),
        level = attribute("dk:gov:saml:attribute:AssuranceLevel", "3"),
        spec_ver = attribute("dk:gov:saml:attribute:SpecVer", "DK-SAML-2.0"),
        kombit_ver = attribute("dk:gov:saml:attribute:KombitSpecVer", "1.0"),
        privileges = attribute("dk:gov:saml:attribute:Privileges_intermediate", &B64.encode(privileges)),
    );
    let key_info = format!(
        "<ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data>",
        B64.encode(sts_certificate)
    );
    dsig::sign(&xml, &[SignReference::enveloping(spec.id.clone())], sts_key, &key_info)
}

/// The basic privilege profile list granting `privileges` in the scope of `cvr`.
fn privilege_list(cvr: &str, privileges: &[String]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><bpp:PrivilegeList xmlns:bpp=\"http://itst.dk/oiosaml/basic_privilege_profile\">",
    );
    xml.push_str(&format!(
        "<PrivilegeGroup Scope=\"urn:dk:gov:saml:cvrNumberIdentifier:{}\">",
        escape(cvr)
    ));
    for p in privileges {
        xml.push_str(&format!("<Privilege>{}</Privilege>", escape(p)));
    }
    xml.push_str("</PrivilegeGroup></bpp:PrivilegeList>");
    xml
}

/// What a received assertion states (not yet checked against anything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionInfo {
    pub node: NodeId,
    pub id: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    pub cvr: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_on_or_after: Option<DateTime<Utc>>,
    /// The holder-of-key certificate (DER) from SubjectConfirmationData/KeyInfo.
    pub holder_certificate: Option<Vec<u8>>,
    pub confirmation_method: Option<String>,
    /// The enveloped signature element, if any.
    pub signature: Option<NodeId>,
}

/// Reads an assertion element. Missing parts are `None`; only a malformed time or
/// certificate encoding is an error.
pub fn read(tree: &Tree, node: NodeId) -> Result<AssertionInfo, String> {
    let child = |parent: NodeId, local: &str| tree.child(parent, SAML_NS, local);
    let time = |value: Option<&str>, what: &str| -> Result<Option<DateTime<Utc>>, String> {
        value
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|e| format!("the assertion's {what} {v:?} is not a time: {e}"))
            })
            .transpose()
    };
    let subject = child(node, "Subject");
    let confirmation = subject.and_then(|s| child(s, "SubjectConfirmation"));
    let holder = confirmation
        .and_then(|c| child(c, "SubjectConfirmationData"))
        .and_then(|d| tree.child(d, dsig::DS_NS, "KeyInfo"))
        .and_then(|k| tree.child(k, dsig::DS_NS, "X509Data"))
        .and_then(|x| tree.child(x, dsig::DS_NS, "X509Certificate"))
        .map(|c| {
            let text: String = tree.text(c).chars().filter(|c| !c.is_whitespace()).collect();
            B64.decode(text)
                .map_err(|e| format!("the holder-of-key certificate is not base64: {e}"))
        })
        .transpose()?;
    let conditions = child(node, "Conditions");
    let audiences = conditions
        .into_iter()
        .flat_map(|c| {
            tree.children_named(c, SAML_NS, "AudienceRestriction")
                .collect::<Vec<_>>()
        })
        .flat_map(|r| {
            tree.children_named(r, SAML_NS, "Audience")
                .map(|a| tree.text(a))
                .collect::<Vec<_>>()
        })
        .collect();
    let cvr = child(node, "AttributeStatement").and_then(|s| {
        tree.children_named(s, SAML_NS, "Attribute")
            .find(|&a| tree.attribute(a, None, "Name") == Some(CVR_ATTRIBUTE))
            .and_then(|a| child(a, "AttributeValue"))
            .map(|v| tree.text(v))
    });
    Ok(AssertionInfo {
        node,
        id: tree.attribute(node, None, "ID").unwrap_or_default().to_owned(),
        issuer: child(node, "Issuer").map(|i| tree.text(i)).unwrap_or_default(),
        subject: subject
            .and_then(|s| child(s, "NameID"))
            .map(|n| tree.text(n))
            .unwrap_or_default(),
        audiences,
        cvr,
        not_before: time(
            conditions.and_then(|c| tree.attribute(c, None, "NotBefore")),
            "NotBefore",
        )?,
        not_on_or_after: time(
            conditions.and_then(|c| tree.attribute(c, None, "NotOnOrAfter")),
            "NotOnOrAfter",
        )?,
        holder_certificate: holder,
        confirmation_method: confirmation
            .and_then(|c| tree.attribute(c, None, "Method"))
            .map(str::to_owned),
        signature: tree.child(node, dsig::DS_NS, "Signature"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::dsig::tests::test_key;

    fn spec() -> AssertionSpec {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        AssertionSpec {
            id: "_0f1e".into(),
            issuer: "https://sts.sfstub.invalid".into(),
            subject: "CN=Test & Co, O=X // CVR:12345678, C=DK".into(),
            holder_certificate: vec![1, 2, 3],
            audience: "http://entityid.kombit.dk/service/kontrolsaglistehent/1".into(),
            cvr: "29189846".into(),
            privileges: vec!["http://sfstub.invalid/roles/all".into()],
            issued: now,
            expires: now + chrono::Duration::hours(8),
        }
    }

    #[test]
    fn an_issued_assertion_reads_back_and_verifies() {
        let xml = issue(&spec(), test_key(), b"cert").unwrap();
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        let info = read(&tree, tree.root()).unwrap();
        assert_eq!(info.id, "_0f1e");
        assert_eq!(info.subject, "CN=Test & Co, O=X // CVR:12345678, C=DK");
        assert_eq!(info.audiences, vec![spec().audience]);
        assert_eq!(info.cvr.as_deref(), Some("29189846"));
        assert_eq!(info.holder_certificate.as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(info.not_on_or_after, Some(spec().expires));
        assert_eq!(info.confirmation_method.as_deref(), Some(HOLDER_OF_KEY));
        let signature = info.signature.unwrap();
        dsig::verify(&tree, signature, test_key().public_key(), "the STS key", None).unwrap();
    }
}
