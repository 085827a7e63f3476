//! SOAP 1.1 and 1.2 on the wire: reading envelopes, writing responses and faults.
//!
//! Reading is one streaming pass that checks everything a hostile or broken body can do
//! (malformed XML, a DOCTYPE, deep nesting, a missing Body) and finds the operation: the first
//! child of `Body`, matched by local name, and reads its leaves ([`Operation::leaves`], what
//! [`xml::leaf_texts`] would read from its bytes) in the same pass; namespace prefixes never
//! matter.

pub mod addressing;
pub mod fault;
mod namespaces;
#[cfg(test)]
mod oracle;
pub(crate) mod plain;
pub(crate) mod scan;
pub mod xml;

use std::ops::Range;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::clip::{clip, clip_bytes};

pub use addressing::{RequestAddressing, ResponseAddressing};
pub use fault::{Fault, FaultCode};
use namespaces::Resolved;

/// SOAP 1.1 envelope namespace.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace.
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

/// The UTF-8 byte order mark, which a request may start with.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The SOAP 1.1 SOAPAction header's name (a constant: a header looked up by a string is
/// parsed on every lookup).
pub const SOAPACTION: http::HeaderName = http::HeaderName::from_static("soapaction");

/// The SOAP version of a message; a response always uses the request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoapVersion {
    V11,
    V12,
}

impl SoapVersion {
    /// The envelope namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::V11 => SOAP11_NS,
            SoapVersion::V12 => SOAP12_NS,
        }
    }

    /// The HTTP Content-Type of a message in this version.
    pub const fn content_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml; charset=utf-8",
            SoapVersion::V12 => "application/soap+xml; charset=utf-8",
        }
    }

    /// The version a client most likely speaks, judged from its Content-Type, for faults about
    /// bodies that are not SOAP at all.
    pub fn guess_from_content_type(content_type: Option<&str>) -> SoapVersion {
        match content_type {
            Some(ct)
                if ct
                    .trim_start()
                    .get(..8)
                    .is_some_and(|t| t.eq_ignore_ascii_case("text/xml")) =>
            {
                SoapVersion::V11
            }
            _ => SoapVersion::V12,
        }
    }
}

/// Whether a service answers a request in a SOAP version its contract does not bind
/// (`--soap-version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VersionCheck {
    /// Answer any SOAP version in kind (sfstub's default outside `strict` security).
    Lenient,
    /// Refuse a version the service's contract does not bind with a `VersionMismatch` fault in
    /// the version the service speaks, as a SOAP stack bound to one version does.
    Strict,
}

impl VersionCheck {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            VersionCheck::Lenient => "lenient",
            VersionCheck::Strict => "strict",
        }
    }
}

/// The `VersionMismatch` fault a service bound to `speaks` sends for a request in `got`.
///
/// SOAP 1.2 Part 1, Appendix A: a SOAP 1.2 node that does not process SOAP 1.1 answers a 1.1
/// request with a **SOAP 1.1** VersionMismatch fault carrying an `Upgrade` header block (in the
/// SOAP 1.2 namespace) that lists the envelope it supports (§5.4.7); a SOAP 1.1 node answers a
/// 1.2 request with a SOAP 1.1 VersionMismatch fault (SOAP 1.1 §4.4.1). So the fault is SOAP 1.1
/// either way — the one version both sides can read — with HTTP 500, naming both versions.
pub fn version_mismatch(speaks: SoapVersion, got: SoapVersion, service: &str) -> Fault {
    let name = |v: SoapVersion| match v {
        SoapVersion::V11 => "SOAP 1.1",
        SoapVersion::V12 => "SOAP 1.2",
    };
    let mut fault = Fault::new(
        SoapVersion::V11,
        FaultCode::VersionMismatch,
        format!(
            "{service} speaks {} only ({}); the request is {} ({}). sfstub refuses it as the platform's SOAP stack does \
             (--soap-version lenient answers it in kind)",
            name(speaks),
            speaks.namespace(),
            name(got),
            got.namespace()
        ),
    );
    if speaks == SoapVersion::V12 {
        fault.header = Some(format!(
            "<upg:Upgrade xmlns:upg=\"{SOAP12_NS}\"><upg:SupportedEnvelope qname=\"v:Envelope\" xmlns:v=\"{SOAP12_NS}\"/></upg:Upgrade>"
        ));
    }
    fault
}

/// Limits on what an XML request may contain, enforced by every reader of request XML (the
/// envelope reader here, [`crate::security::xmltree`], the WS-Security and STS readers), so
/// that each reads in time linear in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The deepest element nesting accepted (`--max-depth`).
    pub max_depth: usize,
    /// The most attributes one element may carry, namespace declarations included
    /// (`--max-attributes`).
    pub max_attributes: usize,
    /// The most namespace declarations in scope at any element: its own and its ancestors'
    /// (`--max-namespaces`). Resolving a prefix costs at most this many comparisons.
    pub max_namespaces: usize,
}

/// The default of `--max-depth`.
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// The default of `--max-attributes`.
pub const DEFAULT_MAX_ATTRIBUTES: usize = 128;
/// The default of `--max-namespaces`.
pub const DEFAULT_MAX_NAMESPACES: usize = 128;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: DEFAULT_MAX_DEPTH,
            max_attributes: DEFAULT_MAX_ATTRIBUTES,
            max_namespaces: DEFAULT_MAX_NAMESPACES,
        }
    }
}

