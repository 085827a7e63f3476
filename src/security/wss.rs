//! The OIO IDWS token model on the wire: reading and judging the WS-Security header of a
//! request (`token` and `strict` modes), and signing responses with the service key.
//!
//! Every rejection names exactly what is wrong; this diagnosis is what a vendor cannot get
//! from EXTTEST, where a bad token is one opaque fault.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::crypto::{PrivateKey, PublicKey};
use super::dsig::{self, DS_NS, DsigError, SIGNATURE_PLACEHOLDER, SignReference};
use super::keys::{self, CertInfo};
use super::saml::{self, HOLDER_OF_KEY, SAML_NS};
use super::verified::{VerifiedAssertion, VerifiedAssertions, Written};
use super::xmltree::{self, NodeId, Tree};
use crate::soap::xml::escape;
use crate::soap::{ResponseAddressing, SoapVersion};

pub const WSSE_NS: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const WSU_NS: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
pub use crate::soap::addressing::WSA_NS;
pub const SAMLID: &str = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID";
pub const X509V3: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
pub const BASE64_BINARY: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

/// The WS-Addressing headers that must be signed when present.
const ADDRESSING_HEADERS: [&str; 7] = ["Action", "MessageID", "To", "ReplyTo", "RelatesTo", "From", "FaultTo"];

/// How hard to look at a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// The assertion: issued by this sfstub, unchanged, unexpired, for this service.
    Token,
    /// Also the message: signed by the holder-of-key, covering Body, Timestamp, addressing
    /// headers and the token; a fresh Timestamp; one Security header.
    Strict,
}

/// What the token check needs to know.
pub struct Expectations<'a> {
    pub strictness: Strictness,
    /// Assertions already verified, if the caller keeps them.
    pub cache: Option<&'a VerifiedAssertions>,
    /// This service's entity ID: the audience the token must name.
    pub audience: &'a str,
    pub sts_key: &'a PublicKey,
    /// The security clock's now.
    pub now: DateTime<Utc>,
    /// How fresh the Timestamp must be, and the tolerated clock difference (also for the
    /// token's validity).
    pub freshness: Freshness,
}

/// How fresh a request's `wsu:Timestamp` must be (strict mode, and the STS in strict mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// Tolerated clock difference between the client and sfstub.
    pub skew: Duration,
    /// How long after its `Created` a Timestamp is still accepted (beyond `skew`).
    pub max_age: Duration,
    /// The longest `Expires` − `Created`.
    pub max_lifetime: Duration,
}

/// Checks the one `wsu:Timestamp` of a `wsse:Security` header against `now`: exactly one,
/// with `Created` and `Expires`; not created in the future, not expired, not older than
/// `max_age`, and `Expires` after `Created` by at most `max_lifetime` (each beyond the skew
/// where a clock difference could explain it). Returns the Timestamp element.
pub fn check_timestamp(
    tree: &Tree,
    security: NodeId,
    now: DateTime<Utc>,
    freshness: &Freshness,
) -> Result<NodeId, String> {
    let mut timestamps = tree.children_named(security, WSU_NS, "Timestamp");
    let timestamp = timestamps
        .next()
        .ok_or("the wsse:Security header has no wsu:Timestamp")?;
    let more = timestamps.count();
    if more > 0 {
        return Err(format!(
            "the wsse:Security header holds {} wsu:Timestamp elements; WS-Security allows one",
            more + 1
        ));
    }
    let time = |local: &str| -> Result<Option<DateTime<Utc>>, String> {
        tree.child(timestamp, WSU_NS, local)
            .map(|n| {
                let t = tree.text(n);
                DateTime::parse_from_rfc3339(&t)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|e| format!("Timestamp {local} {t:?} is not a time: {e}"))
            })
            .transpose()
    };
    let created = time("Created")?.ok_or("the wsu:Timestamp has no Created")?;
    let expires = time("Expires")?.ok_or("the wsu:Timestamp has no Expires")?;
    let Freshness {
        skew,
        max_age,
        max_lifetime,
    } = *freshness;
    if created > now + skew {
        return Err(format!(
            "Timestamp created in the future ({}; sfstub's security clock says {}, allowed skew {} s)",
            saml::instant(created),
            saml::instant(now),
            skew.num_seconds()
        ));
    }
    if expires <= now - skew {
        return Err(format!(
            "Timestamp expired at {} (sfstub's security clock says {})",
            saml::instant(expires),
            saml::instant(now)
        ));
    }
    if created < now - skew - max_age {
        return Err(format!(
            "Timestamp created at {}, more than {} s before sfstub's security clock ({}): sfstub accepts a message for {} s \
             after its Created, plus the allowed skew of {} s (--max-timestamp-age)",
            saml::instant(created),
            (max_age + skew).num_seconds(),
            saml::instant(now),
            max_age.num_seconds(),
            skew.num_seconds()
        ));
    }
    if expires <= created {
        return Err(format!(
            "Timestamp Expires {} is not after its Created {}",
            saml::instant(expires),
            saml::instant(created)
        ));
    }
    if expires - created > max_lifetime {
        return Err(format!(
            "Timestamp lifetime from {} to {} is {} s; sfstub accepts at most {} s (--max-timestamp-lifetime)",
            saml::instant(created),
            saml::instant(expires),
            (expires - created).num_seconds(),
            max_lifetime.num_seconds()
        ));
    }
    Ok(timestamp)
}

