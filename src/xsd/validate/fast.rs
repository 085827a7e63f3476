//! A first pass that can only answer "valid": the elements of most requests, checked against
//! plans made once per schema set ([`Plans`]), with names matched by namespace number and
//! local name, content models that are one flat sequence stepped by an index, and values by
//! [`SchemaSet::plainly_valid`]. At anything it does not take — a finding to report, an
//! `xsi:` or prefixed attribute, a reference, a wildcard, a choice, a default or fixed value,
//! a substitution group, anything the lexer leaves to quick-xml — it gives up (`false`) and
//! the full validator reads the element from the start, so findings and messages are the full
//! validator's whenever there are any.
//!
//! It answers `true` only where the full validator finds nothing: each check below is the
//! full validator's for the same construct (`feed`/`satisfied` of a sequence occurring once,
//! `check_attributes`, `end`), and what it does not check makes it give up.
//!
//! Cost: every token is handled in time bounded by the schema (a sequence step passes over
//! the particles of one sequence at most once per element, a binding is numbered by comparing
//! it with the set's element namespaces), so the pass is linear in the input; giving up costs
//! at most one more pass (the full one).

use super::lex::{self, Token};
use super::*;
use crate::soap::scan::same_name;
use crate::xsd::builtin::Builtin;
use crate::xsd::model::{MaxOccurs, Particle, Term};
use crate::xsd::simple::plainly_valid_value;

/// A namespace URI no element declaration has.
const UNKNOWN: u32 = u32::MAX;

/// The most attribute uses of a type the pass takes (one bit each).
const MAX_USES: usize = 64;

/// The most attributes (namespace declarations aside) of an element the pass takes.
const MAX_ATTRIBUTES: usize = 8;

/// What the pass needs of a schema set, made once when the set is compiled.
#[derive(Debug, Default)]
pub(crate) struct Plans {
    /// The namespace URIs of the element declarations, each once (an element's namespace is
    /// its index here).
    namespaces: Vec<String>,
    /// Per element declaration (by id): its plan, `None` when the pass does not take it.
    elements: Vec<Option<ElementPlan>>,
    /// Per type (by id).
    types: Vec<TypePlan>,
}

#[derive(Debug, Clone, Copy)]
struct ElementPlan {
    /// Its namespace's index in [`Plans::namespaces`].
    ns: u32,
    type_id: TypeId,
}

#[derive(Debug)]
enum TypePlan {
    /// Left to the full validator.
    Other,
    /// A simple value of simple type `value` (a simple type, or a complex type's simple
    /// content) of built-in type `builtin`, one [`SchemaSet::plain_type`] takes.
    Simple {
        value: TypeId,
        builtin: Builtin,
        attributes: Attributes,
    },
    /// No content.
    Empty { attributes: Attributes },
    /// Element-only content: a sequence occurring once of element particles (no wildcard,
    /// no substitution group).
    Sequence { slots: Vec<Slot>, attributes: Attributes },
}

/// A type's attribute uses as the pass checks them.
#[derive(Debug, Clone, Copy)]
struct Attributes {
    /// The complex type whose uses they are (`None`: a simple type, which has none).
    of: Option<TypeId>,
    /// The uses that are required, one bit each (by index in the type's uses).
    required: u64,
}

#[derive(Debug)]
struct Slot {
    element: ElementId,
    /// Its namespace and local name, for matching.
    ns: u32,
    min: u32,
    max: MaxOccurs,
}

impl Plans {
    /// The plans of `set` (compiled completely, substitution groups included).
    pub(crate) fn of(set: &SchemaSet) -> Plans {
        let mut namespaces: Vec<String> = Vec::new();
        let mut ns_of = |ns: &str| -> u32 {
            match namespaces.iter().position(|n| n == ns) {
                Some(i) => i as u32,
                None => {
                    namespaces.push(ns.to_owned());
                    (namespaces.len() - 1) as u32
                }
            }
        };
        let element_ns: Vec<u32> = set.elements.iter().map(|d| ns_of(&d.name.ns)).collect();
        let elements = set
            .elements
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let taken = !d.is_abstract
                    && d.default.is_none()
                    && d.fixed.is_none()
                    && set.substitutes(ElementId(i as u32)).is_empty();
                taken.then_some(ElementPlan {
                    ns: element_ns[i],
                    type_id: d.type_id,
                })
            })
            .collect();
        let types = (0..set.types.len())
            .map(|i| type_plan(set, TypeId(i as u32), &element_ns))
            .collect();
        Plans {
            namespaces,
            elements,
            types,
        }
    }

    /// The index of namespace `uri` ([`UNKNOWN`] when no element declaration has it).
    #[inline]
    fn namespace(&self, uri: &str) -> u32 {
        self.namespaces
            .iter()
            .position(|n| n.len() == uri.len() && n.as_bytes() == uri.as_bytes())
            .map_or(UNKNOWN, |i| i as u32)
    }
}

