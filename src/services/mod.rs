//! The SF services sfstub serves. Every service has the same shape: parse the typed request
//! from the operation element, identify the caller, apply the rules to the world, and render
//! the typed response — plus the contract (WSDL/XSD) it publishes.

pub mod k2017;
pub mod sf1472_kontrolsag;

use chrono::{DateTime, Utc};

use crate::soap::{Envelope, Fault};
use crate::world::World;

/// What a service call needs besides the request.
pub struct Context<'a> {
    pub world: &'a World,
    /// The instant of the call under the world's clock.
    pub now: DateTime<Utc>,
}

/// A short account of a call, for the request log.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub caller: Option<String>,
    pub outcome: String,
}

/// One served SF service.
pub trait Service: Send + Sync {
    /// The name shown in the banner and logs, e.g. `SF1472 KontrolsagListeHent`.
    fn title(&self) -> &'static str;
    /// The URL paths it answers on; the first is the canonical one.
    fn paths(&self) -> &[&'static str];
    /// Answers one request: writes the Body's content into `out` (the envelope is written
    /// around it) or returns a fault.
    fn call(&self, ctx: &Context<'_>, envelope: &Envelope, body: &[u8], out: &mut Vec<u8>) -> Result<Summary, Fault>;
    /// A contract document: `None` asks for the WSDL, `Some(name)` for an XSD it imports.
    /// `base` is the absolute URL of the endpoint, for the addresses inside.
    fn contract(&self, document: Option<&str>, base: &str) -> Option<String>;
}