/// A token that passed the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub cvr: String,
    /// The client certificate's subject, as the assertion names it.
    pub subject: String,
    pub holder_certificate: Vec<u8>,
    /// The SHA-256 of `holder_certificate`.
    pub holder_thumbprint: [u8; 32],
    pub assertion_id: String,
}

/// The WS-Addressing MessageID of a request, for `wsa:RelatesTo` in the response.
pub fn message_id(tree: &Tree) -> Option<String> {
    let header = header(tree)?;
    tree.child(header, WSA_NS, "MessageID").map(|m| tree.text(m))
}

fn header(tree: &Tree) -> Option<NodeId> {
    let root = tree.root();
    tree.child_elements(root)
        .find(|&c| tree.element(c).local_name() == "Header")
}

/// How many SOAP Header elements the envelope holds (SOAP allows one).
fn headers(tree: &Tree) -> usize {
    let root = tree.root();
    tree.child_elements(root)
        .filter(|&c| tree.element(c).local_name() == "Header")
        .count()
}

fn body(tree: &Tree) -> Option<NodeId> {
    let root = tree.root();
    tree.child_elements(root)
        .find(|&c| tree.element(c).local_name() == "Body")
}

/// True when the envelope carries a `wsse:Security` header.
pub fn has_security_header(tree: &Tree) -> bool {
    header(tree).is_some_and(|h| tree.child(h, WSSE_NS, "Security").is_some())
}

/// Reads the assertion of a request without judging it (the `off` mode's courtesy to
/// clients that send tokens anyway).
pub fn read_unverified(tree: &Tree) -> Option<Token> {
    let security = tree.child(header(tree)?, WSSE_NS, "Security")?;
    let assertion = tree.child(security, SAML_NS, "Assertion")?;
    let info = saml::read(tree, assertion).ok()?;
    let holder_certificate = info.holder_certificate.unwrap_or_default();
    Some(Token {
        cvr: info.cvr?,
        subject: info.subject,
        holder_thumbprint: Sha256::digest(&holder_certificate).into(),
        holder_certificate,
        assertion_id: info.id,
    })
}

