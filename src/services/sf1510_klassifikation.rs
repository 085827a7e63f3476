//! SF1510 Fælleskommunalt Klassifikationssystem: two services over the same catalogue.
//!
//! - [`klasse::KlasseService`]: Klasse v7 `laes`, `soeg` and `list` at `/klasse/7` — the
//!   støttesystem ("sagdok") generation: bare `LaesInput`/`SoegInput`/`ListInput` in the Body,
//!   `StandardRetur/StatusKode` 20, 40 or 44, `RequestHeader/TransactionUUID` echoed. Its
//!   contract is KOMBIT's (published, and shipped in `contracts/`).
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

use super::Service;

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
