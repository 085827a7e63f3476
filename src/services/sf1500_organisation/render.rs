//! Writing SF1500's outputs: `StandardRetur`, and each object's `FiltreretOejebliksbillede`,
//! rendered once per object in the three variants a read can ask for.
//!
//! Element names and namespaces follow the v6 schemas: the output, `FiltreretOejebliksbillede`,
//! `ObjektType`, `Registrering` and the three lists in the object's namespace; `Tidspunkt`,
//! `LivscyklusKode`, `Virkning`, relations and most attributes in `urn:oio:sagdok:3.0.0`;
//! `CVR-NummerTekst` and `NavnTekst` in `urn:oio:sts:6`; `Gyldighed` in the organisation
//! namespace. The prefixes are declared once, on the output element.

use super::register::Entry;
use super::{ORGFAELLES_NS, Objekt, SAGDOK_NS, STS_NS};
use crate::soap::xml::push_element;

/// An object's `FiltreretOejebliksbillede` as a read shows it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The registration with everything in effect.
    full: Box<[u8]>,
    /// The registration with nothing in effect (a Virkning filter before the object began).
    without_virkning: Box<[u8]>,
    /// Only `ObjektType` (a registration filter before the object was registered).
    without_registrering: Box<[u8]>,
}

/// Which variant of a snapshot to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Full,
    WithoutVirkning,
    WithoutRegistrering,
}

impl Snapshot {
    /// Renders the three variants of an object.
    pub fn of(entry: &Entry) -> Snapshot {
        Snapshot {
            full: render(entry, Variant::Full),
            without_virkning: render(entry, Variant::WithoutVirkning),
            without_registrering: render(entry, Variant::WithoutRegistrering),
        }
    }

    /// The bytes of one variant.
    pub fn get(&self, variant: Variant) -> &[u8] {
        match variant {
            Variant::Full => &self.full,
            Variant::WithoutVirkning => &self.without_virkning,
            Variant::WithoutRegistrering => &self.without_registrering,
        }
    }
}

fn open(out: &mut Vec<u8>, p: &str, local: &str) {
    out.extend_from_slice(format!("<{p}:{local}>").as_bytes());
}

fn close(out: &mut Vec<u8>, p: &str, local: &str) {
    out.extend_from_slice(format!("</{p}:{local}>").as_bytes());
}

fn virkning(out: &mut Vec<u8>, from: &str) {
    out.extend_from_slice(b"<sd:Virkning><sd:FraTidspunkt>");
    push_element(out, "sd:TidsstempelDatoTid", from);
    out.extend_from_slice(
        b"</sd:FraTidspunkt><sd:TilTidspunkt><sd:GraenseIndikator>true</sd:GraenseIndikator></sd:TilTidspunkt></sd:Virkning>",
    );
}

fn render(entry: &Entry, variant: Variant) -> Box<[u8]> {
    let p = entry.objekt.prefix();
    let mut out = Vec::with_capacity(1024);
    open(&mut out, p, "FiltreretOejebliksbillede");
    open(&mut out, p, "ObjektType");
    push_element(&mut out, "sd:UUIDIdentifikator", &entry.uuid.to_string());
    close(&mut out, p, "ObjektType");
    if variant != Variant::WithoutRegistrering {
        open(&mut out, p, "Registrering");
        push_element(
            &mut out,
            "sd:Tidspunkt",
            &entry.registered.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        );
        push_element(&mut out, "sd:LivscyklusKode", "Importeret");
        let content = &entry.content;
        let full = variant == Variant::Full;
        open(&mut out, p, "AttributListe");
        if full {
            open(&mut out, p, "Egenskab");
            virkning(&mut out, entry.virkning_text);
            for (name, text) in &content.egenskab {
                push_element(&mut out, name, text);
            }
            close(&mut out, p, "Egenskab");
        }
        close(&mut out, p, "AttributListe");
        open(&mut out, p, "TilstandListe");
        if full && content.gyldighed {
            out.extend_from_slice(b"<orgfaelles:Gyldighed>");
            virkning(&mut out, entry.virkning_text);
            push_element(&mut out, "orgfaelles:GyldighedStatusKode", "Aktiv");
            out.extend_from_slice(b"</orgfaelles:Gyldighed>");
        }
        close(&mut out, p, "TilstandListe");
        open(&mut out, p, "RelationListe");
        if full {
            for (name, uuid) in &content.relations {
                out.extend_from_slice(format!("<{name}>").as_bytes());
                virkning(&mut out, entry.virkning_text);
                out.extend_from_slice(b"<sd:ReferenceID>");
                push_element(&mut out, "sd:UUIDIdentifikator", &uuid.to_string());
                out.extend_from_slice(format!("</sd:ReferenceID></{name}>").as_bytes());
            }
        }
        close(&mut out, p, "RelationListe");
        close(&mut out, p, "Registrering");
    }
    close(&mut out, p, "FiltreretOejebliksbillede");
    out.into_boxed_slice()
}

/// Opens an output element (`LaesOutput`, `ListOutput`, `SoegOutput`) in the object's
/// namespace, declaring every prefix the snapshots use.
pub fn begin_output(out: &mut Vec<u8>, objekt: Objekt, element: &str) {
    let p = objekt.prefix();
    out.extend_from_slice(
        format!(
            "<{p}:{element} xmlns:{p}=\"{}\" xmlns:sd=\"{SAGDOK_NS}\" xmlns:sts=\"{STS_NS}\" xmlns:orgfaelles=\"{ORGFAELLES_NS}\">",
            objekt.namespace()
        )
        .as_bytes(),
    );
}

/// Closes what [`begin_output`] opened.
pub fn end_output(out: &mut Vec<u8>, objekt: Objekt, element: &str) {
    close(out, objekt.prefix(), element);
}

/// Writes `StandardRetur` with a status code and its text.
pub fn standard_retur(out: &mut Vec<u8>, kode: u32, tekst: &str) {
    crate::services::stoettesystem::standard_retur(out, kode, tekst);
}

/// Writes `IdListe` with the UUIDs found by a search.
pub fn id_liste<'a>(out: &mut Vec<u8>, uuids: impl Iterator<Item = &'a Entry>) {
    out.extend_from_slice(b"<sd:IdListe>");
    for entry in uuids {
        push_element(out, "sd:UUIDIdentifikator", &entry.uuid.to_string());
    }
    out.extend_from_slice(b"</sd:IdListe>");
}