/// Judges the token (and in strict mode the message) of a request. The error is the
/// diagnosis, in English, naming what is wrong.
pub fn check(tree: &Tree, expect: &Expectations<'_>) -> Result<Token, String> {
    let strict = expect.strictness == Strictness::Strict;
    if headers(tree) > 1 {
        return Err("the envelope holds more than one SOAP Header; SOAP allows one".into());
    }
    let header = header(tree).ok_or(
        "the request has no SOAP Header: the token model needs a wsse:Security header holding the SAML assertion from sfstub's STS",
    )?;
    let securities: Vec<NodeId> = tree.children_named(header, WSSE_NS, "Security").collect();
    let security = match securities.as_slice() {
        [] => {
            return Err(format!(
                "no wsse:Security header (namespace {WSSE_NS}): the token model needs one holding the SAML assertion from sfstub's STS"
            ));
        }
        [one] => *one,
        more if strict => {
            return Err(format!(
                "the message has {} wsse:Security headers; OIO IDWS allows exactly one",
                more.len()
            ));
        }
        [first, ..] => *first,
    };
    let assertion = tree
        .child(security, SAML_NS, "Assertion")
        .ok_or("the wsse:Security header holds no SAML 2.0 assertion (saml:Assertion) — get one from sfstub's STS")?;
    let sts = expect.sts_key.fingerprint();
    let skew = expect.freshness.skew;
    let verify = || {
        // The assertion's canonical form, signature included: in strict mode what the message
        // signature's STR-Transform reference digests.
        let canonical: [u8; 32] = Sha256::digest(tree.exc_c14n(assertion, None, &[])).into();
        verify_assertion(tree, assertion, expect.sts_key, canonical)
    };
    let info = match expect.cache {
        None => verify()?,
        Some(cache) => {
            let id = tree.attribute(assertion, None, "ID").unwrap_or("");
            let written = |remembered: &[u8]| written_equal(tree, assertion, remembered);
            match cache.get(id, written, sts, expect.now, skew) {
                Some(info) => info,
                None => {
                    let info = verify()?;
                    let written = Written {
                        bytes: written_key(tree, assertion),
                        fragment: Some(Arc::new(tree.fragment(assertion))),
                    };
                    cache.insert(id, written, *sts, info.clone(), expect.now, skew);
                    info
                }
            }
        }
    };
    if !info.audiences.iter().any(|a| a == expect.audience) {
        return Err(format!(
            "assertion audience is {}, this service is {}",
            if info.audiences.is_empty() {
                "missing".to_owned()
            } else {
                info.audiences.join(", ")
            },
            expect.audience
        ));
    }
    if let Some(nb) = info.not_before
        && nb > expect.now + skew
    {
        return Err(format!(
            "the token is not valid before {} (sfstub's security clock says {})",
            saml::instant(nb),
            saml::instant(expect.now)
        ));
    }
    match info.not_on_or_after {
        Some(t) if t <= expect.now - skew => {
            return Err(format!(
                "token expired at {} (sfstub's security clock says {})",
                saml::instant(t),
                saml::instant(expect.now)
            ));
        }
        Some(_) => {}
        None => return Err("the assertion's Conditions have no NotOnOrAfter".into()),
    }
    if info.confirmation_method.as_deref() != Some(HOLDER_OF_KEY) {
        return Err(format!(
            "the assertion's SubjectConfirmation method is {}, not holder-of-key ({HOLDER_OF_KEY})",
            info.confirmation_method.as_deref().unwrap_or("missing")
        ));
    }
    let (holder, holder_info) = info
        .holder
        .as_ref()
        .ok_or("the assertion names no holder-of-key certificate")?;
    let cvr = info
        .cvr
        .clone()
        .ok_or("the assertion has no dk:gov:saml:attribute:CvrNumberIdentifier attribute")?;
    if strict {
        let assertion = (assertion, info.canonical);
        check_message(tree, expect, security, assertion, &info.id, holder_info, header)?;
    }
    Ok(Token {
        cvr,
        subject: info.subject.clone(),
        holder_certificate: holder.clone(),
        holder_thumbprint: info.holder_thumbprint.unwrap_or_else(|| Sha256::digest(holder).into()),
        assertion_id: info.id.clone(),
    })
}

/// What [`VerifiedAssertions`] compares for `assertion`: the namespace declarations in scope
/// around it (outermost first, each length-prefixed) and the assertion as written. Exclusive
/// canonicalisation, and every name read from the assertion, depend on nothing else: equal
/// bytes are equal canonical forms.
fn written_key(tree: &Tree, assertion: NodeId) -> Vec<u8> {
    let declarations = tree.inherited_declarations(assertion);
    let source = tree.source(assertion);
    let mut written =
        Vec::with_capacity(declarations.iter().map(|(p, u)| 16 + p.len() + u.len()).sum::<usize>() + 8 + source.len());
    for (prefix, uri) in declarations {
        for part in [prefix, uri] {
            written.extend_from_slice(&(part.len() as u64).to_le_bytes());
            written.extend_from_slice(part.as_bytes());
        }
    }
    // The end of the declarations: no declaration's length prefix is all ones.
    written.extend_from_slice(&u64::MAX.to_le_bytes());
    written.extend_from_slice(source.as_bytes());
    written
}

/// Whether `remembered` is [`written_key`] of `assertion`, compared piece by piece without
/// writing the key out.
fn written_equal(tree: &Tree, assertion: NodeId, remembered: &[u8]) -> bool {
    let mut rest = remembered;
    let mut take = |bytes: &[u8]| match rest.strip_prefix(bytes) {
        Some(after) => {
            rest = after;
            true
        }
        None => false,
    };
    for (prefix, uri) in tree.inherited_declarations(assertion) {
        for part in [prefix, uri] {
            if !(take(&(part.len() as u64).to_le_bytes()) && take(part.as_bytes())) {
                return false;
            }
        }
    }
    take(&u64::MAX.to_le_bytes()) && rest == tree.source(assertion).as_bytes()
}

/// Reads the assertion and verifies the STS's signature on it. `canonical` is the digest of its
/// canonical form.
fn verify_assertion(
    tree: &Tree,
    assertion: NodeId,
    sts_key: &PublicKey,
    canonical: [u8; 32],
) -> Result<Arc<VerifiedAssertion>, String> {
    let info = saml::read(tree, assertion)?;
    let signature = info.signature.ok_or("the assertion is not signed")?;
    let verified = dsig::verify(tree, signature, sts_key, "sfstub's STS certificate", None).map_err(|e| {
        format!("the assertion's signature is not valid: {e} — the token was not issued by this sfstub, or it was changed after issue")
    })?;
    if !verified.covered.contains(&assertion) {
        return Err("the assertion's signature does not cover the assertion itself".into());
    }
    Ok(Arc::new(VerifiedAssertion::new(info, canonical)))
}

