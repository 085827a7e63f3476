//! Request conformance: is what a client sent what its service's contract and the platform's
//! rules allow? Each check gives [`Finding`]s with a stable [`Code`], a severity and a message
//! naming the element or header and its line.
//!
//! The checks run in the request path ([`crate::http`]): [`before`] on the parsed envelope and
//! the HTTP headers (SOAP version against the binding, SOAPAction / `action=` against the
//! operation, the headers the generation and the token policy require), [`after`] on what the
//! service read (the domain's input rules, e.g. the CPR number). In `--conformance strict` an
//! error the platform's own validation would catch refuses the call with the fault that
//! validation gives ([`Finding::refusal`]); otherwise findings are only recorded (journal,
//! report, log). [`schema`] validates the operation element against the service's XSD beside
//! [`before`].

pub mod profiles;
pub mod schema;

use quick_xml::events::Event;
use quick_xml::name::{NamespaceResolver, ResolveResult};
use quick_xml::reader::Reader;
use serde::{Deserialize, Serialize};

use crate::security::SecurityMode;
use crate::soap::{Envelope, Fault, SoapVersion};
pub use profiles::{CprRule, OperationSpec, Profile};

/// What sfstub does with findings (`--conformance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// No checks.
    Off,
    /// Check every request; record and log the findings; answer as usual.
    #[default]
    Record,
    /// As `record`, and refuse a request with an error the platform's validation would catch,
    /// with the fault that validation gives.
    Strict,
}

impl Mode {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Record => "record",
            Mode::Strict => "strict",
        }
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The platform would not accept this (or answers it only by leniency).
    Warning,
    /// Against the contract: the platform refuses it, or a real client would break on it.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The stable codes of findings. New checks add codes; existing codes never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// The envelope's SOAP version is not one the service's binding declares.
    SoapVersion,
    /// The Content-Type does not fit the envelope's SOAP version.
    ContentType,
    /// SOAPAction, the Content-Type's `action=` or `wsa:Action` names another operation.
    SoapAction,
    /// A SOAP 1.1 request without the SOAPAction header the HTTP binding requires.
    MissingSoapAction,
    /// A støttesystem (SD6) request without its `RequestHeader` SOAP header.
    MissingRequestHeader,
    /// A token-model request without the WS-Addressing headers the token policy requires.
    MissingAddressing,
    /// No WS-Security header where the mode and the service's policy require a token.
    MissingSecurity,
    /// The CPR number does not have the form the contract's schema allows.
    CprFormat,
    /// The CPR number has the right form but no valid birth date: no such person can exist.
    CprDate,
    /// The operation element is not valid against the service's XSD.
    Schema,
}

impl Code {
    /// The code as written in the journal and reports, e.g. `SOAP_ACTION`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::SoapVersion => "SOAP_VERSION",
            Code::ContentType => "CONTENT_TYPE",
            Code::SoapAction => "SOAP_ACTION",
            Code::MissingSoapAction => "MISSING_SOAP_ACTION",
            Code::MissingRequestHeader => "MISSING_REQUEST_HEADER",
            Code::MissingAddressing => "MISSING_ADDRESSING",
            Code::MissingSecurity => "MISSING_SECURITY",
            Code::CprFormat => "CPR_FORMAT",
            Code::CprDate => "CPR_DATE",
            Code::Schema => "SCHEMA",
        }
    }

    /// Every code, for documentation and filters.
    pub const ALL: [Code; 10] = [
        Code::SoapVersion,
        Code::ContentType,
        Code::SoapAction,
        Code::MissingSoapAction,
        Code::MissingRequestHeader,
        Code::MissingAddressing,
        Code::MissingSecurity,
        Code::CprFormat,
        Code::CprDate,
        Code::Schema,
    ];

    /// The code named `text` (case-insensitive).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(text))
    }
}

/// One thing a request did against its contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// What is wrong, naming the element or header.
    pub message: String,
    /// Where: an element path of local names (`Envelope/Header/RequestHeader`) or an HTTP
    /// header (`HTTP SOAPAction`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The request's line (1-based) where the element starts, when it is in the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// For `SCHEMA` findings: what the validator found, a stable kebab-case kind
    /// (`missing-element`, `unexpected-element`, `invalid-enumeration`, `invalid-pattern`, …;
    /// [`crate::xsd::Code`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The fault `--conformance strict` answers with, when the platform's validation refuses
    /// this (not serialised: the journal records the answer itself).
    #[serde(skip)]
    pub refusal: Option<Fault>,
}

