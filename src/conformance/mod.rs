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
use crate::soap::{Envelope, Fault, SoapVersion, plain, scan};
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
    let media = content_type.map_or("", media_type);
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

/// The `action` parameter of a Content-Type, unquoted. Found by the byte scans of
/// [`crate::soap::content_type_action`]: `str::split` cost ~300 instructions a request more.
fn action_parameter(content_type: &str) -> Option<&str> {
    crate::soap::content_type_action(content_type).map(unquote)
}

/// The media type of a Content-Type: what comes before its first `;`, trimmed. Found by a
/// byte scan, as [`action_parameter`] is.
fn media_type(content_type: &str) -> &str {
    let end = content_type
        .bytes()
        .position(|b| b == b';')
        .unwrap_or(content_type.len());
    content_type[..end].trim()
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

    /// Reads `content`, the Header's content found at byte `start` of the request: by
    /// [`HeaderScan::read_plain`] when it is of the plain kind clients send, else with quick-xml
    /// ([`HeaderScan::read_with_quick_xml`]).
    fn read(content: &[u8], start: usize) -> HeaderScan {
        HeaderScan::read_plain(content, start).unwrap_or_else(|| HeaderScan::read_with_quick_xml(content, start))
    }

    /// [`HeaderScan::read_with_quick_xml`]'s reading of `content`, by byte scans over the
    /// borrowed bytes (no copy, no events): the Header's children's tags, the text of the
    /// WS-Addressing ones, and the subtree of any other child passed over by finding its end
    /// tag. `None` for anything but the plain kind of XML the envelope reader's
    /// [`crate::soap::plain`] reads (a reference in an addressing header's text, a CDATA section
    /// outside a skipped subtree, a DOCTYPE, a tag or attribute written otherwise, a declaration
    /// of `xml` or `xmlns`, a name not read there, an end tag that does not close what is open):
    /// quick-xml then reads it all. Each byte is looked at a bounded number of times (a tag's
    /// name once to read it and once more to compare its end tag's), so the scan is linear in
    /// the content. (The quick-xml reading copied the ~9 KB Header of a signed request and
    /// read the `wsse:Security` subtree through quick-xml's `read_to_end`: ~82 000 instructions
    /// a token call, callgrind on examples/token_cost.)
    fn read_plain(content: &[u8], start: usize) -> Option<HeaderScan> {
        let mut scan = HeaderScan::default();
        let mut pos = 0;
        // Text between the children is not read.
        while let Some(i) = memchr::memchr(b'<', &content[pos..]) {
            let lt = pos + i;
            match content.get(lt + 1)? {
                b'!' => pos = plain::comment_end(content, lt)?,
                b'?' | b'/' => return None,
                _ => {
                    let tag = PlainTag::at(content, lt)?;
                    let local = std::str::from_utf8(&content[tag.local.clone()]).ok()?;
                    let at = start + lt;
                    let addressing = tag.is_wsa && ADDRESSING.contains(&local);
                    scan.children.push(local.to_owned());
                    pos = match (tag.empty, addressing) {
                        (true, true) => {
                            scan.addressing.push((local.to_owned(), String::new(), at));
                            tag.after
                        }
                        (true, false) => tag.after,
                        (false, true) => {
                            let (text, after) = addressing_text(content, &tag)?;
                            scan.addressing.push((local.to_owned(), text, at));
                            after
                        }
                        (false, false) => skip_subtree(content, tag.name, tag.after)?,
                    };
                }
            }
        }
        Some(scan)
    }

    /// Reads `content` with quick-xml, as [`HeaderScan::read`] does when
    /// [`HeaderScan::read_plain`] does not.
    fn read_with_quick_xml(content: &[u8], start: usize) -> HeaderScan {
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
                        let addressing = is_wsa && ADDRESSING.contains(&local.as_str());
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

/// The local names of the WS-Addressing headers [`HeaderScan`] reads the text of.
const ADDRESSING: [&str; 6] = ["Action", "MessageID", "To", "ReplyTo", "From", "RelatesTo"];

/// A start tag read by [`HeaderScan::read_plain`].
struct PlainTag<'a> {
    /// The qualified name as written.
    name: &'a [u8],
    /// Where the local name is in the content.
    local: std::ops::Range<usize>,
    /// Past the tag's `>`.
    after: usize,
    empty: bool,
    /// Whether quick-xml's resolver, knowing only the declarations on this tag, puts the
    /// element in the WS-Addressing namespace or leaves its prefix unresolved (bound on the
    /// Envelope: the local name then decides).
    is_wsa: bool,
}

impl<'a> PlainTag<'a> {
    /// The start tag whose `<` is at `lt`; `None` unless it is of the plain kind (see
    /// [`HeaderScan::read_plain`]).
    fn at(bytes: &'a [u8], lt: usize) -> Option<PlainTag<'a>> {
        let (name_end, colon) = plain::name_at(bytes, lt + 1)?;
        let prefix = colon.map(|c| &bytes[lt + 1..c]);
        if matches!(prefix, Some(b"xml" | b"xmlns")) {
            return None;
        }
        // The declaration of the element's own prefix (or the default namespace), if on the tag.
        let mut own: Option<&[u8]> = None;
        let mut at = name_end;
        let (after, empty) = loop {
            let (key_start, key_end, quote) = match plain::tag_step(bytes, at)? {
                plain::TagStep::End { after, empty } => break (after, empty),
                plain::TagStep::Attribute {
                    start, key_end, quote, ..
                } => (start, key_end, quote),
            };
            let value_start = key_end + 2;
            let value_end = value_start + memchr::memchr(quote, bytes.get(value_start..)?)?;
            let value = &bytes[value_start..value_end];
            if value.contains(&b'<') {
                return None;
            }
            let declared = match &bytes[key_start..key_end] {
                b"xmlns" => Some(None),
                key => key.strip_prefix(b"xmlns:").map(Some),
            };
            if let Some(declared) = declared {
                // What quick-xml's resolver refuses, or reads otherwise than as written.
                if matches!(declared, Some(b"xml" | b"xmlns"))
                    || value.contains(&b'&')
                    || (declared.is_some() && value.is_empty())
                    || value == b"http://www.w3.org/XML/1998/namespace"
                    || value == b"http://www.w3.org/2000/xmlns/"
                {
                    return None;
                }
                if declared == prefix {
                    if own.is_some() {
                        return None;
                    }
                    own = Some(value);
                }
            }
            at = value_end + 1;
        };
        let is_wsa = match (prefix, own) {
            (_, Some(namespace)) => namespace == WSA_NS.as_bytes(),
            (Some(_), None) => true,
            (None, None) => false,
        };
        Some(PlainTag {
            name: &bytes[lt + 1..name_end],
            local: colon.map_or(lt + 1, |c| c + 1)..name_end,
            after,
            empty,
            is_wsa,
        })
    }
}

/// The end tag of `open` at `lt`, if it is one written `</name>`: past its `>`.
fn end_tag(bytes: &[u8], lt: usize, open: &[u8]) -> Option<usize> {
    let name_end = lt + 2 + open.len();
    (scan::same_name(bytes.get(lt + 2..name_end)?, open) && bytes.get(name_end) == Some(&b'>')).then_some(name_end + 1)
}

/// The text of the addressing header `tag` (its own text, not its children's; comments left
/// out) and where its end tag ends; `None` for a reference, a CDATA section or an instruction
/// in it (see [`HeaderScan::read_plain`]).
fn addressing_text(bytes: &[u8], tag: &PlainTag<'_>) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut pos = tag.after;
    loop {
        let lt = pos + memchr::memchr(b'<', bytes.get(pos..)?)?;
        let run = &bytes[pos..lt];
        if run.contains(&b'&') {
            return None;
        }
        text.push_str(std::str::from_utf8(run).ok()?);
        pos = match bytes.get(lt + 1)? {
            b'!' => plain::comment_end(bytes, lt)?,
            b'?' => return None,
            b'/' => return Some((text, end_tag(bytes, lt, tag.name)?)),
            _ => {
                let (name_end, _) = plain::name_at(bytes, lt + 1)?;
                let (after, empty) = tag_end(bytes, name_end)?;
                match empty {
                    true => after,
                    false => skip_subtree(bytes, &bytes[lt + 1..name_end], after)?,
                }
            }
        };
    }
}

/// Past the end tag that closes the element `name` whose start tag ends at `after`, its subtree passed over (comments, CDATA sections and
/// instructions in it included; of a tag in it only its name and end are read, as quick-xml
/// passes over it); `None` for a DOCTYPE, a name not read by [`plain::name_at`], an end tag
/// not written `</name>` or not closing what is open (see [`HeaderScan::read_plain`]).
fn skip_subtree(bytes: &[u8], name: &[u8], after: usize) -> Option<usize> {
    let mut open: Vec<&[u8]> = Vec::with_capacity(16);
    open.push(name);
    let mut pos = after;
    loop {
        // Tags mostly follow one another in a signed request's Security header: a `<` right
        // here is taken without a search.
        let lt = match bytes.get(pos)? {
            b'<' => pos,
            _ => pos + memchr::memchr(b'<', &bytes[pos..])?,
        };
        pos = match bytes.get(lt + 1)? {
            b'!' if bytes[lt..].starts_with(b"<![CDATA[") => plain::cdata_at(bytes, lt)?.end + b"]]>".len(),
            b'!' => plain::comment_end(bytes, lt)?,
            b'?' => plain::instruction_end(bytes, lt)?,
            b'/' => {
                let after = end_tag(bytes, lt, open.pop()?)?;
                if open.is_empty() {
                    return Some(after);
                }
                after
            }
            _ => {
                let (name_end, _) = plain::name_at(bytes, lt + 1)?;
                let (after, empty) = tag_end(bytes, name_end)?;
                if !empty {
                    open.push(&bytes[lt + 1..name_end]);
                }
                after
            }
        };
    }
}

/// Past the `>` that ends the start tag whose name ends at `from` (one in a quoted attribute
/// value does not), and whether the tag is an empty element's (`/>`).
fn tag_end(bytes: &[u8], from: usize) -> Option<(usize, bool)> {
    // Byte by byte between the values (names and white space, a few bytes each: shorter than
    // a search's set-up), a search through each value.
    let mut at = from;
    loop {
        match *bytes.get(at)? {
            b'>' => return Some((at + 1, bytes[at - 1] == b'/')),
            quote @ (b'"' | b'\'') => at += 1 + memchr::memchr(quote, bytes.get(at + 1..)?)?,
            _ => {}
        }
        at += 1;
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
mod content_type_tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The byte scans find the media type and the action parameter that splitting the
        /// Content-Type at `;` and `=` finds.
        #[test]
        fn the_scans_read_a_content_type_as_splitting_it_does(
            pieces in prop::collection::vec(
                prop::sample::select(&[
                    "application/soap+xml", "text/xml", ";", "=", " ", "\t", "\u{a0}", "action", "ACTION",
                    "charset", "utf-8", "\"", "urn:a", "é", "x",
                ][..]),
                0..12,
            ),
        ) {
            let content_type = pieces.concat();
            let split_media = content_type.split(';').next().unwrap_or("").trim();
            let split_action = content_type.split(';').skip(1).find_map(|p| {
                let (name, value) = p.split_once('=')?;
                name.trim().eq_ignore_ascii_case("action").then(|| unquote(value))
            });
            prop_assert_eq!(media_type(&content_type), split_media);
            prop_assert_eq!(action_parameter(&content_type), split_action);
        }
    }
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
            // What the plain scan must pass over or read as quick-xml does.
            "<x:Q xmlns:x=\"urn:x\" a='v>w' b=\"/>\"><x:Q><!-- <x:Q> --></x:Q><?pi data?></x:Q>".to_owned(),
            format!("<wsa:To {wsa} xmlns:o=\"urn:o\"\n>text<!-- c -->more<x/>\r\n<y><z>inner</z></y>tail</wsa:To >"),
            format!("<wsa:MessageID\t{wsa}>urn:uuid:2</wsa:MessageID>"),
            "<wsa:Action xmlns:wsa=\"urn:not-wsa\">x</wsa:Action>".to_owned(),
            format!("<To xmlns=\"{WSA_NS}\">default</To>"),
            "<To xmlns=\"\">undeclared</To>".to_owned(),
            "<Action><![CDATA[urn:c]]></Action>".to_owned(),
            "<s:Security xmlns:s=\"urn:s\"><s:Mismatch></s:Other></s:Security>".to_owned(),
            "</stray>".to_owned(),
            "<wsa:To xmlns:wsa=\"\">empty</wsa:To>".to_owned(),
            "<wsa:To xmlns:wsa=\"urn:1\" xmlns:wsa=\"urn:2\">twice</wsa:To>".to_owned(),
            "<æ:To xmlns:æ=\"urn:æ\">ikke ASCII</æ:To>".to_owned(),
        ])
    }

    /// Header children of the plain kind [`HeaderScan::read_plain`] reads itself.
    fn plain_child() -> impl Strategy<Value = String> {
        let wsa = format!("xmlns:wsa=\"{WSA_NS}\"");
        prop::sample::select(vec![
            "<wsa:Action>urn:a</wsa:Action>".to_owned(),
            format!("<wsa:MessageID {wsa}>urn:uuid:1</wsa:MessageID>"),
            format!("<wsa:To {wsa}/>"),
            format!("<a:To xmlns:a=\"{WSA_NS}\">http://x/<!-- c --></a:To>"),
            format!("<RelatesTo xmlns=\"{WSA_NS}\">r</RelatesTo>"),
            "<To>unbound</To>".to_owned(),
            "<o:To xmlns:o=\"urn:other\">other</o:To>".to_owned(),
            format!("<wsa:ReplyTo {wsa}><wsa:Address>urn:r</wsa:Address></wsa:ReplyTo>"),
            format!(
                "<wsse:Security xmlns:wsse=\"urn:wsse\" {wsa}><saml:Assertion xmlns:saml=\"urn:s\"><wsa:To>inner</wsa:To><saml:Assertion>nested &amp; more</saml:Assertion></saml:Assertion><wsse:Security/></wsse:Security>"
            ),
            "<h:RequestHeader xmlns:h=\"urn:h\"><h:TransactionUUID>u</h:TransactionUUID></h:RequestHeader>".to_owned(),
            "<x:Deep xmlns:x=\"urn:x\"><x:Deep><x:Deep/></x:Deep><![CDATA[<x:Deep>]]></x:Deep>".to_owned(),
            "<x:Q xmlns:x=\"urn:x\" a='v>w' b=\"/>\"><x:Q><!-- <x:Q> --></x:Q><?pi data?></x:Q>".to_owned(),
            format!("<wsa:To {wsa} xmlns:o=\"urn:o\"\n>text<!-- c -->more<x/>\r\n<y><z>inner</z></y>tail</wsa:To>"),
            "<wsa:Action xmlns:wsa=\"urn:not-wsa\">x</wsa:Action>".to_owned(),
            format!("<To xmlns=\"{WSA_NS}\">default</To>"),
            "<To xmlns=\"\">undeclared</To>".to_owned(),
            "<wsa:From/>".to_owned(),
            " \n ".to_owned(),
            "<!-- between -->".to_owned(),
            "<s:Security xmlns:s=\"urn:s\"><s:A b = \"1\" c='>'/><s:B/></s:Security>".to_owned(),
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

    proptest! {
        #[test]
        fn the_plain_scan_reads_plain_headers_itself_as_quick_xml_does(
            children in prop::collection::vec(plain_child(), 0..8),
            start in 0usize..500,
        ) {
            let content = children.concat();
            prop_assert_eq!(
                HeaderScan::read_plain(content.as_bytes(), start),
                Some(read_everything(content.as_bytes(), start)),
                "{}", content
            );
        }
    }

    #[test]
    fn what_the_plain_scan_does_not_read_is_left_to_quick_xml() {
        let wsa = format!("xmlns:wsa=\"{WSA_NS}\"");
        for content in [
            format!("<wsa:To {wsa}>a &amp; b</wsa:To>"),
            format!("<wsa:To {wsa}><![CDATA[a]]></wsa:To>"),
            format!("<wsa:To {wsa}>a</wsa:Action>"),
            "<broken>".to_owned(),
            "</stray>".to_owned(),
            "<?pi at the top?>".to_owned(),
            "<bad xmlns:xml=\"urn:not-xml\"/>".to_owned(),
            "<p:To xmlns:p=\"\">x</p:To>".to_owned(),
            "<s:Security xmlns:s=\"urn:s\"><s:A></s:B></s:Security>".to_owned(),
            "<s:Security xmlns:s=\"urn:s\"><!DOCTYPE x></s:Security>".to_owned(),
            "<s:Security xmlns:s=\"urn:s\"><s:A></s:A ></s:Security>".to_owned(),
        ] {
            assert_eq!(HeaderScan::read_plain(content.as_bytes(), 0), None, "{content}");
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
