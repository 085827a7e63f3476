//! XML Signature (XMLDSig) as Serviceplatformen uses it: RSA-SHA256, SHA-256 digests,
//! exclusive canonicalization, references by Id, the enveloped-signature transform, and the
//! WS-Security STR-Transform (a reference to a security token through its
//! SecurityTokenReference).
//!
//! Verification reports exactly what failed — which reference, which algorithm, which key —
//! because that diagnosis is what a vendor debugging a client needs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use super::crypto::{PrivateKey, PublicKey};

use super::xmltree::{NodeId, Tree, XmlError};

pub const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const STR_TRANSFORM: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#STR-Transform";

/// Why a signature could not be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsigError {
    #[error("the signature is malformed: {0}")]
    Malformed(String),
    #[error("{0} is not supported; sfstub accepts {1}")]
    Unsupported(String, &'static str),
    #[error("the reference {0} points at nothing in the message")]
    DanglingReference(String),
    #[error("the digest of {0} does not match: it was changed after it was signed")]
    DigestMismatch(String),
    #[error("the signature value does not verify with {0}")]
    BadSignature(String),
    #[error("cannot sign: {0}")]
    Signing(String),
    #[error("{0}")]
    Xml(#[from] XmlError),
}

/// One element to sign, by its identifier.
#[derive(Debug, Clone)]
pub struct SignReference {
    pub id: String,
    /// Apply the enveloped-signature transform (the signature sits inside this element).
    pub enveloped: bool,
    /// The element is a `wsse:SecurityTokenReference`: sign the token it names, through the
    /// STR-Transform.
    pub str_transform: bool,
}

impl SignReference {
    /// A plain reference to the element with this identifier.
    pub fn to(id: impl Into<String>) -> SignReference {
        SignReference {
            id: id.into(),
            enveloped: false,
            str_transform: false,
        }
    }

    /// A reference to the element that holds the signature.
    pub fn enveloping(id: impl Into<String>) -> SignReference {
        SignReference {
            id: id.into(),
            enveloped: true,
            str_transform: false,
        }
    }

    /// A reference, through the STR-Transform, to the token a SecurityTokenReference names.
    pub fn token_via(str_id: impl Into<String>) -> SignReference {
        SignReference {
            id: str_id.into(),
            enveloped: false,
            str_transform: true,
        }
    }
}

/// The WS-Security namespace, for SecurityTokenReference/KeyIdentifier.
const WSSE_NS: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

/// The token a SecurityTokenReference names through its KeyIdentifier.
pub fn referenced_token(tree: &Tree, str_node: NodeId) -> Result<NodeId, DsigError> {
    let key_id = tree.child(str_node, WSSE_NS, "KeyIdentifier").ok_or_else(|| {
        DsigError::Malformed("the STR-Transform reference is not a SecurityTokenReference with a KeyIdentifier".into())
    })?;
    let id = tree.text(key_id);
    tree.element_by_id(&id)?
        .ok_or_else(|| DsigError::DanglingReference(format!("the token {id}")))
}

/// Signs `xml`, which must contain the placeholder comment [`SIGNATURE_PLACEHOLDER`] where the
/// `ds:Signature` element goes, and returns the signed document. `key_info` is the content of
/// `ds:KeyInfo` (raw XML).
pub fn sign(xml: &str, references: &[SignReference], key: &PrivateKey, key_info: &str) -> Result<String, DsigError> {
    if !xml.contains(SIGNATURE_PLACEHOLDER) {
        return Err(DsigError::Malformed(
            "the document has no place for the signature".into(),
        ));
    }
    let tree = Tree::parse(xml.as_bytes())?;
    let mut digests = Vec::with_capacity(references.len());
    for r in references {
        let mut node = tree
            .element_by_id(&r.id)?
            .ok_or_else(|| DsigError::DanglingReference(format!("#{}", r.id)))?;
        if r.str_transform {
            node = referenced_token(&tree, node)?;
        }
        digests.push((r, Sha256::digest(tree.exc_c14n(node, None, &[])).into()));
    }
    let element = signature(&digests, key, key_info)?;
    Ok(xml.replacen(SIGNATURE_PLACEHOLDER, &element, 1))
}

/// The `ds:Signature` element over references whose digests (SHA-256 of each referenced
/// element's exclusive canonical form) are known: SignedInfo written in canonical form, signed
/// with `key`. `key_info` is the content of `ds:KeyInfo` (raw XML).
pub fn signature(
    digests: &[(&SignReference, [u8; 32])],
    key: &PrivateKey,
    key_info: &str,
) -> Result<String, DsigError> {
    // SignedInfo is written in its exclusive canonical form (no white space, empty elements
    // as start-end pairs, only the `ds` prefix declared, on SignedInfo itself where it stands
    // alone): what is signed is then these very bytes, with no second parse.
    let mut canonical = String::with_capacity(512 + 700 * digests.len());
    canonical.push_str(SIGNED_INFO_START);
    let inner = canonical.len();
    canonical.push_str(SIGNED_INFO_METHODS);
    for (r, digest) in digests {
        canonical.push_str("<ds:Reference URI=\"#");
        push_attribute_value(&mut canonical, &r.id);
        canonical.push_str("\"><ds:Transforms>");
        if r.enveloped {
            canonical.push_str(ENVELOPED_TRANSFORM);
        }
        canonical.push_str(if r.str_transform {
            STR_TRANSFORM_ELEMENT
        } else {
            EXC_C14N_TRANSFORM
        });
        canonical.push_str(DIGEST_METHOD);
        B64.encode_string(digest, &mut canonical);
        canonical.push_str("</ds:DigestValue></ds:Reference>");
    }
    canonical.push_str("</ds:SignedInfo>");
    let signature = key
        .sign_pkcs1_sha256(canonical.as_bytes())
        .map_err(DsigError::Signing)?;
    let value = B64.encode(signature);
    let pieces = [
        "<ds:Signature xmlns:ds=\"",
        DS_NS,
        "\"><ds:SignedInfo>",
        &canonical[inner..],
        "<ds:SignatureValue>",
        &value,
        "</ds:SignatureValue><ds:KeyInfo>",
        key_info,
        "</ds:KeyInfo></ds:Signature>",
    ];
    Ok(pieces.concat())
}

const SIGNED_INFO_START: &str = "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">";
const SIGNED_INFO_METHODS: &str = "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"></ds:SignatureMethod>";
const ENVELOPED_TRANSFORM: &str =
    "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></ds:Transform>";
const EXC_C14N_TRANSFORM: &str = "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform>";
const STR_TRANSFORM_ELEMENT: &str = "<ds:Transform Algorithm=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#STR-Transform\"><wsse:TransformationParameters xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\"><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:CanonicalizationMethod></wsse:TransformationParameters></ds:Transform>";
const DIGEST_METHOD: &str = "</ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></ds:DigestMethod><ds:DigestValue>";

/// An attribute value as exclusive canonicalisation writes it.
fn push_attribute_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// The most References one signature may carry. sfstub's own signed messages use 7 (Body,
/// Timestamp, four addressing headers, the token); a cap keeps the digesting a signer can ask
/// for bounded.
pub const MAX_REFERENCES: usize = 16;

/// Where [`sign`] puts the `ds:Signature` element. A comment, so it takes no part in digests.
pub const SIGNATURE_PLACEHOLDER: &str = "<!--sfstub:signature-->";

/// What a verified signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The elements the references point at, in SignedInfo order. For an STR-Transform
    /// reference, the token it dereferences to.
    pub covered: Vec<NodeId>,
}

