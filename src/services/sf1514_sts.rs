//! SF1514 Security Token Service, SOAP WS-Trust 1.3 Issue ("certificatemixed").
//!
//! A signed RequestSecurityToken (client certificate in the WS-Security header, AppliesTo =
//! a service's entity ID, one CvrNumberIdentifier claim, KeyType PublicKey, UseKey = the
//! client certificate) gets a signed RequestSecurityTokenResponseCollection holding a SAML
//! 2.0 holder-of-key assertion for that service and CVR, valid 8 hours. Errors use the STS's
//! numeric codes: 101 unknown service or caller, 103 malformed request, 5015 no service
//! agreement.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{Context, ResponseSigning, Service, Signer, Summary};
use crate::clip::clip;
use crate::security::keys::{CertInfo, check_usable, parse_certificate};
use crate::security::saml::{self, AssertionSpec};
use crate::security::wss::{self, Freshness, SAMLID, WSA_NS, WSSE_NS, WSSE11_NS, WSU_NS};
use crate::security::xmltree::{NodeId, Tree};
use crate::security::{SecurityMode, dsig};
use crate::soap::xml::{escape, escape_attribute};
use crate::soap::{Body, Envelope, Fault, SoapVersion};
use crate::world::Cvr;

pub const WST_NS: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
pub const SAML2_TOKEN_TYPE: &str = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0";
pub const ISSUE: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue";
pub const PUBLIC_KEY: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey";
pub const RSTRC_ACTION: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal";
/// The path of the SOAP STS.
pub const PATH: &str = "/runtime/services/kombittrust/14/certificatemixed";
/// How long an issued token is valid.
pub const TOKEN_LIFETIME_HOURS: i64 = 8;

/// What a valid RequestSecurityToken asks for.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub applies_to: String,
    pub cvr: Cvr,
    /// The UseKey certificate (DER) and what it says.
    pub certificate: Vec<u8>,
    pub certificate_info: CertInfo,
    pub context: Option<String>,
    pub message_id: Option<String>,
}

/// An STS error: its numeric code and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsError {
    pub code: u32,
    pub reason: String,
}

impl StsError {
    fn new(code: u32, reason: impl Into<String>) -> StsError {
        StsError {
            code,
            reason: reason.into(),
        }
    }

    /// The fault on the wire: Sender, subcode `STS<code>`, reason `<code>: <reason>`.
    pub fn fault(&self, version: SoapVersion) -> Fault {
        Fault::sender(version, format!("{}: {}", self.code, self.reason)).with_subcode(format!("STS{}", self.code))
    }
}

/// The known service entity IDs, for AppliesTo.
pub type Audiences = Vec<&'static str>;

/// Everything the issuing side needs besides the request: for the SOAP, REST and OAuth
/// variants alike.
pub struct Issuer<'a> {
    pub ctx: &'a Context<'a>,
    pub audiences: &'a [&'static str],
}

/// An issued token.
#[derive(Debug, Clone)]
pub struct Issued {
    pub assertion: String,
    pub assertion_id: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

impl Issuer<'_> {
    /// Checks the audience, the caller and the service agreement, and issues the assertion.
    pub fn issue(&self, applies_to: &str, cvr: Cvr, certificate: &[u8], info: &CertInfo) -> Result<Issued, StsError> {
        self.ctx.guard.note_caller(cvr.to_string());
        let applies_to = applies_to.trim_end_matches('/');
        check_audience(applies_to, self.audiences)?;
        let guard = self.ctx.guard;
        let world = self.ctx.world;
        if world.authority_by_cvr(cvr).is_none() {
            return Err(StsError::new(
                101,
                format!("the CVR {cvr} in CvrNumberIdentifier is not an authority of this scenario's world"),
            ));
        }
        check_usable(info, guard.now())
            .map_err(|e| StsError::new(101, format!("the client certificate cannot be used: {e}")))?;
        guard
            .check_agreement(cvr, applies_to, Some((certificate, &info.subject)))
            .map_err(|why| {
                StsError::new(
                    5015,
                    format!("received user context does not exist on using system: {why}"),
                )
            })?;
        // Tokens live on the security clock (real time unless pinned), never the world's.
        let created = guard.now();
        let expires = created + Duration::hours(TOKEN_LIFETIME_HOURS);
        let id = format!("_{}", Uuid::new_v4());
        let spec = AssertionSpec {
            id: id.clone(),
            issuer: guard.settings.sts_issuer.clone(),
            subject: info.subject.clone(),
            holder_certificate: certificate.to_vec(),
            audience: applies_to.to_owned(),
            cvr: cvr.to_string(),
            privileges: Vec::new(),
            issued: created,
            expires,
        };
        let sts = &guard.keys.sts;
        let assertion = saml::issue(&spec, &sts.key, &sts.cert_der)
            .map_err(|e| StsError::new(100, format!("the STS could not sign the assertion: {e}")))?;
        Ok(Issued {
            assertion,
            assertion_id: id,
            created,
            expires,
        })
    }
}

