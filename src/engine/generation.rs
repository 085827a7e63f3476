//! Which of the platform's generations a contract belongs to, read from the contract itself,
//! and what that means for a served operation: the skeleton's conventions, who the caller
//! is, the header echo and the shape of a refusal. The conventions themselves are the ones the
//! hand-written services use ([`crate::services::k2017`], [`crate::services::stoettesystem`],
//! [`crate::services::serviceplatformen`]).

use super::paths;
use super::skeleton::Conventions;
use crate::services::serviceplatformen::{self, Models};
use crate::services::{k2017, stoettesystem};
use crate::soap::{Fault, SoapVersion};
use crate::xsd::Contract;

/// A contract's generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Serviceplatformen (SOAP 1.1 wrappers): the context model (`AuthorityContext`,
    /// `InvocationContext` in the request wrapper) beside tokens; `ServiceplatformFault`.
    Serviceplatformen(Models),
    /// The støttesystem v6 style: `RequestHeader` echoed, `StandardRetur` in every output,
    /// tokens only.
    Stoettesystem,
    /// K2017: `HovedOplysninger` in, `HovedOplysningerSvar` (with `SvarReaktion`) out.
    K2017,
    /// None of them: plain SOAP faults, tokens if sent.
    Plain,
}

impl Generation {
    /// Reads the generation from the contract's messages.
    pub fn detect(contract: &Contract) -> Generation {
        let set = &contract.schema;
        let children_of = |q: &crate::xsd::QName| -> Vec<String> {
            set.global_element(q)
                .map(|id| {
                    paths::children(set, id)
                        .into_iter()
                        .map(|c| set.element(c).name.local.clone())
                        .collect()
                })
                .unwrap_or_default()
        };
        let ops = contract.operations();
        let inputs: Vec<Vec<String>> = ops
            .iter()
            .filter_map(|o| o.input.as_ref()?.body.first())
            .map(children_of)
            .collect();
        let outputs: Vec<Vec<String>> = ops
            .iter()
            .filter_map(|o| o.output.as_ref()?.body.first())
            .map(children_of)
            .collect();
        let any_input = |name: &str| inputs.iter().any(|c| c.iter().any(|n| n == name));
        let any_output = |name: &str| outputs.iter().any(|c| c.iter().any(|n| n == name));
        if any_input("HovedOplysninger") || any_output("HovedOplysningerSvar") {
            return Generation::K2017;
        }
        let request_header = ops.iter().any(|o| {
            o.input
                .as_ref()
                .is_some_and(|i| i.headers.iter().any(|h| h.ns == stoettesystem::REQUEST_HEADER_NS))
        });
        if request_header || any_output("StandardRetur") {
            return Generation::Stoettesystem;
        }
        let sp_fault = ops.iter().any(|o| {
            o.faults
                .iter()
                .any(|f| f.element.as_ref().is_some_and(|e| e.ns == serviceplatformen::FAULT_NS))
        });
        if any_input("AuthorityContext") || any_input("InvocationContext") || any_input("CallContext") || sp_fault {
            return Generation::Serviceplatformen(Models {
                invocation_context: any_input("InvocationContext"),
            });
        }
        Generation::Plain
    }

    /// Its name, for the banner and messages.
    pub fn name(self) -> &'static str {
        match self {
            Generation::Serviceplatformen(_) => "Serviceplatformen",
            Generation::Stoettesystem => "støttesystem v6",
            Generation::K2017 => "K2017",
            Generation::Plain => "plain SOAP",
        }
    }

    /// What the generation's skeletons carry.
    pub fn conventions(self) -> Conventions {
        match self {
            Generation::Stoettesystem => Conventions {
                preferred: vec![
                    ("StandardRetur", "StatusKode", "20"),
                    ("StandardRetur", "FejlbeskedTekst", "OK"),
                ],
                echoes: Vec::new(),
                include: vec!["StandardRetur", "FejlbeskedTekst"],
            },
            Generation::K2017 => Conventions {
                preferred: Vec::new(),
                echoes: vec![
                    (
                        "HovedOplysningerSvar",
                        "TransaktionsId",
                        "HovedOplysninger/TransaktionsId",
                    ),
                    (
                        "HovedOplysningerSvar",
                        "TransaktionsTid",
                        "HovedOplysninger/TransaktionsTid",
                    ),
                ],
                include: Vec::new(),
            },
            _ => Conventions::default(),
        }
    }

    /// A refusal of the request in the generation's shape: a `ServiceplatformFault` on
    /// Serviceplatformen, a plain Sender fault elsewhere.
    pub fn refusal(self, version: SoapVersion, code: &str, reason: impl Into<String>) -> Fault {
        match self {
            Generation::Serviceplatformen(_) => serviceplatformen::fault(version, code, reason),
            _ => Fault::sender(version, reason),
        }
    }

    /// A fault from shared code (security) in the generation's shape.
    pub fn adopt(self, fault: Fault, code: &str) -> Fault {
        match self {
            Generation::Serviceplatformen(_) => serviceplatformen::as_platform_fault(fault, code),
            _ => fault,
        }
    }
}

/// Reads the K2017 `HovedOplysninger` of a request (a Sender fault when it is missing or
/// malformed, as the hand-written K2017 services answer).
pub use k2017::HovedOplysninger;
