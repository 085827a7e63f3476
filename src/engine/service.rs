//! A contract served: dispatch by SOAPAction (the HTTP header, or `action=` of the SOAP 1.2
//! Content-Type), falling back to the Body's element; the caller judged as the contract's
//! generation judges it; the first rule that applies answers, else the operation's skeleton;
//! and every answer validated against the contract before it is sent — an invalid one is a
//! Receiver fault naming where it came from, and an error in the log.

use std::sync::Arc;

use super::generation::{Generation, HovedOplysninger};
use super::prepare::{Prepared, PreparedOp};
use super::rules::{self, Answer, Bound, Rule};
use super::template::{self, Piece, Scope};
use super::world::Lookup;
use crate::clip::clip;
use crate::contracts::Documents;
use crate::services::serviceplatformen::{self, error_code};
use crate::services::sf1520_cpr::registry::Registry;
use crate::services::{Context, ResponseSigning, Service, Summary, stoettesystem};
use crate::soap::addressing::SOAP_FAULT_ACTION;
use crate::soap::xml::leaf_texts;
use crate::soap::{Body, Envelope, Fault, ResponseAddressing, SoapVersion};
use crate::world::Cvr;

/// How many findings a refusal of an invalid answer lists.
const SHOWN_FINDINGS: usize = 5;

/// A contract served over the world.
pub struct ContractService {
    prepared: Arc<Prepared>,
    registry: Arc<Registry>,
}

impl ContractService {
    /// The service for a prepared contract, naming citizens' addresses from `registry`.
    pub fn new(prepared: Arc<Prepared>, registry: Arc<Registry>) -> ContractService {
        ContractService { prepared, registry }
    }

    /// The prepared contract.
    pub fn prepared(&self) -> &Prepared {
        &self.prepared
    }

    /// The operation a request calls, or the generation's fault saying why there is none.
    pub fn dispatch(&self, envelope: &Envelope) -> Result<&PreparedOp, Fault> {
        let contract = &self.prepared.contract;
        let version = envelope.version;
        let op = &envelope.operation;
        let ns = op.namespace.as_deref().unwrap_or("");
        let by_action = envelope.action.as_deref().and_then(|a| contract.operation_by_action(a));
        let by_body = contract.find_operation(Some(version), None, Some((ns, &op.local_name)));
        let found = match (by_action, by_body) {
            (Some(a), Some(b)) if a.name != b.name || a.port_type != b.port_type => {
                let expected = a
                    .input
                    .as_ref()
                    .and_then(|i| i.body.first())
                    .map_or(String::new(), |q| q.local.clone());
                return Err(self.prepared.generation.refusal(
                    version,
                    error_code::OPERATION_UNKNOWN,
                    format!(
                        "the SOAPAction {:?} names the operation {} (request element <{expected}>), but the Body holds <{}>, the request of {}",
                        clip(envelope.action.as_deref().unwrap_or("")),
                        a.name,
                        clip(&op.local_name),
                        b.name
                    ),
                ));
            }
            (_, Some(b)) => b,
            (Some(a), None) => {
                let expected = a
                    .input
                    .as_ref()
                    .and_then(|i| i.body.first())
                    .map_or(String::new(), |q| q.to_string());
                return Err(self.prepared.generation.refusal(
                    version,
                    error_code::OPERATION_UNKNOWN,
                    format!(
                        "the SOAPAction {:?} names the operation {}, whose request is {expected}; the Body holds <{}>{}, which no operation of this contract takes",
                        clip(envelope.action.as_deref().unwrap_or("")),
                        a.name,
                        clip(&op.local_name),
                        if ns.is_empty() { String::new() } else { format!(" in {}", clip(ns)) }
                    ),
                ));
            }
            (None, None) => return Err(self.unknown(envelope)),
        };
        let index = contract
            .operations()
            .iter()
            .position(|o| std::ptr::eq(o, found))
            .unwrap_or(0);
        self.prepared
            .operations
            .iter()
            .find(|p| p.index == index)
            .ok_or_else(|| self.unknown(envelope))
    }

    fn unknown(&self, envelope: &Envelope) -> Fault {
        let op = &envelope.operation;
        let mut served: Vec<String> = self
            .prepared
            .operations
            .iter()
            .map(|o| format!("{} (<{}>)", o.name, o.input_local.as_deref().unwrap_or("")))
            .collect();
        served.dedup();
        self.prepared.generation.refusal(
            envelope.version,
            error_code::OPERATION_UNKNOWN,
            format!(
                "unknown operation <{}>{}: this endpoint ({}) serves {}",
                clip(&op.local_name),
                op.namespace
                    .as_deref()
                    .map_or(String::new(), |n| format!(" in {}", clip(n))),
                self.prepared.title,
                served.join(", ")
            ),
        )
    }

