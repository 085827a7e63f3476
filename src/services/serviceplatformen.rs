//! The Serviceplatformen generation's conventions (SOAP 1.1 wrappers such as
//! `PersonLookupRequest`), shared by SF1520 and every contract of that generation sfstub
//! serves from its WSDL: the context security model — `AuthorityContext/MunicipalityCVR` or an
//! `InvocationContext` inside the request wrapper — beside the token model, and errors as a
//! SOAP fault whose detail is a `ServiceplatformFault/ErrorList/Error{ErrorCode, ErrorText}`.

use super::Context;
use crate::clip::clip;
use crate::security::Presented;
use crate::soap::xml::{Leaf, Leaves, escape};
use crate::soap::{Fault, SoapVersion};

/// The namespace of the Serviceplatformen fault detail.
pub const FAULT_NS: &str = "http://serviceplatformen.dk/xml/schemas/ServiceplatformFault/1/";

/// The `ErrorCode`s of the platform's own refusals (the platform's codes are not public;
/// sfstub's are names).
pub mod error_code {
    /// An `AuthorityContext` without `MunicipalityCVR`.
    pub const AUTHORITY_CONTEXT_INVALID: &str = "AUTHORITY_CONTEXT_INVALID";
    /// An `InvocationContext` field missing or not a lowercase UUID.
    pub const INVOCATION_CONTEXT_INVALID: &str = "INVOCATION_CONTEXT_INVALID";
    /// Neither a token nor a context.
    pub const SECURITY_MODEL_MISSING: &str = "SECURITY_MODEL_MISSING";
    /// The token was refused (`token` and `strict` modes).
    pub const TOKEN_REJECTED: &str = "TOKEN_REJECTED";
    /// The CVR of the context or token is not a CVR number.
    pub const CALLER_INVALID: &str = "CALLER_INVALID";
    /// No service agreement lets the caller use the service (the reason starts the same way,
    /// as clients match on it).
    pub const SERVICE_AGREEMENT_NOT_FOUND: &str = "ServiceAgreementNotFound";
    /// A Body element the service does not know.
    pub const OPERATION_UNKNOWN: &str = "OPERATION_UNKNOWN";
    /// A request that cannot be read.
    pub const REQUEST_INVALID: &str = "REQUEST_INVALID";
}

/// The `ServiceplatformFault` detail listing errors (code, text).
pub fn fault_detail(errors: &[(&str, String)]) -> String {
    let mut s = format!("<ServiceplatformFault xmlns=\"{FAULT_NS}\"><ErrorList>");
    for (code, text) in errors {
        s.push_str(&format!(
            "<Error><ErrorCode>{}</ErrorCode><ErrorText>{}</ErrorText></Error>",
            escape(code),
            escape(text)
        ));
    }
    s.push_str("</ErrorList></ServiceplatformFault>");
    s
}

/// A Client (Sender) fault with a `ServiceplatformFault` detail holding one error.
pub fn fault(version: SoapVersion, code: &str, text: impl Into<String>) -> Fault {
    let text = text.into();
    let detail = fault_detail(&[(code, text.clone())]);
    with_detail(Fault::sender(version, text), detail)
}

/// A fault from shared code (security) with the `ServiceplatformFault` detail every fault of
/// this generation has; a fault that already has a detail is kept.
pub fn as_platform_fault(fault: Fault, code: &str) -> Fault {
    if fault.detail.is_some() {
        return fault;
    }
    let detail = fault_detail(&[(code, fault.reason.clone())]);
    with_detail(fault, detail)
}

/// The fault with this detail.
pub fn with_detail(mut fault: Fault, detail: String) -> Fault {
    fault.detail = Some(detail);
    fault
}

/// The four UUIDs of an `InvocationContext`, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvocationContext {
    pub service_agreement: Option<String>,
    pub user_system: Option<String>,
    pub user: Option<String>,
    pub service: Option<String>,
}

impl InvocationContext {
    /// The problems of the context, one text per field: each UUID is required and must be
    /// lowercase, as `InvocationContext_1.xsd` says.
    pub fn problems(&self) -> Vec<String> {
        [
            ("ServiceAgreementUUID", &self.service_agreement),
            ("UserSystemUUID", &self.user_system),
            ("UserUUID", &self.user),
            ("ServiceUUID", &self.service),
        ]
        .into_iter()
        .filter_map(|(name, value)| match value.as_deref() {
            None | Some("") => Some(format!("InvocationContext/{name} is missing")),
            Some(v) if !is_lowercase_uuid(v) => Some(format!(
                "InvocationContext/{name} {v:?} is not a UUID in lowercase (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                v = clip(v)
            )),
            Some(_) => None,
        })
        .collect()
    }
}

fn is_lowercase_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// The context elements of a request wrapper, as sent (matched by local names, directly
/// below the wrapper).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contexts {
    /// True when the request holds an `AuthorityContext` element.
    pub authority_context: bool,
    pub municipality_cvr: Option<String>,
    pub invocation_context: Option<InvocationContext>,
}

