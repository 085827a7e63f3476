//! SF1510 `KlassifikationListeHent` v2 (K2017 generation) at `/klassifikationlistehent/2`:
//! whole classifications, or parts of them, as `KlassifikationStruktur{…, FacetListe{
//! FacetStruktur{…, KlasseListe{KlasseStruktur}}}}`.
//!
//! Criteria (`KlassifikationKriterieListe/IdentifikationKriterie`, any number, combined):
//! a classification's, facet's or class's UUID, or `BrugervendtNøgleKriterie` naming a
//! classification by key (`KLE`, `SFSTUB`), optionally narrowed to a facet and a class key.
//! Element names are matched with `ø`/`æ` or their ASCII spellings `oe`/`ae`, since clients
//! use both. Errors are `SvarReaktion/Fejl` with sfstub's FejlId codes ([`fejl_id`]).
//!
//! KOMBIT's contract for this service is not in `../shared/contracts`; sfstub publishes its
//! own reconstruction (`src/services/sf1510/`) at `?wsdl`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use uuid::Uuid;

use super::katalog::{Katalog, Objekt, published_date};
use crate::clip::clip;
use crate::security::Guard;
use crate::services::k2017::{self, Fejl, HovedOplysninger, KONTEKST_NS};
use crate::services::{Context, ResponseSigning, Service, Summary};
use crate::soap::addressing::default_action;
use crate::soap::xml::{escape, leaf_texts};
use crate::soap::{Body, Envelope, Fault, SoapVersion};

/// The request element's local name.
pub const OPERATION: &str = "KlassifikationListeHent_I";
/// The entity ID (token audience).
pub const ENTITY_ID: &str = "http://entityid.kombit.dk/service/klassifikationlistehent/2";
/// The path.
pub const PATHS: [&str; 1] = ["/klassifikationlistehent/2"];
/// The namespace of the published contract (KOMBIT's 2017 package); a request in another
/// namespace is answered in that one.
pub const DEFAULT_NAMESPACE: &str = "http://www.kombit.dk/2017/01/01/";

/// sfstub's `FejlId` codes for KlassifikationListeHent.
pub mod fejl_id {
    pub const KRITERIE_MANGLER: u32 = 2001;
    pub const UUID_UGYLDIG: u32 = 2002;
    pub const IKKE_FUNDET: u32 = 2003;
    pub const DATO_UGYLDIG: u32 = 2004;
    pub const MARKERING_UGYLDIG: u32 = 2005;
    pub const KRITERIE_UGYLDIG: u32 = 2006;
}

/// One `IdentifikationKriterie`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kriterie {
    Klassifikation(String),
    Facet(String),
    Klasse(String),
    Noegle {
        klassifikation: String,
        facet: Option<String>,
        klasse: Option<String>,
    },
}

/// A parsed `KlassifikationListeHent_I`, kept as sent; [`apply`] judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub hoved: HovedOplysninger<'static>,
    pub kriterier: Vec<Kriterie>,
    /// Facet or class keys that follow no `KlassifikationBrugervendtNøgle`.
    pub loose_keys: Vec<String>,
    pub kun_aktuelle: Option<String>,
    pub publiceret_fra: Option<String>,
    pub publiceret_til: Option<String>,
    pub kun_faelleskommunale: Option<String>,
}

/// `ø`→`oe`, `æ`→`ae`, `å`→`aa` (and capitals): the ASCII spelling of an element name.
fn ascii(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            'ø' => s.push_str("oe"),
            'Ø' => s.push_str("Oe"),
            'æ' => s.push_str("ae"),
            'Æ' => s.push_str("Ae"),
            'å' => s.push_str("aa"),
            'Å' => s.push_str("Aa"),
            c => s.push(c),
        }
    }
    s
}

