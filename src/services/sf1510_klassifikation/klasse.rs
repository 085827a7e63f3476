//! SF1510 Klasse v7: `laes`, `soeg` and `list` at `/klasse/7`, in the støttesystem ("sagdok")
//! generation: the Body holds a bare `LaesInput`, `SoegInput` or `ListInput`; the answer is
//! `LaesOutput`/`SoegOutput`/`ListOutput` with `StandardRetur/StatusKode` 20 (OK), 40 (bad
//! input) or 44 (not found) — never a SOAP fault for a business error.
//!
//! Each class's `FiltreretOejebliksbillede` is rendered once when the service is prepared; a
//! request concatenates fragments. The write operations of the contract (`opret`, `ret`,
//! `importer`, `passiver`, `slet`) are answered with StatusKode 40: sfstub's catalogue is the
//! world's and read-only.

use std::sync::Arc;

use uuid::Uuid;

use super::katalog::{Katalog, KlasseInfo, PUBLISHED};
use crate::clip::clip;
use crate::contracts::{Official, Variant};
use crate::services::like::Like;
use crate::services::{Context, ResponseSigning, Service, Summary, stoettesystem};
use crate::soap::addressing::default_action;
use crate::soap::xml::{Leaves, leaf_texts, push_element};
use crate::soap::{Body, Envelope, Fault, SoapVersion};

/// The entity ID (token audience) of Klasse v7.
pub const ENTITY_ID: &str = "http://entityid.kombit.dk/service/klassifikation/7";
/// The path of Klasse v7.
pub const PATHS: [&str; 1] = ["/klasse/7"];
/// The namespace of Klasse v7's messages.
pub const KLASSE_NS: &str = "http://stoettesystemerne.dk/klassifikation/klasse/7/";
/// The target namespace of KOMBIT's Klasse v7 WSDL.
pub const WSDL_NAMESPACE: &str = "http://stoettesystemerne.dk/klassifikation";
/// The common sagdok namespace.
pub use crate::services::stoettesystem::SAGDOK_NS;

/// The `StandardRetur/StatusKode` values.
pub use crate::services::stoettesystem::status_kode as status;

/// A request's operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Laes(String),
    List(Vec<String>),
    Soeg(Soeg),
    /// A write operation (`OpretInput`, …): the name of its output element.
    Write(&'static str),
}

/// The criteria of `soeg` sfstub understands; an absent one does not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Soeg {
    pub brugervendt_noegle: Option<String>,
    pub titel: Option<String>,
    pub facet: Option<String>,
    pub overordnet_klasse: Option<String>,
    pub publiceret: Option<String>,
    pub foerste: Option<String>,
    pub maksimal_antal: Option<String>,
}

const WRITES: [(&str, &str); 5] = [
    ("OpretInput", "OpretOutput"),
    ("ImportInput", "ImportOutput"),
    ("RetInput", "RetOutput"),
    ("PassiverInput", "PassiverOutput"),
    ("SletInput", "SletOutput"),
];

impl Request {
    /// Reads the request from the operation element (by local names).
    pub fn parse(name: &str, xml: &[u8], envelope: &Envelope) -> Result<Request, Fault> {
        if let Some((_, output)) = WRITES.iter().find(|(input, _)| *input == name) {
            return Ok(Request::Write(output));
        }
        let leaves = leaf_texts(xml).map_err(|e| Fault::sender(envelope.version, e))?;
        let first = |path: &str| leaves.iter().find(|l| l.path == path).map(|l| l.text.to_owned());
        match name {
            "LaesInput" => Ok(Request::Laes(first("UUIDIdentifikator").unwrap_or_default())),
            "ListInput" => Ok(Request::List(
                leaves
                    .iter()
                    .filter(|l| l.path == "UUIDIdentifikator")
                    .map(|l| l.text.to_owned())
                    .collect(),
            )),
            "SoegInput" => Ok(Request::Soeg(Soeg {
                brugervendt_noegle: first("AttributListe/Egenskab/BrugervendtNoegleTekst"),
                titel: first("AttributListe/Egenskab/TitelTekst"),
                facet: relation(&leaves, "Facet"),
                overordnet_klasse: relation(&leaves, "OverordnetKlasse"),
                publiceret: first("TilstandListe/PubliceretStatus/ErPubliceretIndikator"),
                foerste: first("FoersteResultatReference"),
                maksimal_antal: first("MaksimalAntalKvantitet"),
            })),
            other => Err(Fault::sender(
                envelope.version,
                format!(
                    "unknown operation {}: Klasse v7 at {} serves laes (LaesInput), soeg (SoegInput) and list (ListInput)",
                    clip(other),
                    PATHS[0]
                ),
            )),
        }
    }
}