fn type_plan(set: &SchemaSet, id: TypeId, element_ns: &[u32]) -> TypePlan {
    let simple = |value: TypeId, attributes: Attributes| match set.plain_type(value) {
        Some((_, builtin)) => TypePlan::Simple {
            value,
            builtin,
            attributes,
        },
        None => TypePlan::Other,
    };
    let ct = match set.type_def(id) {
        TypeDef::Simple(_) => return simple(id, Attributes { of: None, required: 0 }),
        TypeDef::Complex(ct) => ct,
    };
    if ct.is_abstract || ct.attributes.len() > MAX_USES {
        return TypePlan::Other;
    }
    let required = ct
        .attributes
        .iter()
        .enumerate()
        .filter(|(_, u)| u.required)
        .fold(0u64, |mask, (i, _)| mask | 1 << i);
    let attributes = Attributes { of: Some(id), required };
    match &ct.content {
        Content::Empty => TypePlan::Empty { attributes },
        Content::Simple(value) => simple(*value, attributes),
        Content::Elements(Particle {
            min: 1,
            max: MaxOccurs::Bounded(1),
            term: Term::Sequence(children),
        }) if !ct.mixed => {
            let mut slots = Vec::with_capacity(children.len());
            for c in children {
                let Term::Element(e) = c.term else {
                    return TypePlan::Other;
                };
                let Some(&ns) = element_ns.get(e.0 as usize) else {
                    return TypePlan::Other;
                };
                if !set.substitutes(e).is_empty() {
                    return TypePlan::Other;
                }
                slots.push(Slot {
                    element: e,
                    ns,
                    min: c.min,
                    max: c.max,
                });
            }
            TypePlan::Sequence { slots, attributes }
        }
        Content::Elements(_) => TypePlan::Other,
    }
}

/// How the pass checked the value of an element without child elements that is not an
/// empty-element tag ([`SchemaSet::value_checks`]): what an element of the same markup and
/// another value needs checked again.
#[derive(Debug, Clone)]
pub struct ValueCheck {
    /// The element's content as written: a byte range of the validated element, from its start
    /// tag's `>` to its end tag's `<`.
    pub content: std::ops::Range<usize>,
    kind: ValueKind,
}

#[derive(Debug, Clone, Copy)]
enum ValueKind {
    /// A simple value of simple type `value` (built-in type `builtin`).
    Simple { value: TypeId, builtin: Builtin },
    /// No content but white space (an empty type's, or a sequence's without its children).
    Blank,
}

impl SchemaSet {
    /// Whether an element of the markup `check` was recorded in, with the content `text` in
    /// place of the one recorded, passes the plain pass ([`fast::valid`]): a simple value
    /// plainly valid for its type, or white space where no content is allowed. `text` must
    /// be one run of literal text (no markup, no reference), as a value recorded is.
    pub fn passes(&self, check: &ValueCheck, text: &str) -> bool {
        check.kind.passes(self, text)
    }
}

impl ValueKind {
    /// Whether `text` is a value of this kind: the one check of a simple value the pass makes
    /// ([`Pass::end`]) and a template's value makes again ([`SchemaSet::passes`]).
    fn passes(self, set: &SchemaSet, text: &str) -> bool {
        match self {
            ValueKind::Simple { value, builtin } => set
                .simple(value)
                .is_some_and(|st| plainly_valid_value(st, builtin, text)),
            ValueKind::Blank => is_blank(text),
        }
    }
}