/// Strict mode: the Timestamp, and the holder-of-key's signature over the message.
/// `assertion` comes with the digest of its canonical form.
fn check_message(
    tree: &Tree,
    expect: &Expectations<'_>,
    security: NodeId,
    (assertion, canonical): (NodeId, [u8; 32]),
    assertion_id: &str,
    holder: &Result<CertInfo, String>,
    header: NodeId,
) -> Result<(), String> {
    let timestamp = check_timestamp(tree, security, expect.now, &expect.freshness)?;
    let signature = tree.child(security, DS_NS, "Signature").ok_or(
        "the message is not signed: strict mode needs a ds:Signature in the wsse:Security header, made with the holder-of-key certificate's key",
    )?;
    let cert = holder
        .as_ref()
        .map_err(|e| format!("the holder-of-key certificate in the assertion cannot be read: {e}"))?;
    keys::check_usable(cert, expect.now).map_err(|e| format!("the holder-of-key certificate: {e}"))?;
    let resolve = |tree: &Tree, str_node: NodeId| -> Result<NodeId, DsigError> {
        match dsig::referenced_token(tree, str_node)? {
            n if n == assertion => Ok(n),
            _ => Err(DsigError::Malformed(
                "the SecurityTokenReference names something other than the assertion".into(),
            )),
        }
    };
    let known = dsig::Known {
        node: assertion,
        digest: canonical,
    };
    // The key's name goes only into the fault, so it is written only for one.
    let verified = dsig::verify_knowing(
        tree,
        signature,
        &cert.public_key,
        "the holder-of-key certificate",
        Some(&resolve),
        Some(known),
    )
    .map_err(|e| match e {
        DsigError::BadSignature(_) => format!(
            "signature does not verify with the holder-of-key certificate ({})",
            cert.subject
        ),
        other => other.to_string(),
    })?;
    let mut missing = Vec::new();
    match body(tree) {
        Some(b) if !verified.covered.contains(&b) => missing.push("Body".to_owned()),
        _ => {}
    }
    if !verified.covered.contains(&timestamp) {
        missing.push("Timestamp".into());
    }
    for local in ADDRESSING_HEADERS {
        if tree
            .children_named(header, WSA_NS, local)
            .any(|h| !verified.covered.contains(&h))
        {
            missing.push(format!("wsa:{local}"));
        }
    }
    if !verified.covered.contains(&assertion) {
        missing.push(format!(
            "the SAML assertion {assertion_id} (reference it through a SecurityTokenReference with the STR-Transform, or by its ID)"
        ));
    }
    if !missing.is_empty() {
        return Err(format!("{} not signed", missing.join(", ")));
    }
    Ok(())
}

/// The signing identity of a response.
pub struct Signer<'a> {
    pub key: &'a PrivateKey,
    /// The signing certificate, base64 DER on one line.
    pub certificate_base64: &'a str,
}

