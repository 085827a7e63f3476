//! SF1520 "CPR replika opslag": PersonBaseDataExtended, operation `PersonLookup`, versions 4
//! and 5 (Serviceplatformen generation, SOAP 1.1; SOAP 1.2 is answered in kind).
//!
//! A lookup returns the synthetic citizen of the world with that CPR number: name and home
//! municipality as the world has them, birth date and sex from the number, and what CPR knows
//! beyond that — civil status, address, relations — from the register derived once when the
//! service is prepared ([`registry`]). An unknown number is a `ServiceplatformFault` whose
//! text contains `PNR not found`, as the platform says.
//!
//! Security: the token model, or the context model with `AuthorityContext/MunicipalityCVR`
//! (judged by [`crate::security::Guard::caller`]) or `InvocationContext` (four UUIDs that name
//! a service agreement on the real platform; sfstub has no such agreements, so in `off` mode a
//! well-formed InvocationContext is accepted without a caller).

mod places;
pub mod registry;
pub mod render;

use std::sync::Arc;

use super::{Context, ResponseSigning, Service, Summary};
use crate::clip::clip;
use crate::contracts::{Official, Variant};
use crate::security::Presented;
use crate::soap::addressing::{default_action, default_fault_action};
use crate::soap::xml::leaf_texts;
use crate::soap::{Body, Envelope, Fault, SoapVersion};
use crate::world::{Cpr, World};
use registry::Registry;

use super::serviceplatformen::{self, Contexts, Models, as_platform_fault, fault as sp_fault};
pub use super::serviceplatformen::{FAULT_NS, InvocationContext};
pub use render::{danish_offset, xs_date, xs_date_time};

/// The request element's local name.
pub const OPERATION: &str = "PersonLookupRequest";
/// The entity ID (token audience) of version 4.
pub const ENTITY_ID_V4: &str = "http://cpr.serviceplatformen.dk/service/personbasedataextended/4";
/// The entity ID (token audience) of version 5.
pub const ENTITY_ID_V5: &str = "http://cpr.serviceplatformen.dk/service/personbasedataextended/5";
/// The path of version 4, as on Serviceplatformen.
pub const PATH_V4: &str = "/service/CPR/PersonBaseDataExtended/4";
/// The path of version 5.
pub const PATH_V5: &str = "/service/CPR/PersonBaseDataExtended/5";
/// The target namespace of version 4's messages.
pub const NAMESPACE_V4: &str = "http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/";
/// The target namespace of version 5's messages (same types as version 4).
pub const NAMESPACE_V5: &str = "http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/5/";
/// The context WSDL (served in `off` mode) and the token WSDL (otherwise), shipped in
/// `contracts/`; version 5 is served derived from them.
const CONTRACT_VARIANTS: [Variant; 2] = [
    Variant {
        name: "context",
        shipped: "sf1520-personbasedataextended-v4/wsdl/context/PersonBaseDataExtendedService.wsdl",
        vendor: &[
            "wsdl/context/PersonBaseDataExtendedService.wsdl",
            "PersonBaseDataExtendedService.wsdl",
        ],
    },
    Variant {
        name: "token",
        shipped: "sf1520-personbasedataextended-v4/wsdl/token/PersonBaseDataExtendedService.wsdl",
        vendor: &[
            "wsdl/token/PersonBaseDataExtendedService.wsdl",
            "PersonBaseDataExtendedService.wsdl",
        ],
    },
];
/// Where vendors get the contract (for `--contracts`).
const ORIGIN: &str = "KOMBIT's service contract for SF1520 PersonBaseDataExtended (v4 or v5: wsdl/token and \
     wsdl/context with PersonBaseDataExtendedServiceMsg.xsd, xsd/ and sp/), from the Serviceplatformen \
     administration module or digitaliseringskataloget.dk";

/// The port type of KOMBIT's WSDL (for the WS-Addressing default actions).
pub const PORT_TYPE: &str = "PersonBaseDataExtendedPortType";

/// Version 4's ServiceUUID (`sp/service.properties` of the contract).
pub const SERVICE_UUID_V4: &str = "e6be2436-bf35-4df2-83fe-925142825dc2";