/// An open element.
pub(super) struct Frame {
    type_id: TypeId,
    /// In a sequence: whether a child has matched, the slot of the last one, and how many
    /// times that slot has matched.
    started: bool,
    slot: u32,
    count: u32,
    /// A simple value's text: its byte range in the input (`None`: no text yet).
    text: Option<(usize, usize)>,
    /// How many namespace bindings were in scope before the element's own.
    bindings: usize,
    /// Where its content starts (past its start tag's `>`).
    content_from: usize,
}

/// The storage the pass keeps for the next on the same thread.
#[derive(Default)]
pub(super) struct FastScratch {
    frames: Vec<Frame>,
    ns: Vec<(&'static str, u32)>,
    pairs: Vec<(&'static str, &'static str)>,
}

impl FastScratch {
    pub(super) const EMPTY: FastScratch = FastScratch {
        frames: Vec::new(),
        ns: Vec::new(),
        pairs: Vec::new(),
    };
}

/// Whether `input` (its text `text`) is valid against `expected`, as far as the pass can tell:
/// `true` only when the full validator would find nothing; `false` when it found something or
/// met what it does not take.
pub(super) fn valid(
    set: &SchemaSet,
    input: &Instance<'_>,
    text: &str,
    expected: Option<ElementId>,
    limits: Limits,
    scratch: &mut Scratch,
) -> bool {
    let Some(expected) = expected else {
        return false;
    };
    run_pass(set, input, text, expected, limits, scratch, None).is_some()
}

/// The value checks of `input` ([`ValueCheck`]), in document order, when the pass takes it
/// whole (it is valid); `None` when it does not.
pub(super) fn value_checks(
    set: &SchemaSet,
    input: &Instance<'_>,
    text: &str,
    expected: ElementId,
    limits: Limits,
) -> Option<Vec<ValueCheck>> {
    run_pass(
        set,
        input,
        text,
        expected,
        limits,
        &mut Scratch::default(),
        Some(Vec::new()),
    )?
}

/// The pass over `text`; `Some` (with the value checks, when `record` asked for them) when it
/// takes it whole.
fn run_pass(
    set: &SchemaSet,
    input: &Instance<'_>,
    text: &str,
    expected: ElementId,
    limits: Limits,
    scratch: &mut Scratch,
    record: Option<Vec<ValueCheck>>,
) -> Option<Option<Vec<ValueCheck>>> {
    let fast = std::mem::take(&mut scratch.fast);
    let mut pass = Pass {
        set,
        plans: &set.plans,
        text,
        max_depth: limits.max_depth,
        frames: fast.frames,
        ns: recycle(fast.ns),
        pairs: recycle(fast.pairs),
        record,
    };
    let plans = pass.plans;
    pass.ns.extend(
        input
            .namespaces
            .iter()
            .map(|(p, u)| (p.as_ref(), plans.namespace(u.as_ref()))),
    );
    let mut lexer = lex::Lexer::new(text, recycle(std::mem::take(&mut scratch.open)));
    let answer = pass.run(&mut lexer, expected);
    scratch.open = recycle(lexer.into_open());
    pass.frames.clear();
    scratch.fast = FastScratch {
        frames: pass.frames,
        ns: recycle(pass.ns),
        pairs: recycle(pass.pairs),
    };
    answer.map(|()| pass.record)
}

struct Pass<'s, 'a> {
    set: &'s SchemaSet,
    plans: &'s Plans,
    text: &'a str,
    max_depth: usize,
    frames: Vec<Frame>,
    /// Bindings in scope: prefix ("" for the default namespace) and namespace index.
    ns: Vec<(&'a str, u32)>,
    /// The attributes of the element being started, namespace declarations aside.
    pairs: Vec<(&'a str, &'a str)>,
    /// The value checks so far, when they are recorded ([`value_checks`]).
    record: Option<Vec<ValueCheck>>,
}

impl<'a> Pass<'_, 'a> {
    /// `Some` when the input is valid; `None` when the pass gives up.
    fn run(&mut self, lexer: &mut lex::Lexer<'a>, expected: ElementId) -> Option<()> {
        let mut seen_root = false;
        loop {
            let at = lexer.position();
            match lexer.next_token()? {
                Token::Start { tag, name_len, empty } => {
                    if self.frames.is_empty() && seen_root {
                        return None;
                    }
                    seen_root = true;
                    self.start(tag, name_len, expected, lexer.position())?;
                    if empty {
                        self.end(None)?;
                    }
                }
                Token::End => self.end(Some(at))?,
                Token::Text(s) => self.text(s)?,
                Token::Ref(_) => return None,
                Token::Eof => return (self.frames.is_empty() && seen_root).then_some(()),
            }
        }
    }