/// Resolves a `wsse:SecurityTokenReference` (for the STR-Transform) to the token element.
pub type StrResolver<'a> = &'a dyn Fn(&Tree, NodeId) -> Result<NodeId, DsigError>;

/// The SHA-256 of an element's exclusive canonical form (no exclusion, no inclusive
/// prefixes), already computed by the caller: a Reference that digests exactly that uses it.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    pub node: NodeId,
    pub digest: [u8; 32],
}

/// Verifies the `ds:Signature` element at `signature` in `tree` with `key`.
/// `key_name` describes the key in error messages ("the holder-of-key certificate").
pub fn verify(
    tree: &Tree,
    signature: NodeId,
    key: &PublicKey,
    key_name: &str,
    resolve_str: Option<StrResolver<'_>>,
) -> Result<Verified, DsigError> {
    verify_knowing(tree, signature, key, key_name, resolve_str, None)
}

/// [`verify`], with the digest of one element's canonical form already known.
pub fn verify_knowing(
    tree: &Tree,
    signature: NodeId,
    key: &PublicKey,
    key_name: &str,
    resolve_str: Option<StrResolver<'_>>,
    known: Option<Known>,
) -> Result<Verified, DsigError> {
    let signed_info = tree
        .child(signature, DS_NS, "SignedInfo")
        .ok_or_else(|| DsigError::Malformed("ds:Signature has no ds:SignedInfo".into()))?;
    let c14n = tree
        .child(signed_info, DS_NS, "CanonicalizationMethod")
        .ok_or_else(|| DsigError::Malformed("ds:SignedInfo has no ds:CanonicalizationMethod".into()))?;
    let algorithm = tree.attribute(c14n, None, "Algorithm").unwrap_or("");
    if algorithm != EXC_C14N {
        return Err(DsigError::Unsupported(
            format!("CanonicalizationMethod {algorithm:?}"),
            "exclusive canonicalization (http://www.w3.org/2001/10/xml-exc-c14n#)",
        ));
    }
    let si_prefixes = inclusive_prefixes(tree, c14n);
    let method = tree
        .child(signed_info, DS_NS, "SignatureMethod")
        .and_then(|m| tree.attribute(m, None, "Algorithm"))
        .unwrap_or("");
    if method != RSA_SHA256 {
        return Err(DsigError::Unsupported(
            format!("SignatureMethod {method:?}"),
            "RSA-SHA256 (http://www.w3.org/2001/04/xmldsig-more#rsa-sha256)",
        ));
    }
    let references: Vec<NodeId> = tree.children_named(signed_info, DS_NS, "Reference").collect();
    if references.is_empty() {
        return Err(DsigError::Malformed("ds:SignedInfo has no ds:Reference".into()));
    }
    if references.len() > MAX_REFERENCES {
        return Err(DsigError::Malformed(format!(
            "ds:SignedInfo holds {} references; sfstub accepts at most {MAX_REFERENCES} (its own signed messages use 7)",
            references.len()
        )));
    }
    // The signature value first: one RSA operation over SignedInfo decides whether the
    // references are worth digesting, so an unsigned forgery costs no canonicalisation.
    let value = tree
        .child(signature, DS_NS, "SignatureValue")
        .map(|v| tree.text(v))
        .ok_or_else(|| DsigError::Malformed("ds:Signature has no ds:SignatureValue".into()))?;
    // Base64, white space left out. Most signers write none: base64 as it is decodes only when
    // it holds none (white space is outside base64's alphabet), and then it is what the copy
    // without white space would be.
    let bytes = match B64.decode(&value) {
        Ok(bytes) => bytes,
        Err(_) => B64
            .decode(value.chars().filter(|c| !c.is_whitespace()).collect::<String>())
            .map_err(|e| DsigError::Malformed(format!("ds:SignatureValue is not base64: {e}")))?,
    };
    if bytes.is_empty() {
        return Err(DsigError::Malformed("ds:SignatureValue is empty".into()));
    }
    let canonical = tree.exc_c14n(signed_info, None, &si_prefixes);
    if !key.verify_pkcs1_sha256(&canonical, &bytes) {
        return Err(DsigError::BadSignature(key_name.to_owned()));
    }
    let mut covered = Vec::with_capacity(references.len());
    for reference in references {
        covered.push(check_reference(tree, signature, reference, resolve_str, known)?);
    }
    Ok(Verified { covered })
}

