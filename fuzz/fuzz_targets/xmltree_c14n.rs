//! The XML tree behind signatures and exclusive canonicalisation: any bytes either parse or
//! are refused; whatever parses canonicalises (every element, with and without an excluded
//! subtree and inclusive prefixes), and the canonical form of a document is itself a
//! well-formed document whose canonical form is the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sfstub::security::xmltree::Tree;

fuzz_target!(|data: &[u8]| {
    let Ok(tree) = Tree::parse(data) else {
        return;
    };
    let root = tree.root();
    let canonical = tree.exc_c14n(root, None, &[]);
    let again = Tree::parse(&canonical).unwrap_or_else(|e| {
        panic!(
            "the canonical form does not parse ({e}): {}",
            String::from_utf8_lossy(&canonical)
        )
    });
    assert_eq!(
        String::from_utf8_lossy(&again.exc_c14n(again.root(), None, &[])),
        String::from_utf8_lossy(&canonical),
        "canonicalising the canonical form changes it"
    );
    let elements = tree.descendants(root);
    let inclusive = ["#default".to_owned(), "soap".to_owned(), "wsu".to_owned()];
    for (i, &id) in elements.iter().take(32).enumerate() {
        let _ = tree.exc_c14n(id, None, &inclusive);
        let _ = tree.exc_c14n(root, Some(id), &[]);
        let e = tree.element(id);
        let _ = tree.namespace(id);
        for a in &e.attributes {
            let _ = tree.attribute(id, a.prefix().and_then(|p| tree.resolve_prefix(id, p)), a.local_name());
            if i < 4 {
                let _ = tree.element_by_id(&a.value);
            }
        }
    }
    let _ = tree.text(root);
});