    /// The caller (a CVR), judged as the contract's generation judges it.
    fn caller(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        presented: &crate::security::Presented,
        leaves: &crate::soap::xml::Leaves,
    ) -> Result<Option<String>, Fault> {
        let version = envelope.version;
        let entity_id = self.prepared.entity_id;
        match self.prepared.generation {
            Generation::Serviceplatformen(models) => {
                let contexts = serviceplatformen::Contexts::from_leaves(leaves);
                serviceplatformen::caller(ctx, version, presented, &contexts, entity_id, models)
            }
            Generation::K2017 => {
                let hoved = HovedOplysninger::from_leaves(leaves, version, ctx.guard)?;
                Ok(ctx
                    .guard
                    .optional_caller(version, presented, hoved.municipality_cvr.as_deref(), entity_id)?
                    .map(|c| c.cvr.to_string()))
            }
            Generation::Stoettesystem | Generation::Plain => Ok(ctx
                .guard
                .optional_caller(version, presented, None, entity_id)?
                .map(|c| c.cvr.to_string())),
        }
    }

    /// A rule's (or the skeleton's) answer, validated: the Body content, or the fault.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        op: &PreparedOp,
        leaves: &crate::soap::xml::Leaves,
        rule: Option<(&Rule, Bound)>,
        caller: Option<crate::world::AuthorityId>,
        out: &mut Vec<u8>,
    ) -> Result<String, Fault> {
        let version = envelope.version;
        let bound = rule.map(|(_, b)| b).unwrap_or_default();
        let lookup = Lookup {
            world: ctx.world,
            registry: &self.registry,
            citizen: bound.citizen,
            authority: bound.authority,
            caller,
        };
        let scope = Scope {
            now: ctx.now,
            leaves,
            lookup: Some(&lookup),
        };
        let source = match rule {
            Some((r, _)) => format!("the rule {}", r.label),
            None => format!("sfstub's generated response to {}", op.name),
        };
        let output = op.output.as_ref();
        let (pieces, element): (&[Piece], _) = match rule.map(|(r, _)| &r.answer) {
            Some(Answer::Body(pieces) | Answer::Set(pieces)) => (pieces.as_slice(), output),
            Some(Answer::Fault {
                name,
                reason,
                detail,
                code,
            }) => {
                return Err(self.fault(
                    envelope,
                    op,
                    &scope,
                    &source,
                    name,
                    reason,
                    detail.as_ref(),
                    code.as_deref(),
                ));
            }
            None => match &op.skeleton {
                Some(s) => (s.pieces.as_slice(), output),
                None => (&[], None),
            },
        };
        let Some(element) = element else {
            return Ok(format!("{} (no response element)", op.name));
        };
        let mut body = Vec::with_capacity(1024);
        template::render(pieces, &scope, &mut body);
        self.checked(version, op, element, &body, &source)?;
        out.extend_from_slice(&body);
        Ok(match rule {
            Some((r, _)) => format!("{}: {}", op.name, r.label),
            None => format!("{}: generated response", op.name),
        })
    }

    /// A fault a rule chose: reason and detail rendered, the detail validated.
    #[allow(clippy::too_many_arguments)]
    fn fault(
        &self,
        envelope: &Envelope,
        op: &PreparedOp,
        scope: &Scope<'_>,
        source: &str,
        name: &str,
        reason: &[Piece],
        detail: Option<&Vec<Piece>>,
        code: Option<&str>,
    ) -> Fault {
        let version = envelope.version;
        let declared = op.faults.iter().find(|f| f.name == name);
        let mut text = Vec::new();
        template::render(reason, scope, &mut text);
        let reason = quick_xml::escape::unescape(&String::from_utf8_lossy(&text))
            .map(|c| c.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(&text).into_owned());
        let element = declared.and_then(|f| f.element.as_ref());
        let detail = match (detail, element) {
            (Some(pieces), _) => {
                let mut d = Vec::new();
                template::render(pieces, scope, &mut d);
                Some(d)
            }
            (None, Some(e)) if e.ns == serviceplatformen::FAULT_NS && e.local == "ServiceplatformFault" => {
                Some(serviceplatformen::fault_detail(&[(code.unwrap_or(name), reason.clone())]).into_bytes())
            }
            (None, Some(_)) => declared.and_then(|f| f.skeleton.as_ref()).map(|s| {
                let mut d = Vec::new();
                template::render(&s.pieces, scope, &mut d);
                d
            }),
            (None, None) => None,
        };
        if let (Some(d), Some(e)) = (&detail, element)
            && let Err(f) = self.checked(version, op, e, d, source)
        {
            return f;
        }
        let mut fault = Fault::sender(version, reason);
        fault.detail = detail.map(|d| String::from_utf8_lossy(&d).into_owned());
        fault.header = envelope.addressing.as_ref().map(|request| {
            let action = declared.map_or(SOAP_FAULT_ACTION.to_owned(), |f| f.action.clone());
            ResponseAddressing::reply(action, request).to_header()
        });
        fault
    }

    /// Validates an answer against its element; an invalid one is a Receiver fault naming the
    /// source and the findings, and an error in the log.
    fn checked(
        &self,
        version: SoapVersion,
        op: &PreparedOp,
        element: &crate::xsd::QName,
        bytes: &[u8],
        source: &str,
    ) -> Result<(), Fault> {
        let findings = rules::validate(&self.prepared.contract, element, bytes);
        if findings.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = findings
            .iter()
            .take(SHOWN_FINDINGS)
            .map(|f| {
                format!(
                    "{} at {} (line {}, column {}): {}",
                    f.code.as_str(),
                    f.path,
                    f.line,
                    f.column,
                    f.message
                )
            })
            .collect();
        let more = findings.len().saturating_sub(SHOWN_FINDINGS);
        let reason = format!(
            "sfstub will not send an invalid answer: {source} gives a {} that is not valid against {}: {}{}",
            element.local,
            self.prepared.wsdl_file,
            shown.join("; "),
            if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            }
        );
        tracing::error!(
            target: "sfstub::engine",
            service = self.prepared.title,
            operation = %op.name,
            source = %source,
            findings = findings.len(),
            "{reason}"
        );
        Err(Fault::receiver(version, reason))
    }
}

