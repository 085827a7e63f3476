//! The tree against its oracle (the implementation before the tree kept its text in one
//! buffer): for random documents, well-formed or not, within small limits or the defaults,
//! both give the same error or the same elements, names, attributes, declarations, texts,
//! namespaces, identifiers and canonical bytes of every element.

use proptest::prelude::*;

use super::oracle;
use super::{NodeId, Tree};
use crate::soap::Limits;

/// A generated piece of a document.
#[derive(Debug, Clone)]
enum Piece {
    Element {
        name: &'static str,
        attributes: Vec<(&'static str, &'static str)>,
        children: Vec<Piece>,
        style: Style,
    },
    Text(&'static str),
}

const NAMES: &[&str] = &["e", "a:e", "b:f", "a:Id", "c:g", "xml:x", "u:Body", ":n", "a:b:c"];

/// Names at the edges of what a reader may take for plain XML, chosen less often.
const ODD_NAMES: &[&str] = &["e-1.x_", "_e", "1e", "æ", "a:", "e\u{b7}"];

/// How a tag is written: the white space before each attribute, the quote, what stands
/// around `=`, before the tag's `>` or `/>`, and before an end tag's `>`.
#[derive(Debug, Clone, Copy)]
struct Style {
    separator: &'static str,
    quote: char,
    equals: &'static str,
    before_close: &'static str,
    end: &'static str,
}

fn style() -> impl Strategy<Value = Style> {
    let plain = Style {
        separator: " ",
        quote: '"',
        equals: "=",
        before_close: "",
        end: "",
    };
    prop_oneof![
        12 => Just(plain),
        1 => (
            prop::sample::select(&[" ", "\n\t", "  ", "\r\n"][..]),
            prop::sample::select(&['"', '\''][..]),
            prop::sample::select(&["=", "=", " = ", "= "][..]),
            prop::sample::select(&["", " ", "\n", "\t "][..]),
            prop::sample::select(&["", "", " ", "\n"][..]),
        )
            .prop_map(|(separator, quote, equals, before_close, end)| Style {
                separator,
                quote,
                equals,
                before_close,
                end,
            }),
    ]
}

/// Distinct attribute names, for tags of more attributes than a reader may compare by a scan.
const MANY_KEYS: &[&str] = &[
    "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12", "k13", "k14", "k15", "k16", "k17",
    "k18", "k19", "xmlns:m", "k2",
];

/// Attribute names: plain, prefixed (bound or not), identifiers, declarations of every kind.
const KEYS: &[&str] = &[
    "x", "y", "a:x", "b:x", "c:y", "Id", "ID", "id", "u:Id", "a:ID", "xml:lang", "xmlns", "xmlns:a", "xmlns:b",
    "xmlns:u", "xmlns:c", "xmlns:", "xmlnsx",
];

/// Attribute values (written between double quotes): URIs and identifiers that recur, white
/// space to normalise, references, characters canonical form escapes, and some that are not
/// well-formed.
const VALUES: &[&str] = &[
    "",
    "urn:1",
    "urn:2",
    "urn:1",
    "i1",
    "i2",
    "i1",
    "a &amp; b",
    "t\tn\nr\r.",
    "\r\n",
    "&lt;&quot;&#9;&#xA;&#13;&gt;",
    "&#x20AC;æ'>",
    " i1",
    "/>",
    "x-->y",
];

/// Values that are not well-formed, chosen now and then.
const BAD_VALUES: &[&str] = &["&bad;", "&#0;", "a<b", "&amp", "&#1;", "&lt", "a\"b"];

const TEXTS: &[&str] = &[
    "t",
    " ",
    "\n  ",
    "a &amp; b &lt; &gt; &apos;&quot;",
    "&#13;&#x9;",
    "x\r\ny\rz",
    "<![CDATA[c<&>\r\n]]>",
    "<![CDATA[]]>",
    "<!--c-->",
    "<?pi x?>",
    "&#x1F600;æø",
    "]]>",
    "\"'",
];

/// Texts of markup or references at the edges of what a reader may take for plain XML,
/// chosen less often.
const ODD_TEXTS: &[&str] = &[
    "<?xml version=\"1.0\"?>",
    "<?xml-stylesheet x?>",
    "<?p?>?>",
    "<!---->",
    "<!-- a -- b -->",
    "<!--->-->",
    "<!-- - -->",
    "<![CDATA[]]]>",
    "<![CDATA[x]]]]>",
    "&#38;&#x3C;&#60;",
    ">",
    "\u{feff}",
];

/// Texts that are not well-formed, chosen now and then.
const BAD_TEXTS: &[&str] = &[
    "&nbsp;",
    "&#xFFFFFFF;",
    "<",
    "&",
    "&lt",
    "&#;",
    "&#x;",
    "&am<p;",
    "<!DOCTYPE e>",
    "<!-- x ->",
    "<![CDATA[x]>",
    "<?pi",
    "<??>",
    "<![cdata[x]]>",
];

fn piece() -> impl Strategy<Value = Piece> {
    let text = prop_oneof![
        40 => prop::sample::select(TEXTS),
        6 => prop::sample::select(ODD_TEXTS),
        1 => prop::sample::select(BAD_TEXTS),
    ]
    .prop_map(Piece::Text);
    let leaf = prop_oneof![text.clone(), element(Just(Vec::new()))];
    leaf.prop_recursive(6, 48, 5, move |inner| {
        prop_oneof![
            1 => text.clone(),
            3 => element(prop::collection::vec(inner, 0..5)),
        ]
    })
}

fn element(children: impl Strategy<Value = Vec<Piece>>) -> impl Strategy<Value = Piece> {
    let value = prop_oneof![
        40 => prop::sample::select(VALUES),
        1 => prop::sample::select(BAD_VALUES),
    ];
    let attribute = (prop::sample::select(KEYS), value.clone());
    let attributes = prop_oneof![
        20 => prop::collection::vec(attribute, 0..4),
        1 => (12usize..=MANY_KEYS.len(), value).prop_map(|(n, value)| MANY_KEYS[..n].iter().map(|&k| (k, value)).collect()),
    ];
    let name = prop_oneof![12 => prop::sample::select(NAMES), 1 => prop::sample::select(ODD_NAMES)];
    (name, attributes, children, style()).prop_map(|(name, attributes, children, style)| Piece::Element {
        name,
        attributes,
        children,
        style,
    })
}

fn render(piece: &Piece, out: &mut String) {
    match piece {
        Piece::Text(t) => out.push_str(t),
        Piece::Element {
            name,
            attributes,
            children,
            style,
        } => {
            let Style {
                separator,
                quote,
                equals,
                before_close,
                end,
            } = style;
            out.push('<');
            out.push_str(name);
            for (k, v) in attributes {
                out.push_str(&format!("{separator}{k}{equals}{quote}{v}{quote}"));
            }
            out.push_str(before_close);
            if children.is_empty() {
                out.push_str("/>");
                return;
            }
            out.push('>');
            for c in children {
                render(c, out);
            }
            out.push_str(&format!("</{name}{end}>"));
        }
    }
}

/// A whole document: the root with what may come before and after it, and perhaps one
/// character inserted or removed somewhere.
fn document() -> impl Strategy<Value = String> {
    let before = prop_oneof![
        8 => prop::sample::select(&["", "<?xml version=\"1.0\"?>", "<!--c-->\n", "x", "&amp;", "<![CDATA[c]]>"][..]),
        1 => prop::sample::select(
            &[
                "\u{feff}",
                "\u{feff}<?xml version=\"1.0\"?>",
                " <?xml version='1.0'?>",
                "<?xml version=\"1.0\"?><?xml version=\"1.0\"?>",
                "<!DOCTYPE r>",
            ][..]
        ),
    ];
    let after = prop::sample::select(
        &[
            "",
            "\n",
            "<!--c-->",
            "",
            "\n",
            "<!--c-->",
            "<r/>",
            "t",
            "</e>",
            "<?xml version=\"1.0\"?>",
            "<?pi x?>",
            "&amp;",
            "<![CDATA[c]]>",
        ][..],
    );
    let edit = prop::option::weighted(
        0.1,
        (
            any::<usize>(),
            prop::sample::select(&['<', '>', '&', '"', '/', ' ', '=', '\0', '-', '?', '!', ';', ':', '\''][..]),
        ),
    );
    (before, piece(), after, edit).prop_map(|(before, root, after, edit)| {
        let mut doc = before.to_owned();
        render(&root, &mut doc);
        doc.push_str(after);
        if let Some((at, c)) = edit {
            let mut at = at % (doc.len() + 1);
            while !doc.is_char_boundary(at) {
                at -= 1;
            }
            match c {
                '\0' if at < doc.len() => {
                    doc.remove(at);
                }
                '\0' => {}
                c => doc.insert(at, c),
            }
        }
        doc
    })
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        Just(Limits::default()),
        (1usize..6, 0usize..5, 0usize..6).prop_map(|(max_depth, max_attributes, max_namespaces)| Limits {
            max_depth,
            max_attributes,
            max_namespaces,
        }),
    ]
}

