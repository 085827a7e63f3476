//! SF1500 Fælleskommunalt Organisationssystem v6 (støttesystem generation, SOAP 1.2): `laes`,
//! `soeg` and `list` on `Virksomhed`, `Organisation` and `OrganisationEnhed`, one endpoint
//! each at `/organisation/<objekt>/6`.
//!
//! The Body holds the bare `LaesInput`/`SoegInput`/`ListInput` in the object's namespace; the
//! answer is `LaesOutput`/`SoegOutput`/`ListOutput` with `StandardRetur` — `StatusKode` 20 (OK),
//! 40 (bad input) or 44 (not found) — in a 200, and the request's
//! `RequestHeader/TransactionUUID` echoed in the SOAP Header. Every authority of the world is
//! there ([`register`]), so each CVR an SF1472 response names resolves here.
//!
//! Security: the token model only (OIO IDWS). In `off` mode a call without a token is
//! answered without a caller.

pub mod register;
mod render;
pub mod request;

use std::sync::Arc;

use super::like::Like;
use super::{Context, ResponseSigning, Service, Summary, stoettesystem};
use crate::clip::clip;
use crate::contracts::{self, Official};
use crate::soap::addressing::default_action;
use crate::soap::{Body, Envelope, Fault, SoapVersion};
use crate::world::World;
use register::{Entry, Register};
use render::Variant;
use request::{Bound, Filters};

/// The entity ID (token audience) of every SF1500 v6 endpoint.
pub const ENTITY_ID: &str = "http://stoettesystemerne.dk/service/organisation/3";
/// `urn:oio:sagdok:3.0.0`: StandardRetur, Virkning, relations, most attributes.
pub use super::stoettesystem::SAGDOK_NS;
/// `urn:oio:sts:6`: `CVR-NummerTekst`, `NavnTekst`.
pub const STS_NS: &str = "urn:oio:sts:6";
/// The organisation namespace shared by the objects (`Gyldighed`).
pub const ORGFAELLES_NS: &str = "http://stoettesystemerne.dk/organisation/6/";
pub use super::stoettesystem::REQUEST_HEADER_NS;

/// The `StandardRetur/StatusKode` values sfstub answers with.
pub mod status_kode {
    pub const OK: u32 = 20;
    pub const UGYLDIG_INPUT: u32 = 40;
    pub const IKKE_FUNDET: u32 = 44;
}

/// Where the official contract comes from (for `--contracts`).
const ORIGIN: &str = "digitaliseringskataloget.dk as KOMBIT's Fælleskommunalt Organisationssystem v6 package \
     (\"Tekniske specifikationer (v6.0 Services)\", v6_0_0_0: wsdl/<Objekt>.wsdl beside xsd/6.0.STS-0 and xsd/common)";

/// The object types served, one endpoint each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Objekt {
    Virksomhed,
    Organisation,
    OrganisationEnhed,
}

impl Objekt {
    /// All served types.
    pub const ALL: [Objekt; 3] = [Objekt::Virksomhed, Objekt::Organisation, Objekt::OrganisationEnhed];