    /// The namespace index bound to `prefix`.
    #[inline]
    fn lookup(&self, prefix: &str) -> Option<u32> {
        if prefix == "xml" {
            return Some(self.plans.namespace(XML_NS));
        }
        self.ns.iter().rev().find(|b| b.0 == prefix).map(|b| b.1)
    }

    fn start(&mut self, tag: &'a str, name_len: usize, expected: ElementId, content_from: usize) -> Option<()> {
        if self.frames.len() >= self.max_depth {
            return None;
        }
        let name = tag.get(..name_len)?;
        let bindings = self.ns.len();
        // Namespace declarations first (they apply to the element's name); other attributes
        // are checked once the element's type is known.
        let has_attributes = tag.len() > name_len && !is_blank(&tag[name_len..]);
        // The other attributes, checked once the element's type is known.
        self.pairs.clear();
        if has_attributes {
            for pair in lex::Attributes::new(tag, name_len) {
                let (key, value) = pair.ok()?;
                // (Byte loops: the values and keys are short, a library search costs more.)
                if value.bytes().any(|b| b == b'&') {
                    return None;
                }
                let prefix = if key == "xmlns" {
                    Some("")
                } else {
                    key.strip_prefix("xmlns:")
                };
                match prefix {
                    Some(p) => {
                        let ns = self.plans.namespace(value);
                        self.ns.push((p, ns));
                    }
                    // A prefixed attribute (`xsi:type`, …) is left to the full validator.
                    None if key.bytes().any(|b| b == b':') => return None,
                    None if self.pairs.len() >= MAX_ATTRIBUTES => return None,
                    None => self.pairs.push((key, value)),
                }
            }
        }
        let (ns, local) = match split_qname(name) {
            Some((p, l)) => (self.lookup(p)?, l),
            None => (self.lookup("").unwrap_or_else(|| self.plans.namespace("")), name),
        };
        let id = self.child(ns, local, expected)?;
        let plan = self.plans.elements.get(id.0 as usize).copied().flatten()?;
        let attributes = match self.plans.types.get(plan.type_id.0 as usize)? {
            TypePlan::Other => return None,
            TypePlan::Simple { attributes, .. }
            | TypePlan::Empty { attributes }
            | TypePlan::Sequence { attributes, .. } => *attributes,
        };
        if !self.pairs.is_empty() || attributes.required != 0 {
            self.attributes(&self.pairs, attributes)?;
        }
        self.frames.push(Frame {
            type_id: plan.type_id,
            started: false,
            slot: 0,
            count: 0,
            text: None,
            bindings,
            content_from,
        });
        Some(())
    }

    /// The declaration of element `{ns}local` as the next child of the open element (the
    /// root: `expected`), stepping the parent's sequence.
    #[inline]
    fn child(&mut self, ns: u32, local: &str, expected: ElementId) -> Option<ElementId> {
        let set = self.set;
        let Some(parent) = self.frames.last_mut() else {
            let plan = self.plans.elements.get(expected.0 as usize).copied().flatten()?;
            let named = same_name(set.element(expected).name.local.as_bytes(), local.as_bytes());
            return (plan.ns == ns && named).then_some(expected);
        };
        let TypePlan::Sequence { slots, .. } = &self.plans.types[parent.type_id.0 as usize] else {
            return None;
        };
        let is = |s: &Slot| s.ns == ns && same_name(set.element(s.element).name.local.as_bytes(), local.as_bytes());
        let from = if parent.started {
            let s = slots.get(parent.slot as usize)?;
            if s.max.allows_more(parent.count) && is(s) {
                parent.count += 1;
                return Some(s.element);
            }
            if parent.count < s.min {
                return None;
            }
            parent.slot as usize + 1
        } else {
            0
        };
        for (j, s) in slots.iter().enumerate().skip(from) {
            if s.max.allows_more(0) && is(s) {
                parent.started = true;
                parent.slot = j as u32;
                parent.count = 1;
                return Some(s.element);
            }
            if s.min != 0 {
                return None;
            }
        }
        None
    }

