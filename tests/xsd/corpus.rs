//! The documents of the cross-check: real examples from `../shared/contracts`, sfstub's golden
//! fixtures, the responses sfstub's services give to valid requests, and mutations of each
//! (unknown element, missing child, wrong order, repeated child, bad values, bad dateTime,
//! bad UUID) — at the top level and one level down.

use bytes::Bytes;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use sfstub::security::SecurityMode;
use sfstub::xsd::Instance;

use crate::sets::contracts;
use crate::world;

/// The first child of the SOAP Body, as a standalone document: the namespace bindings of its
/// ancestors are declared on it.
pub fn body_element(envelope: &str) -> Option<String> {
    let bytes = envelope.as_bytes();
    let mut reader = Reader::from_reader(bytes);
    let mut depth = 0usize;
    let mut body_depth = None;
    loop {
        let at = reader.buffer_position() as usize;
        match reader.read_event().ok()? {
            Event::Start(e) => {
                depth += 1;
                if body_depth == Some(depth - 1) {
                    let end = end_of(bytes, at)?;
                    return Some(standalone(envelope, at..end));
                }
                if e.local_name().as_ref() == b"Body" {
                    body_depth = Some(depth);
                }
            }
            Event::Empty(_) if body_depth == Some(depth) => {
                let end = reader.buffer_position() as usize;
                return Some(standalone(envelope, at..end));
            }
            Event::End(_) => {
                if body_depth == Some(depth) {
                    return None;
                }
                depth -= 1;
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Where the element starting at `start` ends.
fn end_of(bytes: &[u8], start: usize) -> Option<usize> {
    let mut reader = Reader::from_reader(&bytes[start..]);
    let mut depth = 0;
    loop {
        match reader.read_event().ok()? {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return Some(start + reader.buffer_position() as usize);
                }
            }
            Event::Empty(_) if depth == 0 => return Some(start + reader.buffer_position() as usize),
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn standalone(document: &str, range: std::ops::Range<usize>) -> String {
    let instance = Instance::within(document.as_bytes(), range.clone());
    let element = &document[range];
    let tag_end = element
        .find(['>', '/'])
        .map(|i| element[..i].find(char::is_whitespace).unwrap_or(i))
        .unwrap_or(0);
    let own = &element[..element.find('>').unwrap_or(element.len())];
    let mut declarations = String::new();
    let mut seen = std::collections::HashSet::new();
    for (prefix, uri) in instance.namespaces.iter().rev() {
        if !seen.insert(prefix.clone()) {
            continue;
        }
        let attr = if prefix.is_empty() {
            "xmlns".to_owned()
        } else {
            format!("xmlns:{prefix}")
        };
        if own.contains(&format!("{attr}=")) {
            continue;
        }
        declarations.push_str(&format!(
            " {attr}=\"{}\"",
            uri.replace('&', "&amp;").replace('"', "&quot;")
        ));
    }
    format!("{}{declarations}{}", &element[..tag_end], &element[tag_end..])
}

/// An element's place in a document.
#[derive(Debug, Clone)]
struct Span {
    depth: usize,
    start: usize,
    content: std::ops::Range<usize>,
    end: usize,
    children: usize,
}

fn spans(doc: &str) -> Vec<Span> {
    let mut reader = Reader::from_reader(doc.as_bytes());
    let mut out: Vec<Span> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    loop {
        let at = reader.buffer_position() as usize;
        let Ok(event) = reader.read_event() else { return out };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(_) | Event::Empty(_) => {
                if let Some(&p) = open.last() {
                    out[p].children += 1;
                }
                let empty = matches!(event, Event::Empty(_));
                out.push(Span {
                    depth: open.len(),
                    start: at,
                    content: after..after,
                    end: after,
                    children: 0,
                });
                if !empty {
                    open.push(out.len() - 1);
                }
            }
            Event::End(_) => {
                if let Some(i) = open.pop() {
                    out[i].content.end = at;
                    out[i].end = after;
                }
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

/// The valid document and its mutations, each with a label.
pub fn mutations(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let all = spans(doc);
    let Some(root) = all.first() else { return out };
    let mut edit = |label: &str, text: String| {
        if text != doc {
            out.push((label.to_owned(), text));
        }
    };
    edit(
        "unknown element",
        format!(
            "{}<sfstubBogus xmlns=\"urn:sfstub:bogus\"/>{}",
            &doc[..root.content.start],
            &doc[root.content.start..]
        ),
    );
    // The structural mutations, on the root's children and on those of its first child that has some.
    let parents: Vec<usize> = std::iter::once(0)
        .chain(all.iter().position(|s| s.depth == 1 && s.children > 0))
        .collect();
    for (level, parent) in parents.into_iter().enumerate() {
        let p = &all[parent];
        let kids: Vec<&Span> = all
            .iter()
            .filter(|s| s.depth == p.depth + 1 && s.start >= p.start && s.end <= p.end)
            .collect();
        let Some(first) = kids.first() else { continue };
        let tag = if level == 0 { "" } else { " (nested)" };
        edit(
            &format!("missing first child{tag}"),
            format!("{}{}", &doc[..first.start], &doc[first.end..]),
        );
        if let Some(last) = kids.last() {
            edit(
                &format!("missing last child{tag}"),
                format!("{}{}", &doc[..last.start], &doc[last.end..]),
            );
        }
        edit(
            &format!("repeated first child{tag}"),
            format!(
                "{}{}{}",
                &doc[..first.end],
                &doc[first.start..first.end],
                &doc[first.end..]
            ),
        );
        if let Some(second) = kids.get(1) {
            edit(
                &format!("first two children swapped{tag}"),
                format!(
                    "{}{}{}{}{}",
                    &doc[..first.start],
                    &doc[second.start..second.end],
                    &doc[first.end..second.start],
                    &doc[first.start..first.end],
                    &doc[second.end..]
                ),
            );
        }
    }
    let leaves: Vec<&Span> = all
        .iter()
        .filter(|s| s.children == 0 && s.depth > 0 && !s.content.is_empty())
        .collect();
    let replace = |s: &Span, value: &str| format!("{}{value}{}", &doc[..s.content.start], &doc[s.content.end..]);
    for (i, pick) in [0, leaves.len() / 2, leaves.len().saturating_sub(1)]
        .into_iter()
        .enumerate()
    {
        if let Some(s) = leaves.get(pick) {
            edit(&format!("bogus value {i}"), replace(s, "BOGUS value!"));
        }
    }
    if let Some(s) = leaves.first() {
        edit("empty value", replace(s, ""));
    }
    let date_time = regex::Regex::new(r"^\s*\d{4}-\d{2}-\d{2}T").unwrap();
    if let Some(s) = leaves.iter().find(|s| date_time.is_match(&doc[s.content.clone()])) {
        edit("bad dateTime", replace(s, "2026-13-45T99:00:00"));
    }
    let date = regex::Regex::new(r"^\s*\d{4}-\d{2}-\d{2}\s*$").unwrap();
    if let Some(s) = leaves.iter().find(|s| date.is_match(&doc[s.content.clone()])) {
        edit("bad date", replace(s, "2026-02-30"));
    }
    let uuid = regex::Regex::new(r"^\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-").unwrap();
    if let Some(s) = leaves.iter().find(|s| uuid.is_match(&doc[s.content.clone()])) {
        edit("bad uuid", replace(s, "not-a-uuid"));
    }
    out
}

/// SOAP bodies in the markdown code blocks of a document.
fn envelopes_in_markdown(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("Envelope xmlns") {
        let open = rest[..start].rfind('<').unwrap_or(start);
        let Some(close) = rest[start..].find("Envelope>").map(|i| start + i + "Envelope>".len()) else {
            break;
        };
        out.push(rest[open..close].to_owned());
        rest = &rest[close..];
    }
    out
}

/// Real exchanges and examples from the contracts folder: (label, standalone element).
pub fn real_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let md = std::fs::read_to_string(contracts().join("sf2900-fordelingskomponent/docs/SF2900.md")).unwrap();
    for (i, env) in envelopes_in_markdown(&md).into_iter().enumerate() {
        if let Some(b) = body_element(&env) {
            out.push((format!("SF2900.md exchange {i}"), b));
        }
    }
    let forsendelse =
        contracts().join("sf1601-kombipostafsend-examples/tests/physical_mail_xml/ForsendelseI_Minimal.xml");
    out.push((
        "ForsendelseI_Minimal.xml".to_owned(),
        std::fs::read_to_string(forsendelse).unwrap(),
    ));
    for dir in [
        "SOAP examples/OioWsTrust/Official examples from STS",
        "SOAP examples/OioWsTrust/Examples generated by Digst.OioIdws.Wsc",
        "test-data",
    ] {
        let folder = contracts().join("oioidws-examples").join(dir);
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            if let Some(b) = body_element(&text) {
                out.push((format!("oioidws {dir}/{}", f.file_name().unwrap().to_string_lossy()), b));
            }
        }
    }
    out
}

/// sfstub's golden SF1472 fixtures (requests and responses) whose body is not a fault.
pub fn golden_fixtures() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sf1472");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(&f).ok()?;
            let b = body_element(&text)?;
            (!b.contains(":Fault") && !b.starts_with("<Fault"))
                .then(|| (f.file_name().unwrap().to_string_lossy().into_owned(), b))
        })
        .collect()
}

/// Requests sfstub's tests send, and the responses sfstub gives them: (path, label, element).
pub fn exchanges() -> Vec<(&'static str, String, String)> {
    let app = world::app(SecurityMode::Off);
    let k2017 = r#"xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/""#;
    let k2017_sf1510 = r#"xmlns:k="http://www.kombit.dk/2017/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/""#;
    let requests: Vec<(&'static str, String)> = vec![
        ("/kontrolsaglistehent/1", format!(r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><k:KontrolsagListeHent_I {k2017} revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>14720006</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#)),
        ("/service/CPR/PersonBaseDataExtended/4", r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><tns:PersonLookupRequest xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/" xmlns:a="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/" xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/"><a:AuthorityContext><a:MunicipalityCVR>64942212</a:MunicipalityCVR></a:AuthorityContext><cpr:PNR>1507804329</cpr:PNR></tns:PersonLookupRequest></soap:Body></soap:Envelope>"#.to_owned()),
        ("/organisation/virksomhed/6", r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f</rh:TransactionUUID></rh:RequestHeader></soap:Header><soap:Body><v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sts="urn:oio:sts:6" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:MaksimalAntalKvantitet>5</sd:MaksimalAntalKvantitet><v:AttributListe><v:Egenskab><sts:CVR-NummerTekst>29189420</sts:CVR-NummerTekst></v:Egenskab></v:AttributListe><v:TilstandListe/><v:RelationListe/></v:SoegInput></soap:Body></soap:Envelope>"#.to_owned()),
        ("/klasse/7", r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><k:ListInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>db228234-3c26-5265-b008-5debec0ec5f4</sd:UUIDIdentifikator></k:ListInput></soap:Body></soap:Envelope>"#.to_owned()),
        ("/klassifikationlistehent/2", format!(r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><k:KlassifikationListeHent_I {k2017_sf1510} revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:BrugervendtNøgleKriterie><k:KlassifikationBrugervendtNøgle>KLE</k:KlassifikationBrugervendtNøgle></k:BrugervendtNøgleKriterie></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I></soap:Body></soap:Envelope>"#)),
    ];
    let mut out = Vec::new();
    for (path, body) in requests {
        let content_type = if body.contains("schemas.xmlsoap.org/soap/envelope") {
            "text/xml; charset=utf-8"
        } else {
            "application/soap+xml; charset=utf-8"
        };
        let request = http::Request::post(path)
            .header("Content-Type", content_type)
            .body(Bytes::from(body.clone()))
            .unwrap();
        let response = sfstub::http::handle(&app, request);
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        if let Some(b) = body_element(&body) {
            out.push((path, format!("request to {path}"), b));
        }
        match body_element(&text) {
            Some(b) if !b.contains("Fault") => out.push((path, format!("sfstub's response from {path}"), b)),
            _ => panic!("{path} gave no usable response:\n{text}"),
        }
    }
    out
}