    /// The type's name as the schemas spell it.
    pub fn name(self) -> &'static str {
        match self {
            Objekt::Virksomhed => "Virksomhed",
            Objekt::Organisation => "Organisation",
            Objekt::OrganisationEnhed => "OrganisationEnhed",
        }
    }

    /// The namespace of the type's messages.
    pub fn namespace(self) -> &'static str {
        match self {
            Objekt::Virksomhed => "http://stoettesystemerne.dk/organisation/virksomhed/6/",
            Objekt::Organisation => "http://stoettesystemerne.dk/organisation/organisation/6/",
            Objekt::OrganisationEnhed => "http://stoettesystemerne.dk/organisation/organisationenhed/6/",
        }
    }

    /// The endpoint paths: the støttesystem path, then the `sts-soap-organisation` alias.
    pub const fn paths(self) -> &'static [&'static str] {
        match self {
            Objekt::Virksomhed => &[
                "/organisation/virksomhed/6",
                "/sts-soap-organisation/v6_0_0_0/virksomhed",
            ],
            Objekt::Organisation => &[
                "/organisation/organisation/6",
                "/sts-soap-organisation/v6_0_0_0/organisation",
            ],
            Objekt::OrganisationEnhed => &[
                "/organisation/organisationenhed/6",
                "/sts-soap-organisation/v6_0_0_0/organisationenhed",
            ],
        }
    }

    /// The canonical path.
    pub fn path(self) -> &'static str {
        self.paths()[0]
    }

    /// The prefix sfstub writes the type's namespace with.
    fn prefix(self) -> &'static str {
        match self {
            Objekt::Virksomhed => "virksomhed",
            Objekt::Organisation => "org",
            Objekt::OrganisationEnhed => "orgenhed",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Objekt::Virksomhed => "SF1500 Virksomhed v6",
            Objekt::Organisation => "SF1500 Organisation v6",
            Objekt::OrganisationEnhed => "SF1500 OrganisationEnhed v6",
        }
    }

    /// The type's WSDL: shipped in `contracts/`, and where a vendor's folder has it.
    fn wsdl(self) -> &'static [contracts::Variant] {
        match self {
            Objekt::Virksomhed => &[contracts::Variant {
                name: "",
                shipped: "sf1500-organisation-v6/wsdl/Virksomhed.wsdl",
                vendor: &["wsdl/Virksomhed.wsdl", "Virksomhed.wsdl"],
            }],
            Objekt::Organisation => &[contracts::Variant {
                name: "",
                shipped: "sf1500-organisation-v6/wsdl/Organisation.wsdl",
                vendor: &["wsdl/Organisation.wsdl", "Organisation.wsdl"],
            }],
            Objekt::OrganisationEnhed => &[contracts::Variant {
                name: "",
                shipped: "sf1500-organisation-v6/wsdl/OrganisationEnhed.wsdl",
                vendor: &["wsdl/OrganisationEnhed.wsdl", "OrganisationEnhed.wsdl"],
            }],
        }
    }
}

/// The operations served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Laes,
    List,
    Soeg,
}

impl Operation {
    /// The operation a Body element calls; an error names what is wrong.
    fn of(local_name: &str) -> Result<Operation, String> {
        match local_name {
            "LaesInput" => Ok(Operation::Laes),
            "ListInput" => Ok(Operation::List),
            "SoegInput" => Ok(Operation::Soeg),
            "OpretInput" | "ImportInput" | "RetInput" | "PassiverInput" | "SletInput" => Err(format!(
                "{local_name}: sfstub serves SF1500 read-only (laes, soeg, list); its organisation data comes from the scenario"
            )),
            other => Err(format!(
                "unknown operation {}: this endpoint serves laes (LaesInput), soeg (SoegInput) and list (ListInput)",
                clip(other)
            )),
        }
    }

    /// The response element.
    fn output(self) -> &'static str {
        match self {
            Operation::Laes => "LaesOutput",
            Operation::List => "ListOutput",
            Operation::Soeg => "SoegOutput",
        }
    }
}

/// One object type's endpoint, sharing the register with the others.
pub struct Organisationssystem {
    objekt: Objekt,
    register: Arc<Register>,
}

impl Organisationssystem {
    /// Prepares one object type's endpoint for a world.
    pub fn new(world: &World, objekt: Objekt) -> Organisationssystem {
        Organisationssystem {
            objekt,
            register: Arc::new(Register::derive(world)),
        }
    }

    /// The three endpoints, prepared once for a world: what the app registers.
    pub fn services(world: &World) -> Vec<Box<dyn Service>> {
        let register = Arc::new(Register::derive(world));
        Objekt::ALL
            .into_iter()
            .map(|objekt| {
                Box::new(Organisationssystem {
                    objekt,
                    register: Arc::clone(&register),
                }) as Box<dyn Service>
            })
            .collect()
    }