/// The `ErrorCode`s sfstub writes in `ServiceplatformFault/ErrorList/Error` (the platform's
/// own codes are not public).
pub mod error_code {
    pub const PNR_MISSING: &str = "PNR_MISSING";
    pub const PNR_INVALID: &str = "PNR_INVALID";
    pub const PNR_NOT_FOUND: &str = "PNR_NOT_FOUND";
    pub use crate::services::serviceplatformen::error_code::*;
}

/// The served versions; they differ only in path, entity ID and namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V4,
    V5,
}

impl Version {
    pub fn entity_id(self) -> &'static str {
        match self {
            Version::V4 => ENTITY_ID_V4,
            Version::V5 => ENTITY_ID_V5,
        }
    }

    pub fn namespace(self) -> &'static str {
        match self {
            Version::V4 => NAMESPACE_V4,
            Version::V5 => NAMESPACE_V5,
        }
    }
}

const PATHS_V4: [&str; 1] = [PATH_V4];
const PATHS_V5: [&str; 1] = [PATH_V5];

/// A parsed `PersonLookupRequest`. Fields are kept as sent; [`PersonBaseDataExtended`]
/// judges them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The context elements (the context security model).
    pub contexts: Contexts,
    pub pnr: Option<String>,
}

impl Request {
    /// Reads the request from the operation element's bytes, by local names.
    pub fn parse(xml: &[u8], version: SoapVersion) -> Result<Request, Fault> {
        let leaves = leaf_texts(xml).map_err(|e| sp_fault(version, error_code::REQUEST_INVALID, e))?;
        let mut request = Request::default();
        for leaf in &leaves {
            if request.contexts.read(&leaf) {
                continue;
            }
            if leaf.path == "PNR" && request.pnr.is_none() {
                request.pnr = Some(leaf.text.to_owned());
            }
        }
        Ok(request)
    }
}

/// The service for one version, sharing the register with the other.
pub struct PersonBaseDataExtended {
    version: Version,
    registry: Arc<Registry>,
}

impl PersonBaseDataExtended {
    /// Prepares one version for a world.
    pub fn new(world: &World, version: Version) -> PersonBaseDataExtended {
        PersonBaseDataExtended {
            version,
            registry: Arc::new(Registry::derive(world)),
        }
    }

    /// Versions 4 and 5, prepared once for a world: what the app registers.
    pub fn services(world: &World) -> Vec<Box<dyn Service>> {
        PersonBaseDataExtended::services_with(Arc::new(Registry::derive(world)))
    }

    /// Versions 4 and 5 over a register derived already (shared with the services that name
    /// citizens' addresses).
    pub fn services_with(registry: Arc<Registry>) -> Vec<Box<dyn Service>> {
        [Version::V4, Version::V5]
            .into_iter()
            .map(|version| {
                Box::new(PersonBaseDataExtended {
                    version,
                    registry: Arc::clone(&registry),
                }) as Box<dyn Service>
            })
            .collect()
    }

    /// The namespace of the answer: the request's when it is one of the versions', so a
    /// client generated from the v4 contract can call /5 and the other way round.
    fn answer_namespace<'a>(&'a self, envelope: &'a Envelope) -> &'a str {
        match envelope.operation.namespace.as_deref() {
            Some(ns) if ns == NAMESPACE_V4 || ns == NAMESPACE_V5 => ns,
            _ => self.version.namespace(),
        }
    }

    /// The derived CPR register.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Who is calling, as a CVR number, or `None` for an `InvocationContext` call in `off`
    /// mode.
    fn caller(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        presented: &Presented,
        request: &Request,
    ) -> Result<Option<String>, Fault> {
        serviceplatformen::caller(
            ctx,
            envelope.version,
            presented,
            &request.contexts,
            self.version.entity_id(),
            Models {
                invocation_context: true,
            },
        )
    }
}

/// Judges the PNR: a fault naming what is wrong, or the CPR number.
fn judge_pnr(version: SoapVersion, pnr: Option<&str>) -> Result<Cpr, Fault> {
    let text = match pnr.map(str::trim) {
        None | Some("") => {
            return Err(sp_fault(
                version,
                error_code::PNR_MISSING,
                "PNR is missing: PersonLookupRequest needs the person's CPR number (10 digits, DDMMYYSSSS)",
            ));
        }
        Some(t) => t,
    };
    if text.len() != 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(sp_fault(
            version,
            error_code::PNR_INVALID,
            format!(
                "PNR {text:?} is not valid: a CPR number is 10 digits (DDMMYYSSSS) without a hyphen",
                text = clip(text)
            ),
        ));
    }
    Cpr::parse(text, true).map_err(|e| {
        sp_fault(
            version,
            error_code::PNR_INVALID,
            format!("PNR {text:?} is not valid: {e}", text = clip(text)),
        )
    })
}

