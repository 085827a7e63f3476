//! What the signature XML tree costs per byte of input: reading a document into
//! `security::xmltree::Tree` and writing its root in exclusive canonical form, for a friendly
//! document shaped like a signed request and for hostile ones at the request limits (many
//! attributes per element, deep nesting, many namespace declarations in scope with elements
//! resolving the outermost). Prints mean nanoseconds per input byte of each, measured in
//! process on one core with `Instant` (wall clock: noisy on a shared machine; compare the
//! rows of one run, or count instructions with `valgrind --tool=callgrind`).
//!
//! `cargo run --release --example tree_cost [iterations]` (default 200).

use std::time::Instant;

use sfstub::security::xmltree::Tree;

/// A document shaped like a signed request: a header of a few prefixed elements with
/// identifiers and long texts, a body of nested elements with short texts.
fn friendly() -> String {
    let mut doc = String::from(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsu="urn:wsu" xmlns:wsse="urn:wsse" xmlns:ds="urn:ds"><soap:Header><wsse:Security>"#,
    );
    for i in 0..8 {
        doc.push_str(&format!(
            r#"<wsse:Token wsu:Id="t{i}" ValueType="urn:x509" EncodingType="urn:base64">{}</wsse:Token>"#,
            "MIIC".repeat(120)
        ));
    }
    doc.push_str(r#"</wsse:Security></soap:Header><soap:Body wsu:Id="body"><k:Op xmlns:k="urn:k">"#);
    for i in 0..300 {
        doc.push_str(&format!(
            "<k:Item><k:Name>item {i}</k:Name><k:Value>{i}</k:Value></k:Item>"
        ));
    }
    doc.push_str("</k:Op></soap:Body></soap:Envelope>");
    doc
}

/// Elements with 127 attributes each (the default limit is 128), half of them prefixed.
fn many_attributes() -> String {
    let attributes: String = (0..127)
        .map(|i| match i % 2 {
            0 => format!(" a{i}=\"v{i}\""),
            _ => format!(" p:a{i}=\"v{i}\""),
        })
        .collect();
    let element = format!("<e{attributes}/>");
    format!("<r xmlns:p=\"urn:p\">{}</r>", element.repeat(100))
}

/// Nesting 63 deep (the default limit is 64), over and over.
fn deep() -> String {
    let open = "<a:e xmlns:a=\"urn:a\" x=\"1\">".repeat(62);
    let close = "</a:e>".repeat(62);
    format!("<r>{}</r>", format!("{open}t{close}").repeat(40))
}

/// 127 namespace declarations in scope (the default limit is 128), then elements and
/// attributes using the outermost prefix and an undeclared one.
fn many_namespaces() -> String {
    let declarations: String = (0..127).map(|i| format!(" xmlns:p{i}=\"urn:{i}\"")).collect();
    let children = "<p0:c p0:x=\"1\"/><q:c/>".repeat(2000);
    format!("<r{declarations}>{children}</r>")
}

/// Mean nanoseconds per input byte of reading `doc` and of canonicalising its root.
fn per_byte(doc: &str, n: u32) -> (f64, f64) {
    let bytes = doc.len() as f64 * f64::from(n);
    let start = Instant::now();
    for _ in 0..n {
        Tree::parse(doc.as_bytes()).expect("within the default limits");
    }
    let parse = start.elapsed().as_secs_f64() * 1e9 / bytes;
    let tree = Tree::parse(doc.as_bytes()).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(tree.exc_c14n(tree.root(), None, &["#default".to_owned(), "p7".to_owned()]));
    }
    let c14n = start.elapsed().as_secs_f64() * 1e9 / bytes;
    (parse, c14n)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        .max(1);
    println!(
        "{:<34} {:>9} {:>13} {:>13}",
        "document", "bytes", "parse ns/B", "exc-c14n ns/B"
    );
    for (name, doc) in [
        ("friendly (signed-request shape)", friendly()),
        ("127 attributes per element", many_attributes()),
        ("nesting 63 deep", deep()),
        ("127 declarations in scope", many_namespaces()),
    ] {
        let (parse, c14n) = per_byte(&doc, n);
        println!("{name:<34} {:>9} {parse:>13.2} {c14n:>13.2}", doc.len());
    }
}