impl Service for ContractService {
    fn title(&self) -> &'static str {
        self.prepared.title
    }

    fn paths(&self) -> &[&'static str] {
        &self.prepared.paths
    }

    fn entity_id(&self) -> &'static str {
        self.prepared.entity_id
    }

    fn call(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        body: Body<'_>,
        out: &mut Vec<u8>,
    ) -> Result<Summary, Fault> {
        let generation = self.prepared.generation;
        let version = envelope.version;
        let op = self.dispatch(envelope)?;
        let presented = ctx
            .guard
            .inspect(version, body, envelope.security_header, self.prepared.entity_id)
            .map_err(|f| generation.adopt(f, error_code::TOKEN_REJECTED))?;
        let xml = body.get(envelope.operation.range.clone()).unwrap_or_default();
        let leaves = leaf_texts(xml).map_err(|e| {
            generation.refusal(
                version,
                error_code::REQUEST_INVALID,
                format!("the request element cannot be read: {}", clip(&e)),
            )
        })?;
        let caller = self.caller(ctx, envelope, &presented, &leaves)?;
        let caller_id = caller
            .as_deref()
            .and_then(|c| Cvr::parse(c).ok())
            .and_then(|cvr| ctx.world.authority_by_cvr(cvr));
        let header = match generation {
            Generation::Stoettesystem => stoettesystem::read(&body, envelope)?
                .and_then(|h| h.transaction_uuid)
                .map(|t| stoettesystem::echo("rh", &t)),
            _ => None,
        };
        let rule = self
            .prepared
            .rules
            .iter()
            .find_map(|r| r.applies(&op.name, &leaves, ctx.world, caller_id).map(|b| (r, b)));
        let outcome = self.answer(ctx, envelope, op, &leaves, rule, caller_id, out)?;
        Ok(Summary {
            caller,
            outcome: outcome.into(),
            signing: ResponseSigning::for_token(&presented),
            header,
        })
    }

    fn soap_versions(&self) -> &'static [SoapVersion] {
        self.prepared.soap_versions
    }

    fn reply_action(&self, envelope: &Envelope) -> String {
        self.dispatch(envelope)
            .map(|op| op.reply_action.clone())
            .unwrap_or_else(|_| SOAP_FAULT_ACTION.to_owned())
    }

    /// The declared `ServiceplatformFault`'s action on Serviceplatformen contracts (every
    /// refusal there carries one), the generic fault action otherwise.
    fn fault_action(&self, envelope: &Envelope) -> String {
        if let Generation::Serviceplatformen(_) = self.prepared.generation
            && let Ok(op) = self.dispatch(envelope)
            && let Some(f) = op
                .faults
                .iter()
                .find(|f| f.element.as_ref().is_some_and(|e| e.ns == serviceplatformen::FAULT_NS))
        {
            return f.action.clone();
        }
        SOAP_FAULT_ACTION.to_owned()
    }

    fn contract(&self, _document: Option<&str>, _base: &str) -> Option<String> {
        None
    }

    fn documents(&self) -> Option<&Documents> {
        Some(&self.prepared.documents)
    }

    fn schema(&self) -> Option<&crate::xsd::Contract> {
        Some(&self.prepared.contract)
    }

    fn schema_operation(&self, envelope: &Envelope) -> Option<&crate::xsd::Operation> {
        let op = self.dispatch(envelope).ok()?;
        self.prepared.contract.operations().get(op.index)
    }
}

/// The services of a scenario's contracts.
pub fn services(prepared: &[Arc<Prepared>], registry: &Arc<Registry>) -> Vec<Box<dyn Service>> {
    prepared
        .iter()
        .map(|p| Box::new(ContractService::new(Arc::clone(p), Arc::clone(registry))) as Box<dyn Service>)
        .collect()
}