    /// Checks the attributes of a start tag other than namespace declarations, `(name,
    /// value)` as written, against the uses of the element's type: each unprefixed, declared
    /// once, of a plainly valid value and no fixed value; every required use present.
    fn attributes(&self, pairs: &[(&str, &str)], attributes: Attributes) -> Option<()> {
        let uses = match attributes.of {
            Some(t) => self.set.complex(t)?.attributes.as_slice(),
            None => &[],
        };
        let mut found = 0u64;
        for &(key, value) in pairs {
            let i = uses.iter().position(|u| u.name.ns.is_empty() && u.name.local == key)?;
            let u = &uses[i];
            if found & 1 << i != 0 || u.fixed.is_some() || !self.set.plainly_valid(u.type_id, value) {
                return None;
            }
            found |= 1 << i;
        }
        (found & attributes.required == attributes.required).then_some(())
    }

    #[inline]
    fn text(&mut self, s: &'a str) -> Option<()> {
        let Some(frame) = self.frames.last_mut() else {
            return is_blank(s).then_some(());
        };
        match self.plans.types[frame.type_id.0 as usize] {
            TypePlan::Simple { .. } => {
                if frame.text.is_some() {
                    return None;
                }
                let from = (s.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
                frame.text = Some((from, from + s.len()));
                Some(())
            }
            _ => is_blank(s).then_some(()),
        }
    }

    /// The open element ends: at an end tag starting at `content_end`, or (`None`) with its
    /// empty-element tag.
    #[inline]
    fn end(&mut self, content_end: Option<usize>) -> Option<()> {
        let frame = self.frames.pop()?;
        let plan = &self.plans.types[frame.type_id.0 as usize];
        if let Some(record) = self.record.as_mut()
            && let Some(to) = content_end
        {
            let kind = match *plan {
                TypePlan::Simple { value, builtin, .. } => Some(ValueKind::Simple { value, builtin }),
                TypePlan::Empty { .. } => Some(ValueKind::Blank),
                TypePlan::Sequence { .. } if !frame.started => Some(ValueKind::Blank),
                _ => None,
            };
            if let Some(kind) = kind {
                record.push(ValueCheck {
                    content: frame.content_from..to,
                    kind,
                });
            }
        }
        match plan {
            TypePlan::Simple { value, builtin, .. } => {
                let text = match frame.text {
                    Some((from, to)) => self.text.get(from..to)?,
                    None => "",
                };
                let kind = ValueKind::Simple {
                    value: *value,
                    builtin: *builtin,
                };
                if !kind.passes(self.set, text) {
                    return None;
                }
            }
            TypePlan::Sequence { slots, .. } => {
                let from = if frame.started {
                    let s = slots.get(frame.slot as usize)?;
                    if frame.count < s.min {
                        return None;
                    }
                    frame.slot as usize + 1
                } else {
                    0
                };
                if slots[from.min(slots.len())..].iter().any(|s| s.min != 0) {
                    return None;
                }
            }
            TypePlan::Empty { .. } => {}
            TypePlan::Other => return None,
        }
        self.ns.truncate(frame.bindings);
        Some(())
    }
}

/// sfstub's SF1472 request schema (with its Kontekst schema), its namespaces `urn:k` and
/// `urn:kontekst`, and the declaration of `KontrolsagListeHent_I`: what tests of the plain
/// pass, and of what is built on it, validate a real request against.
#[cfg(test)]
pub(crate) fn sf1472() -> (SchemaSet, ElementId) {
    use crate::xsd::Source;
    let files: Vec<(String, String)> = [
        (
            "KontrolsagListeHent.xsd",
            include_str!("../../services/sf1472/KontrolsagListeHent.xsd"),
        ),
        ("Kontekst.xsd", include_str!("../../services/k2017/Kontekst.xsd")),
    ]
    .iter()
    .map(|(n, t)| {
        let text = t
            .replace("{{NAMESPACE}}", "urn:k")
            .replace("{{KONTEKST_NS}}", "urn:kontekst");
        (n.to_string(), text)
    })
    .collect();
    let set = SchemaSet::load(&Source::memory(files), &["KontrolsagListeHent.xsd"]).expect("the schema loads");
    let id = set
        .global_element(&QName::new("urn:k", "KontrolsagListeHent_I"))
        .expect("declared");
    (set, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xsd::Source;

    const XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:element name="id" type="t:Id"/>
    <xs:element name="when" type="xs:dateTime" minOccurs="0"/>
    <xs:element name="n" type="xs:decimal" maxOccurs="2"/>
    <xs:element name="amount" type="t:Amount" minOccurs="0"/>
    <xs:element name="e" type="t:Empty" minOccurs="0"/>
    <xs:element name="c" type="t:Choice" minOccurs="0"/>
    <xs:element name="fixed" type="xs:string" fixed="x" minOccurs="0"/>
    <xs:element name="inner" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:element name="k" type="xs:token" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="nil" type="xs:int" nillable="true" minOccurs="0"/>
  </xs:sequence><xs:attribute name="a" type="xs:int"/><xs:attribute name="q" type="xs:QName"/></xs:complexType></xs:element>
  <xs:simpleType name="Id"><xs:restriction base="xs:string"><xs:pattern value="[0-9a-f]{4}"/></xs:restriction></xs:simpleType>
  <xs:complexType name="Amount"><xs:simpleContent><xs:extension base="xs:decimal">
    <xs:attribute name="cur" type="xs:string" use="required"/><xs:attribute name="note" type="xs:string"/>
  </xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="Empty"><xs:attribute name="flag" type="xs:boolean"/></xs:complexType>
  <xs:complexType name="Choice"><xs:choice><xs:element name="x" type="xs:int"/><xs:element name="y" type="xs:int"/></xs:choice></xs:complexType>
</xs:schema>"#;

    /// A document the pass takes whole.
    const TAKEN: &str = "<t:r xmlns:t=\"urn:t\" a=\"5\">\n <t:id>0a1f</t:id><t:when>2026-11-22T12:00:00Z</t:when>\
        <t:n>1</t:n><t:n>2.5</t:n><t:amount cur=\"DKK\" note='x'>10.00</t:amount><t:e flag=\"true\"/>\
        <t:inner><t:k>a</t:k><t:k> b </t:k></t:inner>\n</t:r>";

    fn schema() -> (SchemaSet, ElementId) {
        let set = SchemaSet::load(&Source::memory([("t.xsd", XSD)]), &["t.xsd"]).expect("the schema loads");
        let id = set.global_element(&QName::new("urn:t", "r")).expect("declared");
        (set, id)
    }

    /// The pass's answer for a standalone element.
    fn taken(set: &SchemaSet, bytes: &[u8], expected: ElementId) -> bool {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return false;
        };
        valid(
            set,
            &Instance::new(bytes),
            text,
            Some(expected),
            Limits::default(),
            &mut Scratch::default(),
        )
    }

    /// The findings of the full validator alone (the pass skipped).
    fn full(set: &SchemaSet, bytes: &[u8], expected: ElementId) -> Vec<Finding> {
        let input = Instance::new(bytes);
        let text = std::str::from_utf8(bytes).expect("UTF-8 input");
        let mut run = Run::new(set, &input, text, Limits::default(), Scratch::default());
        if !run.quick(Some(expected)) {
            run = Run::new(set, &input, text, Limits::default(), Scratch::default());
            run.go(Some(expected));
        }
        run.findings
    }

    #[test]
    fn the_usual_shapes_are_taken_and_valid() {
        let (set, id) = schema();
        for doc in [
            TAKEN,
            "<r xmlns=\"urn:t\"><id>0a1f</id><n>1</n></r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><t:n>1</t:n><t:e/><t:inner/></t:r>",
        ] {
            assert!(full(&set, doc.as_bytes(), id).is_empty(), "{doc}");
            assert!(taken(&set, doc.as_bytes(), id), "{doc}");
        }
    }

    /// What the pass does not take is left to the full validator, valid or not.
    #[test]
    fn the_unusual_is_left_to_the_full_validator() {
        let (set, id) = schema();
        let valid_but_left = [
            // A choice, a fixed value, a QName value, xsi:nil, a reference, a comment.
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><t:n>1</t:n><t:c><t:x>1</t:x></t:c></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><t:n>1</t:n><t:fixed>x</t:fixed></t:r>",
            "<t:r xmlns:t='urn:t' q='t:x'><t:id>0a1f</t:id><t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:t' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'><t:id>0a1f</t:id><t:n>1</t:n>\
             <t:nil xsi:nil='true'/></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1&#x66;</t:id><t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><!-- c --><t:n>1</t:n></t:r>",
        ];
        for doc in valid_but_left {
            assert!(full(&set, doc.as_bytes(), id).is_empty(), "{doc}");
            assert!(!taken(&set, doc.as_bytes(), id), "{doc}");
        }
        let invalid = [
            "<t:r xmlns:t='urn:t'><t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><t:n>1</t:n><t:n>1</t:n><t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1g</t:id><t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><t:n>1</t:n><t:amount>1</t:amount></t:r>",
            "<t:r xmlns:t='urn:t' a='x'><t:id>0a1f</t:id><t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:t' b='1'><t:id>0a1f</t:id><t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><t:n>1</t:n><t:e>x</t:e></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id>text<t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:u'><t:id>0a1f</t:id><t:n>1</t:n></t:r>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><t:n>1</t:n></t:r><t:r/>",
            "<t:r xmlns:t='urn:t'><t:id>0a1f</t:id><t:n>1</t:n>",
        ];
        for doc in invalid {
            assert!(!full(&set, doc.as_bytes(), id).is_empty(), "{doc}");
            assert!(!taken(&set, doc.as_bytes(), id), "{doc}");
            assert_eq!(set.validate(doc.as_bytes(), Some(id)), full(&set, doc.as_bytes(), id));
        }
    }

    /// Whatever the input, the validator (the pass first) finds what the full validator finds
    /// alone, and the pass takes only inputs in which it finds nothing.
    #[test]
    fn the_pass_changes_no_finding() {
        use proptest::prelude::*;
        let (set, id) = schema();
        let inserts = prop::sample::select(vec![
            "",
            "x",
            " ",
            "<",
            ">",
            "/",
            "&",
            "&amp;",
            "é",
            "\"",
            "'",
            ":",
            "t:",
            "u:",
            "=",
            "a='1'",
            " b='1'",
            " xmlns='urn:t'",
            " xmlns:t='urn:u'",
            " xmlns:u='urn:t'",
            "<t:n>1</t:n>",
            "<t:id>0a1f</t:id>",
            "</t:n>",
            "<t:e/>",
            "<t:k>a</t:k>",
            "<t:x>1</t:x>",
            "<!-- c -->",
            "1",
            "-",
            ".5",
        ]);
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 3000,
            ..Default::default()
        });
        let count = std::cell::Cell::new(0);
        runner
            .run(&(0..TAKEN.len(), inserts, 0..4usize), |(at, insert, cut)| {
                let mut bytes = TAKEN.as_bytes().to_vec();
                let end = (at + cut).min(bytes.len());
                bytes.splice(at..end, insert.bytes());
                if std::str::from_utf8(&bytes).is_err() {
                    return Ok(());
                }
                let alone = full(&set, &bytes, id);
                if taken(&set, &bytes, id) {
                    prop_assert!(alone.is_empty(), "{}", String::from_utf8_lossy(&bytes));
                    count.set(count.get() + 1);
                }
                prop_assert_eq!(set.validate(&bytes, Some(id)), alone);
                Ok(())
            })
            .unwrap();
        assert!(count.get() > 50, "the pass takes many inputs ({})", count.get());
    }

    /// sfstub's SF1472 request, as the benchmark sends it, is taken whole.
    #[test]
    fn the_sf1472_request_is_taken() {
        let (set, id) = sf1472();
        let doc = "<k:KontrolsagListeHent_I xmlns:k=\"urn:k\" xmlns:kontekst=\"urn:kontekst\" revision=\"1\">
  <kontekst:HovedOplysninger>
    <kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId>
    <kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>
    <kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext>
  </kontekst:HovedOplysninger>
  <k:KontrolsagSoegKriterie>
    <k:PersonCPRNummer>150780-4329</k:PersonCPRNummer>
    <k:Hjemmel>UDBL_11A_STK2</k:Hjemmel>
  </k:KontrolsagSoegKriterie>
</k:KontrolsagListeHent_I>";
        assert!(full(&set, doc.as_bytes(), id).is_empty());
        assert!(taken(&set, doc.as_bytes(), id));
        let wrong = doc.replace("UDBL_11A_STK2", "UDBL_11A_STK3");
        assert!(!taken(&set, wrong.as_bytes(), id));
        assert_eq!(set.validate(wrong.as_bytes(), Some(id)).len(), 1);
    }
}