/// How a refusal is made: a Sender fault with this reason, optionally a WS-Addressing fault
/// (its subcode in the detail's `ProblemHeaderQName`), or a fault made elsewhere.
fn sender(version: SoapVersion, reason: impl Into<String>) -> Fault {
    Fault::sender(version, reason)
}

fn addressing_fault(version: SoapVersion, subcode: &str, reason: impl Into<String>) -> Fault {
    let mut fault = Fault::sender(version, reason);
    fault.detail = Some(format!(
        "<wsa:ProblemHeaderQName xmlns:wsa=\"{WSA_NS}\">wsa:{subcode}</wsa:ProblemHeaderQName>"
    ));
    fault
}

impl Finding {
    fn new(code: Code, severity: Severity, message: String) -> Finding {
        Finding {
            code,
            severity,
            message,
            path: None,
            line: None,
            kind: None,
            refusal: None,
        }
    }

    fn at(mut self, path: &str, line: Option<u32>) -> Finding {
        self.path = Some(path.to_owned());
        self.line = line;
        self
    }

    fn refused_with(mut self, refusal: Fault) -> Finding {
        self.refusal = Some(refusal);
        self
    }
}

/// The WS-Addressing 1.0 namespace.
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";

/// What [`before`] needs to know about a request beside its envelope.
pub struct Request<'a> {
    /// The SOAP versions the service's WSDL binds ([`crate::services::Service::soap_versions`]).
    pub bindings: &'a [SoapVersion],
    pub body: &'a [u8],
    pub envelope: &'a Envelope,
    /// The HTTP Content-Type, when it is visible ASCII text.
    pub content_type: Option<&'a str>,
    /// The HTTP SOAPAction header, when it is visible ASCII text.
    pub soap_action: Option<&'a str>,
    /// The security mode of the run (a missing token is a finding only where one is required).
    pub security: SecurityMode,
}