impl Request {
    /// Reads the request from the operation element's bytes.
    pub fn parse(xml: &[u8], envelope: &Envelope, guard: &Guard<'_>) -> Result<Request, Fault> {
        let leaves = leaf_texts(xml).map_err(|e| Fault::sender(envelope.version, e))?;
        let hoved = HovedOplysninger::from_leaves(&leaves, envelope.version, guard)?.into_owned();
        let mut request = Request {
            hoved,
            kriterier: Vec::new(),
            loose_keys: Vec::new(),
            kun_aktuelle: None,
            publiceret_fra: None,
            publiceret_til: None,
            kun_faelleskommunale: None,
        };
        for leaf in &leaves {
            let path = ascii(leaf.path);
            let text = leaf.text.to_owned();
            if let Some(rest) = path.strip_prefix("KlassifikationKriterieListe/") {
                let last = rest.rsplit('/').next().unwrap_or(rest);
                let previous = request.kriterier.last_mut();
                match (last, previous) {
                    ("KlassifikationIdentifikation", _) => request.kriterier.push(Kriterie::Klassifikation(text)),
                    ("FacetIdentifikation", _) => request.kriterier.push(Kriterie::Facet(text)),
                    ("KlasseIdentifikation", _) => request.kriterier.push(Kriterie::Klasse(text)),
                    ("KlassifikationBrugervendtNoegle", _) => request.kriterier.push(Kriterie::Noegle {
                        klassifikation: text,
                        facet: None,
                        klasse: None,
                    }),
                    (
                        "FacetBrugervendtNoegle",
                        Some(Kriterie::Noegle {
                            facet: f @ None,
                            klasse: None,
                            ..
                        }),
                    ) => *f = Some(text),
                    ("KlasseBrugervendtNoegle", Some(Kriterie::Noegle { klasse: k @ None, .. })) => *k = Some(text),
                    (other, _) => request.loose_keys.push(format!("{other} {text:?}", text = clip(&text))),
                }
                continue;
            }
            let slot = match path.as_str() {
                "KunAktuelle" => &mut request.kun_aktuelle,
                "KlassifikationPubliceretFraDato" => &mut request.publiceret_fra,
                "KlassifikationPubliceretTilDato" => &mut request.publiceret_til,
                "KunFaelleskommunaleKlasser" => &mut request.kun_faelleskommunale,
                _ => continue,
            };
            *slot = Some(text);
        }
        Ok(request)
    }
}

/// What a request selects: per classification, per facet, all classes (`None`) or some.
pub type Selection = BTreeMap<usize, BTreeMap<usize, Option<BTreeSet<usize>>>>;

fn select_facet(s: &mut Selection, katalog: &Katalog, f: usize) {
    s.entry(katalog.facets[f].klassifikation).or_default().insert(f, None);
}

fn select_class(s: &mut Selection, katalog: &Katalog, c: usize) {
    let f = katalog.classes[c].facet;
    let facets = s.entry(katalog.facets[f].klassifikation).or_default();
    if let Some(classes) = facets.entry(f).or_insert_with(|| Some(BTreeSet::new())) {
        classes.insert(c);
    }
}

fn parse_uuid(text: &str, element: &str) -> Result<Uuid, Fejl> {
    match Uuid::try_parse(text) {
        Ok(u) if text.len() == 36 => Ok(u),
        _ => Err(Fejl {
            id: fejl_id::UUID_UGYLDIG,
            tekst: format!(
                "{element} {text:?} er ikke et UUID (8-4-4-4-12 hexadecimale cifre)",
                text = clip(text)
            ),
        }),
    }
}

fn markering(text: Option<&str>, element: &str, fejl: &mut Vec<Fejl>) -> Option<bool> {
    match text {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(other) => {
            fejl.push(Fejl {
                id: fejl_id::MARKERING_UGYLDIG,
                tekst: format!("{element} {other:?} er hverken true eller false", other = clip(other)),
            });
            None
        }
    }
}