    /// The derived register.
    pub fn register(&self) -> &Register {
        &self.register
    }

    /// Answers `laes` or `list`: writes the output's content, returns the log outcome.
    fn read(&self, xml: &[u8], operation: Operation, out: &mut Vec<u8>) -> String {
        let element = if operation == Operation::Laes {
            "LaesInput"
        } else {
            "ListInput"
        };
        let read = match request::read(xml, element, operation == Operation::Laes) {
            Ok(r) => r,
            Err(tekst) => return retur(out, status_kode::UGYLDIG_INPUT, &tekst),
        };
        let mut found: Vec<&Entry> = Vec::with_capacity(read.uuids.len());
        let mut missing = Vec::new();
        for uuid in &read.uuids {
            match self.register.get(*uuid) {
                Some(e) if e.objekt == self.objekt => {
                    if !found.iter().any(|f| f.uuid == e.uuid) {
                        found.push(e);
                    }
                }
                Some(e) => missing.push(format!(
                    "{uuid} er en {}, ikke en {} (læs den på {})",
                    e.objekt.name(),
                    self.objekt.name(),
                    e.objekt.path()
                )),
                None => missing.push(uuid.to_string()),
            }
        }
        if found.is_empty() {
            let tekst = format!(
                "Der findes ingen {} med UUID {}",
                self.objekt.name(),
                missing.join(", ")
            );
            return retur(out, status_kode::IKKE_FUNDET, &tekst);
        }
        let tekst = if missing.is_empty() {
            "OK".to_owned()
        } else {
            format!("OK; ikke fundet: {}", missing.join(", "))
        };
        render::standard_retur(out, status_kode::OK, &tekst);
        for entry in &found {
            out.extend_from_slice(entry.snapshot.get(variant(entry, &read.filters)));
        }
        format!("StatusKode 20, {} object(s)", found.len())
    }

    /// Answers `soeg`: writes the output's content, returns the log outcome.
    fn search(&self, xml: &[u8], out: &mut Vec<u8>) -> String {
        let search = match request::search(xml) {
            Ok(s) => s,
            Err(tekst) => return retur(out, status_kode::UGYLDIG_INPUT, &tekst),
        };
        let criteria: Vec<(&str, Like)> = search
            .criteria
            .iter()
            .map(|c| (c.field.as_str(), Like::new(&c.value, true)))
            .collect();
        let hits: Vec<&Entry> = self
            .register
            .of(self.objekt)
            .filter(|e| matches(e, &criteria))
            .skip(search.offset)
            .take(search.limit.unwrap_or(usize::MAX))
            .collect();
        render::standard_retur(out, status_kode::OK, "OK");
        render::id_liste(out, hits.iter().copied());
        format!("StatusKode 20, {} hit(s)", hits.len())
    }
}

/// Writes `StandardRetur` for an error; returns the log outcome.
fn retur(out: &mut Vec<u8>, kode: u32, tekst: &str) -> String {
    render::standard_retur(out, kode, tekst);
    format!("StatusKode {kode}: {tekst}")
}

/// Whether an object meets every criterion of a search: (field, compiled pattern).
fn matches(entry: &Entry, criteria: &[(&str, Like)]) -> bool {
    criteria.iter().all(|(wanted, pattern)| {
        entry
            .facts()
            .any(|(field, value)| field == *wanted && pattern.matches(&value))
    })
}

/// What a read shows of an object under the filters: nothing registered before
/// `RegistreringTilFilter`, nothing in effect before `VirkningTilFilter`.
fn variant(entry: &Entry, filters: &Filters) -> Variant {
    match (filters.registrering_til, filters.virkning_til) {
        (Some(Bound::At(t)), _) if t < entry.registered => Variant::WithoutRegistrering,
        (_, Some(Bound::At(t))) if t < entry.virkning_from => Variant::WithoutVirkning,
        _ => Variant::Full,
    }
}

