//! The SF services sfstub serves. Every service has the same shape: parse the typed request
//! from the operation element, identify the caller, apply the rules to the world, and render
//! the typed response — plus the contract (WSDL/XSD) it publishes.

pub mod k2017;
pub mod sf1472_kontrolsag;
pub mod sf1500_organisation;
pub mod sf1510_klassifikation;
pub mod sf1514_rest;
pub mod sf1514_sts;
pub mod sf1520_cpr;
pub mod stoettesystem;

use chrono::{DateTime, Utc};

use crate::security::{Guard, Presented};
use crate::soap::{Envelope, Fault};
use crate::world::World;

/// What a service call needs besides the request.
pub struct Context<'a> {
    pub world: &'a World,
    /// The instant of the call under the world's clock: business dates ("today") only.
    /// Timestamps and tokens use the security clock, [`Guard::now`](crate::security::Guard).
    pub now: DateTime<Utc>,
    /// Security: token checks, the caller, service agreements.
    pub guard: &'a Guard<'a>,
}

/// A short account of a call, for the request log, and how to wrap its answer.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub caller: Option<String>,
    pub outcome: String,
    /// Sign the response (token model): `None` sends a plain envelope.
    pub signing: Option<ResponseSigning>,
    /// SOAP Header content for the response (raw XML, e.g. an echoed
    /// `RequestHeader/TransactionUUID`), declaring its own namespaces.
    pub header: Option<String>,
}

/// How a response is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSigning {
    pub by: Signer,
    /// The request's MessageID, echoed as `wsa:RelatesTo`.
    pub relates_to: Option<String>,
    /// The response's `wsa:Action`, if it has one.
    pub action: Option<String>,
}

impl ResponseSigning {
    /// How a token-model request's response is signed: by the service key, echoing the
    /// request's MessageID. `None` when no token was presented.
    pub fn for_token(presented: &Presented) -> Option<ResponseSigning> {
        presented.token.as_ref().map(|_| ResponseSigning {
            by: Signer::Service,
            relates_to: presented.message_id.clone(),
            action: None,
        })
    }
}

/// Whose key signs a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The service signing certificate (token-model service responses).
    Service,
    /// The STS certificate (RSTRs).
    Sts,
}

/// One served SF service.
pub trait Service: Send + Sync {
    /// The name shown in the banner and logs, e.g. `SF1472 KontrolsagListeHent`.
    fn title(&self) -> &'static str;
    /// The URL paths it answers on; the first is the canonical one.
    fn paths(&self) -> &[&'static str];
    /// The entity ID: the audience of tokens for this service.
    fn entity_id(&self) -> &'static str;
    /// Answers one request: writes the Body's content into `out` (the envelope is written
    /// around it) or returns a fault.
    fn call(&self, ctx: &Context<'_>, envelope: &Envelope, body: &[u8], out: &mut Vec<u8>) -> Result<Summary, Fault>;
    /// A contract document: `None` asks for the WSDL, `Some(name)` for an XSD it imports.
    /// `base` is the absolute URL of the endpoint, for the addresses inside.
    fn contract(&self, document: Option<&str>, base: &str) -> Option<String>;
    /// For services whose contract KOMBIT publishes (and sfstub does not ship): which WSDL of
    /// a vendor's contract folder (`--contracts DIR`) to serve at `?wsdl`.
    fn official(&self) -> Option<crate::contracts::Official> {
        None
    }
}