fn relation(leaves: &Leaves, name: &str) -> Option<String> {
    let path = format!("RelationListe/{name}/ReferenceID/UUIDIdentifikator");
    leaves.iter().find(|l| l.path == path).map(|l| l.text.to_owned())
}

/// The answer to a request, before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub output: &'static str,
    pub status: u16,
    pub message: String,
    /// `laes`/`list`: the classes to show; `soeg`: the classes found.
    pub classes: Vec<usize>,
}

impl Answer {
    fn error(output: &'static str, status: u16, message: String) -> Answer {
        Answer {
            output,
            status,
            message,
            classes: Vec::new(),
        }
    }
}

fn parse_uuid(text: &str) -> Result<Uuid, String> {
    if text.is_empty() {
        return Err("UUIDIdentifikator mangler".into());
    }
    match Uuid::try_parse(text) {
        Ok(u) if text.len() == 36 => Ok(u),
        _ => Err(format!(
            "UUIDIdentifikator {text:?} er ikke et UUID (8-4-4-4-12 hexadecimale cifre)",
            text = clip(text)
        )),
    }
}

/// Why a UUID names no class: unknown, or another kind of object.
fn not_a_class(katalog: &Katalog, uuid: &Uuid) -> String {
    match katalog.lookup(uuid) {
        Some(o) => format!(
            "{uuid} er {} — ikke en klasse; Klasse-servicen læser kun klasser (brug KlassifikationListeHent for facetter og klassifikationer)",
            katalog.describe(o)
        ),
        None => format!("Klassen {uuid} findes ikke"),
    }
}

/// Applies a request to the catalogue.
pub fn apply(katalog: &Katalog, request: &Request) -> Answer {
    match request {
        Request::Write(output) => Answer::error(
            output,
            status::UGYLDIG_INPUT,
            "sfstubs klassifikation er skrivebeskyttet (den er verdens); Klasse v7 i sfstub understøtter laes, soeg og list"
                .into(),
        ),
        Request::Laes(text) => match parse_uuid(text) {
            Err(why) => Answer::error("LaesOutput", status::UGYLDIG_INPUT, why),
            Ok(uuid) => match katalog.class(&uuid) {
                Some(i) => ok("LaesOutput", vec![i]),
                None => Answer::error("LaesOutput", status::IKKE_FUNDET, not_a_class(katalog, &uuid)),
            },
        },
        Request::List(texts) => {
            if texts.is_empty() {
                return Answer::error("ListOutput", status::UGYLDIG_INPUT, "UUIDIdentifikator mangler".into());
            }
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for text in texts {
                match parse_uuid(text) {
                    Err(why) => return Answer::error("ListOutput", status::UGYLDIG_INPUT, why),
                    Ok(uuid) => match katalog.class(&uuid) {
                        Some(i) => found.push(i),
                        None => missing.push(not_a_class(katalog, &uuid)),
                    },
                }
            }
            match (found.is_empty(), missing.is_empty()) {
                (true, _) => Answer::error("ListOutput", status::IKKE_FUNDET, missing.join("; ")),
                (false, true) => ok("ListOutput", found),
                (false, false) => Answer {
                    output: "ListOutput",
                    status: status::OK,
                    message: format!("OK, men ikke fundet: {}", missing.join("; ")),
                    classes: found,
                },
            }
        }
        Request::Soeg(soeg) => match search(katalog, soeg) {
            Ok(found) => ok("SoegOutput", found),
            Err(why) => Answer::error("SoegOutput", status::UGYLDIG_INPUT, why),
        },
    }
}

fn ok(output: &'static str, classes: Vec<usize>) -> Answer {
    Answer {
        output,
        status: status::OK,
        message: "OK".into(),
        classes,
    }
}