/// Reads a RequestSecurityToken. In strict mode (`strict` says how fresh its Timestamp must
/// be at `now`, the security clock) its WS-Security signature must verify with the UseKey
/// certificate, which must be usable, and cover Body and Timestamp. `on_cvr` hears the
/// claimed CVR as soon as it is read (for the request log), before the rest is judged.
pub fn read_request(
    tree: &Tree,
    audiences: &[&'static str],
    strict: Option<&Freshness>,
    now: DateTime<Utc>,
    on_cvr: impl FnOnce(Cvr),
) -> Result<TokenRequest, StsError> {
    let malformed = |why: String| StsError::new(103, why);
    let body = tree
        .child_elements(tree.root())
        .find(|&c| tree.element(c).local_name() == "Body")
        .ok_or_else(|| malformed("the request has no Body".into()))?;
    let rst = tree
        .child_elements(body)
        .next()
        .filter(|&n| tree.element(n).local_name() == "RequestSecurityToken")
        .ok_or_else(|| malformed("the Body holds no wst:RequestSecurityToken".into()))?;
    let field = |local: &str| find_local(tree, rst, &[local]).map(|n| tree.text(n));
    match field("RequestType") {
        Some(t) if t.ends_with("/Issue") => {}
        Some(t) => {
            return Err(malformed(format!(
                "RequestType is {t:?}; this STS only issues ({ISSUE})"
            )));
        }
        None => return Err(malformed(format!("RequestType is missing; send {ISSUE}"))),
    }
    match field("TokenType") {
        Some(t) if t == SAML2_TOKEN_TYPE => {}
        Some(t) => {
            return Err(malformed(format!(
                "TokenType is {t:?}; this STS issues {SAML2_TOKEN_TYPE}"
            )));
        }
        None => return Err(malformed(format!("TokenType is missing; send {SAML2_TOKEN_TYPE}"))),
    }
    match field("KeyType") {
        Some(t) if t == PUBLIC_KEY => {}
        Some(t) => {
            return Err(malformed(format!(
                "KeyType is {t:?}; KOMBIT's STS issues holder-of-key tokens only: send {PUBLIC_KEY}"
            )));
        }
        None => return Err(malformed(format!("KeyType is missing; send {PUBLIC_KEY}"))),
    }
    let applies_to = find_local(tree, rst, &["AppliesTo", "EndpointReference", "Address"])
        .map(|n| tree.text(n))
        .filter(|a| !a.is_empty())
        .ok_or_else(|| malformed("AppliesTo/EndpointReference/Address (the service's entity ID) is missing".into()))?;
    check_audience(&applies_to, audiences)?;
    let claims = find_local(tree, rst, &["Claims"]).ok_or_else(|| {
        malformed("Claims is missing: send one ClaimType dk:gov:saml:attribute:CvrNumberIdentifier with the CVR".into())
    })?;
    let claim_types: Vec<NodeId> = tree
        .child_elements(claims)
        .filter(|&c| tree.element(c).local_name() == "ClaimType")
        .collect();
    let cvr_text = match claim_types.as_slice() {
        [one] if tree.attribute(*one, None, "Uri") == Some(saml::CVR_ATTRIBUTE) => find_local(tree, *one, &["Value"])
            .map(|v| tree.text(v))
            .unwrap_or_default(),
        [one] => {
            return Err(malformed(format!(
                "the ClaimType is {:?}; the STS needs {}",
                tree.attribute(*one, None, "Uri").unwrap_or(""),
                saml::CVR_ATTRIBUTE
            )));
        }
        more => {
            return Err(malformed(format!(
                "Claims holds {} ClaimType elements; exactly one (the CvrNumberIdentifier) is required",
                more.len()
            )));
        }
    };
    let cvr = Cvr::parse(&cvr_text).map_err(|e| malformed(format!("the CvrNumberIdentifier claim: {e}")))?;
    on_cvr(cvr);
    let use_key = find_local(tree, rst, &["UseKey", "BinarySecurityToken"])
        .map(|n| tree.text(n))
        .ok_or_else(|| malformed("UseKey/BinarySecurityToken (the client certificate) is missing".into()))?;
    let certificate = B64
        .decode(use_key.split_whitespace().collect::<String>())
        .map_err(|e| malformed(format!("UseKey's BinarySecurityToken is not base64: {e}")))?;
    let certificate_info =
        parse_certificate(&certificate).map_err(|e| malformed(format!("UseKey's certificate cannot be read: {e}")))?;
    if let Some(freshness) = strict {
        check_signature(tree, body, &certificate, &certificate_info, now, freshness)?;
    }
    Ok(TokenRequest {
        applies_to,
        cvr,
        certificate,
        certificate_info,
        context: tree.attribute(rst, None, "Context").map(str::to_owned),
        message_id: wss::message_id(tree),
    })
}

/// Refuses an AppliesTo that is not a service sfstub serves (code 101).
fn check_audience(applies_to: &str, audiences: &[&'static str]) -> Result<(), StsError> {
    let applies_to = applies_to.trim_end_matches('/');
    if audiences.contains(&applies_to) {
        return Ok(());
    }
    Err(StsError::new(
        101,
        format!(
            "the requested service {applies_to:?} is unknown to this STS; sfstub serves: {}",
            audiences.join(", ")
        ),
    ))
}

/// The element reached from `from` through children with these local names.
fn find_local(tree: &Tree, from: NodeId, path: &[&str]) -> Option<NodeId> {
    path.iter().try_fold(from, |at, local| {
        tree.child_elements(at)
            .find(|&c| tree.element(c).local_name() == *local)
    })
}

fn check_signature(
    tree: &Tree,
    body: NodeId,
    certificate: &[u8],
    info: &CertInfo,
    now: DateTime<Utc>,
    freshness: &Freshness,
) -> Result<(), StsError> {
    let bad = |why: String| StsError::new(103, format!("the request's signature: {why}"));
    let mut headers = tree
        .child_elements(tree.root())
        .filter(|&c| tree.element(c).local_name() == "Header");
    let header = headers
        .next()
        .ok_or_else(|| bad("no SOAP Header with a wsse:Security header".into()))?;
    if headers.next().is_some() {
        return Err(bad(
            "the envelope holds more than one SOAP Header; SOAP allows one".into()
        ));
    }
    let security = tree
        .child(header, WSSE_NS, "Security")
        .ok_or_else(|| bad("no wsse:Security header".into()))?;
    let signature = tree.child(security, dsig::DS_NS, "Signature").ok_or_else(|| {
        bad("the RST is not signed (strict mode needs a ds:Signature by the UseKey certificate)".into())
    })?;
    let bst = tree
        .child(security, WSSE_NS, "BinarySecurityToken")
        .map(|b| tree.text(b));
    if let Some(bst) = bst {
        let der = B64
            .decode(bst.split_whitespace().collect::<String>())
            .unwrap_or_default();
        if der != certificate {
            return Err(bad(
                "the BinarySecurityToken in the header is not the UseKey certificate".into(),
            ));
        }
    }
    let timestamp = wss::check_timestamp(tree, security, now, freshness).map_err(bad)?;
    check_usable(info, now).map_err(|e| StsError::new(101, format!("the UseKey certificate cannot be used: {e}")))?;
    let key_name = format!("the UseKey certificate ({})", info.subject);
    let verified = dsig::verify(tree, signature, &info.public_key, &key_name, None).map_err(|e| bad(e.to_string()))?;
    let mut missing = Vec::new();
    if !verified.covered.contains(&body) {
        missing.push("Body");
    }
    if !verified.covered.contains(&timestamp) {
        missing.push("Timestamp");
    }
    if !missing.is_empty() {
        return Err(bad(format!("{} not signed", missing.join(", "))));
    }
    Ok(())
}

/// Writes the RequestSecurityTokenResponseCollection for an issued token.
pub fn write_response(out: &mut Vec<u8>, request: &TokenRequest, issued: &Issued) {
    let reference = format!(
        "<wsse:SecurityTokenReference xmlns:wsse=\"{WSSE_NS}\" xmlns:wsse11=\"{WSSE11_NS}\" wsse11:TokenType=\"{SAML2_TOKEN_TYPE}\"><wsse:KeyIdentifier ValueType=\"{SAMLID}\">{}</wsse:KeyIdentifier></wsse:SecurityTokenReference>",
        issued.assertion_id
    );
    let context = request
        .context
        .as_deref()
        .map(|c| format!(" Context=\"{}\"", escape_attribute(c)))
        .unwrap_or_default();
    out.extend_from_slice(
        format!(
            "<trust:RequestSecurityTokenResponseCollection xmlns:trust=\"{WST_NS}\"><trust:RequestSecurityTokenResponse{context}>\
<trust:TokenType>{SAML2_TOKEN_TYPE}</trust:TokenType><trust:RequestedSecurityToken>{assertion}</trust:RequestedSecurityToken>\
<trust:RequestedAttachedReference>{reference}</trust:RequestedAttachedReference><trust:RequestedUnattachedReference>{reference}</trust:RequestedUnattachedReference>\
<wsp:AppliesTo xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\"><wsa:EndpointReference xmlns:wsa=\"{WSA_NS}\"><wsa:Address>{audience}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>\
<trust:Lifetime><wsu:Created xmlns:wsu=\"{WSU_NS}\">{created}</wsu:Created><wsu:Expires xmlns:wsu=\"{WSU_NS}\">{expires}</wsu:Expires></trust:Lifetime>\
<trust:RequestType>{ISSUE}</trust:RequestType><trust:KeyType>{PUBLIC_KEY}</trust:KeyType></trust:RequestSecurityTokenResponse></trust:RequestSecurityTokenResponseCollection>",
            assertion = issued.assertion,
            audience = escape(request.applies_to.trim_end_matches('/')),
            created = saml::instant(issued.created),
            expires = saml::instant(issued.expires),
        )
        .as_bytes(),
    );
}

/// The SOAP STS endpoint.
pub struct Sts {
    audiences: Vec<&'static str>,
}

impl Sts {
    /// An STS issuing tokens for these service entity IDs.
    pub fn new(audiences: Vec<&'static str>) -> Sts {
        Sts { audiences }
    }
}

impl Service for Sts {
    fn title(&self) -> &'static str {
        "SF1514 Security Token Service"
    }

    fn paths(&self) -> &[&'static str] {
        &[PATH]
    }

    fn entity_id(&self) -> &'static str {
        crate::security::DEFAULT_STS_ISSUER
    }

    fn call(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        body: Body<'_>,
        out: &mut Vec<u8>,
    ) -> Result<Summary, Fault> {
        let version = envelope.version;
        if envelope.operation.local_name != "RequestSecurityToken" {
            return Err(StsError::new(
                103,
                format!(
                    "the Body holds {}, not a WS-Trust 1.3 RequestSecurityToken",
                    clip(&envelope.operation.local_name)
                ),
            )
            .fault(version));
        }
        let guard = ctx.guard;
        let tree =
            Tree::parse_body(body, guard.limits, None).map_err(|e| StsError::new(103, e.to_string()).fault(version))?;
        let freshness = guard.freshness();
        let strict = (guard.settings.mode == SecurityMode::Strict).then_some(&freshness);
        let request = read_request(&tree, &self.audiences, strict, guard.now(), |cvr| {
            guard.note_caller(cvr.to_string());
        })
        .map_err(|e| e.fault(version))?;
        let issuer = Issuer {
            ctx,
            audiences: &self.audiences,
        };
        let issued = issuer
            .issue(
                &request.applies_to,
                request.cvr,
                &request.certificate,
                &request.certificate_info,
            )
            .map_err(|e| e.fault(version))?;
        write_response(out, &request, &issued);
        // The journal: who asked, by the UseKey certificate the token is bound to.
        let cvr = request.cvr.to_string();
        ctx.trace.token(
            &cvr,
            &request.certificate_info.subject,
            &request.certificate,
            strict.is_some(),
        );
        Ok(Summary {
            caller: Some(request.cvr.to_string()),
            outcome: format!("token {} for {}", issued.assertion_id, request.applies_to).into(),
            signing: Some(ResponseSigning { by: Signer::Sts }),
            header: None,
        })
    }

    /// SOAP 1.2 only, as the contract binds.
    fn soap_versions(&self) -> &'static [SoapVersion] {
        &[SoapVersion::V12]
    }

    /// `sts.wsdl` names it: `wsaw:Action` of `Trust13Issue`'s output.
    fn reply_action(&self, _envelope: &Envelope) -> String {
        RSTRC_ACTION.to_owned()
    }

    /// sfstub writes no STS WSDL of its own: it serves KOMBIT's `sts.wsdl` (shipped, or from
    /// `--contracts DIR`) with this endpoint's address.
    fn contract(&self, _document: Option<&str>, _base: &str) -> Option<String> {
        None
    }

    fn official(&self) -> Option<crate::contracts::Official> {
        Some(crate::contracts::Official {
            variants: &[crate::contracts::Variant {
                name: "",
                shipped: "sf1514-sts/sts.wsdl",
                vendor: &["sts.wsdl"],
            }],
            derive: None,
            origin: "KOMBIT's STS contract (sts.wsdl in the SF1514 package and KOMBIT's client samples)",
        })
    }
}