/// A name read from a request (the operation's local name, its namespace): text, shared by
/// the envelopes read from one template ([`crate::memo`]), so that each of them has it
/// without an allocation and a copy.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Name(std::sync::Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name(text.into())
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name(text.into())
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

/// As the text's.
impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

/// The first child of `Body`: the operation a request calls.
#[derive(Clone, PartialEq, Eq)]
pub struct Operation {
    pub local_name: Name,
    /// The element's namespace URI, `None` when it has none.
    pub namespace: Option<Name>,
    /// The byte range of the whole element in the request.
    pub range: Range<usize>,
    /// The byte ranges of its ancestors' start tags (`Envelope`, `Body`): the namespace
    /// declarations in scope at the operation are theirs and its own.
    pub ancestors: [Range<usize>; 2],
    /// The element's leaves, read in the same pass: what [`xml::leaf_texts`] reads from its
    /// bytes (`range`), or the error it gives.
    pub leaves: Result<xml::Leaves, String>,
    /// The namespace declarations of its ancestors' start tags (`ancestors`), in the order
    /// they are written, when the envelope reader kept them: what the XSD check would read
    /// from those tags again ([`crate::xsd::Instance::declared`]). Kept by the plain reader
    /// when no declared namespace has a reference in it; `None` otherwise (the check then
    /// reads the tags). How the request was read, not what it says: left out of `Debug`, by
    /// which the two readers' envelopes are compared.
    /// Shared, as the names are, by the envelopes read from one template.
    pub declared: Option<std::sync::Arc<[Declared]>>,
    /// Per leaf (`leaves`, in document order), the byte range of its text as written in the
    /// request (`None`: the leaf is an empty-element tag), when the plain reader read each
    /// leaf's text as one slice of the request (no comment, no reference in it): where
    /// [`crate::memo`] cuts a request into the markup a client repeats and the values it
    /// changes. `None` otherwise. How the request was read, not what it says: left out of
    /// `Debug`.
    pub shape: Option<Vec<Option<Range<usize>>>>,
}

/// A namespace declaration, as byte ranges of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The prefix; empty for the default namespace (`xmlns="…"`).
    pub prefix: Range<usize>,
    /// The namespace as written (empty when the declaration undeclares the prefix).
    pub namespace: Range<usize>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("local_name", &self.local_name)
            .field("namespace", &self.namespace)
            .field("range", &self.range)
            .field("ancestors", &self.ancestors)
            .field("leaves", &self.leaves)
            .finish_non_exhaustive()
    }
}

/// A parsed envelope: version, where the header is, and the operation.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub version: SoapVersion,
    /// The byte range of the `Header` element's content, if there is a header.
    pub header: Option<Range<usize>>,
    /// True when the Header holds a `Security` element (WS-Security).
    pub security_header: bool,
    /// The WS-Addressing 1.0 headers, when the Header holds any.
    pub addressing: Option<RequestAddressing>,
    pub operation: Operation,
    /// The SOAPAction the HTTP request named (SOAP 1.1 `SOAPAction` header, or the SOAP 1.2
    /// Content-Type's `action` parameter), unquoted; `None` when it named none (or an empty
    /// one). Set by the HTTP layer ([`http_action`]).
    pub action: Option<String>,
}

/// The SOAPAction of an HTTP request: the `SOAPAction` header (SOAP 1.1), else the `action`
/// parameter of the Content-Type (SOAP 1.2), without quotes; `None` when empty or absent.
pub fn http_action(soap_action: Option<&str>, content_type: Option<&str>) -> Option<String> {
    let unquote = |v: &str| v.trim().trim_matches('"').trim().to_owned();
    if let Some(a) = soap_action.map(unquote).filter(|a| !a.is_empty()) {
        return Some(a);
    }
    content_type_action(content_type?)
        .map(unquote)
        .filter(|a| !a.is_empty())
}

/// The value of the first parameter of a Content-Type named `action` (any case, white space
/// around the name), as written. Found by word-at-a-time scans for the `;` and `=` that end
/// each name and value ([`scan`]): `str::split` on a Content-Type this short cost ~300
/// instructions a request more, a scan a byte at a time ~350 (callgrind on
/// examples/request_cost).
pub(crate) fn content_type_action(content_type: &str) -> Option<&str> {
    let bytes = content_type.as_bytes();
    // The parameters follow the media type.
    let mut at = scan::find_in_short(bytes, b';')? + 1;
    loop {
        // A parameter's name ends at its `=`; one that a `;` ends first has none.
        let stop = at + scan::find(&bytes[at..], [b';', b'=', b'='])?;
        if bytes[stop] == b';' {
            at = stop + 1;
            continue;
        }
        let value = stop + 1;
        let end = scan::find_in_short(&bytes[value..], b';').map(|e| value + e);
        // Cut at ASCII bytes (`;`, `=`, the end): on character boundaries.
        // White space trimmed as `str::trim` trims it, the ASCII first: a name with visible
        // ASCII ends then needs no Unicode scan (which cost ~60 instructions a request).
        if crate::clip::trim(content_type[at..stop].trim_ascii()).eq_ignore_ascii_case("action") {
            return Some(&content_type[value..end.unwrap_or(bytes.len())]);
        }
        at = end? + 1;
    }
}

