//! SF1510 Fælleskommunalt Klassifikationssystem: two services over the same catalogue.
//!
//! - [`klasse::KlasseService`]: Klasse v7 `laes`, `soeg` and `list` at `/klasse/7` — the
//!   støttesystem ("sagdok") generation: bare `LaesInput`/`SoegInput`/`ListInput` in the Body,
//!   `StandardRetur/StatusKode` 20, 40 or 44, `RequestHeader/TransactionUUID` echoed. Its
//!   contract is KOMBIT's (published; not shipped by sfstub).
//! - [`listehent::KlassifikationListeHent`]: the K2017 `KlassifikationListeHent` v2 at
//!   `/klassifikationlistehent/2`, returning whole classifications (facets and classes), with
//!   sfstub's reconstructed WSDL and XSD.
//!
//! Both serve the [`katalog::Katalog`] derived from the world once, when the services are
//! prepared: sfstub's own classification (control themes, benefits, case steps, case
//! statuses — the very classes and UUIDs SF1472 writes) and the KLE subset the world's
//! benefits use. Both are token-only on the real platform; sfstub also accepts them without a
//! token in `off` mode.

pub mod katalog;
pub mod klasse;
pub mod listehent;
mod struktur;

use std::sync::Arc;

use super::{Context, ResponseSigning, Service, Signer};
use crate::security::{Caller, Presented, SecurityMode};
use crate::soap::xml::{escape, leaf_texts};
use crate::soap::{Envelope, Fault};
use crate::world::World;

pub use katalog::Katalog;

/// Prepares both SF1510 services for a world (for `Loaded::new`).
pub fn services(world: &World) -> Vec<Box<dyn Service>> {
    let katalog = Arc::new(Katalog::new(world));
    vec![
        Box::new(klasse::KlasseService::new(Arc::clone(&katalog))),
        Box::new(listehent::KlassifikationListeHent::new(katalog)),
    ]
}

/// The namespace of the støttesystem `RequestHeader`.
pub const REQUEST_HEADER_NS: &str = "http://kombit.dk/xml/schemas/RequestHeader/1/";

/// The caller of a token-only service: from the token when one is presented or the mode
/// demands one, from `AuthorityContext` when the request carries it, and nobody in `off` mode
/// without either.
pub(crate) fn caller(
    ctx: &Context<'_>,
    envelope: &Envelope,
    presented: &Presented,
    context_cvr: Option<&str>,
    entity_id: &str,
) -> Result<Option<Caller>, Fault> {
    let off = ctx.guard.settings.mode == SecurityMode::Off;
    if presented.token.is_none() && off && context_cvr.is_none() {
        return Ok(None);
    }
    ctx.guard
        .caller(envelope.version, presented, context_cvr, entity_id)
        .map(Some)
}

/// How to sign the response: like SF1472's, when a token was presented.
pub(crate) fn signing(presented: &Presented) -> Option<ResponseSigning> {
    presented.token.as_ref().map(|_| ResponseSigning {
        by: Signer::Service,
        relates_to: presented.message_id.clone(),
        action: None,
    })
}

/// The request's `RequestHeader/TransactionUUID`, if its SOAP Header carries one.
pub(crate) fn transaction_uuid(body: &[u8], envelope: &Envelope) -> Result<Option<String>, Fault> {
    let Some(range) = envelope.header.clone() else {
        return Ok(None);
    };
    let Some(content) = body.get(range) else {
        return Ok(None);
    };
    // The Header's children, under a neutral root (prefixes do not matter to leaf_texts).
    let mut doc = Vec::with_capacity(content.len() + 7);
    doc.extend_from_slice(b"<h>");
    doc.extend_from_slice(content);
    doc.extend_from_slice(b"</h>");
    let leaves = leaf_texts(&doc).map_err(|e| Fault::sender(envelope.version, format!("the SOAP Header: {e}")))?;
    Ok(leaves
        .into_iter()
        .find(|l| l.path == "RequestHeader/TransactionUUID")
        .map(|l| l.text))
}

/// The response's `RequestHeader` echoing the request's TransactionUUID.
pub(crate) fn request_header(transaction_uuid: &str) -> String {
    format!(
        "<h:RequestHeader xmlns:h=\"{REQUEST_HEADER_NS}\"><h:TransactionUUID>{}</h:TransactionUUID></h:RequestHeader>",
        escape(transaction_uuid)
    )
}

/// The operation element's `revision` attribute, if it has one.
pub(crate) fn revision_attribute(operation: &[u8]) -> Option<String> {
    let mut reader = quick_xml::reader::Reader::from_reader(operation);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                let attr = e.try_get_attribute("revision").ok()??;
                return attr.unescape_value().ok().map(|v| v.into_owned());
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}