/// The checks on the envelope and the HTTP headers, before the service runs.
pub fn before(profile: &Profile, request: &Request<'_>, findings: &mut Vec<Finding>) {
    let version = request.envelope.version;
    let body = request.body;
    if let Some(&speaks) = request.bindings.first()
        && !request.bindings.contains(&version)
    {
        let declared = request
            .bindings
            .iter()
            .map(|v| version_name(*v))
            .collect::<Vec<_>>()
            .join(" and ");
        let other = if version == SoapVersion::V11 { "1.2" } else { "1.1" };
        let line = line_of_element(body, b"Envelope");
        findings.push(
            Finding::new(
                Code::SoapVersion,
                Severity::Error,
                format!(
                    "{}'s binding is SOAP {declared}; this request is a SOAP {} envelope ({})",
                    profile.service,
                    version_name(version),
                    version.namespace()
                ),
            )
            .at("Envelope", line)
            .refused_with({
                // The VersionMismatch fault of `--soap-version strict`, with CXF's words.
                let mut fault = crate::soap::version_mismatch(speaks, version, profile.service);
                fault.reason = format!(
                    "A SOAP {} message is not valid when sent to a SOAP {other} only endpoint. ({} speaks SOAP {declared} only.)",
                    version_name(version),
                    profile.service
                );
                fault
            }),
        );
    }
    let content_type = request.content_type;
    let media = content_type.map_or("", |ct| ct.split(';').next().unwrap_or("").trim());
    let expected_media = match version {
        SoapVersion::V11 => "text/xml",
        SoapVersion::V12 => "application/soap+xml",
    };
    if !media.eq_ignore_ascii_case(expected_media) {
        let sent = content_type.map_or("no Content-Type".to_owned(), |c| format!("Content-Type {c:?}"));
        findings.push(
            Finding::new(
                Code::ContentType,
                Severity::Warning,
                format!(
                    "a SOAP {} envelope is sent as {expected_media}; this request has {sent}",
                    version_name(version)
                ),
            )
            .at("HTTP Content-Type", None),
        );
    }
    let operation = profile.operation(&request.envelope.operation.local_name);
    check_action(profile, operation, request, content_type, findings);
    let headers = HeaderScan::of(body, request.envelope);
    if profile.request_header && !headers.has(REQUEST_HEADER_NS_LOCAL) {
        findings.push(
            Finding::new(
                Code::MissingRequestHeader,
                Severity::Error,
                format!(
                    "the SOAP Header has no RequestHeader ({REQUEST_HEADER_NS}) with a TransactionUUID: {}'s WSDL \
                     declares it as a header part of every operation",
                    profile.service
                ),
            )
            .at("Envelope/Header/RequestHeader", line_of_element(body, b"Body"))
            .refused_with(sender(
                version,
                format!(
                    "Unmarshalling Error: the required SOAP header {{{REQUEST_HEADER_NS}}}RequestHeader is missing"
                ),
            )),
        );
    }
    let token_required = matches!(request.security, SecurityMode::Token | SecurityMode::Strict);
    if !request.envelope.security_header && token_required && profile.token {
        findings.push(
            Finding::new(
                Code::MissingSecurity,
                Severity::Error,
                format!(
                    "no wsse:Security header: in {} mode {} needs a token from the STS, signed as the OIO IDWS policy says",
                    request.security.name(),
                    profile.service
                ),
            )
            .at("Envelope/Header/Security", line_of_element(body, b"Body")),
        );
    }
    if request.envelope.security_header {
        let missing: Vec<&str> = ["Action", "MessageID", "To"]
            .into_iter()
            .filter(|name| !headers.addressing.iter().any(|(n, _, _)| n == name))
            .collect();
        if !missing.is_empty() {
            let names = missing
                .iter()
                .map(|n| format!("wsa:{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            findings.push(
                Finding::new(
                    Code::MissingAddressing,
                    Severity::Error,
                    format!(
                        "a request with a token must carry the WS-Addressing headers its policy signs; {names} missing \
                         ({WSA_NS})"
                    ),
                )
                .at(
                    &format!("Envelope/Header/{}", missing[0]),
                    line_of_element(body, b"Security"),
                )
                .refused_with(addressing_fault(
                    version,
                    "MessageAddressingHeaderRequired",
                    "A required header representing a Message Addressing Property is not present",
                )),
            );
        }
        if let (Some(op), Some((_, action, offset))) =
            (operation, headers.addressing.iter().find(|(n, _, _)| n == "Action"))
            && action.trim() != op.action
        {
            findings.push(
                Finding::new(
                    Code::SoapAction,
                    Severity::Error,
                    format!(
                        "wsa:Action {:?} does not name the operation {}: its action is {:?}",
                        action.trim(),
                        op.name,
                        op.action
                    ),
                )
                .at("Envelope/Header/Action", Some(line_at(body, *offset)))
                .refused_with(addressing_fault(
                    version,
                    "ActionNotSupported",
                    format!("The [action] cannot be processed at the receiver: {}", action.trim()),
                )),
            );
        }
    }
}

/// SOAPAction (SOAP 1.1) or the Content-Type's `action=` (SOAP 1.2) against the operation.
fn check_action(
    profile: &Profile,
    operation: Option<&OperationSpec>,
    request: &Request<'_>,
    content_type: Option<&str>,
    findings: &mut Vec<Finding>,
) {
    let version = request.envelope.version;
    let soap_action = request.soap_action.map(unquote);
    let (given, source) = match version {
        SoapVersion::V12 => match content_type.and_then(action_parameter) {
            Some(a) => (Some(a), "the Content-Type's action"),
            None => (soap_action, "SOAPAction"),
        },
        SoapVersion::V11 => (soap_action, "SOAPAction"),
    };
    let Some(op) = operation else {
        return;
    };
    match given {
        Some(action) if !action.is_empty() && action != op.action => findings.push(
            Finding::new(
                Code::SoapAction,
                Severity::Error,
                format!(
                    "{source} {action:?} does not name the operation {} ({}): {}'s WSDL gives it {:?}",
                    op.name, op.element, profile.service, op.action
                ),
            )
            .at(
                if source == "SOAPAction" {
                    "HTTP SOAPAction"
                } else {
                    "HTTP Content-Type"
                },
                None,
            )
            .refused_with(sender(
                version,
                format!("The given SOAPAction {action} does not match an operation."),
            )),
        ),
        None if version == SoapVersion::V11 => findings.push(
            Finding::new(
                Code::MissingSoapAction,
                Severity::Warning,
                format!(
                    "a SOAP 1.1 request carries a SOAPAction header (the SOAP 1.1 HTTP binding requires it); \
                     {}'s WSDL gives {} the action {:?}",
                    profile.service, op.name, op.action
                ),
            )
            .at("HTTP SOAPAction", None),
        ),
        _ => {}
    }
}

/// The checks on what the service read: the domain's input rules.
pub fn after(profile: &Profile, version: SoapVersion, body: &[u8], cpr: Option<&str>, findings: &mut Vec<Finding>) {
    let (Some(rule), Some(cpr)) = (profile.cpr, cpr) else {
        return;
    };
    // Found lazily: only a finding needs the line.
    let line = || line_of_element(body, rule.element.as_bytes());
    let path = rule.path;
    let bytes = cpr.as_bytes();
    let form_ok = match bytes.len() {
        10 => bytes.iter().all(u8::is_ascii_digit),
        11 if rule.hyphen => bytes[6] == b'-' && bytes[..6].iter().chain(&bytes[7..]).all(u8::is_ascii_digit),
        _ => false,
    };
    if !form_ok {
        let form = if rule.hyphen {
            "10 digits, optionally with a hyphen after the sixth (DDMMYY-SSSS)"
        } else {
            "10 digits without a hyphen (DDMMYYSSSS)"
        };
        let refusal = match rule.max_length {
            Some(max) if cpr.chars().count() > max => Some(sender(
                version,
                format!(
                    "Unmarshalling Error: cvc-maxLength-valid: Value '{cpr}' with length = '{}' is not facet-valid with \
                 respect to maxLength '{max}' for type '{}'.",
                    cpr.chars().count(),
                    rule.schema_type
                ),
            )),
            Some(_) => None,
            None => Some(sender(
                version,
                format!(
                    "Unmarshalling Error: cvc-pattern-valid: Value '{cpr}' is not facet-valid with respect to pattern \
                 '{}' for type '{}'.",
                    rule.pattern, rule.schema_type
                ),
            )),
        };
        let mut finding = Finding::new(
            Code::CprFormat,
            Severity::Error,
            format!("{} {cpr:?} is not a CPR number: {form}", rule.element),
        )
        .at(path, line());
        finding.refusal = refusal;
        findings.push(finding);
        return;
    }
    if let Err(e) = crate::world::Cpr::parse(cpr, true) {
        findings.push(
            Finding::new(
                Code::CprDate,
                Severity::Warning,
                format!("{} {cpr:?} cannot belong to anyone: {e}", rule.element),
            )
            .at(path, line()),
        );
    }
}

/// The first finding that `--conformance strict` refuses, as its fault.
pub fn refusal(findings: &[Finding]) -> Option<Fault> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .find_map(|f| f.refusal.clone())
}