fn check_reference(
    tree: &Tree,
    signature: NodeId,
    reference: NodeId,
    resolve_str: Option<StrResolver<'_>>,
    known: Option<Known>,
) -> Result<NodeId, DsigError> {
    let uri = tree.attribute(reference, None, "URI").unwrap_or("");
    let id = uri
        .strip_prefix('#')
        .ok_or_else(|| DsigError::Unsupported(format!("Reference URI {uri:?}"), "same-document references (#id)"))?;
    let mut target = tree
        .element_by_id(id)?
        .ok_or_else(|| DsigError::DanglingReference(format!("#{id}")))?;
    // For messages only: named when something is wrong, not written for every reference.
    let referenced = target;
    let label = || describe(tree, referenced, id);
    // The first Transforms, DigestMethod and DigestValue, found in one pass over the
    // Reference's children.
    let [mut transforms, mut digest_method, mut digest_value] = [None; 3];
    for c in tree.child_elements(reference) {
        let slot = match tree.element(c).local_name() {
            "Transforms" => &mut transforms,
            "DigestMethod" => &mut digest_method,
            "DigestValue" => &mut digest_value,
            _ => continue,
        };
        if slot.is_none() && tree.namespace(c) == Some(DS_NS) {
            *slot = Some(c);
        }
    }
    let mut exclude = None;
    let mut prefixes = Vec::new();
    if let Some(transforms) = transforms {
        for t in tree.children_named(transforms, DS_NS, "Transform") {
            let algorithm = tree.attribute(t, None, "Algorithm").unwrap_or("");
            match algorithm {
                ENVELOPED => exclude = Some(signature),
                EXC_C14N => prefixes = inclusive_prefixes(tree, t),
                STR_TRANSFORM => {
                    let resolve = resolve_str.ok_or_else(|| {
                        DsigError::Unsupported("the STR-Transform here".into(), "it only in WS-Security headers")
                    })?;
                    target = resolve(tree, target)?;
                    if let Some(params) = tree.child_elements(t).next()
                        && let Some(cm) = tree.child(params, DS_NS, "CanonicalizationMethod")
                    {
                        prefixes = inclusive_prefixes(tree, cm);
                    }
                }
                other => {
                    return Err(DsigError::Unsupported(
                        format!("Transform {other:?} in the reference to {}", label()),
                        "enveloped-signature, exclusive c14n and STR-Transform",
                    ));
                }
            }
        }
    }
    let digest_method = digest_method
        .and_then(|m| tree.attribute(m, None, "Algorithm"))
        .unwrap_or("");
    if digest_method != SHA256 {
        return Err(DsigError::Unsupported(
            format!("DigestMethod {digest_method:?} in the reference to {}", label()),
            "SHA-256 (http://www.w3.org/2001/04/xmlenc#sha256)",
        ));
    }
    let expected = digest_value
        .map(|v| tree.text(v))
        .ok_or_else(|| DsigError::Malformed(format!("the reference to {} has no DigestValue", label())))?;
    let digest: [u8; 32] = match known {
        Some(k) if k.node == target && exclude.is_none() && prefixes.is_empty() => k.digest,
        _ => Sha256::digest(tree.exc_c14n(target, exclude, &prefixes)).into(),
    };
    // The digest as base64 (44 characters for 32 bytes), against the DigestValue with its
    // white space left out.
    let mut actual = [0u8; 44];
    let written = B64
        .encode_slice(digest, &mut actual)
        .map_err(|e| DsigError::Malformed(format!("cannot write a digest: {e}")))?;
    let actual = &actual[..written];
    if !expected
        .chars()
        .filter(|c| !c.is_whitespace())
        .eq(actual.iter().map(|&b| char::from(b)))
    {
        return Err(DsigError::DigestMismatch(label()));
    }
    Ok(target)
}