impl<'a> Signer<'a> {
    /// Signs with `identity`'s key and certificate.
    pub fn of(identity: &'a keys::Identity) -> Signer<'a> {
        Signer {
            key: &identity.key,
            certificate_base64: identity.cert_base64(),
        }
    }
}

/// Wraps `body_content` in a signed response envelope: the WS-Addressing headers (when the
/// request used WS-Addressing: `wsa:Action`, a fresh `wsa:MessageID`, `wsa:RelatesTo` echoing
/// the request's MessageID), a Timestamp, the service certificate, and a signature over Body,
/// Timestamp and the addressing headers.
///
/// sfstub writes every signed part itself, so their canonical forms are written directly
/// rather than found again by parsing the finished envelope: only the Body's content, which a
/// service wrote, is canonicalised, inside a Body carrying the envelope's declarations (the
/// same canonical bytes as in place: exclusive canonicalisation renders only the declarations
/// an element visibly uses) — read straight from its text ([`xmltree::exc_c14n_text`]), or
/// parsed into a tree when it is not plain XML. The envelope is then written once, the
/// signature in its place.
pub fn signed_response(
    version: SoapVersion,
    body_content: &[u8],
    addressing: Option<&ResponseAddressing>,
    extra_header: Option<&str>,
    now: DateTime<Utc>,
    signer: &Signer<'_>,
) -> Result<Vec<u8>, DsigError> {
    let body = std::str::from_utf8(body_content).map_err(|e| DsigError::Malformed(e.to_string()))?;
    let soap = version.namespace();
    // The envelope's declarations, written once here and in the envelope.
    let mut declarations = String::with_capacity(256);
    for (prefix, uri) in [("soap", soap), ("wsa", WSA_NS), ("wsse", WSSE_NS), ("wsu", WSU_NS)] {
        if !declarations.is_empty() {
            declarations.push(' ');
        }
        declarations.push_str("xmlns:");
        declarations.push_str(prefix);
        declarations.push_str("=\"");
        declarations.push_str(uri);
        declarations.push('"');
    }
    let mut body_element = String::with_capacity(body.len() + declarations.len() + 48);
    body_element.push_str("<soap:Body ");
    body_element.push_str(&declarations);
    body_element.push_str(" wsu:Id=\"_body\">");
    body_element.push_str(body);
    body_element.push_str("</soap:Body>");
    // The addressing headers: identifier, local name, text.
    let mut parts: Vec<(&str, &str, &str)> = Vec::with_capacity(3);
    if let Some(a) = addressing {
        parts.push(("_action", "Action", &a.action));
        parts.push(("_messageid", "MessageID", &a.message_id));
        if let Some(relates_to) = &a.relates_to {
            parts.push(("_relatesto", "RelatesTo", relates_to));
        }
    }
    // Referenced in this order: Body, the addressing headers, Timestamp.
    let references: Vec<SignReference> = std::iter::once("_body")
        .chain(parts.iter().map(|&(id, _, _)| id))
        .chain(std::iter::once("_timestamp"))
        .map(SignReference::to)
        .collect();
    // The Body's canonical form, read straight from its text when it is the plain XML
    // services write (no identifier below the Body: none the signature references can be
    // there); otherwise from its tree, which also gives every error.
    let body_canonical = match xmltree::exc_c14n_text(&body_element) {
        Some(canonical) => canonical,
        None => {
            let body_tree = Tree::parse(body_element.as_bytes())?;
            // The Body's content is a service's; an identifier the signature references
            // inside it would make a reference ambiguous.
            for r in &references {
                match body_tree.element_by_id(&r.id)? {
                    Some(at) if at == body_tree.root() => {}
                    None => {}
                    Some(_) => {
                        return Err(DsigError::Malformed(format!(
                            "two elements carry the identifier {:?}",
                            r.id
                        )));
                    }
                }
            }
            body_tree.exc_c14n(body_tree.root(), None, &[])
        }
    };
    let created = saml::instant(now);
    let expires = saml::instant(now + Duration::minutes(5));
    let mut canonical = vec![body_canonical];
    let mut headers = String::with_capacity(512);
    for &(id, name, value) in &parts {
        for piece in [
            "<wsa:",
            name,
            " wsu:Id=\"",
            id,
            "\">",
            &escape(value),
            "</wsa:",
            name,
            ">",
        ] {
            headers.push_str(piece);
        }
        canonical.push(addressing_canonical(name, id, value));
    }
    // The Timestamp: its content as written in the envelope, and its canonical form.
    let mut times = String::with_capacity(128);
    for piece in [
        "<wsu:Created>",
        &created,
        "</wsu:Created><wsu:Expires>",
        &expires,
        "</wsu:Expires></wsu:Timestamp>",
    ] {
        times.push_str(piece);
    }
    let mut timestamp = Vec::with_capacity(256);
    for piece in [
        "<wsu:Timestamp xmlns:wsu=\"",
        WSU_NS,
        "\" wsu:Id=\"_timestamp\">",
        &times,
    ] {
        timestamp.extend_from_slice(piece.as_bytes());
    }
    canonical.push(timestamp);
    let digests: Vec<(&SignReference, [u8; 32])> = references
        .iter()
        .zip(&canonical)
        .map(|(r, c)| (r, Sha256::digest(c).into()))
        .collect();
    if let Some(extra) = extra_header {
        headers.push_str(extra);
    }
    let signature = dsig::signature(&digests, signer.key, RESPONSE_KEY_INFO)?;
    let must_understand = if version == SoapVersion::V12 { "true" } else { "1" };
    let cert = signer.certificate_base64;
    let pieces = [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope ",
        &declarations,
        "><soap:Header>",
        &headers,
        "<wsse:Security soap:mustUnderstand=\"",
        must_understand,
        "\"><wsu:Timestamp wsu:Id=\"_timestamp\">",
        &times,
        "<wsse:BinarySecurityToken wsu:Id=\"_service_certificate\" ValueType=\"",
        X509V3,
        "\" EncodingType=\"",
        BASE64_BINARY,
        "\">",
        cert,
        "</wsse:BinarySecurityToken>",
        &signature,
        "</wsse:Security></soap:Header><soap:Body wsu:Id=\"_body\">",
        body,
        "</soap:Body></soap:Envelope>",
    ];
    Ok(pieces.concat().into_bytes())
}

/// The exclusive canonical form of the addressing header `<wsa:{name} wsu:Id="{id}">` holding
/// `value` in a response envelope: the two prefixes it uses declared on it, the text as a
/// parser reads it from the escaped envelope (line ends normalised to `\n`) and as
/// canonicalisation escapes it.
fn addressing_canonical(name: &str, id: &str, value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(160 + value.len());
    out.extend_from_slice(b"<wsa:");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b" xmlns:wsa=\"");
    out.extend_from_slice(WSA_NS.as_bytes());
    out.extend_from_slice(b"\" xmlns:wsu=\"");
    out.extend_from_slice(WSU_NS.as_bytes());
    out.extend_from_slice(b"\" wsu:Id=\"");
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b"\">");
    xmltree::write_canonical_text(value, &mut out);
    out.extend_from_slice(b"</wsa:");
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
    out
}