/// Resolves the criteria against the catalogue: the selection, or every error found.
pub fn apply(katalog: &Katalog, request: &Request) -> Result<Selection, Vec<Fejl>> {
    let mut fejl = Vec::new();
    let mut selection = Selection::new();
    if request.kriterier.is_empty() && request.loose_keys.is_empty() {
        fejl.push(Fejl {
            id: fejl_id::KRITERIE_MANGLER,
            tekst: "KlassifikationKriterieListe skal have mindst ét IdentifikationKriterie".into(),
        });
    }
    for key in &request.loose_keys {
        fejl.push(Fejl {
            id: fejl_id::KRITERIE_UGYLDIG,
            tekst: format!(
                "{key} står ikke i et BrugervendtNøgleKriterie efter KlassifikationBrugervendtNøgle (højst én facet- og én klassenøgle hver)"
            ),
        });
    }
    let not_found = |tekst: String| Fejl {
        id: fejl_id::IKKE_FUNDET,
        tekst,
    };
    for k in &request.kriterier {
        let step = match k {
            Kriterie::Klassifikation(t) | Kriterie::Facet(t) | Kriterie::Klasse(t) => {
                let (element, wanted) = match k {
                    Kriterie::Klassifikation(_) => ("KlassifikationIdentifikation", "klassifikation"),
                    Kriterie::Facet(_) => ("FacetIdentifikation", "facet"),
                    _ => ("KlasseIdentifikation", "klasse"),
                };
                parse_uuid(t, element).and_then(|uuid| match (katalog.lookup(&uuid), k) {
                    (Some(Objekt::Klassifikation(i)), Kriterie::Klassifikation(_)) => {
                        for &f in &katalog.klassifikationer[i].facets {
                            select_facet(&mut selection, katalog, f);
                        }
                        Ok(())
                    }
                    (Some(Objekt::Facet(f)), Kriterie::Facet(_)) => {
                        select_facet(&mut selection, katalog, f);
                        Ok(())
                    }
                    (Some(Objekt::Klasse(c)), Kriterie::Klasse(_)) => {
                        select_class(&mut selection, katalog, c);
                        Ok(())
                    }
                    (Some(other), _) => Err(not_found(format!(
                        "{element} {uuid} er {}, ikke en {wanted}",
                        katalog.describe(other)
                    ))),
                    (None, _) => Err(not_found(format!("{element} {uuid}: ingen {wanted} har det UUID"))),
                })
            }
            Kriterie::Noegle {
                klassifikation,
                facet,
                klasse,
            } => by_keys(
                katalog,
                &mut selection,
                klassifikation,
                facet.as_deref(),
                klasse.as_deref(),
            )
            .map_err(not_found),
        };
        if let Err(f) = step {
            fejl.push(f);
        }
    }
    let kun_aktuelle = markering(request.kun_aktuelle.as_deref(), "KunAktuelle", &mut fejl);
    markering(
        request.kun_faelleskommunale.as_deref(),
        "KunFælleskommunaleKlasser",
        &mut fejl,
    );
    let mut date = |text: &Option<String>, element: &str| {
        let text = text.as_deref()?;
        let parsed = k2017::parse_xs_date(text);
        if parsed.is_none() {
            fejl.push(Fejl {
                id: fejl_id::DATO_UGYLDIG,
                tekst: format!("{element} {text:?} er ikke en dato (ÅÅÅÅ-MM-DD)", text = clip(text)),
            });
        }
        parsed
    };
    let fra = date(&request.publiceret_fra, "KlassifikationPubliceretFraDato");
    let til = date(&request.publiceret_til, "KlassifikationPubliceretTilDato");
    if let (Some(f), Some(t)) = (fra, til)
        && f > t
    {
        fejl.push(Fejl {
            id: fejl_id::DATO_UGYLDIG,
            tekst: format!("KlassifikationPubliceretFraDato {f} ligger efter KlassifikationPubliceretTilDato {t}"),
        });
    }
    if !fejl.is_empty() {
        return Err(fejl);
    }
    // Everything is published from PUBLISHED with no end: current now, and in a period
    // [fra, til) exactly when til is after the publication date. KunAktuelle (or its
    // absence) ignores the period, as the contract says.
    if kun_aktuelle == Some(false) && til.is_some_and(|t| t <= published_date()) {
        selection.clear();
    }
    Ok(selection)
}

