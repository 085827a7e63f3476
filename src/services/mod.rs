//! The SF services sfstub serves. Every service has the same shape: parse the typed request
//! from the operation element, identify the caller, apply the rules to the world, and render
//! the typed response — plus the contract (WSDL/XSD) it publishes.

pub mod catalogue;
pub mod k2017;
pub mod like;
pub mod serviceplatformen;
pub mod sf1472_kontrolsag;
pub mod sf1500_organisation;
pub mod sf1510_klassifikation;
pub mod sf1514_rest;
pub mod sf1514_sts;
pub mod sf1520_cpr;
pub mod stoettesystem;

use chrono::{DateTime, Utc};

use crate::security::{Guard, Presented};
use crate::soap::addressing::SOAP_FAULT_ACTION;
use crate::soap::{Body, Envelope, Fault, SoapVersion};
use crate::world::World;

/// What a service call needs besides the request.
pub struct Context<'a> {
    pub world: &'a World,
    /// The instant of the call under the world's clock: business dates ("today") only.
    /// Timestamps and tokens use the security clock, [`Guard::now`](crate::security::Guard).
    pub now: DateTime<Utc>,
    /// Security: token checks, the caller, service agreements.
    pub guard: &'a Guard<'a>,
    /// What the journal learns from the call: the CPR number asked about, the IDs returned,
    /// a refusal's codes.
    pub trace: &'a crate::journal::Trace,
}

/// A short account of a call, for the request log, and how to wrap its answer.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub caller: Option<String>,
    /// What became of the call, for the request log and the journal: a text made for it, or
    /// one of a service's fixed texts (borrowed: no allocation a request).
    pub outcome: std::borrow::Cow<'static, str>,
    /// Sign the response (token model): `None` sends a plain envelope.
    pub signing: Option<ResponseSigning>,
    /// SOAP Header content for the response (raw XML, e.g. an echoed
    /// `RequestHeader/TransactionUUID`), declaring its own namespaces.
    pub header: Option<String>,
}

/// How a response is signed. Its WS-Addressing headers (when the request used WS-Addressing)
/// are signed with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSigning {
    pub by: Signer,
}

impl ResponseSigning {
    /// How a token-model request's response is signed: by the service key. `None` when no
    /// token was presented.
    pub fn for_token(presented: &Presented) -> Option<ResponseSigning> {
        presented
            .token
            .as_ref()
            .map(|_| ResponseSigning { by: Signer::Service })
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
    /// around it) or returns a fault. `body` is the request the envelope was read from (with
    /// the proof of its character check, when the envelope reader made one: see [`Body`]).
    fn call(&self, ctx: &Context<'_>, envelope: &Envelope, body: Body<'_>, out: &mut Vec<u8>)
    -> Result<Summary, Fault>;
    /// The SOAP versions the service's contract binds, the one to answer a mismatch in first.
    /// With `--soap-version strict` (the default in `strict` security) others are refused.
    fn soap_versions(&self) -> &'static [SoapVersion] {
        &[SoapVersion::V12, SoapVersion::V11]
    }
    /// The `wsa:Action` of the answer to `envelope`'s operation, as the contract says (its
    /// explicit `wsam:Action`, or the WS-Addressing default action of the output message),
    /// for requests that use WS-Addressing.
    fn reply_action(&self, envelope: &Envelope) -> String;
    /// The `wsa:Action` of a fault answering `envelope`: the generic SOAP fault action unless
    /// the contract declares the fault.
    fn fault_action(&self, _envelope: &Envelope) -> String {
        SOAP_FAULT_ACTION.to_owned()
    }
    /// A contract document: `None` asks for the WSDL, `Some(name)` for an XSD it imports.
    /// `base` is the absolute URL of the endpoint, for the addresses inside.
    fn contract(&self, document: Option<&str>, base: &str) -> Option<String>;
    /// For services whose contract KOMBIT publishes: the shipped WSDL(s) served at `?wsdl`,
    /// and which file of a vendor's contract folder (`--contracts DIR`) replaces them.
    fn official(&self) -> Option<crate::contracts::Official> {
        None
    }
    /// For services served from a contract in a user's folder (a scenario's `contracts:`):
    /// the contract's files, served at `?wsdl` and `?file=`.
    fn documents(&self) -> Option<&crate::contracts::Documents> {
        None
    }
    /// The compiled contract the service answers from, for checks of requests against its
    /// schema (request conformance, [`crate::conformance::schema`]); `None` when the service
    /// has none compiled. A service served from a contract (the contract engine) returns the
    /// one it loaded: its requests' operation elements are then validated against it exactly
    /// as the built-in services' are against theirs (which sfstub compiles itself, in
    /// [`crate::app::Loaded::new`]). Compile it once, when the service is built: this is
    /// called for every request.
    fn schema(&self) -> Option<&crate::xsd::Contract> {
        None
    }
    /// The operation of [`Service::schema`] that `envelope` calls (by its SOAPAction, else
    /// its Body element), when the service knows it; `None` lets conformance find it by the
    /// Body element's name.
    fn schema_operation(&self, _envelope: &Envelope) -> Option<&crate::xsd::Operation> {
        None
    }
    /// True for services of KOMBIT's 2017 generation, whose errors are `SvarReaktion/Fejl`.
    fn k2017(&self) -> bool {
        false
    }
    /// For K2017 services: writes the operation's answer to `envelope` with `fejl` in its
    /// `HovedOplysningerSvar` and nothing else (what a fault rule's `fejl` effect sends), into
    /// `out` as [`Service::call`] does. A fault when the request has no readable
    /// `HovedOplysninger` to echo, or the service is not K2017.
    fn fejl_answer(
        &self,
        envelope: &Envelope,
        _body: &[u8],
        _fejl: &[k2017::Fejl],
        _out: &mut Vec<u8>,
    ) -> Result<(), Fault> {
        Err(Fault::receiver(
            envelope.version,
            format!("{} answers no K2017 Fejl", self.title()),
        ))
    }
}
