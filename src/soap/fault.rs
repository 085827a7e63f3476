//! SOAP faults: the one place where a fault becomes bytes and an HTTP status.

use std::borrow::Cow;

use http::StatusCode;

use super::{SoapVersion, begin_envelope, finish_envelope, xml::escape};
use crate::clip::{REASON_CHARS, clip_to};

/// The fault codes sfstub uses, named as in SOAP 1.2 (SOAP 1.1's Client and Server are written
/// for Sender and Receiver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// The request is wrong; sending it again will not help.
    Sender,
    /// sfstub could not answer a correct request.
    Receiver,
    /// The envelope is not SOAP 1.1 or 1.2.
    VersionMismatch,
}

/// A SOAP fault ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub version: SoapVersion,
    pub code: FaultCode,
    /// The human-readable reason (`faultstring` / `Reason/Text`), in English.
    pub reason: String,
    /// Raw XML to put in `detail` / `Detail`.
    pub detail: Option<String>,
    /// Overrides the status SOAP prescribes (413 for an oversized body).
    pub status: Option<StatusCode>,
    /// An application fault code, written as a SOAP 1.2 `Subcode` in sfstub's fault namespace
    /// (a QName, so it starts with a letter: `STS5015`). Reasons carry the code as text too.
    pub subcode: Option<String>,
    /// SOAP Header content (raw XML declaring its own namespaces), e.g. WS-Addressing.
    pub header: Option<String>,
}

/// The namespace of sfstub's fault subcodes (the STS's numeric codes such as `5015`).
pub const SUBCODE_NS: &str = "urn:sfstub:fault";

impl Fault {
    /// A fault with this code and reason; a reason longer than [`REASON_CHARS`] characters
    /// (request text quoted at length) is cut there.
    pub fn new(version: SoapVersion, code: FaultCode, reason: impl Into<String>) -> Fault {
        let reason = reason.into();
        let reason = match clip_to(&reason, REASON_CHARS) {
            Cow::Borrowed(_) => reason,
            Cow::Owned(clipped) => clipped,
        };
        Fault {
            version,
            code,
            reason,
            detail: None,
            status: None,
            subcode: None,
            header: None,
        }
    }

    /// The same fault with an application code (SOAP 1.2 `Subcode`).
    pub fn with_subcode(mut self, code: impl Into<String>) -> Fault {
        self.subcode = Some(code.into());
        self
    }

    /// A Sender (SOAP 1.1: Client) fault: the request is at fault.
    pub fn sender(version: SoapVersion, reason: impl Into<String>) -> Fault {
        Fault::new(version, FaultCode::Sender, reason)
    }

    /// A Receiver (SOAP 1.1: Server) fault.
    pub fn receiver(version: SoapVersion, reason: impl Into<String>) -> Fault {
        Fault::new(version, FaultCode::Receiver, reason)
    }

    /// The HTTP status: SOAP 1.2 sends Sender faults with 400 and others with 500; SOAP 1.1
    /// sends every fault with 500.
    pub fn status(&self) -> StatusCode {
        if let Some(s) = self.status {
            return s;
        }
        match (self.version, self.code) {
            (SoapVersion::V12, FaultCode::Sender) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The fault as a complete envelope.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512 + self.reason.len());
        begin_envelope(&mut out, self.version, self.header.as_deref());
        let clipped = clip_to(&self.reason, REASON_CHARS);
        let reason = escape(&clipped);
        match self.version {
            SoapVersion::V11 => {
                let code = match self.code {
                    FaultCode::Sender => "Client",
                    FaultCode::Receiver => "Server",
                    FaultCode::VersionMismatch => "VersionMismatch",
                };
                out.extend_from_slice(b"<soap:Fault><faultcode>soap:");
                out.extend_from_slice(code.as_bytes());
                out.extend_from_slice(b"</faultcode><faultstring xml:lang=\"en\">");
                out.extend_from_slice(reason.as_bytes());
                out.extend_from_slice(b"</faultstring>");
                if let Some(d) = &self.detail {
                    out.extend_from_slice(b"<detail>");
                    out.extend_from_slice(d.as_bytes());
                    out.extend_from_slice(b"</detail>");
                }
            }
            SoapVersion::V12 => {
                let code = match self.code {
                    FaultCode::Sender => "Sender",
                    FaultCode::Receiver => "Receiver",
                    FaultCode::VersionMismatch => "VersionMismatch",
                };
                out.extend_from_slice(b"<soap:Fault><soap:Code><soap:Value>soap:");
                out.extend_from_slice(code.as_bytes());
                out.extend_from_slice(b"</soap:Value>");
                if let Some(sub) = &self.subcode {
                    out.extend_from_slice(b"<soap:Subcode><soap:Value xmlns:sf=\"");
                    out.extend_from_slice(SUBCODE_NS.as_bytes());
                    out.extend_from_slice(b"\">sf:");
                    out.extend_from_slice(escape(sub).as_bytes());
                    out.extend_from_slice(b"</soap:Value></soap:Subcode>");
                }
                out.extend_from_slice(b"</soap:Code><soap:Reason><soap:Text xml:lang=\"en\">");
                out.extend_from_slice(reason.as_bytes());
                out.extend_from_slice(b"</soap:Text></soap:Reason>");
                if let Some(d) = &self.detail {
                    out.extend_from_slice(b"<soap:Detail>");
                    out.extend_from_slice(d.as_bytes());
                    out.extend_from_slice(b"</soap:Detail>");
                }
            }
        }
        out.extend_from_slice(b"</soap:Fault>");
        finish_envelope(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_soap_version() {
        assert_eq!(Fault::sender(SoapVersion::V12, "x").status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            Fault::sender(SoapVersion::V11, "x").status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            Fault::receiver(SoapVersion::V12, "x").status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn long_reasons_are_cut() {
        let long = format!("unexpected <{}> in the Envelope", "A".repeat(900_000));
        let marker = format!("…({} bytes in all)", long.len());
        let fault = Fault::sender(SoapVersion::V12, long);
        assert!(
            fault.reason.chars().count() < REASON_CHARS + 40,
            "{}",
            fault.reason.len()
        );
        assert!(fault.reason.ends_with(&marker), "{}", &fault.reason[1000..]);
        assert!(fault.to_xml().len() < 2 * REASON_CHARS + 1024);
    }

    #[test]
    fn reasons_are_escaped() {
        let xml = String::from_utf8(Fault::sender(SoapVersion::V11, "<a> & b").to_xml()).unwrap();
        assert!(xml.contains("<faultcode>soap:Client</faultcode>"));
        assert!(xml.contains("&lt;a&gt; &amp; b"));
    }
}