impl Contexts {
    /// Reads one leaf of the wrapper; false when it is no context element.
    pub fn read(&mut self, leaf: &Leaf<'_>) -> bool {
        let text = || Some(leaf.text.to_owned()).filter(|t| !t.is_empty());
        let (head, tail) = leaf.path.split_once('/').unwrap_or((leaf.path, ""));
        match (head, tail) {
            ("AuthorityContext", field) => {
                self.authority_context = true;
                if field == "MunicipalityCVR" && self.municipality_cvr.is_none() {
                    self.municipality_cvr = text();
                }
                true
            }
            ("InvocationContext", field) => {
                let ctx = self.invocation_context.get_or_insert_with(Default::default);
                let slot = match field {
                    "ServiceAgreementUUID" => &mut ctx.service_agreement,
                    "UserSystemUUID" => &mut ctx.user_system,
                    "UserUUID" => &mut ctx.user,
                    "ServiceUUID" => &mut ctx.service,
                    _ => return true,
                };
                if slot.is_none() {
                    *slot = text();
                }
                true
            }
            _ => false,
        }
    }

    /// The contexts among a wrapper's leaves.
    pub fn from_leaves(leaves: &Leaves) -> Contexts {
        let mut contexts = Contexts::default();
        for leaf in leaves {
            contexts.read(&leaf);
        }
        contexts
    }
}

/// The security models a service of this generation supports, as the platform lists them in
/// its "Security model … not provided" fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Models {
    /// Whether the request wrapper admits an `InvocationContext`.
    pub invocation_context: bool,
}

impl Models {
    /// The platform's text for a call that presents none of them.
    pub fn missing(self) -> String {
        if self.invocation_context {
            "Security model for the called operation was not provided. The following are supported: \
             [KombitToken, AuthorityContext, InvocationContext] (put the caller's CVR in \
             AuthorityContext/MunicipalityCVR, send an InvocationContext, or send a token from sfstub's STS)"
                .to_owned()
        } else {
            "Security model for the called operation was not provided. The following are supported: \
             [KombitToken, AuthorityContext] (put the caller's CVR in AuthorityContext/MunicipalityCVR, \
             or send a token from sfstub's STS)"
                .to_owned()
        }
    }
}

/// Who is calling a service of this generation, as a CVR number, or `None` for an
/// `InvocationContext` call in `off` mode (four UUIDs naming a service agreement on the real
/// platform; sfstub has no such agreements, so a well-formed one is accepted without a
/// caller). Every refusal is a fault with a `ServiceplatformFault` detail.
pub fn caller(
    ctx: &Context<'_>,
    version: SoapVersion,
    presented: &Presented,
    contexts: &Contexts,
    entity_id: &str,
    models: Models,
) -> Result<Option<String>, Fault> {
    if contexts.authority_context && contexts.municipality_cvr.is_none() {
        return Err(fault(
            version,
            error_code::AUTHORITY_CONTEXT_INVALID,
            "AuthorityContext has no MunicipalityCVR: put the calling authority's CVR number (8 digits) in it",
        ));
    }
    if let Some(invocation) = &contexts.invocation_context {
        let problems = invocation.problems();
        if !problems.is_empty() {
            let errors: Vec<(&str, String)> = problems
                .iter()
                .map(|p| (error_code::INVOCATION_CONTEXT_INVALID, p.clone()))
                .collect();
            return Err(with_detail(
                Fault::sender(version, problems.join("; ")),
                fault_detail(&errors),
            ));
        }
    }
    let caller = ctx
        .guard
        .optional_caller(version, presented, contexts.municipality_cvr.as_deref(), entity_id)
        .map_err(|f| {
            let code = if f.reason.starts_with("ServiceAgreementNotFound") {
                error_code::SERVICE_AGREEMENT_NOT_FOUND
            } else {
                error_code::CALLER_INVALID
            };
            as_platform_fault(f, code)
        })?;
    if let Some(caller) = caller {
        return Ok(Some(caller.cvr.to_string()));
    }
    if contexts.invocation_context.is_some() {
        return Ok(None);
    }
    Err(fault(version, error_code::SECURITY_MODEL_MISSING, models.missing()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_lists_every_error_escaped() {
        let d = fault_detail(&[("A", "x<y".into()), ("B", "z".into())]);
        assert!(d.contains("<Error><ErrorCode>A</ErrorCode><ErrorText>x&lt;y</ErrorText></Error>"));
        assert!(d.contains("<ErrorCode>B</ErrorCode>"));
    }

    #[test]
    fn contexts_are_read_by_local_names() {
        let mut leaves = Leaves::default();
        leaves.push("AuthorityContext/MunicipalityCVR", None, "29189846");
        leaves.push("InvocationContext", Some("UserUUID"), "x");
        leaves.push("PNR", None, "1");
        let c = Contexts::from_leaves(&leaves);
        assert!(c.authority_context);
        assert_eq!(c.municipality_cvr.as_deref(), Some("29189846"));
        assert_eq!(c.invocation_context.unwrap().problems().len(), 4);
    }
}