/// Reads an envelope. Every failure is a fault ready for the wire.
///
/// The requests clients send are read by [`plain`], a reader of their plain kind of XML; what
/// it does not read (anything unusual, and everything that is refused) is read by quick-xml,
/// whose faults are the ones sent.
pub fn parse_envelope(input: &[u8], limits: Limits, fallback: SoapVersion) -> Result<Envelope, Fault> {
    match plain::read(input, limits) {
        Some(envelope) => Ok(envelope),
        None => read_with_quick_xml(input, limits, fallback),
    }
}

/// [`parse_envelope`] of a request the caller has checked to be UTF-8 (to read its
/// operation element as text afterwards without checking it again), with the request as a
/// [`Body`] that holds the proof that its characters were checked: both readers refuse a
/// character XML 1.0 does not allow ([`xml::forbidden_character`]) before they accept.
pub fn parse_envelope_text(input: &str, limits: Limits, fallback: SoapVersion) -> Result<(Envelope, Body<'_>), Fault> {
    let envelope = match plain::read_text(input, limits) {
        Some(envelope) => envelope,
        None => read_with_quick_xml(input.as_bytes(), limits, fallback)?,
    };
    Ok((
        envelope,
        Body {
            bytes: input.as_bytes(),
            checked: Some(CheckedText(input)),
        },
    ))
}

/// A request's bytes as a service reads them, and, when the envelope reader read them as
/// text, the proof that they need no character check again ([`CheckedText`]).
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    bytes: &'a [u8],
    checked: Option<CheckedText<'a>>,
}

impl<'a> Body<'a> {
    /// Bytes nothing has checked: whatever reads them checks them.
    pub fn unchecked(bytes: &'a [u8]) -> Body<'a> {
        Body { bytes, checked: None }
    }

    /// The request's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The same bytes as checked text, when the envelope reader checked them.
    pub fn checked(&self) -> Option<CheckedText<'a>> {
        self.checked
    }
}

impl std::ops::Deref for Body<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.bytes
    }
}

/// A document known to be UTF-8 and to hold no character XML 1.0 does not allow, written as
/// it is ([`xml::forbidden_character`]). Only the envelope reader makes one, of what it
/// accepted ([`parse_envelope_text`]), so a reader given one need not check again.
#[derive(Debug, Clone, Copy)]
pub struct CheckedText<'a>(&'a str);

impl<'a> CheckedText<'a> {
    /// The document.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// A child of the Header starts (`local`, in `namespace`): notes a `Security` block and the
/// WS-Addressing headers; the first `MessageID` starts `message_id`, which gathers its text
/// until it ends (an empty one is empty at once). Both envelope readers call this.
fn header_block(
    local: &[u8],
    namespace: Option<&str>,
    is_empty: bool,
    security_header: &mut bool,
    addressing: &mut Option<RequestAddressing>,
    message_id: &mut Option<String>,
) {
    if local == b"Security" {
        *security_header = true;
    } else if namespace == Some(addressing::WSA_NS) {
        let headers = addressing.get_or_insert_with(RequestAddressing::default);
        if local == b"MessageID" && headers.message_id.is_none() {
            match is_empty {
                true => headers.message_id = Some(String::new()),
                false => *message_id = Some(String::new()),
            }
        }
    }
}

/// [`parse_envelope`] with quick-xml, for any input.
fn read_with_quick_xml(input: &[u8], limits: Limits, fallback: SoapVersion) -> Result<Envelope, Fault> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().check_end_names = true;
    // quick-xml drops a byte order mark and counts positions from after it.
    let bom = if input.starts_with(UTF8_BOM) { UTF8_BOM.len() } else { 0 };
    let mut scopes = namespaces::Scopes::new(input);
    // An empty element's scope closes before the next event.
    let mut pending_pop = false;
    let mut version: Option<SoapVersion> = None;
    let mut depth = 0usize;
    let mut in_body = false;
    let mut closed_envelope = false;
    let mut header: Option<Range<usize>> = None;
    let mut header_start = 0usize;
    let mut in_header = false;
    let mut operation: Option<Operation> = None;
    let mut security_header = false;
    let mut addressing: Option<RequestAddressing> = None;
    // Inside the header's wsa:MessageID: its text so far.
    let mut message_id: Option<String> = None;
    let mut op_start = 0usize;
    // The start tags of the Envelope and the Body.
    let mut ancestors = [0..0, 0..0];
    let mut op_pending: Option<(String, Option<String>)> = None;
    // The operation's leaves while it is open, or why they cannot be read.
    let mut leaves: Option<Result<xml::LeafReader, String>> = None;
    // Checked to be UTF-8 once: names and texts need no check of their own.
    let text = xml::Utf8Input::new(input);
    let mut seen_header = false;
    let mut seen_body = false;
    let mut check = xml::LimitCheck::new(limits);
    let fault = |version: Option<SoapVersion>, reason: String| Fault::sender(version.unwrap_or(fallback), reason);
    // quick-xml reads control characters, U+FFFE and U+FFFF as any other; XML 1.0 does not
    // allow them anywhere. Refused before reading: the version is not known yet.
    if let Some((at, c)) = xml::forbidden_character(input) {
        return Err(fault(None, xml::forbidden_character_reason(at, c)));
    }