fn by_keys(
    katalog: &Katalog,
    selection: &mut Selection,
    klassifikation: &str,
    facet: Option<&str>,
    klasse: Option<&str>,
) -> Result<(), String> {
    let Some(k) = katalog.klassifikation_by_key(klassifikation) else {
        let known: Vec<&str> = katalog.klassifikationer.iter().map(|k| k.key).collect();
        return Err(format!(
            "KlassifikationBrugervendtNøgle {klassifikation:?} findes ikke; kendte: {}",
            known.join(", "),
            klassifikation = clip(klassifikation)
        ));
    };
    let facets: Vec<usize> = match facet {
        None => katalog.klassifikationer[k].facets.clone(),
        Some(key) => match katalog.facet_by_key(k, key) {
            Some(f) => vec![f],
            None => {
                let known: Vec<&str> = katalog.klassifikationer[k]
                    .facets
                    .iter()
                    .map(|&f| katalog.facets[f].key)
                    .collect();
                return Err(format!(
                    "FacetBrugervendtNøgle {key:?} findes ikke i {klassifikation}; kendte: {}",
                    known.join(", "),
                    key = clip(key)
                ));
            }
        },
    };
    let Some(key) = klasse else {
        for f in facets {
            select_facet(selection, katalog, f);
        }
        return Ok(());
    };
    let found: Vec<usize> = katalog
        .classes_with_key(key)
        .iter()
        .copied()
        .filter(|&c| facets.contains(&katalog.classes[c].facet))
        .collect();
    if found.is_empty() {
        return Err(format!(
            "KlasseBrugervendtNøgle {key:?} findes ikke i {klassifikation}{}",
            facet.map(|f| format!("/{f}")).unwrap_or_default(),
            key = clip(key)
        ));
    }
    for c in found {
        select_class(selection, katalog, c);
    }
    Ok(())
}

/// The service, with every classification, facet and class pre-rendered.
pub struct KlassifikationListeHent {
    katalog: Arc<Katalog>,
    /// `KlassifikationStruktur` up to and including `<FacetListe>`, per classification.
    klassifikation_heads: Vec<String>,
    /// `FacetStruktur` up to and including `<KlasseListe>`, per facet.
    facet_heads: Vec<String>,
    /// `KlasseStruktur` per class.
    class_fragments: Vec<String>,
}

impl KlassifikationListeHent {
    /// Prepares the service for a catalogue.
    pub fn new(katalog: Arc<Katalog>) -> KlassifikationListeHent {
        let rendered = super::struktur::Rendered::new(&katalog);
        KlassifikationListeHent {
            katalog,
            klassifikation_heads: rendered.klassifikationer,
            facet_heads: rendered.facets,
            class_fragments: rendered.classes,
        }
    }

    /// Writes `KlassifikationListeHent_O` for a selection or a list of errors.
    pub fn render(
        &self,
        namespace: &str,
        revision: Option<&str>,
        hoved: &HovedOplysninger<'_>,
        result: &Result<Selection, Vec<Fejl>>,
        out: &mut Vec<u8>,
    ) {
        out.extend_from_slice(b"<KlassifikationListeHent_O xmlns=\"");
        out.extend_from_slice(escape(namespace).as_bytes());
        out.extend_from_slice(b"\" xmlns:kontekst=\"");
        out.extend_from_slice(KONTEKST_NS.as_bytes());
        out.push(b'"');
        if let Some(r) = revision {
            out.extend_from_slice(b" revision=\"");
            out.extend_from_slice(escape(r).as_bytes());
            out.push(b'"');
        }
        out.push(b'>');
        match result {
            Err(fejl) => k2017::write_svar(out, hoved, fejl),
            Ok(selection) => {
                k2017::write_svar(out, hoved, &[]);
                if !selection.is_empty() {
                    out.extend_from_slice(b"<KlassifikationListe>");
                    for (&k, facets) in selection {
                        out.extend_from_slice(self.klassifikation_heads[k].as_bytes());
                        for (&f, classes) in facets {
                            out.extend_from_slice(self.facet_heads[f].as_bytes());
                            let all = &self.katalog.facets[f].classes;
                            let chosen: Box<dyn Iterator<Item = &usize>> = match classes {
                                None => Box::new(all.iter()),
                                Some(some) => Box::new(some.iter()),
                            };
                            for &c in chosen {
                                out.extend_from_slice(self.class_fragments[c].as_bytes());
                            }
                            out.extend_from_slice("</KlasseListe></FacetStruktur>".as_bytes());
                        }
                        out.extend_from_slice(b"</FacetListe></KlassifikationStruktur>");
                    }
                    out.extend_from_slice(b"</KlassifikationListe>");
                }
            }
        }
        out.extend_from_slice(b"</KlassifikationListeHent_O>");
    }
}