/// The KeyInfo of a signed response: the BinarySecurityToken beside the signature.
const RESPONSE_KEY_INFO: &str = "<wsse:SecurityTokenReference><wsse:Reference URI=\"#_service_certificate\" ValueType=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3\"/></wsse:SecurityTokenReference>";

/// What a client sends in the token model, for [`signed_request`].
pub struct ClientRequest<'a> {
    pub version: SoapVersion,
    /// `wsa:Action` (the operation's SOAP action).
    pub action: &'a str,
    /// `wsa:To` (the endpoint URL).
    pub to: &'a str,
    /// The Body's content: the operation element.
    pub body: &'a str,
    /// The assertion from the STS, verbatim.
    pub assertion: &'a str,
    pub assertion_id: &'a str,
    /// The holder-of-key's private key.
    pub key: &'a PrivateKey,
    pub now: DateTime<Utc>,
    pub message_id: &'a str,
    /// More SOAP headers, raw XML declaring their own namespaces (e.g. the støttesystem
    /// `RequestHeader/TransactionUUID`); not signed, as the støttesystem policy signs only the
    /// Body and the addressing headers.
    pub header: Option<&'a str>,
}

/// A request in the OIO IDWS token model as a careful client writes it: WS-Addressing
/// headers, a Timestamp, the assertion, a SecurityTokenReference to it, and one signature by
/// the holder-of-key over Body, Timestamp, the addressing headers and (through the
/// STR-Transform) the assertion. `sfstub token --envelope` and the tests use it.
pub fn signed_request(r: &ClientRequest<'_>) -> Result<String, DsigError> {
    let must_understand = if r.version == SoapVersion::V12 { "true" } else { "1" };
    let str_element = |id_attr: &str| {
        format!(
            "<wsse:SecurityTokenReference{id_attr} wsse11:TokenType=\"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0\"><wsse:KeyIdentifier ValueType=\"{SAMLID}\">{}</wsse:KeyIdentifier></wsse:SecurityTokenReference>",
            escape(r.assertion_id)
        )
    };
    let xml = format!(
        "<soap:Envelope xmlns:soap=\"{soap}\" xmlns:wsa=\"{WSA_NS}\" xmlns:wsse=\"{WSSE_NS}\" xmlns:wsse11=\"{WSSE11_NS}\" xmlns:wsu=\"{WSU_NS}\"><soap:Header>\
<wsa:Action wsu:Id=\"_action\">{action}</wsa:Action><wsa:MessageID wsu:Id=\"_messageid\">{message_id}</wsa:MessageID>\
<wsa:To wsu:Id=\"_to\">{to}</wsa:To><wsa:ReplyTo wsu:Id=\"_replyto\"><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>{extra}\
<wsse:Security soap:mustUnderstand=\"{must_understand}\"><wsu:Timestamp wsu:Id=\"_timestamp\"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>\
{assertion}{str}{SIGNATURE_PLACEHOLDER}</wsse:Security></soap:Header><soap:Body wsu:Id=\"_body\">{body}</soap:Body></soap:Envelope>",
        extra = r.header.unwrap_or(""),
        soap = r.version.namespace(),
        action = escape(r.action),
        message_id = escape(r.message_id),
        to = escape(r.to),
        created = saml::instant(r.now),
        expires = saml::instant(r.now + Duration::minutes(5)),
        assertion = r.assertion,
        str = str_element(" wsu:Id=\"_str\""),
        body = r.body,
    );
    let refs = ["_body", "_timestamp", "_action", "_messageid", "_to", "_replyto"]
        .into_iter()
        .map(SignReference::to)
        .chain(std::iter::once(SignReference::token_via("_str")))
        .collect::<Vec<_>>();
    dsig::sign(&xml, &refs, r.key, &str_element(""))
}