const INCLUSIVE: &[&[&str]] = &[&[], &["#default", "a"], &["b", "zz", "xml"], &["u", "c", "#default"]];
const IDS: &[&str] = &["i1", "i2", " i1", "", "a & b", "nothing"];
const PREFIXES: &[&str] = &["", "a", "b", "c", "u", "xml", "zz"];

/// Compares everything the two trees say about every element.
fn same(new: &Tree, old: &oracle::Tree) -> Result<(), TestCaseError> {
    prop_assert_eq!(new.root(), old.root());
    let elements: Vec<NodeId> = std::iter::once(new.root()).chain(new.descendants(new.root())).collect();
    let old_elements: Vec<NodeId> = std::iter::once(old.root()).chain(old.descendants(old.root())).collect();
    prop_assert_eq!(&elements, &old_elements);
    for &id in &elements {
        let (e, o) = (new.element(id), old.element(id));
        prop_assert_eq!(e.name(), o.name.as_str());
        prop_assert_eq!(e.prefix(), o.prefix());
        prop_assert_eq!(e.local_name(), o.local_name());
        prop_assert_eq!(e.parent(), o.parent);
        let attributes: Vec<(&str, &str)> = e.attributes().collect();
        let old_attributes: Vec<(&str, &str)> = o
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str()))
            .collect();
        prop_assert_eq!(attributes, old_attributes);
        let namespaces: Vec<(&str, &str)> = e.namespaces().collect();
        let old_namespaces: Vec<(&str, &str)> = o.namespaces.iter().map(|(p, u)| (p.as_str(), u.as_str())).collect();
        prop_assert_eq!(namespaces, old_namespaces);
        prop_assert_eq!(new.text(id), old.text(id));
        prop_assert_eq!(new.namespace(id), old.namespace(id));
        prop_assert_eq!(
            new.child_elements(id).collect::<Vec<_>>(),
            old.child_elements(id).collect::<Vec<_>>()
        );
        prop_assert_eq!(new.descendants(id), old.descendants(id));
        for p in PREFIXES {
            prop_assert_eq!(new.resolve_prefix(id, p), old.resolve_prefix(id, p));
        }
        for ns in [None, Some("urn:1"), Some("urn:2"), Some("")] {
            for local in ["x", "y", "Id", "ID", "lang"] {
                prop_assert_eq!(new.attribute(id, ns, local), old.attribute(id, ns, local));
            }
        }
        prop_assert_eq!(new.is(id, "urn:1", "e"), old.is(id, "urn:1", "e"));
        for (ns, local) in [("urn:1", "e"), ("urn:2", "f"), ("urn:2", "e")] {
            prop_assert_eq!(new.child(id, ns, local), old.child(id, ns, local));
            prop_assert_eq!(
                new.children_named(id, ns, local).collect::<Vec<_>>(),
                old.children_named(id, ns, local).collect::<Vec<_>>()
            );
        }
        // Canonical form, whole and with the first element below left out, and with the
        // element itself left out.
        let below = new.descendants(id).first().copied();
        for exclude in [None, below, Some(id)] {
            for inclusive in INCLUSIVE {
                let inclusive: Vec<String> = inclusive.iter().map(|s| s.to_string()).collect();
                let canonical = new.exc_c14n(id, exclude, &inclusive);
                let expected = old.exc_c14n(id, exclude, &inclusive);
                prop_assert!(
                    canonical == expected,
                    "exc-c14n of {} differs:\n{}\n{}",
                    id,
                    String::from_utf8_lossy(&canonical),
                    String::from_utf8_lossy(&expected)
                );
            }
        }
    }
    for id in IDS {
        prop_assert_eq!(new.element_by_id(id), old.element_by_id(id));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn the_tree_reads_and_canonicalises_as_its_oracle(doc in document(), limits in limits()) {
        let new = Tree::parse_with(doc.as_bytes(), limits);
        let old = oracle::Tree::parse_with(doc.as_bytes(), limits);
        match (new, old) {
            (Ok(new), Ok(old)) => same(&new, &old)?,
            (Err(new), Err(old)) => prop_assert_eq!(new, old),
            (new, old) => prop_assert!(false, "{doc:?}: the tree gives {new:?}, the oracle {old:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Below more than 16 declarations (where the canonicaliser indexes its bindings by
    /// prefix), rebinding the generated document's prefixes on the way down.
    #[test]
    fn the_tree_canonicalises_under_many_declarations_as_its_oracle(root in piece(), outer in 12usize..24) {
        let declarations: String = (0..outer).map(|i| format!(" xmlns:p{i}=\"urn:{}\"", i % 3)).collect();
        let mut doc = format!(
            r#"<w{declarations} xmlns:a="urn:2" xmlns:b="urn:1" xmlns="urn:1"><p3:v xmlns:a="urn:1" xmlns:u="urn:2" xmlns="" p1:x="1">"#
        );
        render(&root, &mut doc);
        doc.push_str("</p3:v></w>");
        let new = Tree::parse(doc.as_bytes());
        let old = oracle::Tree::parse(doc.as_bytes());
        match (new, old) {
            (Ok(new), Ok(old)) => same(&new, &old)?,
            (Err(new), Err(old)) => prop_assert_eq!(new, old),
            (new, old) => prop_assert!(false, "{doc:?}: the tree gives {new:?}, the oracle {old:?}"),
        }
    }
}

/// How many generated documents parse, to keep the generator honest: most of the cases above
/// must compare trees, not errors.
#[test]
fn most_generated_documents_are_well_formed() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = document();
    let mut parsed = 0;
    for _ in 0..500 {
        let doc = strategy.new_tree(&mut runner).unwrap().current();
        if oracle::Tree::parse(doc.as_bytes()).is_ok() {
            parsed += 1;
        }
    }
    assert!(parsed > 200, "only {parsed} of 500 parse");
}

/// Reads `doc` offering `fragment` at every start tag, and holds the tree to the oracle.
fn knowing(doc: &str, limits: Limits, fragment: &std::sync::Arc<super::Fragment>) -> Result<(), TestCaseError> {
    let known = |_: &str, _: Option<&str>| Some(fragment.clone());
    let new = Tree::parse_knowing(doc.as_bytes(), limits, &known);
    let old = oracle::Tree::parse_with(doc.as_bytes(), limits);
    match (new, old) {
        (Ok(new), Ok(old)) => same(&new, &old),
        (Err(new), Err(old)) => {
            prop_assert_eq!(new, old);
            Ok(())
        }
        (new, old) => {
            prop_assert!(false, "{doc:?}: the tree gives {new:?}, the oracle {old:?}");
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A fragment of one element of a document, offered at every start tag while reading the
    /// document again (within other limits), and while reading the element twice under other
    /// declarations: put in or not, the tree is the oracle's.
    #[test]
    fn a_tree_read_with_a_known_fragment_reads_as_its_oracle(
        doc in document(),
        limits in limits(),
        pick in any::<usize>(),
        around in prop::sample::select(&["", " xmlns:a=\"urn:a\"", " xmlns:a=\"urn:b\" xmlns=\"urn:d\"", " a:Id=\"i1\""][..]),
    ) {
        let Ok(tree) = Tree::parse(doc.as_bytes()) else { return Ok(()) };
        let elements: Vec<NodeId> = std::iter::once(tree.root()).chain(tree.descendants(tree.root())).collect();
        let element = elements[pick % elements.len()];
        let fragment = std::sync::Arc::new(tree.fragment(element));
        knowing(&doc, limits, &fragment)?;
        knowing(&doc, Limits::default(), &fragment)?;
        let source = tree.source(element);
        knowing(&format!("<w{around}>{source}<x>{source}</x></w>"), limits, &fragment)?;
        knowing(&format!("<w{around}>{source}<x>{source}</x></w>"), Limits::default(), &fragment)?;
    }
}

/// The fragments offered above are put in for a good share of the documents (not for those
/// the plain reader leaves to quick-xml, which reads everything), so the proptest compares
/// trees that were put together, not only trees read in full.
#[test]
fn most_offered_fragments_are_put_in() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (document(), any::<usize>());
    let (mut read, mut put) = (0, 0);
    for _ in 0..500 {
        let (doc, pick) = strategy.new_tree(&mut runner).unwrap().current();
        let Ok(tree) = Tree::parse(doc.as_bytes()) else {
            continue;
        };
        let elements: Vec<NodeId> = std::iter::once(tree.root())
            .chain(tree.descendants(tree.root()))
            .collect();
        let fragment = std::sync::Arc::new(tree.fragment(elements[pick % elements.len()]));
        let before = super::fragment::PUT.with(|p| p.get());
        let known = |_: &str, _: Option<&str>| Some(fragment.clone());
        assert!(
            Tree::parse_knowing(doc.as_bytes(), Limits::default(), &known).is_ok(),
            "{doc:?}"
        );
        read += 1;
        if super::fragment::PUT.with(|p| p.get()) > before {
            put += 1;
        }
    }
    assert!(put * 4 > read, "put in for {put} of {read} documents");
}
