//! The model as a skeleton generator walks it: from an operation's body element through
//! resolved types, the effective content of extensions, choices, and the facets of simple
//! types — and a skeleton built that way (first choice, required particles only, a value from
//! each type's facets) is valid.

use sfstub::xsd::builtin::Builtin;
use sfstub::xsd::model::{Content, MaxOccurs, Particle, SchemaSet, Term, TypeDef, Variety};
use sfstub::xsd::{Contract, ElementId, Source, TypeId};

use crate::sets::contracts;

/// A minimal instance of `id`: required particles once, the first branch of each choice.
fn skeleton(set: &SchemaSet, id: ElementId, depth: usize, out: &mut String) {
    let decl = set.element(id);
    let name = &decl.name;
    out.push_str(&format!("<x:{} xmlns:x=\"{}\"", name.local, name.ns));
    let type_id = decl.type_id;
    if let TypeDef::Complex(ct) = set.type_def(type_id) {
        for a in ct.attributes.iter().filter(|a| a.required) {
            out.push_str(&format!(" {}=\"{}\"", a.name.local, value(set, a.type_id)));
        }
    }
    out.push('>');
    match set.type_def(type_id) {
        TypeDef::Simple(_) => out.push_str(&value(set, type_id)),
        TypeDef::Complex(ct) => match &ct.content {
            Content::Empty => {}
            Content::Simple(s) => out.push_str(&value(set, *s)),
            Content::Elements(p) => particle(set, p, depth, out),
        },
    }
    out.push_str(&format!("</x:{}>", name.local));
}

fn particle(set: &SchemaSet, p: &Particle, depth: usize, out: &mut String) {
    assert!(depth < 40, "the skeleton recurses");
    for _ in 0..p.min {
        match &p.term {
            Term::Element(id) => {
                let id = if set.element(*id).is_abstract {
                    set.substitutes(*id)[0]
                } else {
                    *id
                };
                skeleton(set, id, depth + 1, out)
            }
            Term::Any(_) => {}
            Term::Sequence(ps) | Term::All(ps) => ps.iter().for_each(|c| particle(set, c, depth + 1, out)),
            Term::Choice(ps) => particle(set, &ps[0], depth + 1, out),
        }
    }
}

/// A value of a simple type from its facets.
fn value(set: &SchemaSet, id: TypeId) -> String {
    let st = set.simple(id).expect("a simple type");
    if let Some(values) = &st.facets.enumeration {
        return values[0].clone();
    }
    let pattern = st.facets.patterns.iter().flatten().map(|p| p.source.as_str()).next();
    match (&st.variety, pattern) {
        (_, Some(p)) if p.contains("{8}-") => "00000000-0000-0000-0000-000000000000".to_owned(),
        (Variety::Atomic(b), _) if b.is_a(Builtin::Decimal) => "1".to_owned(),
        (Variety::Atomic(Builtin::Boolean), _) => "true".to_owned(),
        (Variety::Atomic(Builtin::DateTime), _) => "2026-11-22T12:00:00Z".to_owned(),
        (Variety::Atomic(Builtin::Date), _) => "2026-11-22".to_owned(),
        (Variety::Union(m), _) => value(set, m[0]),
        (Variety::List(item), _) => value(set, *item),
        _ => "x".repeat(st.facets.min_length.unwrap_or(1).max(1) as usize),
    }
}

#[test]
fn a_generator_walks_resolved_types_effective_content_and_facets() {
    let c = Contract::load(
        &Source::dir(contracts().join("sf1470-sagdokumentindeks-v6")),
        "wsdl/SagDokumentIndeksService_6.wsdl",
    )
    .unwrap();
    let set = &c.schema;
    let mut built = 0;
    for op in c.operations() {
        for shape in [&op.input, &op.output].into_iter().flatten() {
            for element in shape.body.iter().chain(&shape.headers) {
                let id = set.global_element(element).unwrap();
                let mut doc = String::new();
                skeleton(set, id, 0, &mut doc);
                let findings = set.validate(doc.as_bytes(), Some(id));
                assert!(
                    findings.is_empty(),
                    "the skeleton of {element} is not valid: {findings:#?}\n{doc}"
                );
                built += 1;
            }
        }
    }
    assert_eq!(built, 16, "4 operations × (request, response) × (body, header)");

    // An extension's effective content starts with its base's.
    let opdater = set
        .global_type(&sfstub::xsd::QName::new(
            "urn:oio:sts:sagdok:sagdokumentindeks:6",
            "OpdaterDokumentIndeksInputType",
        ))
        .expect("OpdaterDokumentIndeksInputType");
    let ct = set.complex(opdater).unwrap();
    assert_eq!(ct.derivation, sfstub::xsd::model::Derivation::Extension);
    assert_eq!(
        set.type_name(ct.base),
        "{urn:oio:sts:sagdok:dokumentindeks:6}RetInputType"
    );
    let Content::Elements(p) = &ct.content else {
        panic!("element content")
    };
    let Term::Sequence(parts) = &p.term else {
        panic!("base then extension: {p:#?}")
    };
    let Content::Elements(base) = &set.complex(ct.base).unwrap().content else {
        panic!("the base has element content")
    };
    assert_eq!(
        format!("{:?}", parts[0]),
        format!("{base:?}"),
        "the base's content comes first"
    );
    let Term::Sequence(own) = &parts[1].term else {
        panic!("{:#?}", parts[1])
    };
    let Term::Element(tidspunkt) = own[0].term else {
        panic!()
    };
    assert_eq!(set.element(tidspunkt).name.local, "Tidspunkt");
    assert!(set.derives_from(opdater, ct.base));
    // Facets of a simple type: an enumeration, and the UUID pattern.
    let enumerated = set
        .global_types()
        .into_iter()
        .filter_map(|(_, t)| set.simple(t))
        .find(|s| s.facets.enumeration.as_ref().is_some_and(|e| e.len() > 1))
        .expect("an enumerated type");
    assert!(matches!(enumerated.variety, Variety::Atomic(_)));
    let uuid = set
        .find_element("urn:oio:sagdok:3.0.0", "UUIDIdentifikator")
        .expect("UUIDIdentifikator");
    let uuid = set
        .simple(set.element(uuid).type_id)
        .filter(|s| s.name.is_none())
        .map(|s| &s.facets);
    let uuid = uuid
        .and_then(|f| f.patterns.first())
        .map(|step| step[0].source.as_str());
    assert_eq!(
        uuid,
        Some("[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}"),
        "the anonymous UUID type's pattern"
    );
    assert!(MaxOccurs::Unbounded.allows_more(u32::MAX - 1));
}
