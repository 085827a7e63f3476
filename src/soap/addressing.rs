//! WS-Addressing 1.0 on the wire: what a request says (its `wsa:MessageID`), and the headers a
//! response carries when the request used WS-Addressing — the reply's `wsa:Action` from the
//! contract, a fresh `wsa:MessageID` and `wsa:RelatesTo` naming the request's MessageID, as
//! KOMBIT's OIO IDWS example response shows. Stacks that turn WS-Addressing on from the
//! contract's policy (JAX-WS/Metro, WCF) refuse a reply without them.

use super::xml::escape;

/// The WS-Addressing 1.0 namespace.
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
/// The Action of a SOAP fault the contract does not declare (WS-Addressing 1.0 SOAP Binding
/// §6).
pub const SOAP_FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";

/// The WS-Addressing headers of a request, as far as a response needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestAddressing {
    /// `wsa:MessageID`, entity references resolved, white space trimmed.
    pub message_id: Option<String>,
}

/// The WS-Addressing headers of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseAddressing {
    pub action: String,
    /// A fresh `urn:uuid:` for this response.
    pub message_id: String,
    /// The request's MessageID, if it had one.
    pub relates_to: Option<String>,
}

impl ResponseAddressing {
    /// The headers answering `request` with `action`.
    pub fn reply(action: impl Into<String>, request: &RequestAddressing) -> ResponseAddressing {
        ResponseAddressing {
            action: action.into(),
            message_id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
            relates_to: request.message_id.clone(),
        }
    }

    /// The headers as SOAP Header content, each element declaring the namespace.
    pub fn to_header(&self) -> String {
        let mut s = format!(
            "<wsa:Action xmlns:wsa=\"{WSA_NS}\">{}</wsa:Action><wsa:MessageID xmlns:wsa=\"{WSA_NS}\">{}</wsa:MessageID>",
            escape(&self.action),
            escape(&self.message_id)
        );
        if let Some(r) = &self.relates_to {
            s.push_str(&format!(
                "<wsa:RelatesTo xmlns:wsa=\"{WSA_NS}\">{}</wsa:RelatesTo>",
                escape(r)
            ));
        }
        s
    }
}

/// The default Action of a WSDL 1.1 message (WS-Addressing 1.0 Metadata §4.4.4):
/// `[target namespace][delimiter][port type name][delimiter][input|output name]`, the
/// delimiter `:` for a URN namespace and `/` otherwise, not doubled when the namespace ends
/// with it. An output without a `name` is named after its operation plus `Response`.
pub fn default_action(target_namespace: &str, port_type: &str, message_name: &str) -> String {
    let delimiter = if target_namespace.starts_with("urn:") { ':' } else { '/' };
    let mut action = String::with_capacity(target_namespace.len() + port_type.len() + message_name.len() + 2);
    action.push_str(target_namespace);
    if !target_namespace.ends_with(delimiter) {
        action.push(delimiter);
    }
    action.push_str(port_type);
    action.push(delimiter);
    action.push_str(message_name);
    action
}

/// The default Action of a fault the contract declares (WS-Addressing 1.0 Metadata §4.4.4):
/// `[target namespace][delimiter][port type name][delimiter][operation name][delimiter]Fault[delimiter][fault name]`.
pub fn default_fault_action(target_namespace: &str, port_type: &str, operation: &str, fault: &str) -> String {
    let delimiter = if target_namespace.starts_with("urn:") { ':' } else { '/' };
    let base = default_action(target_namespace, port_type, operation);
    format!("{base}{delimiter}Fault{delimiter}{fault}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_action_rule() {
        assert_eq!(
            default_action(
                "http://example.com/stockquote",
                "StockQuotePortType",
                "GetLastTradePriceResponse"
            ),
            "http://example.com/stockquote/StockQuotePortType/GetLastTradePriceResponse"
        );
        assert_eq!(
            default_action(
                "http://stoettesystemerne.dk/organisation/6/",
                "VirksomhedPortType",
                "laesResponse"
            ),
            "http://stoettesystemerne.dk/organisation/6/VirksomhedPortType/laesResponse"
        );
        assert_eq!(default_action("urn:x:y", "P", "opResponse"), "urn:x:y:P:opResponse");
        assert_eq!(
            default_fault_action("http://a/b/", "P", "Op", "F"),
            "http://a/b/P/Op/Fault/F"
        );
    }

    #[test]
    fn the_header_escapes_and_relates() {
        let request = RequestAddressing {
            message_id: Some("urn:uuid:a&b".into()),
        };
        let reply = ResponseAddressing::reply("urn:act<", &request);
        assert!(reply.message_id.starts_with("urn:uuid:") && reply.message_id.len() == 45);
        let header = reply.to_header();
        assert!(header.contains(">urn:act&lt;</wsa:Action>"), "{header}");
        assert!(header.contains(">urn:uuid:a&amp;b</wsa:RelatesTo>"), "{header}");
        let fresh = ResponseAddressing::reply("a", &RequestAddressing::default());
        assert!(!fresh.to_header().contains("RelatesTo"));
        assert_ne!(fresh.message_id, reply.message_id);
    }
}