impl Service for Organisationssystem {
    fn title(&self) -> &'static str {
        self.objekt.title()
    }

    fn paths(&self) -> &[&'static str] {
        self.objekt.paths()
    }

    fn entity_id(&self) -> &'static str {
        ENTITY_ID
    }

    fn call(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        body: Body<'_>,
        out: &mut Vec<u8>,
    ) -> Result<Summary, Fault> {
        let version = envelope.version;
        let op = &envelope.operation;
        let operation = Operation::of(&op.local_name).map_err(|why| Fault::sender(version, why))?;
        if op.namespace.as_deref() != Some(self.objekt.namespace()) {
            let served_by = Objekt::ALL
                .into_iter()
                .find(|o| op.namespace.as_deref() == Some(o.namespace()))
                .map(|o| format!(" ({} is served at {})", o.name(), o.path()))
                .unwrap_or_default();
            return Err(Fault::sender(
                version,
                format!(
                    "{} is in the namespace {}; this endpoint serves {} v6, whose messages are in {}{served_by}",
                    op.local_name,
                    op.namespace
                        .as_deref()
                        .map_or("(none)".to_owned(), |n| format!("{:?}", clip(n))),
                    self.objekt.name(),
                    self.objekt.namespace()
                ),
            ));
        }
        let presented = ctx.guard.inspect(version, body, envelope.security_header, ENTITY_ID)?;
        let caller = ctx
            .guard
            .optional_caller(version, &presented, None, ENTITY_ID)?
            .map(|c| c.cvr.to_string());
        let transaction = stoettesystem::read(&body, envelope)?.map(|h| h.transaction_uuid.unwrap_or_default());
        let xml = body.get(op.range.clone()).unwrap_or_default();
        render::begin_output(out, self.objekt, operation.output());
        let outcome = match (&transaction, operation) {
            (Some(t), _) if t.is_empty() => retur(
                out,
                status_kode::UGYLDIG_INPUT,
                "RequestHeader/TransactionUUID er tom: angiv kaldets transaktions-id (fx en UUID)",
            ),
            (_, Operation::Laes | Operation::List) => self.read(xml, operation, out),
            (_, Operation::Soeg) => self.search(xml, out),
        };
        render::end_output(out, self.objekt, operation.output());
        // `retur` writes "StatusKode NN: ..." for every answer but OK's "StatusKode 20, ...".
        if let Some((code, _)) = outcome.strip_prefix("StatusKode ").and_then(|r| r.split_once(':')) {
            ctx.trace.refused([code]);
        }
        let signing = ResponseSigning::for_token(&presented);
        Ok(Summary {
            caller,
            outcome: format!("{} {}: {outcome}", self.objekt.name(), op.local_name).into(),
            signing,
            header: transaction
                .filter(|t| !t.is_empty())
                .map(|t| stoettesystem::echo("rh", &t)),
        })
    }

    /// SOAP 1.2 only, as the contract binds.
    fn soap_versions(&self) -> &'static [SoapVersion] {
        &[SoapVersion::V12]
    }

    /// The default action of the operation's output in KOMBIT's WSDL (it names none):
    /// `http://stoettesystemerne.dk/organisation/6/<Objekt>PortType/<operation>Response`.
    fn reply_action(&self, envelope: &Envelope) -> String {
        let operation = stoettesystem::operation_name(&envelope.operation.local_name);
        default_action(
            ORGFAELLES_NS,
            &format!("{}PortType", self.objekt.name()),
            &format!("{operation}Response"),
        )
    }

    fn contract(&self, _document: Option<&str>, _base: &str) -> Option<String> {
        None
    }

    fn official(&self) -> Option<Official> {
        Some(Official {
            variants: self.objekt.wsdl(),
            origin: ORIGIN,
            derive: None,
        })
    }
}
