//! Validates the SF1472 request (the one `xsd_bench` measures) a given number of times and
//! nothing else, for instruction counts under callgrind: the cost of one validation is the
//! difference between two runs divided by the difference in counts.
//!
//!     cargo build --release --example xsd_profile
//!     valgrind --tool=callgrind target/release/examples/xsd_profile 1
//!     valgrind --tool=callgrind target/release/examples/xsd_profile 10001

#[path = "support/requests.rs"]
mod requests;

use sfstub::xsd::{Instance, Limits, QName, SchemaSet, Source};

/// The SF1472 request element of `xsd_bench`.
pub use requests::KONTROLSAG_STK1_ELEMENT as REQUEST;

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let files: Vec<(String, String)> = [
        (
            "KontrolsagListeHent.xsd",
            include_str!("../src/services/sf1472/KontrolsagListeHent.xsd"),
        ),
        ("Kontekst.xsd", include_str!("../src/services/k2017/Kontekst.xsd")),
    ]
    .iter()
    .map(|(n, t)| {
        let text = t
            .replace("{{NAMESPACE}}", "http://www.kombit.dk/int/2022/01/01/")
            .replace("{{KONTEKST_NS}}", "http://kombit.dk/xml/schemas/kontekst/2017/01/01/");
        (n.to_string(), text)
    })
    .collect();
    let set = SchemaSet::load(&Source::memory(files), &["KontrolsagListeHent.xsd"]).expect("the SF1472 schema loads");
    let id = set
        .global_element(&QName::new(
            "http://www.kombit.dk/int/2022/01/01/",
            "KontrolsagListeHent_I",
        ))
        .expect("declared");
    let input = Instance::new(REQUEST);
    let mut findings = 0;
    for _ in 0..n {
        findings += std::hint::black_box(set.validate_instance(&input, Some(id), Limits::default())).len();
    }
    println!("{n} validations, {findings} findings");
}