/// `soeg`: every class matching all given criteria, in catalogue order, paged.
fn search(katalog: &Katalog, s: &Soeg) -> Result<Vec<usize>, String> {
    let reference = |text: &Option<String>, what: &str| -> Result<Option<Uuid>, String> {
        text.as_deref()
            .map(|t| parse_uuid(t).map_err(|why| format!("RelationListe/{what}: {why}")))
            .transpose()
    };
    let facet = reference(&s.facet, "Facet")?;
    let parent = reference(&s.overordnet_klasse, "OverordnetKlasse")?;
    let count = |text: &Option<String>, what: &str| -> Result<Option<usize>, String> {
        text.as_deref()
            .map(|t| {
                t.parse::<usize>()
                    .map_err(|_| format!("{what} {t:?} er ikke et ikke-negativt heltal", t = clip(t)))
            })
            .transpose()
    };
    let first = count(&s.foerste, "FoersteResultatReference")?.unwrap_or(0);
    let max = count(&s.maksimal_antal, "MaksimalAntalKvantitet")?;
    let published = match s.publiceret.as_deref() {
        None | Some("true" | "1") => true,
        Some("false" | "0") => false,
        Some(other) => {
            return Err(format!(
                "ErPubliceretIndikator {other:?} er ikke true eller false",
                other = clip(other)
            ));
        }
    };
    let key = s.brugervendt_noegle.as_deref().map(|p| Like::new(p, false));
    let title = s.titel.as_deref().map(|p| Like::new(p, false));
    let matches = |class: &KlasseInfo| {
        published
            && key.as_ref().is_none_or(|p| p.matches(&class.key))
            && title.as_ref().is_none_or(|p| p.matches(&class.title))
            && facet.is_none_or(|f| katalog.facets[class.facet].uuid == f)
            && parent.is_none_or(|p| class.parent.is_some_and(|i| katalog.classes[i].uuid == p))
    };
    Ok(katalog
        .classes
        .iter()
        .enumerate()
        .filter(|(_, c)| matches(c))
        .map(|(i, _)| i)
        .skip(first)
        .take(max.unwrap_or(usize::MAX))
        .collect())
}

/// The Klasse v7 service, with every class's snapshot pre-rendered.
pub struct KlasseService {
    katalog: Arc<Katalog>,
    /// `FiltreretOejebliksbillede` per class, indexed like `Katalog::classes`.
    fragments: Vec<Box<[u8]>>,
}

impl KlasseService {
    /// Prepares the service for a catalogue.
    pub fn new(katalog: Arc<Katalog>) -> KlasseService {
        let fragments = katalog.classes.iter().map(|c| render_class(&katalog, c)).collect();
        KlasseService { katalog, fragments }
    }

    /// Writes the output element of an answer.
    pub fn render(&self, answer: &Answer, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("<{} xmlns=\"{KLASSE_NS}\" xmlns:sd=\"{SAGDOK_NS}\">", answer.output).as_bytes());
        stoettesystem::standard_retur(out, answer.status, &answer.message);
        match answer.output {
            "SoegOutput" if answer.status == status::OK => {
                out.extend_from_slice(b"<sd:IdListe>");
                for &i in &answer.classes {
                    push_element(out, "sd:UUIDIdentifikator", &self.katalog.classes[i].uuid.to_string());
                }
                out.extend_from_slice(b"</sd:IdListe>");
            }
            "LaesOutput" | "ListOutput" => {
                for &i in &answer.classes {
                    out.extend_from_slice(&self.fragments[i]);
                }
            }
            _ => {}
        }
        out.extend_from_slice(format!("</{}>", answer.output).as_bytes());
    }
}

/// Every object's effect: from [`PUBLISHED`], with no end.
fn virkning() -> String {
    format!(
        "<sd:Virkning><sd:FraTidspunkt><sd:TidsstempelDatoTid>{PUBLISHED}</sd:TidsstempelDatoTid></sd:FraTidspunkt>\
         <sd:TilTidspunkt><sd:GraenseIndikator>true</sd:GraenseIndikator></sd:TilTidspunkt></sd:Virkning>"
    )
}

fn push_relation(out: &mut Vec<u8>, element: &str, uuid: &Uuid) {
    out.extend_from_slice(format!("<sd:{element}>{}<sd:ReferenceID>", virkning()).as_bytes());
    push_element(out, "sd:UUIDIdentifikator", &uuid.to_string());
    out.extend_from_slice(format!("</sd:ReferenceID></sd:{element}>").as_bytes());
}