fn version_name(v: SoapVersion) -> &'static str {
    match v {
        SoapVersion::V11 => "1.1",
        SoapVersion::V12 => "1.2",
    }
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s)
}

/// The `action` parameter of a Content-Type, unquoted.
fn action_parameter(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("action").then(|| unquote(value))
    })
}

/// The namespace of the støttesystem `RequestHeader`.
const REQUEST_HEADER_NS: &str = crate::services::stoettesystem::REQUEST_HEADER_NS;
const REQUEST_HEADER_NS_LOCAL: &str = "RequestHeader";

/// The SOAP Header's children: local names, and the WS-Addressing ones with their text.
#[derive(Debug, Default, PartialEq)]
struct HeaderScan {
    /// Local names of the Header's children.
    children: Vec<String>,
    /// WS-Addressing headers: local name, text, byte offset in the request.
    addressing: Vec<(String, String, usize)>,
}

impl HeaderScan {
    fn has(&self, local: &str) -> bool {
        self.children.iter().any(|c| c == local)
    }

    /// Reads the Header's children (the envelope parser has already checked the XML). Only
    /// the children themselves are read, and the text of the WS-Addressing ones: the subtree
    /// of any other child (a `wsse:Security` with its assertion and signature is most of a
    /// signed request) is passed over without resolving a name in it.
    fn of(body: &[u8], envelope: &Envelope) -> HeaderScan {
        let Some(range) = envelope.header.clone() else {
            return HeaderScan::default();
        };
        match body.get(range.clone()) {
            Some(content) => HeaderScan::read(content, range.start),
            None => HeaderScan::default(),
        }
    }