/// The WS-Security 1.1 namespace (`wsse11:TokenType`).
pub const WSSE11_NS: &str = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd";

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::security::keys::KeyMaterial;

    /// The signed response as it was made before its parts were canonicalised directly: the
    /// whole envelope written with a placeholder, parsed, every part found by its identifier
    /// and canonicalised from the tree. The oracle for [`signed_response`].
    fn signed_response_by_parsing(
        version: SoapVersion,
        body: &str,
        addressing: Option<&ResponseAddressing>,
        extra_header: Option<&str>,
        now: DateTime<Utc>,
        signer: &Signer<'_>,
    ) -> Result<Vec<u8>, DsigError> {
        let mut refs = vec![SignReference::to("_body")];
        let mut headers = String::new();
        if let Some(a) = addressing {
            headers.push_str(&format!(
                "<wsa:Action wsu:Id=\"_action\">{}</wsa:Action><wsa:MessageID wsu:Id=\"_messageid\">{}</wsa:MessageID>",
                escape(&a.action),
                escape(&a.message_id)
            ));
            refs.push(SignReference::to("_action"));
            refs.push(SignReference::to("_messageid"));
            if let Some(id) = &a.relates_to {
                headers.push_str(&format!(
                    "<wsa:RelatesTo wsu:Id=\"_relatesto\">{}</wsa:RelatesTo>",
                    escape(id)
                ));
                refs.push(SignReference::to("_relatesto"));
            }
        }
        refs.push(SignReference::to("_timestamp"));
        if let Some(extra) = extra_header {
            headers.push_str(extra);
        }
        let must_understand = if version == SoapVersion::V12 { "true" } else { "1" };
        let xml = format!(
            "<soap:Envelope xmlns:soap=\"{soap}\" xmlns:wsa=\"{WSA_NS}\" xmlns:wsse=\"{WSSE_NS}\" xmlns:wsu=\"{WSU_NS}\"><soap:Header>{headers}\
<wsse:Security soap:mustUnderstand=\"{must_understand}\"><wsu:Timestamp wsu:Id=\"_timestamp\"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>\
<wsse:BinarySecurityToken wsu:Id=\"_service_certificate\" ValueType=\"{X509V3}\" EncodingType=\"{BASE64_BINARY}\">{cert}</wsse:BinarySecurityToken>{SIGNATURE_PLACEHOLDER}</wsse:Security>\
</soap:Header><soap:Body wsu:Id=\"_body\">{body}</soap:Body></soap:Envelope>",
            soap = version.namespace(),
            created = saml::instant(now),
            expires = saml::instant(now + Duration::minutes(5)),
            cert = signer.certificate_base64,
        );
        let signed = dsig::sign(&xml, &refs, signer.key, RESPONSE_KEY_INFO)?;
        Ok(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{signed}").into_bytes())
    }

    /// Text a client may echo into a response: markup characters, line ends of every kind,
    /// non-ASCII.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "a",
                "urn:uuid:1",
                "&",
                "<",
                ">",
                "\"",
                "'",
                "\r\n",
                "\r",
                "\n",
                "\t",
                "æø",
                " ",
                "]]>",
            ]),
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    /// Body content as services write it: namespaces declared where used or borrowed from the
    /// envelope, attributes, escaped text, empty elements, comments.
    fn body() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec![
                "<k:Svar xmlns:k=\"urn:k\" b=\"2\" a=\"1\"><k:Liste/></k:Svar>",
                "<Svar xmlns=\"urn:d\"><Tom></Tom><i xmlns=\"\">x</i></Svar>",
                "<wsu:Borrowed>the envelope's prefix</wsu:Borrowed>",
                "<x:A xmlns:x=\"urn:x\" xmlns:y=\"urn:y\"><y:B y:at=\"&quot;\"/><!-- note --></x:A>",
                "",
            ]),
            text(),
        )
            .prop_map(|(element, text)| format!("{element}<t>{}</t>", escape(&text)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn canonical_parts_written_directly_sign_the_same_bytes_as_parsing_the_envelope(
            v12 in any::<bool>(),
            body in body(),
            addressing in prop::option::of((text(), text(), prop::option::of(text()))),
            extra in prop::option::of(Just("<h:RequestHeader xmlns:h=\"urn:h\"><h:TransactionUUID>u</h:TransactionUUID></h:RequestHeader>")),
        ) {
            let keys = KeyMaterial::ephemeral_shared();
            let signer = Signer::of(&keys.service);
            let version = if v12 { SoapVersion::V12 } else { SoapVersion::V11 };
            let addressing = addressing.map(|(action, message_id, relates_to)| ResponseAddressing {
                action,
                message_id,
                relates_to,
            });
            let now = crate::scenario::parse_clock("2026-11-22T12:00:00Z").unwrap().now();
            let direct = signed_response(version, body.as_bytes(), addressing.as_ref(), extra, now, &signer).unwrap();
            let parsed = signed_response_by_parsing(version, &body, addressing.as_ref(), extra, now, &signer).unwrap();
            prop_assert_eq!(String::from_utf8(direct).unwrap(), String::from_utf8(parsed).unwrap());
        }
    }

    /// A document holding an `A` element: the declarations around it, what stands beside it,
    /// and the element itself vary.
    fn holder() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec![
                "",
                " xmlns:p=\"urn:1\"",
                " xmlns:p=\"urn:2\"",
                " xmlns=\"urn:d\" xmlns:p=\"urn:1\"",
                " xmlns:q=\"urn:unused\" xmlns:p=\"urn:1\"",
            ]),
            prop::sample::select(vec!["", "<pad/>", " \n ", "<p:pad xmlns:p=\"urn:3\"/>"]),
            prop::sample::select(vec![
                "<p:A Id=\"a\"><p:B/></p:A>",
                "<p:A Id=\"a\"><p:B></p:B></p:A>",
                "<p:A Id=\"a\" xmlns:p=\"urn:1\"><B>x</B></p:A>",
                "<A xmlns:s=\"urn:s\"><s:B s:at=\"1\">x &amp; y</s:B></A>",
                "<A><B>x</B></A>",
            ]),
        )
            .prop_map(|(declarations, beside, element)| format!("<r{declarations}>{beside}{element}</r>"))
    }

    fn key_and_canonical(xml: &str) -> Option<(Vec<u8>, Vec<u8>)> {
        let tree = Tree::parse(xml.as_bytes()).ok()?;
        let a = tree
            .descendants(tree.root())
            .into_iter()
            .find(|&n| tree.element(n).local_name() == "A")?;
        Some((written_key(&tree, a), tree.exc_c14n(a, None, &[])))
    }

    proptest! {
        #[test]
        fn an_equal_cache_key_is_an_equal_canonical_form(one in holder(), other in holder()) {
            if let (Some((k1, c1)), Some((k2, c2))) = (key_and_canonical(&one), key_and_canonical(&other))
                && k1 == k2
            {
                prop_assert_eq!(c1, c2, "{} / {}", one, other);
            }
        }
    }

    proptest! {
        #[test]
        fn the_piecewise_comparison_is_the_comparison_of_the_keys(one in holder(), other in holder()) {
            let found = |xml: &str| {
                let tree = Tree::parse(xml.as_bytes()).ok()?;
                let a = tree
                    .descendants(tree.root())
                    .into_iter()
                    .find(|&n| tree.element(n).local_name() == "A")?;
                Some((tree, a))
            };
            if let (Some((t1, a1)), Some((t2, a2))) = (found(&one), found(&other)) {
                let k2 = written_key(&t2, a2);
                prop_assert_eq!(written_equal(&t1, a1, &k2), written_key(&t1, a1) == k2, "{} / {}", one, other);
                prop_assert!(written_equal(&t1, a1, &written_key(&t1, a1)));
            }
        }
    }

    #[test]
    fn the_cache_key_follows_the_assertion_and_its_declarations_not_its_neighbours() {
        let key = |xml: &str| key_and_canonical(xml).unwrap().0;
        let base = key("<r xmlns:p=\"urn:1\"><p:A><p:B/></p:A></r>");
        // What stands beside the assertion does not matter: a reused token is found.
        assert_eq!(base, key("<r xmlns:p=\"urn:1\"><pad/> <p:A><p:B/></p:A><pad/></r>"));
        // Another binding of a prefix it uses, or any other byte of it, does.
        assert_ne!(base, key("<r xmlns:p=\"urn:2\"><p:A><p:B/></p:A></r>"));
        assert_ne!(base, key("<r xmlns:p=\"urn:1\"><p:A><p:B></p:B></p:A></r>"));
        assert_ne!(base, key("<r xmlns:p=\"urn:1\"><p:A ><p:B/></p:A></r>"));
    }

    #[test]
    fn an_identifier_of_the_envelope_inside_the_body_is_refused() {
        let keys = KeyMaterial::ephemeral_shared();
        let signer = Signer::of(&keys.service);
        let now = crate::scenario::parse_clock("2026-11-22T12:00:00Z").unwrap().now();
        for body in ["<a wsu:Id=\"_timestamp\"/>", "<a Id=\"_body\"/>"] {
            let err = signed_response(SoapVersion::V12, body.as_bytes(), None, None, now, &signer).unwrap_err();
            assert!(err.to_string().contains("two elements carry the identifier"), "{err}");
            assert!(signed_response_by_parsing(SoapVersion::V12, body, None, None, now, &signer).is_err());
        }
        // An identifier the signature does not reference (no addressing here) is the body's own.
        let body = "<a Id=\"_action\"/>";
        assert_eq!(
            signed_response(SoapVersion::V12, body.as_bytes(), None, None, now, &signer).unwrap(),
            signed_response_by_parsing(SoapVersion::V12, body, None, None, now, &signer).unwrap()
        );
    }
}