impl Service for KlassifikationListeHent {
    fn title(&self) -> &'static str {
        "SF1510 KlassifikationListeHent"
    }

    fn paths(&self) -> &[&'static str] {
        &PATHS
    }

    fn entity_id(&self) -> &'static str {
        ENTITY_ID
    }

    fn k2017(&self) -> bool {
        true
    }

    fn fejl_answer(&self, envelope: &Envelope, body: &[u8], fejl: &[Fejl], out: &mut Vec<u8>) -> Result<(), Fault> {
        let op = &envelope.operation;
        let xml = body.get(op.range.clone()).unwrap_or_default();
        let hoved = k2017::hoved_of(xml, envelope.version)?;
        let namespace = op.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE);
        let revision = super::revision_attribute(xml);
        self.render(namespace, revision.as_deref(), &hoved, &Err(fejl.to_vec()), out);
        Ok(())
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
        let op = &envelope.operation;
        if op.local_name != OPERATION {
            return Err(Fault::sender(
                envelope.version,
                format!(
                    "unknown operation {}: this endpoint serves KlassifikationListeHent ({OPERATION})",
                    clip(&op.local_name)
                ),
            ));
        }
        let xml = body.get(op.range.clone()).unwrap_or_default();
        let request = Request::parse(xml, envelope, ctx.guard)?;
        let context_cvr = request.hoved.municipality_cvr.as_deref();
        let caller = ctx
            .guard
            .optional_caller(envelope.version, &presented, context_cvr, ENTITY_ID)?;
        let result = apply(&self.katalog, &request);
        let namespace = op.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE);
        let revision = super::revision_attribute(xml);
        self.render(namespace, revision.as_deref(), &request.hoved, &result, out);
        if let Err(f) = &result {
            ctx.trace.refused(f.iter().map(|f| f.id));
        }
        let outcome = match &result {
            Ok(s) => format!(
                "{} klassifikation(er), {} facet(ter)",
                s.len(),
                s.values().map(BTreeMap::len).sum::<usize>()
            ),
            Err(f) => format!(
                "Fejl {}",
                f.iter().map(|f| f.id.to_string()).collect::<Vec<_>>().join(",")
            ),
        };
        Ok(Summary {
            caller: caller.map(|c| c.cvr.to_string()),
            outcome: outcome.into(),
            signing: ResponseSigning::for_token(&presented),
            header: None,
        })
    }

    /// SOAP 1.2 only, as the contract binds.
    fn soap_versions(&self) -> &'static [SoapVersion] {
        &[SoapVersion::V12]
    }

    /// The default action of the output of sfstub's WSDL, in the namespace the answer uses.
    fn reply_action(&self, envelope: &Envelope) -> String {
        let namespace = envelope.operation.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE);
        default_action(
            namespace,
            "KlassifikationListeHentServicePortType",
            "KlassifikationListeHentResponse",
        )
    }

    fn contract(&self, document: Option<&str>, base: &str) -> Option<String> {
        let fill = |template: &str| {
            template
                .replace("{{NAMESPACE}}", DEFAULT_NAMESPACE)
                .replace("{{KONTEKST_NS}}", KONTEKST_NS)
                .replace("{{ADDRESS}}", &escape(base))
        };
        match document {
            None => Some(fill(WSDL)),
            Some("KlassifikationListeHent.xsd") => Some(fill(XSD)),
            Some("Kontekst.xsd") => Some(fill(crate::services::k2017::KONTEKST_XSD)),
            Some(_) => None,
        }
    }
}

const WSDL: &str = include_str!("../sf1510/KlassifikationListeHent.wsdl");
const XSD: &str = include_str!("../sf1510/KlassifikationListeHent.xsd");
/// The names of the XSD files the WSDL imports, for tests and tools.
pub const SCHEMA_FILES: [&str; 2] = ["KlassifikationListeHent.xsd", "Kontekst.xsd"];