/// One class as `FiltreretOejebliksbillede` with one registration (the default namespace is
/// Klasse v7's, `sd` the sagdok namespace).
fn render_class(katalog: &Katalog, class: &KlasseInfo) -> Box<[u8]> {
    let mut out = Vec::with_capacity(2048);
    out.extend_from_slice(b"<FiltreretOejebliksbillede><ObjektID>");
    push_element(&mut out, "sd:UUIDIdentifikator", &class.uuid.to_string());
    out.extend_from_slice(b"</ObjektID><Registrering>");
    push_element(&mut out, "sd:Tidspunkt", PUBLISHED);
    push_element(&mut out, "sd:LivscyklusKode", "Importeret");
    out.extend_from_slice(b"<AttributListe><Egenskab>");
    out.extend_from_slice(virkning().as_bytes());
    push_element(&mut out, "sd:BrugervendtNoegleTekst", &class.key);
    push_element(&mut out, "sd:BeskrivelseTekst", &class.description);
    push_element(&mut out, "sd:TitelTekst", &class.title);
    if let Some(r) = class.retskilde {
        push_element(&mut out, "sd:RetskildeTekst", r);
    }
    if let Some(s) = class.sortering {
        push_element(&mut out, "sd:Sortering", &s.to_string());
    }
    for (word, category) in &class.soegeord {
        out.extend_from_slice(b"<Soegeord>");
        push_element(&mut out, "sd:SoegeordIdentifikator", word);
        push_element(&mut out, "sd:SoegeordKategoriTekst", category);
        out.extend_from_slice(b"</Soegeord>");
    }
    out.extend_from_slice(b"</Egenskab></AttributListe><TilstandListe><PubliceretStatus>");
    out.extend_from_slice(virkning().as_bytes());
    out.extend_from_slice(
        b"<sd:ErPubliceretIndikator>true</sd:ErPubliceretIndikator></PubliceretStatus></TilstandListe><RelationListe>",
    );
    push_relation(&mut out, "Facet", &katalog.facets[class.facet].uuid);
    if let Some(p) = class.parent {
        push_relation(&mut out, "OverordnetKlasse", &katalog.classes[p].uuid);
    }
    out.extend_from_slice(b"</RelationListe></Registrering></FiltreretOejebliksbillede>");
    out.into_boxed_slice()
}

impl Service for KlasseService {
    fn title(&self) -> &'static str {
        "SF1510 Klasse v7"
    }

    fn paths(&self) -> &[&'static str] {
        &PATHS
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
        let presented = ctx
            .guard
            .inspect(envelope.version, body, envelope.security_header, ENTITY_ID)?;
        let caller = ctx
            .guard
            .optional_caller(envelope.version, &presented, None, ENTITY_ID)?;
        let op = &envelope.operation;
        let xml = body.get(op.range.clone()).unwrap_or_default();
        let request = Request::parse(&op.local_name, xml, envelope)?;
        let transaction = stoettesystem::read(&body, envelope)?.and_then(|h| h.transaction_uuid);
        let answer = apply(&self.katalog, &request);
        self.render(&answer, out);
        if answer.status != status::OK {
            ctx.trace.refused([answer.status]);
        }
        let outcome = match answer.status {
            status::OK => format!("{} class(es)", answer.classes.len()),
            code => format!("StatusKode {code}: {}", answer.message),
        };
        Ok(Summary {
            caller: caller.map(|c| c.cvr.to_string()),
            outcome: outcome.into(),
            signing: ResponseSigning::for_token(&presented),
            header: transaction.map(|t| stoettesystem::echo("h", &t)),
        })
    }

    /// SOAP 1.2 only, as the contract binds.
    fn soap_versions(&self) -> &'static [SoapVersion] {
        &[SoapVersion::V12]
    }

    /// The default action of the operation's output in KOMBIT's WSDL (it names none):
    /// `http://stoettesystemerne.dk/klassifikation/KlassePortType/<operation>Response`.
    fn reply_action(&self, envelope: &Envelope) -> String {
        let operation = stoettesystem::operation_name(&envelope.operation.local_name);
        default_action(WSDL_NAMESPACE, "KlassePortType", &format!("{operation}Response"))
    }

    /// KOMBIT publishes Klasse v7's contract: see [`Service::official`].
    fn contract(&self, _document: Option<&str>, _base: &str) -> Option<String> {
        None
    }

    /// KOMBIT's `KlasseService.wsdl`, shipped, or from a vendor's contract folder
    /// (`--contracts DIR`); the name keeps it apart from SF1500's `Klasse.wsdl` (Klasse v6) in
    /// the same kind of folder.
    fn official(&self) -> Option<Official> {
        Some(Official {
            variants: &[Variant {
                name: "",
                shipped: "sf1510-klasse-v7/wsdl/KlasseService.wsdl",
                vendor: &["KlasseService.wsdl"],
            }],
            derive: None,
            origin: "KOMBIT's SF1510 Klassifikation package (Klasse v7: KlasseService.wsdl with its XSDs, \
                     e.g. in kombit/kosdy_infrastructureSamples-net6, wsdl/Klasse)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Like;

    fn like(pattern: &str, text: &str) -> bool {
        Like::new(pattern, false).matches(text)
    }

    #[test]
    fn like_matches_exactly_or_with_wildcards() {
        assert!(like("32.24.04", "32.24.04"));
        assert!(!like("32.24", "32.24.04"));
        assert!(like("32.24.%", "32.24.04"));
        assert!(!like("32.24.%", "32.24"));
        assert!(like("%hjælp", "Kontanthjælp"));
        assert!(like("%TIL%", "Børnetilskud"));
        assert!(like("%", ""));
        assert!(!like("a%b%c", "abx"));
        assert!(!like("ab%ba", "aba"), "head and tail must not overlap");
    }
}
