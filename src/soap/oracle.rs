//! The envelope reader as it was before it resolved namespaces itself and read the operation's
//! leaves in its pass (quick-xml's `NsReader`, then [`xml::leaf_texts`] on the operation's
//! bytes), kept as the oracle the tests compare [`super::parse_envelope`] with: same envelopes,
//! same faults, same words. The limit check and the leaf reading are the reader's own: only
//! the namespace resolution and the one-pass leaves are what the comparison is about.

use std::ops::Range;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::*;

use crate::clip::{clip, clip_bytes};

/// Reads an envelope. Every failure is a fault ready for the wire.
pub fn parse_envelope(input: &[u8], limits: Limits, fallback: SoapVersion) -> Result<Envelope, Fault> {
    let mut reader = NsReader::from_reader(input);
    reader.config_mut().check_end_names = true;
    let bom = if input.starts_with(UTF8_BOM) { UTF8_BOM.len() } else { 0 };
    let mut version: Option<SoapVersion> = None;
    let mut depth = 0usize;
    let mut in_body = false;
    let mut closed_envelope = false;
    let mut header: Option<Range<usize>> = None;
    let mut header_start = 0usize;
    let mut in_header = false;
    let mut operation: Option<Operation> = None;
    let mut security_header = false;
    let mut addressing: Option<RequestAddressing> = None;
    // Inside the header's wsa:MessageID: its text so far.
    let mut message_id: Option<String> = None;
    let mut op_start = 0usize;
    // The start tags of the Envelope and the Body.
    let mut ancestors = [0..0, 0..0];
    let mut op_pending: Option<(String, Option<String>)> = None;
    let mut seen_header = false;
    let mut seen_body = false;
    let mut check = xml::LimitCheck::new(limits);
    let fault = |version: Option<SoapVersion>, reason: String| Fault::sender(version.unwrap_or(fallback), reason);
    // The characters XML 1.0 does not allow, as the reader refuses them (not what the
    // comparison is about).
    if let Some((at, c)) = xml::forbidden_character(input) {
        return Err(fault(None, xml::forbidden_character_reason(at, c)));
    }

    loop {
        let before = bom + reader.buffer_position() as usize;
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                let at = reader.error_position();
                return Err(fault(version, xml::not_well_formed(at, e)));
            }
        };
        // Only the Envelope (depth 1) and the operation (depth 3) need their namespace kept.
        let namespace = match ns {
            ResolveResult::Bound(n) if depth == 0 || depth == 2 => {
                // The reader hands the xmlns value over as written: resolve its references.
                let raw = String::from_utf8_lossy(n.as_ref());
                Some(quick_xml::escape::unescape(&raw).map_or_else(|_| raw.to_string(), |u| u.into_owned()))
            }
            ResolveResult::Bound(_) | ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => {
                return Err(fault(
                    version,
                    format!("the namespace prefix {:?} is not declared", clip_bytes(&p)),
                ));
            }
        };
        let after = bom + reader.buffer_position() as usize;
        if let Event::GeneralRef(ref r) = event
            && let Some(why) = xml::refused_reference(r, before)
        {
            return Err(fault(version, why));
        }
        match event {
            Event::DocType(_) => {
                return Err(fault(
                    version,
                    "a DOCTYPE is not allowed in a SOAP message; entity declarations are never expanded".into(),
                ));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                if closed_envelope {
                    return Err(fault(version, "there is content after the closing Envelope tag".into()));
                }
                check.open(e, is_empty).map_err(|why| fault(version, why))?;
                depth += 1;
                let local = e.local_name();
                match depth {
                    1 => {
                        if local.as_ref() != b"Envelope" {
                            return Err(fault(
                                version,
                                format!(
                                    "the request is not a SOAP message: its root element is <{}>, not <Envelope>",
                                    clip_bytes(local.as_ref())
                                ),
                            ));
                        }
                        version = match namespace.as_deref() {
                            Some(SOAP11_NS) => Some(SoapVersion::V11),
                            Some(SOAP12_NS) => Some(SoapVersion::V12),
                            other => {
                                return Err(Fault::new(
                                    fallback,
                                    FaultCode::VersionMismatch,
                                    format!(
                                        "the Envelope namespace is {}; sfstub speaks SOAP 1.1 ({SOAP11_NS}) and SOAP 1.2 ({SOAP12_NS})",
                                        other
                                            .map(|s| format!("{:?}", clip(s)))
                                            .unwrap_or_else(|| "missing".into())
                                    ),
                                ));
                            }
                        };
                        if is_empty {
                            return Err(fault(version, "the Envelope has no Body".into()));
                        }
                        ancestors[0] = before..after;
                    }
                    2 => match local.as_ref() {
                        b"Header" if seen_header => {
                            return Err(fault(
                                version,
                                "the Envelope holds a second Header; SOAP allows one, before the Body".into(),
                            ));
                        }
                        b"Header" if seen_body => {
                            return Err(fault(
                                version,
                                "the Header comes after the Body; SOAP puts the one Header before the Body".into(),
                            ));
                        }
                        b"Body" if seen_body => {
                            return Err(fault(
                                version,
                                "the Envelope holds a second Body; SOAP allows exactly one".into(),
                            ));
                        }
                        b"Header" => {
                            seen_header = true;
                            in_header = !is_empty;
                            header_start = after;
                            if is_empty {
                                header = Some(after..after);
                            }
                        }
                        b"Body" => {
                            seen_body = true;
                            if is_empty {
                                return Err(fault(
                                    version,
                                    "the SOAP Body is empty: it must hold the operation's request element".into(),
                                ));
                            }
                            in_body = true;
                            ancestors[1] = before..after;
                        }
                        other => {
                            return Err(fault(
                                version,
                                format!(
                                    "unexpected <{}> in the Envelope: only Header and Body belong there",
                                    clip_bytes(other)
                                ),
                            ));
                        }
                    },
                    3 if in_header && local.as_ref() == b"Security" => security_header = true,
                    3 if in_header && namespace.as_deref() == Some(addressing::WSA_NS) => {
                        let headers = addressing.get_or_insert_with(RequestAddressing::default);
                        if local.as_ref() == b"MessageID" && headers.message_id.is_none() {
                            if is_empty {
                                headers.message_id = Some(String::new());
                            } else {
                                message_id = Some(String::new());
                            }
                        }
                    }
                    3 if in_body => {
                        if operation.is_some() || op_pending.is_some() {
                            return Err(fault(version, "the SOAP Body holds more than one element".into()));
                        }
                        let name = String::from_utf8_lossy(local.as_ref()).into_owned();
                        if is_empty {
                            operation = Some(Operation {
                                local_name: name.into(),
                                namespace: namespace.map(Into::into),
                                range: before..after,
                                ancestors: ancestors.clone(),
                                leaves: xml::leaf_texts(&input[before..after]),
                                declared: None,
                                shape: None,
                            });
                        } else {
                            op_start = before;
                            op_pending = Some((name, namespace));
                        }
                    }
                    _ => {}
                }
                if is_empty {
                    depth -= 1;
                }
            }
            Event::End(ref e) => {
                check.close();
                if depth == 3
                    && let Some(id) = message_id.take()
                    && let Some(headers) = addressing.as_mut()
                {
                    headers.message_id = Some(id.trim().to_owned());
                }
                match depth {
                    1 => closed_envelope = true,
                    2 if in_header && e.local_name().as_ref() == b"Header" => {
                        in_header = false;
                        header = Some(header_start..before);
                    }
                    2 if in_body => in_body = false,
                    3 => {
                        if let Some((local_name, namespace)) = op_pending.take() {
                            operation = Some(Operation {
                                local_name: local_name.into(),
                                namespace: namespace.map(Into::into),
                                range: op_start..after,
                                ancestors: ancestors.clone(),
                                leaves: xml::leaf_texts(&input[op_start..after]),
                                declared: None,
                                shape: None,
                            });
                        }
                    }
                    _ => {}
                }
                depth -= 1;
            }
            Event::Text(ref t) if message_id.is_some() => {
                if let Some(id) = message_id.as_mut() {
                    xml::push_line_normalised(id, &String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::CData(ref t) if message_id.is_some() => {
                if let Some(id) = message_id.as_mut() {
                    xml::push_line_normalised(id, &String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::GeneralRef(ref r) if message_id.is_some() => {
                let c =
                    xml::resolve_reference(r).map_err(|e| fault(version, format!("the wsa:MessageID header: {e}")))?;
                if let Some(id) = message_id.as_mut() {
                    id.push(c);
                }
            }
            Event::Text(ref t) if depth <= 2 && !in_header && t.iter().any(|b| !b.is_ascii_whitespace()) => {
                let why = if depth == 0 && version.is_none() {
                    "the request is not XML: it starts with text, not an element"
                } else {
                    "unexpected text outside the Header and Body elements"
                };
                return Err(fault(version, why.to_owned()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let Some(version) = version else {
        return Err(fault(None, "the request body is empty or holds no XML element".into()));
    };
    if depth != 0 || !closed_envelope {
        return Err(Fault::sender(version, "the request ends before the Envelope is closed"));
    }
    let operation = operation.ok_or_else(|| {
        Fault::sender(
            version,
            "the SOAP Body is empty: it must hold the operation's request element",
        )
    })?;
    Ok(Envelope {
        version,
        header,
        security_header,
        addressing,
        operation,
        action: None,
    })
}

/// Generated requests, mostly SOAP-shaped, for the tests that compare readers.
#[cfg(test)]
pub(super) mod generate {
    use proptest::prelude::*;

    use super::Limits;

    /// What generated requests are made of.
    pub(in crate::soap) struct Alphabet {
        pub attributes: &'static [&'static str],
        pub names: &'static [&'static str],
        pub texts: &'static [&'static str],
        /// What comes before and after the Envelope.
        pub around: &'static [&'static str],
        /// What comes between an end tag's name and its `>`.
        pub end_spaces: &'static [&'static str],
    }

    /// Anything, well-formed or not, SOAP or not.
    pub(in crate::soap) const ANY: Alphabet = Alphabet {
        attributes: &[
            " xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"",
            " xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"",
            " xmlns=\"http://www.w3.org/2003/05/soap-envelope\"",
            " xmlns:s=\"urn:nope\"",
            " xmlns:k=\"urn:k\"",
            " xmlns:k='urn:k'",
            " xmlns:k=\"urn:a&amp;b\"",
            " xmlns:k=\"urn:a&bogus;\"",
            " xmlns:k=\"urn:&#107;&#x6B;\"",
            " xmlns:s=\"http://www.w3.org/2003/05/soap&#x2D;envelope\"",
            " xmlns:w=\"http://www.w3.org/2005/08/addressing&#0;\"",
            " xmlns:k=\"\"",
            " xmlns=\"\"",
            " xmlns=\"urn:d\"",
            " xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"",
            " xmlns:xml=\"urn:x\"",
            " xmlns:xmlns=\"urn:y\"",
            " xmlns:p=\"http://www.w3.org/2000/xmlns/\"",
            " xmlns:q=\"http://www.w3.org/XML/1998/namespace\"",
            " xmlns=\"http://www.w3.org/XML/1998/namespace\"",
            " xmlns:w=\"http://www.w3.org/2005/08/addressing\"",
            " xmlnsfoo=\"1\"",
            " xmlns:=\"urn:e\"",
            " xmlns:=\"\"",
            " xml:lang=\"da\"",
            " a=\"1\"",
            " a=\"2\"",
            " a = \"3\"",
            " b='x'",
            " b:c='x\"y'",
            " c",
            " d=\"<\"",
            " e=\"x>y/\"",
            "\t\r\nf=\"\"",
            "g=\"1\"",
            " k:h=\"1\"",
            " revision-number.x=\"1\"",
            " k:KontrolsagSoeg=\"1\"",
            " i=\"æ\"",
            " j=\"&bogus;&\"",
            " l=\"&#1;\"",
            " m=\"&#x20;&#9\"",
            " n=\"\u{1f}\"",
            "  ",
            "/",
        ],
        names: &[
            "s:Envelope",
            "Envelope",
            "s:Header",
            "Header",
            "s:Body",
            "Body",
            "k:Op",
            "Op",
            "p:Op",
            "xml:x",
            "xmlns:x",
            ":x",
            "x:",
            "k:A:B",
            "q:x",
            "w:MessageID",
            "w:Action",
            "Security",
            "k:Security",
            "k:A",
            "B",
            "a.b-c_1",
            "_x",
            "k:KontrolsagSoegKriterie",
            "Kontrolsag.Soeg-Kriterie_1",
            "k:Kontrol:sag",
            "abcdefgh:ijklmnop",
            "æ",
            "1x",
        ],
        texts: &[
            "",
            " ",
            "\n  ",
            "\t\r\n",
            "\u{c}",
            "\u{a0}",
            "x",
            " x y ",
            ">",
            "]]>",
            "&amp;",
            "&#65;",
            "&bogus;",
            "&",
            "<![CDATA[y]]>",
            "<!-- c -->",
            "<!---->",
            "<!--->",
            "<!-->",
            "<!-- a -- b --->",
            "<!--",
            "-->",
            "<!-x-->",
            "&#x0;",
            "&#xE6;&#230;",
            "&#X41;",
            "&#;",
            "&#+65;",
            "&#xD800;",
            "&#x110000;",
            "&lt",
            "&amp&amp;",
            "&#32;",
            "&#1;",
            "&#x1F;",
            "&#xFFFE;",
            "&#13;",
            "\u{1}",
            "\u{fffe}",
            "x\ry",
            "<?pi x?>",
            "<??>",
            "<",
            "æ",
        ],
        around: &[
            "",
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
            "<?pi a?b>c?>",
            "<?x?>",
            "<??>",
            "<?x",
            "<!DOCTYPE x>",
            "<!-- c -->",
            "<!---->",
            "<!--",
            "&amp;",
            "&bogus;",
            "\u{feff}",
            " ",
            "\r\n",
            "x",
            "<a/>",
            "</a>",
        ],
        end_spaces: &["", "", "", " ", "\n"],
    };

    /// An element: its name, attributes, children (text or elements) and whether it is empty.
    pub(in crate::soap) fn element(a: &'static Alphabet, depth: u32) -> BoxedStrategy<String> {
        let name = prop::sample::select(a.names);
        let attributes = prop::collection::vec(prop::sample::select(a.attributes), 0..4);
        let end = prop::sample::select(a.end_spaces);
        let leaf = (
            name.clone(),
            attributes.clone(),
            prop::sample::select(a.texts),
            any::<bool>(),
            end.clone(),
        )
            .prop_map(|(name, attributes, text, empty, end)| match empty {
                true => format!("<{name}{}/>", attributes.concat()),
                false => format!("<{name}{}>{text}</{name}{end}>", attributes.concat()),
            });
        if depth == 0 {
            return leaf.boxed();
        }
        let children = prop::collection::vec(
            prop_oneof![
                element(a, depth - 1),
                prop::sample::select(a.texts).prop_map(str::to_owned)
            ],
            0..4,
        );
        prop_oneof![
            leaf,
            (name, attributes, children, end).prop_map(|(name, attributes, children, end)| format!(
                "<{name}{}>{}</{name}{end}>",
                attributes.concat(),
                children.concat()
            )),
        ]
        .boxed()
    }

    /// Mostly SOAP-shaped requests: an Envelope with declarations, a Header with children or
    /// none, a Body with an operation, and things around them.
    pub(in crate::soap) fn request(a: &'static Alphabet) -> impl Strategy<Value = String> {
        let envelope_attributes = prop::collection::vec(prop::sample::select(a.attributes), 0..4);
        let header = prop_oneof![
            Just(String::new()),
            Just("<s:Header/>".to_owned()),
            prop::collection::vec(element(a, 1), 0..3).prop_map(|c| format!("<s:Header>{}</s:Header>", c.concat())),
        ];
        let body = prop::collection::vec(element(a, 2), 0..3).prop_map(|c| format!("<s:Body>{}</s:Body>", c.concat()));
        let around = prop::sample::select(a.around);
        (
            around.clone(),
            prop::sample::select(&["s:Envelope", "Envelope", "e:Envelope"][..]),
            envelope_attributes,
            header,
            body,
            around,
        )
            .prop_map(|(before, name, attributes, header, body, after)| {
                format!(
                    "{before}<{name} xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"{}>{header}{body}</{name}>{after}",
                    attributes.concat()
                )
            })
    }

    pub(in crate::soap) fn limits() -> impl Strategy<Value = Limits> {
        prop_oneof![
            Just(Limits::default()),
            (1usize..8, 0usize..5, 0usize..5).prop_map(|(max_depth, max_attributes, max_namespaces)| Limits {
                max_depth,
                max_attributes,
                max_namespaces,
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::generate::{ANY, limits, request};
    use super::*;

    fn same(input: &[u8], limits: Limits) -> Result<(), TestCaseError> {
        let now = format!("{:?}", super::super::parse_envelope(input, limits, SoapVersion::V11));
        let before = format!("{:?}", parse_envelope(input, limits, SoapVersion::V11));
        prop_assert_eq!(now, before, "{}", String::from_utf8_lossy(input));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn the_envelope_reader_reads_as_before(request in request(&ANY), limits in limits()) {
            same(request.as_bytes(), limits)?;
        }

        #[test]
        fn the_envelope_reader_reads_cut_and_spliced_requests_as_before(
            request in request(&ANY),
            cut in any::<prop::sample::Index>(),
            len in 0usize..12,
            at in any::<prop::sample::Index>(),
        ) {
            let bytes = request.as_bytes();
            let from = cut.index(bytes.len() + 1);
            let to = (from + len).min(bytes.len());
            let mut spliced = bytes[..from].to_vec();
            spliced.extend_from_slice(&bytes[to..]);
            same(&spliced, Limits::default())?;
            let at = at.index(spliced.len() + 1);
            spliced.splice(at..at, bytes[from..to].iter().copied());
            same(&spliced, Limits::default())?;
        }

        #[test]
        fn the_envelope_reader_reads_requests_with_a_byte_changed_as_before(
            request in request(&ANY),
            at in any::<prop::sample::Index>(),
            byte in prop::sample::select(&[0xFFu8, 0xC3, b'<', b'>', b'&', b'"', b':', b'/', 0][..]),
        ) {
            let mut bytes = request.into_bytes();
            let at = at.index(bytes.len());
            bytes[at] = byte;
            same(&bytes, Limits::default())?;
        }
    }
}