/// The PrefixList of an `ec:InclusiveNamespaces` child, if any.
fn inclusive_prefixes(tree: &Tree, method: NodeId) -> Vec<String> {
    tree.children_named(method, EXC_C14N, "InclusiveNamespaces")
        .next()
        .and_then(|n| tree.attribute(n, None, "PrefixList"))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// "#id (the soap:Body)" — for messages.
fn describe(tree: &Tree, node: NodeId, id: &str) -> String {
    format!("#{id} (the {})", tree.element(node).name())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    pub(crate) fn test_key() -> &'static PrivateKey {
        static KEY: OnceLock<PrivateKey> = OnceLock::new();
        KEY.get_or_init(|| PrivateKey::generate().unwrap())
    }

    const DOC: &str = r#"<r:Root xmlns:r="urn:r" xmlns:u="urn:u"><r:A u:Id="a">alpha &amp; beta</r:A><r:B ID="b"><r:C>gamma</r:C><!--sfstub:signature--></r:B></r:Root>"#;

    fn signed() -> String {
        let refs = [SignReference::to("a"), SignReference::enveloping("b")];
        sign(DOC, &refs, test_key(), "<ds:KeyName>test</ds:KeyName>").unwrap()
    }

    fn verify_text(xml: &str) -> Result<Verified, DsigError> {
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        let sig = tree
            .descendants(tree.root())
            .into_iter()
            .find(|&n| tree.is(n, DS_NS, "Signature"))
            .unwrap();
        verify(&tree, sig, test_key().public_key(), "the test key", None)
    }

    #[test]
    fn a_signed_document_verifies() {
        let v = verify_text(&signed()).unwrap();
        assert_eq!(v.covered.len(), 2);
    }

    #[test]
    fn a_changed_element_is_named() {
        let tampered = signed().replace("gamma", "delta");
        assert_eq!(
            verify_text(&tampered),
            Err(DsigError::DigestMismatch("#b (the r:B)".into()))
        );
    }

    #[test]
    fn a_changed_signed_info_fails_the_signature() {
        let s = signed();
        let tampered = s.replacen("<ds:Reference URI=\"#a\">", "<ds:Reference URI=\"#a\" >", 1);
        assert_eq!(
            verify_text(&tampered).unwrap(),
            verify_text(&s).unwrap(),
            "insignificant white space in a tag"
        );
        let other = PrivateKey::generate().unwrap();
        let tree = Tree::parse(s.as_bytes()).unwrap();
        let sig = tree
            .descendants(tree.root())
            .into_iter()
            .find(|&n| tree.is(n, DS_NS, "Signature"))
            .unwrap();
        let err = verify(&tree, sig, other.public_key(), "another key", None).unwrap_err();
        assert_eq!(err, DsigError::BadSignature("another key".into()));
    }

    #[test]
    fn unsupported_algorithms_are_named() {
        let s = signed().replace(RSA_SHA256, "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
        assert!(matches!(verify_text(&s), Err(DsigError::Unsupported(what, _)) if what.contains("rsa-sha1")));
    }

    #[test]
    fn the_signature_value_is_checked_before_any_digest() {
        // A changed element under a signature that does not verify: the signature is named,
        // not the digest, because no Reference was digested.
        let s = signed().replace("gamma", "delta");
        let start = s.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
        let mut forged = s.clone();
        forged.replace_range(
            start..start + 4,
            if &s[start..start + 4] == "AAAA" { "BBBB" } else { "AAAA" },
        );
        assert_eq!(
            verify_text(&forged),
            Err(DsigError::BadSignature("the test key".into()))
        );
    }

    #[test]
    fn more_than_sixteen_references_are_refused() {
        let ids: String = (0..17).map(|i| format!("<r:E Id=\"e{i}\"/>")).collect();
        let doc = format!(r#"<r:Root xmlns:r="urn:r">{ids}<!--sfstub:signature--></r:Root>"#);
        let refs: Vec<SignReference> = (0..17).map(|i| SignReference::to(format!("e{i}"))).collect();
        let signed = sign(&doc, &refs, test_key(), "").unwrap();
        match verify_text(&signed) {
            Err(DsigError::Malformed(why)) => {
                assert!(why.contains("holds 17 references; sfstub accepts at most 16"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let sixteen = sign(&doc, &refs[..16], test_key(), "").unwrap();
        assert_eq!(verify_text(&sixteen).unwrap().covered.len(), 16);
    }
}
