//! The støttesystem ("sagdok" v6) generation's conventions, shared by SF1500, SF1510 Klasse
//! and every contract of that generation sfstub serves from its WSDL: the request's
//! `RequestHeader/TransactionUUID`, echoed in the response's Header, and `StandardRetur`
//! (`StatusKode` 20, 40 or 44 with `FejlbeskedTekst`) in every output, errors included.

use crate::soap::xml::{escape, leaf_texts, push_element};
use crate::soap::{Envelope, Fault};

/// The namespace of the støttesystem `RequestHeader`.
pub const REQUEST_HEADER_NS: &str = "http://kombit.dk/xml/schemas/RequestHeader/1/";
/// The common sagdok namespace (`StandardRetur`, `UUIDIdentifikator`, …).
pub const SAGDOK_NS: &str = "urn:oio:sagdok:3.0.0";

/// The `StandardRetur/StatusKode` values sfstub answers with.
pub mod status_kode {
    /// OK (also a search without hits).
    pub const OK: u16 = 20;
    /// Bad input, the text naming the field.
    pub const UGYLDIG_INPUT: u16 = 40;
    /// Not found.
    pub const IKKE_FUNDET: u16 = 44;
}

/// Writes `sd:StandardRetur` with a status code and its text (`sd` must be declared as
/// [`SAGDOK_NS`] by an enclosing element).
pub fn standard_retur(out: &mut Vec<u8>, kode: impl std::fmt::Display, tekst: &str) {
    out.extend_from_slice(b"<sd:StandardRetur>");
    push_element(out, "sd:StatusKode", &kode.to_string());
    push_element(out, "sd:FejlbeskedTekst", tekst);
    out.extend_from_slice(b"</sd:StandardRetur>");
}

/// A request's `RequestHeader`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    /// `TransactionUUID`, or `None` when the header is an empty element.
    pub transaction_uuid: Option<String>,
}

/// The request's `RequestHeader`, if its SOAP Header carries one (matched by local names).
pub fn read(body: &[u8], envelope: &Envelope) -> Result<Option<RequestHeader>, Fault> {
    let content = envelope.header.clone().and_then(|r| body.get(r)).unwrap_or_default();
    if !content.windows(13).any(|w| w == b"RequestHeader") {
        return Ok(None);
    }
    // The content may hold several elements: give it one root to read it as a document.
    let mut wrapped = Vec::with_capacity(content.len() + 17);
    wrapped.extend_from_slice(b"<Header>");
    wrapped.extend_from_slice(content);
    wrapped.extend_from_slice(b"</Header>");
    let leaves = leaf_texts(&wrapped)
        .map_err(|e| Fault::sender(envelope.version, format!("the SOAP Header cannot be read: {e}")))?;
    Ok(leaves.iter().find_map(|l| match l.path {
        "RequestHeader/TransactionUUID" => Some(RequestHeader {
            transaction_uuid: Some(l.text.to_owned()),
        }),
        "RequestHeader" => Some(RequestHeader { transaction_uuid: None }),
        _ => None,
    }))
}

/// The WSDL operation a støttesystem Body element calls (`LaesInput` → `laes`, `ImportInput`
/// → `importer`), as the operation names of KOMBIT's WSDLs go; for the reply's action.
pub fn operation_name(input: &str) -> String {
    match input {
        "ImportInput" => "importer".to_owned(),
        other => other.strip_suffix("Input").unwrap_or(other).to_ascii_lowercase(),
    }
}

/// The response's SOAP Header content echoing a TransactionUUID, written with `prefix` (each
/// service keeps the prefix its documented answers show).
pub fn echo(prefix: &str, transaction_uuid: &str) -> String {
    format!(
        "<{prefix}:RequestHeader xmlns:{prefix}=\"{REQUEST_HEADER_NS}\"><{prefix}:TransactionUUID>{}</{prefix}:TransactionUUID></{prefix}:RequestHeader>",
        escape(transaction_uuid)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::{Limits, SoapVersion, parse_envelope};

    fn header_of(header: &str) -> Option<RequestHeader> {
        let xml = format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>{header}</s:Header><s:Body><op/></s:Body></s:Envelope>"#
        );
        let envelope = parse_envelope(xml.as_bytes(), Limits::default(), SoapVersion::V12).unwrap();
        read(xml.as_bytes(), &envelope).unwrap()
    }

    #[test]
    fn reads_the_transaction_uuid_beside_other_headers() {
        let rh = r#"<a:To xmlns:a="urn:a">x</a:To><h:RequestHeader xmlns:h="urn:h"><h:TransactionUUID>abc</h:TransactionUUID></h:RequestHeader>"#;
        assert_eq!(
            header_of(rh),
            Some(RequestHeader {
                transaction_uuid: Some("abc".into())
            })
        );
        assert_eq!(header_of("<a/>"), None);
        assert_eq!(
            header_of(r#"<h:RequestHeader xmlns:h="urn:h"/>"#),
            Some(RequestHeader { transaction_uuid: None })
        );
    }

    #[test]
    fn the_echo_escapes() {
        assert!(echo("rh", "a<b").contains("<rh:TransactionUUID>a&lt;b</rh:TransactionUUID>"));
    }
}