    loop {
        if std::mem::take(&mut pending_pop) {
            scopes.pop();
        }
        let before = bom + reader.buffer_position() as usize;
        let not_well_formed = |reader: &Reader<&[u8]>, e: quick_xml::Error| {
            let at = reader.error_position();
            fault(version, xml::not_well_formed(at, e))
        };
        let event = reader.read_event().map_err(|e| not_well_formed(&reader, e))?;
        // A start tag opens a namespace scope, an end tag closes it (after this event); only
        // the names of start tags need resolving (an end tag's name is its start tag's).
        let mut namespace = None;
        if let Event::Start(ref e) | Event::Empty(ref e) = event {
            scopes
                .push(e)
                .map_err(|ns| not_well_formed(&reader, quick_xml::Error::Namespace(ns)))?;
            match scopes.resolve_element(e.name()) {
                // Only the Envelope (depth 1) and the children of Header and Body (depth 3)
                // need their namespace.
                Resolved::Bound(n) if depth == 0 || depth == 2 => {
                    // The declaration's value as written: resolve its references.
                    let raw = text.lossy(n);
                    namespace =
                        Some(quick_xml::escape::unescape(&raw).map_or_else(|_| raw.to_string(), |u| u.into_owned()));
                }
                Resolved::Bound(_) | Resolved::Unbound => {}
                Resolved::Unknown => {
                    let prefix = e.name().prefix().map(|p| p.into_inner()).unwrap_or_default();
                    return Err(fault(
                        version,
                        format!("the namespace prefix {:?} is not declared", clip_bytes(prefix)),
                    ));
                }
            }
            pending_pop = matches!(event, Event::Empty(_));
        } else if let Event::End(_) = event {
            pending_pop = true;
        }
        let after = bom + reader.buffer_position() as usize;
        if op_pending.is_some()
            && let Some(Ok(l)) = &mut leaves
            && let Err(why) = l.read(&event, &text)
        {
            leaves = Some(Err(why));
        }
        // Every character reference, read or not, names a character XML 1.0 allows (in
        // attribute values, `check` sees to it).
        if let Event::GeneralRef(ref r) = event
            && let Some(why) = xml::refused_reference(r, before)
        {
            return Err(fault(version, why));
        }
        match event {
            Event::DocType(_) => {
                return Err(fault(
                    version,
                    "a DOCTYPE is not allowed in a SOAP message; entity declarations are never expanded".into(),
                ));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                if closed_envelope {
                    return Err(fault(version, "there is content after the closing Envelope tag".into()));
                }
                check.open(e, is_empty).map_err(|why| fault(version, why))?;
                depth += 1;
                let local = e.local_name();
                match depth {
                    1 => {
                        if local.as_ref() != b"Envelope" {
                            return Err(fault(
                                version,
                                format!(
                                    "the request is not a SOAP message: its root element is <{}>, not <Envelope>",
                                    clip_bytes(local.as_ref())
                                ),
                            ));
                        }
                        version = match namespace.as_deref() {
                            Some(SOAP11_NS) => Some(SoapVersion::V11),
                            Some(SOAP12_NS) => Some(SoapVersion::V12),
                            other => {
                                return Err(Fault::new(
                                    fallback,
                                    FaultCode::VersionMismatch,
                                    format!(
                                        "the Envelope namespace is {}; sfstub speaks SOAP 1.1 ({SOAP11_NS}) and SOAP 1.2 ({SOAP12_NS})",
                                        other
                                            .map(|s| format!("{:?}", clip(s)))
                                            .unwrap_or_else(|| "missing".into())
                                    ),
                                ));
                            }
                        };
                        if is_empty {
                            return Err(fault(version, "the Envelope has no Body".into()));
                        }
                        ancestors[0] = before..after;
                    }
                    2 => match local.as_ref() {
                        b"Header" if seen_header => {
                            return Err(fault(
                                version,
                                "the Envelope holds a second Header; SOAP allows one, before the Body".into(),
                            ));
                        }
                        b"Header" if seen_body => {
                            return Err(fault(
                                version,
                                "the Header comes after the Body; SOAP puts the one Header before the Body".into(),
                            ));
                        }
                        b"Body" if seen_body => {
                            return Err(fault(
                                version,
                                "the Envelope holds a second Body; SOAP allows exactly one".into(),
                            ));
                        }
                        b"Header" => {
                            seen_header = true;
                            in_header = !is_empty;
                            header_start = after;
                            if is_empty {
                                header = Some(after..after);
                            }
                        }
                        b"Body" => {
                            seen_body = true;
                            if is_empty {
                                return Err(fault(
                                    version,
                                    "the SOAP Body is empty: it must hold the operation's request element".into(),
                                ));
                            }
                            in_body = true;
                            ancestors[1] = before..after;
                        }
                        other => {
                            return Err(fault(
                                version,
                                format!(
                                    "unexpected <{}> in the Envelope: only Header and Body belong there",
                                    clip_bytes(other)
                                ),
                            ));
                        }
                    },
                    3 if in_header => header_block(
                        local.as_ref(),
                        namespace.as_deref(),
                        is_empty,
                        &mut security_header,
                        &mut addressing,
                        &mut message_id,
                    ),
                    3 if in_body => {
                        if operation.is_some() || op_pending.is_some() {
                            return Err(fault(version, "the SOAP Body holds more than one element".into()));
                        }
                        let name = text.lossy(local.as_ref()).into_owned();
                        let mut read = xml::LeafReader::default();
                        leaves = Some(read.read(&event, &text).map(|_| read));
                        if is_empty {
                            operation = Some(Operation {
                                local_name: name.into(),
                                namespace: namespace.map(Name::from),
                                range: before..after,
                                ancestors: ancestors.clone(),
                                leaves: leaves
                                    .take()
                                    .unwrap_or_else(|| Ok(Default::default()))
                                    .map(xml::LeafReader::finish),
                                declared: None,
                                shape: None,
                            });
                        } else {
                            op_start = before;
                            op_pending = Some((name, namespace));
                        }
                    }
                    _ => {}
                }
                if is_empty {
                    depth -= 1;
                }
            }
            Event::End(ref e) => {
                check.close();
                if depth == 3
                    && let Some(id) = message_id.take()
                    && let Some(headers) = addressing.as_mut()
                {
                    headers.message_id = Some(id.trim().to_owned());
                }
                match depth {
                    1 => closed_envelope = true,
                    2 if in_header && e.local_name().as_ref() == b"Header" => {
                        in_header = false;
                        header = Some(header_start..before);
                    }
                    2 if in_body => in_body = false,
                    3 => {
                        if let Some((local_name, namespace)) = op_pending.take() {
                            operation = Some(Operation {
                                local_name: local_name.into(),
                                namespace: namespace.map(Name::from),
                                range: op_start..after,
                                ancestors: ancestors.clone(),
                                leaves: leaves
                                    .take()
                                    .unwrap_or_else(|| Ok(Default::default()))
                                    .map(xml::LeafReader::finish),
                                declared: None,
                                shape: None,
                            });
                        }
                    }
                    _ => {}
                }
                depth -= 1;
            }
            Event::Text(ref t) if message_id.is_some() => {
                if let Some(id) = message_id.as_mut() {
                    xml::push_line_normalised(id, &String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::CData(ref t) if message_id.is_some() => {
                if let Some(id) = message_id.as_mut() {
                    xml::push_line_normalised(id, &String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::GeneralRef(ref r) if message_id.is_some() => {
                let c =
                    xml::resolve_reference(r).map_err(|e| fault(version, format!("the wsa:MessageID header: {e}")))?;
                if let Some(id) = message_id.as_mut() {
                    id.push(c);
                }
            }
            Event::Text(ref t) if depth <= 2 && !in_header && t.iter().any(|b| !b.is_ascii_whitespace()) => {
                let why = if depth == 0 && version.is_none() {
                    "the request is not XML: it starts with text, not an element"
                } else {
                    "unexpected text outside the Header and Body elements"
                };
                return Err(fault(version, why.to_owned()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let Some(version) = version else {
        return Err(fault(None, "the request body is empty or holds no XML element".into()));
    };
    if depth != 0 || !closed_envelope {
        return Err(Fault::sender(version, "the request ends before the Envelope is closed"));
    }
    let operation = operation.ok_or_else(|| {
        Fault::sender(
            version,
            "the SOAP Body is empty: it must hold the operation's request element",
        )
    })?;
    Ok(Envelope {
        version,
        header,
        security_header,
        addressing,
        operation,
        action: None,
    })
}

/// Starts a response envelope in `version`; the caller writes the Body's content and then
/// calls [`finish_envelope`].
pub fn begin_envelope(out: &mut Vec<u8>, version: SoapVersion, header: Option<&str>) {
    out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"");
    out.extend_from_slice(version.namespace().as_bytes());
    out.extend_from_slice(b"\">");
    if let Some(h) = header {
        out.extend_from_slice(b"<soap:Header>");
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"</soap:Header>");
    }
    out.extend_from_slice(b"<soap:Body>");
}

/// Closes what [`begin_envelope`] opened.
pub fn finish_envelope(out: &mut Vec<u8>) {
    out.extend_from_slice(b"</soap:Body></soap:Envelope>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_with_more_leaves_than_the_bound_carries_why_its_leaves_are_not_read() {
        // Plain XML: the plain reader gives up at the bound and the quick-xml pass says why.
        let request = |n: usize, leaf: &str| {
            format!(
                "<s:Envelope xmlns:s=\"{SOAP12_NS}\"><s:Body><Op><a>{}</a></Op></s:Body></s:Envelope>",
                leaf.repeat(n)
            )
        };
        for leaf in ["<x/>", "<x>1</x>"] {
            let read = parse_envelope(
                request(xml::MAX_LEAVES, leaf).as_bytes(),
                Limits::default(),
                SoapVersion::V12,
            )
            .expect("an envelope");
            assert_eq!(read.operation.leaves.map(|l| l.len()), Ok(xml::MAX_LEAVES));
            let read = parse_envelope(
                request(xml::MAX_LEAVES + 1, leaf).as_bytes(),
                Limits::default(),
                SoapVersion::V12,
            )
            .expect("an envelope");
            let why = read.operation.leaves.expect_err("its leaves are not read");
            assert!(why.contains("more than 10000 leaves"), "{why}");
            assert_eq!(read.operation.local_name, "Op");
        }
    }

    #[test]
    fn the_version_is_guessed_from_the_media_type_in_any_case() {
        let guess = SoapVersion::guess_from_content_type;
        for ct in ["text/xml", "TEXT/XML; charset=utf-8", "  Text/Xml;charset=UTF-8"] {
            assert_eq!(guess(Some(ct)), SoapVersion::V11, "{ct}");
        }
        for ct in [
            "application/soap+xml; charset=utf-8",
            "text/x",
            "text/plain",
            "",
            "tëxt/xml",
            "æøåæøå",
        ] {
            assert_eq!(guess(Some(ct)), SoapVersion::V12, "{ct}");
        }
        assert_eq!(guess(None), SoapVersion::V12);
    }

    fn parse(s: &str) -> Result<Envelope, Fault> {
        parse_envelope(s.as_bytes(), Limits::default(), SoapVersion::V12)
    }

    #[test]
    fn finds_the_operation_whatever_the_prefixes() {
        let xml = r#"<?xml version="1.0"?>
<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:k="urn:x">
  <e:Header><a:To xmlns:a="urn:a">x</a:To></e:Header>
  <e:Body><k:Op_I revision="1"><k:A>1</k:A></k:Op_I></e:Body>
</e:Envelope>"#;
        let env = parse(xml).unwrap();
        assert_eq!(env.version, SoapVersion::V12);
        assert_eq!(env.operation.local_name, "Op_I");
        assert_eq!(env.operation.namespace.as_deref(), Some("urn:x"));
        assert_eq!(
            &xml[env.operation.range.clone()],
            r#"<k:Op_I revision="1"><k:A>1</k:A></k:Op_I>"#
        );
        assert_eq!(&xml[env.header.unwrap()], r#"<a:To xmlns:a="urn:a">x</a:To>"#);
    }

    #[test]
    fn reads_the_addressing_headers() {
        let env = parse(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action>x</a:Action><a:MessageID> urn:uuid:1&amp;2 </a:MessageID><a:MessageID>second</a:MessageID></s:Header><s:Body><Op/></s:Body></s:Envelope>"#,
        )
        .unwrap();
        assert_eq!(
            env.addressing,
            Some(RequestAddressing {
                message_id: Some("urn:uuid:1&2".into())
            })
        );
        let without = parse(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><To xmlns="urn:other">x</To></s:Header><s:Body><Op/></s:Body></s:Envelope>"#,
        )
        .unwrap();
        assert_eq!(without.addressing, None);
        let action_only = parse(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><Action xmlns="http://www.w3.org/2005/08/addressing">x</Action></s:Header><s:Body><Op/></s:Body></s:Envelope>"#,
        )
        .unwrap();
        assert_eq!(action_only.addressing, Some(RequestAddressing { message_id: None }));
    }

    #[test]
    fn the_http_action_comes_from_the_header_or_the_content_type() {
        assert_eq!(http_action(Some("\"urn:a\""), None).as_deref(), Some("urn:a"));
        assert_eq!(http_action(Some("\"\""), None), None);
        assert_eq!(
            http_action(None, Some("application/soap+xml; charset=utf-8; action=\"urn:b\"")).as_deref(),
            Some("urn:b")
        );
        assert_eq!(
            http_action(Some(""), Some("application/soap+xml;Action=urn:c")).as_deref(),
            Some("urn:c")
        );
        assert_eq!(http_action(None, Some("text/xml; charset=utf-8")), None);
        // As `str::split` reads the parameters: the first `action` decides, even when empty;
        // a parameter without `=` is passed over; the media type is never a parameter.
        fn by_split(ct: &str) -> Option<&str> {
            ct.split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("action"))
                .map(|(_, v)| v)
        }
        for ct in [
            "",
            ";",
            "action=urn:x",
            "a;action",
            "a;action;action=urn:y",
            "a; ACTION =\"urn:z\" ;b=1",
            "a;action=;action=urn:w",
            "a;b=c=d;action=e=f",
            "a;;;action=urn:v;",
            "a; \u{a0}action=urn:u",
            "a;æction=1;action=ø",
        ] {
            assert_eq!(content_type_action(ct), by_split(ct), "{ct:?}");
        }
        assert_eq!(http_action(None, Some("a;action=;action=urn:w")), None);
    }

    proptest::proptest! {
        /// Any text of the pieces that matter, long enough for several words of the scans,
        /// gives the parameter `str::split` gives.
        #[test]
        fn the_content_type_action_is_the_one_split_finds(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["action", "Action", ";", "=", " ", "\u{a0}", "é", "x", "\"urn:a\""]),
                0..24,
            )
        ) {
            let ct = pieces.concat();
            let by_split = ct
                .split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("action"))
                .map(|(_, v)| v);
            proptest::prop_assert_eq!(content_type_action(&ct), by_split);
        }
    }

    #[test]
    fn soap11_is_recognised() {
        let env = parse(
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Op/></s:Body></s:Envelope>"#,
        )
        .unwrap();
        assert_eq!(env.version, SoapVersion::V11);
        assert_eq!(env.operation.namespace, None);
    }

    #[test]
    fn refuses_what_is_not_a_soap_message() {
        let cases = [
            ("", "empty"),
            ("hello", "not XML"),
            (
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a></b></s:Body></s:Envelope>"#,
                "well-formed",
            ),
            ("<root/>", "not a SOAP message"),
            (r#"<!DOCTYPE x [<!ENTITY a "b">]><x/>"#, "DOCTYPE"),
            (
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>"#,
                "Body is empty",
            ),
            (
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a/><b/></s:Body></s:Envelope>"#,
                "more than one",
            ),
            (
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a>"#,
                "ends before",
            ),
            (
                r#"<s:Envelope xmlns:s="urn:nope"><s:Body><a/></s:Body></s:Envelope>"#,
                "sfstub speaks SOAP",
            ),
            (
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><p:a/></s:Body></s:Envelope>"#,
                "not declared",
            ),
        ];
        for (xml, expected) in cases {
            let fault = parse(xml).unwrap_err();
            assert!(fault.reason.contains(expected), "{xml:?}: {}", fault.reason);
        }
    }

    #[test]
    fn refuses_a_second_header_a_late_header_and_a_second_body() {
        let env = |inner: &str| {
            format!(r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">{inner}</s:Envelope>"#)
        };
        let cases = [
            ("<s:Header/><s:Header/><s:Body><a/></s:Body>", "a second Header"),
            (
                "<s:Header><x/></s:Header><s:Header><y/></s:Header><s:Body><a/></s:Body>",
                "a second Header",
            ),
            ("<s:Body><a/></s:Body><s:Header/>", "the Header comes after the Body"),
            (
                "<s:Body></s:Body><s:Header/><s:Body><a/></s:Body>",
                "the Header comes after the Body",
            ),
            ("<s:Body><a/></s:Body><s:Body></s:Body>", "a second Body"),
        ];
        for (inner, expected) in cases {
            let fault = parse(&env(inner)).unwrap_err();
            assert!(fault.reason.contains(expected), "{inner}: {}", fault.reason);
        }
        assert!(parse(&env("<s:Header/><s:Body><a/></s:Body>")).is_ok());
    }

    #[test]
    fn refuses_too_many_attributes_namespaces_and_duplicates_anywhere() {
        let env = |op: &str| {
            format!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><h/></s:Header><s:Body>{op}</s:Body></s:Envelope>"#
            )
        };
        let attrs: String = (0..129).map(|i| format!(" a{i}=\"\"")).collect();
        let fault = parse(&env(&format!("<op><x{attrs}/></op>"))).unwrap_err();
        assert!(
            fault.reason.contains("<x> has more than 128 attributes"),
            "{}",
            fault.reason
        );
        let ns: String = (0..100).map(|i| format!(" xmlns:p{i}=\"u\"")).collect();
        let fault = parse(&env(&format!("<op{ns}><x{ns}/></op>"))).unwrap_err();
        assert!(
            fault.reason.contains("namespace declarations are in scope at <x>"),
            "{}",
            fault.reason
        );
        let fault = parse(&env(r#"<op a="1" a="2"/>"#)).unwrap_err();
        assert!(
            fault.reason.contains("the attribute a appears twice in <op>"),
            "{}",
            fault.reason
        );
    }

    #[test]
    fn ranges_count_a_byte_order_mark() {
        let xml = "\u{feff}<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header><h/></s:Header><s:Body><Op><A>1</A></Op></s:Body></s:Envelope>";
        let env = parse(xml).unwrap();
        assert_eq!(&xml[env.operation.range.clone()], "<Op><A>1</A></Op>");
        assert_eq!(&xml[env.header.unwrap()], "<h/>");
        assert_eq!(&xml[env.operation.ancestors[1].clone()], "<s:Body>");
        assert!(xml[env.operation.ancestors[0].clone()].starts_with("<s:Envelope "));
    }

    /// A request with a Header, `header` in it, and `op` in the Body.
    fn with(header: &str, op: &str) -> String {
        format!(
            r#"<s:Envelope xmlns:s="{SOAP12_NS}" xmlns:w="http://www.w3.org/2005/08/addressing"><s:Header>{header}</s:Header><s:Body>{op}</s:Body></s:Envelope>"#
        )
    }

    /// Both readers' envelope, which must be the same.
    fn read_both(xml: &str) -> Result<Envelope, Fault> {
        let quick = read_with_quick_xml(xml.as_bytes(), Limits::default(), SoapVersion::V12);
        let read = parse(xml);
        assert_eq!(format!("{read:?}"), format!("{quick:?}"), "{xml:?}");
        read
    }

    #[test]
    fn refuses_a_reference_to_a_character_xml_does_not_allow_wherever_it_is() {
        let id = |id: &str| with(&format!("<w:MessageID>urn:{id}</w:MessageID>"), "<Op/>");
        let cases = [
            (id("&#1;"), "&#1;", "U+0001"),
            (id("&#x1F;"), "&#x1F;", "U+001F"),
            (id("x&#xFFFE;"), "&#xFFFE;", "U+FFFE"),
            (id("&#65535;"), "&#65535;", "U+FFFF"),
            (id("&#xD800;"), "&#xD800;", "U+D800"),
            (id("&#0;"), "&#0;", "U+0000"),
            (with("<Other>a&#8;</Other>", "<Op/>"), "&#8;", "U+0008"),
            (with("", "<Op><a>&#x1;</a></Op>"), "&#x1;", "U+0001"),
            (with("", "<Op>&#x1B;<a/></Op>"), "&#x1B;", "U+001B"),
            (with("", "<Op/>&#1;"), "&#1;", "U+0001"),
        ];
        for (xml, reference, code) in cases {
            let fault = read_both(&xml).expect_err(&xml);
            assert_eq!(fault.code, FaultCode::Sender);
            let at = xml.find(reference).expect("the reference");
            assert_eq!(
                fault.reason,
                format!(
                    "the request is not well-formed XML (at byte {at}): the character reference {reference} names {code}, a character XML 1.0 does not allow"
                ),
                "{xml}"
            );
        }
        let fault = read_both(&id("&#x110000;")).unwrap_err();
        assert!(
            fault
                .reason
                .ends_with("the character reference &#x110000; names no character"),
            "{}",
            fault.reason
        );
        // In attribute values, namespace declarations included.
        for (header, op) in [
            ("", r#"<Op a="x&#1;"/>"#),
            ("", r#"<k:Op xmlns:k="urn:&#x1;"/>"#),
            (r#"<h a="&#xFFFF;"/>"#, "<Op/>"),
            ("", r#"<Op><a b='&#31;'>1</a></Op>"#),
        ] {
            let fault = read_both(&with(header, op)).unwrap_err();
            assert!(
                fault
                    .reason
                    .starts_with("the request is not well-formed XML: in the value of the attribute "),
                "{}",
                fault.reason
            );
            assert!(
                fault.reason.contains("a character XML 1.0 does not allow"),
                "{}",
                fault.reason
            );
        }
    }

    #[test]
    fn refuses_a_character_xml_does_not_allow_written_anywhere() {
        let cases = [
            with("<w:MessageID>urn:\u{1}</w:MessageID>", "<Op/>"),
            with("", "<Op><a>\u{1}</a></Op>"),
            with("", "<Op><a>x\u{fffe}</a></Op>"),
            with("", "<Op><!-- \u{ffff} --><a/></Op>"),
            with("", "<Op a=\"\u{1f}\"/>"),
            with("", "<k:Op xmlns:k=\"urn:\u{b}\"/>"),
            with("<?pi \u{0}?>", "<Op/>"),
            with("\u{c}", "<Op/>"),
            format!("\u{feff}{}", with("", "<Op>\u{7}</Op>")),
        ];
        for xml in cases {
            let fault = read_both(&xml).expect_err(&xml);
            let (at, c) = xml
                .char_indices()
                .find(|&(_, c)| !xml::is_xml_char(c))
                .expect("the character");
            assert_eq!(fault.code, FaultCode::Sender);
            assert_eq!(
                fault.reason,
                format!(
                    "the request is not well-formed XML (at byte {at}): it holds the character U+{:04X} written as it is, which XML 1.0 does not allow",
                    u32::from(c)
                )
            );
        }
    }

    #[test]
    fn reads_every_character_xml_allows() {
        let allowed = "\t&#9;&#10;&#13;&#x20;&#xD7FF;&#xE000;&#xFFFD;&#x10000;&#x10FFFF;\u{d7ff}\u{e000}\u{fffd}\u{10000}\u{7f}\u{85}";
        let read = read_both(&with(
            &format!("<w:MessageID>urn:{allowed}:end</w:MessageID>"),
            &format!("<Op a=\"{allowed}\"><a>x{allowed}x</a></Op>"),
        ))
        .expect("read");
        let expected =
            "\t\t\n\r \u{d7ff}\u{e000}\u{fffd}\u{10000}\u{10ffff}\u{d7ff}\u{e000}\u{fffd}\u{10000}\u{7f}\u{85}";
        assert_eq!(
            read.addressing.and_then(|a| a.message_id),
            Some(format!("urn:{expected}:end"))
        );
        assert_eq!(
            read.operation.leaves.expect("leaves").get(0).map(|l| l.text.to_owned()),
            Some(format!("x{expected}x"))
        );
    }

    #[test]
    fn a_message_id_is_read_with_its_line_ends_as_xml_reads_them() {
        let id = |id: &str| {
            let read = read_both(&with(&format!("<w:MessageID>{id}</w:MessageID>"), "<Op/>")).expect("read");
            read.addressing.and_then(|a| a.message_id).expect("a MessageID")
        };
        // Written, a carriage return is a line feed; by reference, it is itself.
        assert_eq!(id("\r\nurn:a\r\nb\rc<!---->\r<!-- -->\nd\r"), "urn:a\nb\nc\n\nd");
        assert_eq!(id("urn:a&#13;b&#13;&#10;c\r&#10;"), "urn:a\rb\r\nc");
    }

    #[test]
    fn refuses_deep_nesting() {
        let inner = "<a>".repeat(100) + &"</a>".repeat(100);
        let xml = format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>{inner}</s:Body></s:Envelope>"#
        );
        assert!(parse(&xml).unwrap_err().reason.contains("deeper than 64"));
    }
}