impl Service for PersonBaseDataExtended {
    fn title(&self) -> &'static str {
        match self.version {
            Version::V4 => "SF1520 CPR replika opslag v4",
            Version::V5 => "SF1520 CPR replika opslag v5",
        }
    }

    fn paths(&self) -> &[&'static str] {
        match self.version {
            Version::V4 => &PATHS_V4,
            Version::V5 => &PATHS_V5,
        }
    }

    fn entity_id(&self) -> &'static str {
        self.version.entity_id()
    }

    fn call(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        body: Body<'_>,
        out: &mut Vec<u8>,
    ) -> Result<Summary, Fault> {
        let op = &envelope.operation;
        if op.local_name != OPERATION {
            return Err(sp_fault(
                envelope.version,
                error_code::OPERATION_UNKNOWN,
                format!(
                    "unknown operation {}: this endpoint serves PersonLookup ({OPERATION})",
                    clip(&op.local_name)
                ),
            ));
        }
        let presented = ctx
            .guard
            .inspect(
                envelope.version,
                body,
                envelope.security_header,
                self.version.entity_id(),
            )
            .map_err(|f| as_platform_fault(f, error_code::TOKEN_REJECTED))?;
        let request = Request::parse(&body[op.range.clone()], envelope.version)?;
        if let Some(pnr) = &request.pnr {
            ctx.trace.cpr(pnr);
        }
        let caller = self.caller(ctx, envelope, &presented, &request)?;
        let cpr = judge_pnr(envelope.version, request.pnr.as_deref())?;
        let Some((id, _)) = self.registry.lookup(ctx.world, cpr) else {
            return Err(sp_fault(
                envelope.version,
                error_code::PNR_NOT_FOUND,
                format!(
                    "PNR not found: no person with PNR {cpr} in sfstub's world (scenario {:?}); sfstub generate lists its citizens",
                    ctx.world.name
                ),
            ));
        };
        let namespace = self.answer_namespace(envelope);
        render::person_lookup_response(out, namespace, ctx.world, &self.registry, id, ctx.now.date_naive());
        let signing = ResponseSigning::for_token(&presented);
        let model = match (&caller, &request.contexts.invocation_context) {
            (None, Some(inv)) => format!(
                " (InvocationContext, service agreement {})",
                inv.service_agreement.as_deref().unwrap_or("-")
            ),
            _ => String::new(),
        };
        Ok(Summary {
            caller,
            outcome: format!("person found{model}").into(),
            signing,
            header: None,
        })
    }

    /// SOAP 1.1 only, as the Serviceplatformen contract binds.
    fn soap_versions(&self) -> &'static [SoapVersion] {
        &[SoapVersion::V11]
    }

    /// The default action of `PersonLookup`'s output in KOMBIT's WSDL (it names none), in the
    /// namespace the answer uses.
    fn reply_action(&self, envelope: &Envelope) -> String {
        default_action(self.answer_namespace(envelope), PORT_TYPE, "PersonLookupResponse")
    }

    /// Every SF1520 fault carries the `ServiceplatformFault` the WSDL declares.
    fn fault_action(&self, envelope: &Envelope) -> String {
        default_fault_action(
            self.answer_namespace(envelope),
            PORT_TYPE,
            "PersonLookup",
            "ServiceplatformFault",
        )
    }

    fn contract(&self, _document: Option<&str>, _base: &str) -> Option<String> {
        None
    }

    fn official(&self) -> Option<Official> {
        Some(Official {
            variants: &CONTRACT_VARIANTS,
            origin: ORIGIN,
            derive: match self.version {
                Version::V4 => None,
                Version::V5 => Some(("/CPR/PersonBaseDataExtended/4", "/CPR/PersonBaseDataExtended/5")),
            },
        })
    }
}
