//! The K2017 `…Struktur` fragments of KlassifikationListeHent, rendered once per
//! classification, facet and class when the service is prepared. Element names are
//! unprefixed: they take the default namespace of the response element around them.

use super::katalog::{Katalog, KlasseInfo, PUBLISHED, published_date};
use crate::soap::xml::push_element;

/// Every fragment, indexed like the catalogue's vectors.
pub struct Rendered {
    /// `KlassifikationStruktur` up to and including `<FacetListe>`.
    pub klassifikationer: Vec<String>,
    /// `FacetStruktur` up to and including `<KlasseListe>`.
    pub facets: Vec<String>,
    /// Whole `KlasseStruktur` elements.
    pub classes: Vec<String>,
}

fn push(out: &mut Vec<u8>, name: &str, text: &str) {
    push_element(out, name, text);
}

fn into_string(out: Vec<u8>) -> String {
    // Only &str went in.
    String::from_utf8(out).unwrap_or_default()
}

impl Rendered {
    /// Renders the catalogue.
    pub fn new(katalog: &Katalog) -> Rendered {
        let date = published_date().to_string();
        let klassifikationer = katalog
            .klassifikationer
            .iter()
            .map(|k| {
                let mut out = Vec::with_capacity(1024);
                out.extend_from_slice(b"<KlassifikationStruktur>");
                push(&mut out, "KlassifikationIdentifikation", &k.uuid.to_string());
                push(&mut out, "KlassifikationBrugervendtNøgle", k.key);
                push(&mut out, "KlassifikationTitel", k.title);
                push(&mut out, "KlassifikationBeskrivelse", k.description);
                if let Some(r) = k.retskilde {
                    push(&mut out, "KlassifikationRetskilde", r);
                }
                push(&mut out, "KlassifikationEjer", k.owner);
                push(&mut out, "KlassifikationPubliceretFraDato", &date);
                push(&mut out, "KlassifikationSidstÆndretTidspunkt", PUBLISHED);
                out.extend_from_slice(b"<FacetListe>");
                into_string(out)
            })
            .collect();
        let facets = katalog
            .facets
            .iter()
            .map(|f| {
                let mut out = Vec::with_capacity(1024);
                out.extend_from_slice(b"<FacetStruktur>");
                push(&mut out, "FacetIdentifikation", &f.uuid.to_string());
                push(&mut out, "FacetBrugervendtNøgle", f.key);
                push(&mut out, "FacetTitel", f.title);
                push(&mut out, "FacetBeskrivelse", f.description);
                push(&mut out, "FacetEjer", katalog.klassifikationer[f.klassifikation].owner);
                push(&mut out, "FacetPubliceretFraDato", &date);
                push(&mut out, "FacetSidstÆndretTidspunkt", PUBLISHED);
                out.extend_from_slice(b"<KlasseListe>");
                into_string(out)
            })
            .collect();
        let classes = katalog.classes.iter().map(|c| class(katalog, c, &date)).collect();
        Rendered {
            klassifikationer,
            facets,
            classes,
        }
    }
}

fn class(katalog: &Katalog, c: &KlasseInfo, date: &str) -> String {
    let owner = katalog.klassifikationer[katalog.facets[c.facet].klassifikation].owner;
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"<KlasseStruktur>");
    push(&mut out, "KlasseIdentifikation", &c.uuid.to_string());
    push(&mut out, "KlasseBrugervendtNøgle", &c.key);
    push(&mut out, "KlasseTitel", &c.title);
    push(&mut out, "KlasseBeskrivelse", &c.description);
    if let Some(s) = c.sortering {
        push(&mut out, "KlasseSortering", &s.to_string());
    }
    if let Some(r) = c.retskilde {
        push(&mut out, "KlasseRetskilde", r);
    }
    push(&mut out, "KlasseEjer", owner);
    push(&mut out, "KlasseSidstÆndretTidspunkt", PUBLISHED);
    out.extend_from_slice(b"<KlassePubliceretListe><KlassePubliceret>");
    push(&mut out, "KlassePubliceretFraDato", date);
    out.extend_from_slice(b"</KlassePubliceret></KlassePubliceretListe>");
    if !c.soegeord.is_empty() {
        out.extend_from_slice("<KlasseSøgeordListe>".as_bytes());
        for (word, category) in &c.soegeord {
            out.extend_from_slice("<KlasseSøgeord>".as_bytes());
            push(&mut out, "SøgeordTitel", &format!("{category} {word}"));
            out.extend_from_slice("</KlasseSøgeord>".as_bytes());
        }
        out.extend_from_slice("</KlasseSøgeordListe>".as_bytes());
    }
    if let Some(p) = c.parent {
        let parent = &katalog.classes[p];
        out.extend_from_slice("<ForældreKlasse>".as_bytes());
        push(&mut out, "KlasseIdentifikation", &parent.uuid.to_string());
        push(&mut out, "KlasseBrugervendtNøgle", &parent.key);
        out.extend_from_slice("</ForældreKlasse>".as_bytes());
    }
    out.extend_from_slice(b"</KlasseStruktur>");
    into_string(out)
}