    /// Reads `content`, the Header's content found at byte `start` of the request.
    fn read(content: &[u8], start: usize) -> HeaderScan {
        let mut scan = HeaderScan::default();
        // The content may hold several elements: give it one root. Prefixes declared on the
        // Envelope stay unresolved here, so namespaces are read where declared and otherwise
        // the local name decides.
        let mut wrapped = Vec::with_capacity(content.len() + 17);
        wrapped.extend_from_slice(b"<Header>");
        wrapped.extend_from_slice(content);
        wrapped.extend_from_slice(b"</Header>");
        let mut reader = Reader::from_reader(wrapped.as_slice());
        // The wrapper declares nothing: a child's own declarations are all there is to resolve.
        let mut resolver = NamespaceResolver::default();
        let mut depth = 0usize;
        let mut current: Option<(String, usize)> = None;
        let mut text = String::new();
        loop {
            let offset = reader.buffer_position() as usize;
            let Ok(event) = reader.read_event() else {
                break;
            };
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    depth += 1;
                    if depth == 2 {
                        if resolver.push(e).is_err() {
                            break;
                        }
                        let is_wsa = match resolver.resolve_element(e.name()).0 {
                            ResolveResult::Bound(n) => n.as_ref() == WSA_NS.as_bytes(),
                            // An unresolved prefix (declared on the Envelope): judge by the local name.
                            ResolveResult::Unknown(_) => true,
                            ResolveResult::Unbound => false,
                        };
                        resolver.pop();
                        let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                        let at = start + offset.saturating_sub(b"<Header>".len());
                        let addressing = is_wsa
                            && ["Action", "MessageID", "To", "ReplyTo", "From", "RelatesTo"].contains(&local.as_str());
                        if addressing {
                            if empty {
                                scan.addressing.push((local.clone(), String::new(), at));
                            } else {
                                current = Some((local.clone(), at));
                                text.clear();
                            }
                        }
                        scan.children.push(local);
                        if !empty && !addressing {
                            if reader.read_to_end(e.name()).is_err() {
                                break;
                            }
                            depth -= 1;
                        }
                    }
                    if empty {
                        depth -= 1;
                    }
                }
                Event::Text(ref t) if depth == 2 && current.is_some() => {
                    if let Ok(s) = t.decode() {
                        text.push_str(&s);
                    }
                }
                Event::End(_) => {
                    if depth == 2
                        && let Some((local, at)) = current.take()
                    {
                        scan.addressing.push((local, std::mem::take(&mut text), at));
                    }
                    depth = depth.saturating_sub(1);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        scan
    }
}

/// The line (1-based) of the first start tag whose local name is `local`, if any.
pub fn line_of_element(body: &[u8], local: &[u8]) -> Option<u32> {
    let mut from = 0;
    while let Some(i) = find(&body[from..], local) {
        let at = from + i;
        let before = body[..at].iter().rposition(|b| *b == b'<');
        if let Some(lt) = before {
            let name = &body[lt + 1..at];
            let is_start = !name.starts_with(b"/")
                && name.iter().all(|b| !b.is_ascii_whitespace() && *b != b'>')
                && (name.is_empty() || name.ends_with(b":"));
            let after = body.get(at + local.len()).copied();
            if is_start && matches!(after, Some(b'>' | b' ' | b'/' | b'\t' | b'\r' | b'\n')) {
                return Some(line_at(body, lt));
            }
        }
        from = at + local.len();
    }
    None
}

/// The line (1-based) of byte `offset`.
pub fn line_at(body: &[u8], offset: usize) -> u32 {
    let end = offset.min(body.len());
    1 + body[..end].iter().filter(|b| **b == b'\n').count() as u32
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod header_scan_tests {
    use proptest::prelude::*;
    use quick_xml::reader::NsReader;

    use super::*;

    /// The scan as it was: every event of the Header read and resolved. The oracle.
    fn read_everything(content: &[u8], start: usize) -> HeaderScan {
        let mut scan = HeaderScan::default();
        let mut wrapped = b"<Header>".to_vec();
        wrapped.extend_from_slice(content);
        wrapped.extend_from_slice(b"</Header>");
        let mut reader = NsReader::from_reader(wrapped.as_slice());
        let mut depth = 0usize;
        let mut current: Option<(String, usize)> = None;
        let mut text = String::new();
        loop {
            let offset = reader.buffer_position() as usize;
            let Ok((ns, event)) = reader.read_resolved_event() else {
                break;
            };
            let is_wsa = match ns {
                ResolveResult::Bound(n) => n.as_ref() == WSA_NS.as_bytes(),
                ResolveResult::Unknown(_) => true,
                ResolveResult::Unbound => false,
            };
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    depth += 1;
                    if depth == 2 {
                        let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                        let at = start + offset.saturating_sub(b"<Header>".len());
                        if is_wsa
                            && ["Action", "MessageID", "To", "ReplyTo", "From", "RelatesTo"].contains(&local.as_str())
                        {
                            if empty {
                                scan.addressing.push((local.clone(), String::new(), at));
                            } else {
                                current = Some((local.clone(), at));
                                text.clear();
                            }
                        }
                        scan.children.push(local);
                    }
                    if empty {
                        depth -= 1;
                    }
                }
                Event::Text(ref t) if depth == 2 && current.is_some() => {
                    if let Ok(s) = t.decode() {
                        text.push_str(&s);
                    }
                }
                Event::End(_) => {
                    if depth == 2
                        && let Some((local, at)) = current.take()
                    {
                        scan.addressing.push((local, std::mem::take(&mut text), at));
                    }
                    depth = depth.saturating_sub(1);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        scan
    }

    /// Header children as clients write them, and some they should not.
    fn child() -> impl Strategy<Value = String> {
        let wsa = format!("xmlns:wsa=\"{WSA_NS}\"");
        prop::sample::select(vec![
            "<wsa:Action>urn:a</wsa:Action>".to_owned(),
            format!("<wsa:MessageID {wsa}>urn:uuid:1</wsa:MessageID>"),
            format!("<wsa:To {wsa}/>"),
            format!("<a:To xmlns:a=\"{WSA_NS}\">http://x/<!-- c --></a:To>"),
            format!("<RelatesTo xmlns=\"{WSA_NS}\">r &amp; s</RelatesTo>"),
            "<To>unbound</To>".to_owned(),
            "<o:To xmlns:o=\"urn:other\">other</o:To>".to_owned(),
            format!("<wsa:ReplyTo {wsa}><wsa:Address>urn:r</wsa:Address></wsa:ReplyTo>"),
            format!(
                "<wsse:Security xmlns:wsse=\"urn:wsse\" {wsa}><saml:Assertion xmlns:saml=\"urn:s\"><wsa:To>inner</wsa:To><saml:Assertion>nested</saml:Assertion></saml:Assertion><wsse:Security/></wsse:Security>"
            ),
            "<h:RequestHeader xmlns:h=\"urn:h\"><h:TransactionUUID>u</h:TransactionUUID></h:RequestHeader>".to_owned(),
            "<x:Deep xmlns:x=\"urn:x\"><x:Deep><x:Deep/></x:Deep><![CDATA[<x:Deep>]]></x:Deep>".to_owned(),
            "<wsa:From/>".to_owned(),
            " \n ".to_owned(),
            "<!-- between -->".to_owned(),
            "<bad xmlns:xml=\"urn:not-xml\"/>".to_owned(),
            "<broken>".to_owned(),
        ])
    }

    proptest! {
        #[test]
        fn skipping_subtrees_reads_what_reading_everything_reads(
            children in prop::collection::vec(child(), 0..8),
            start in 0usize..500,
        ) {
            let content = children.concat();
            prop_assert_eq!(
                HeaderScan::read(content.as_bytes(), start),
                read_everything(content.as_bytes(), start),
                "{}", content
            );
        }
    }

    #[test]
    fn a_security_header_is_passed_over_and_the_addressing_after_it_is_read() {
        let content = format!(
            "<wsse:Security xmlns:wsse=\"urn:wsse\"><wsa:To xmlns:wsa=\"{WSA_NS}\">inner</wsa:To></wsse:Security><wsa:To xmlns:wsa=\"{WSA_NS}\">outer</wsa:To>"
        );
        let scan = HeaderScan::read(content.as_bytes(), 10);
        assert_eq!(scan.children, ["Security", "To"]);
        let at = 10
            + content
                .find("<wsa:To xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">outer")
                .unwrap();
        assert_eq!(scan.addressing, [("To".to_owned(), "outer".to_owned(), at)]);
    }
}
