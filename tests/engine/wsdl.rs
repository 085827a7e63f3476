//! `?wsdl` of a contract service: the WSDL with its address pointing at sfstub, and every
//! file it leads to reachable at `?file=` (also from a folder above the WSDL's, as SF2900's
//! token WSDL includes `../../DistributionServiceMsg.xsd`); only the contract's own files.

use std::collections::BTreeSet;

use sfstub::security::SecurityMode;

use crate::support::{app, get, scenario_with, wsdl};

/// Every `?file=` link of a document.
fn links(doc: &str) -> Vec<String> {
    doc.match_indices("?file=")
        .map(|(i, _)| {
            let rest = &doc[i + 6..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

#[test]
fn the_wsdl_and_every_file_it_leads_to_are_served_with_addresses_rewritten() {
    let app = app(
        scenario_with(&format!(
            "  - wsdl: {}\n  - wsdl: {}\n    path: /sdi\n",
            wsdl(
                "sf2900-fordelingskomponent",
                "resources/sf2900/wsdl/token/DistributionService.wsdl"
            ),
            wsdl("sf1470-sagdokumentindeks-v6", "wsdl/SagDokumentIndeksService_6.wsdl"),
        )),
        SecurityMode::Off,
    );
    for (path, at_least) in [("/service/SP/Distribution/3", 6), ("/sdi", 12)] {
        let (status, doc) = get(&app, &format!("{path}?wsdl"));
        assert_eq!(status, 200, "{doc}");
        assert!(
            doc.contains(&format!("location=\"http://127.0.0.1:8080{path}\"")),
            "{doc}"
        );
        assert!(!doc.contains("localhost:8080") && !doc.contains("eksterntest"), "{doc}");
        let mut seen = BTreeSet::new();
        let mut queue = links(&doc);
        while let Some(file) = queue.pop() {
            if !seen.insert(file.clone()) {
                continue;
            }
            let (status, text) = get(&app, &format!("{path}?file={file}"));
            assert_eq!(status, 200, "{path}?file={file}: {text}");
            queue.extend(links(&text));
        }
        assert!(seen.len() >= at_least, "{path}: {seen:?}");
        let (status, bare) = get(&app, &format!("{path}?wsdl&policy=none"));
        assert_eq!(status, 200);
        assert!(!bare.contains("PolicyReference"), "{bare}");
        // Nothing else of the folder, and nothing outside it.
        for other in ["../../README.md", "SOURCE.txt", "/etc/passwd", "LICENSE"] {
            let (status, text) = get(&app, &format!("{path}?file={other}"));
            assert_eq!(status, 404, "{path}?file={other}: {text}");
        }
        let (status, text) = get(&app, &format!("{path}?wsdl=token"));
        assert_eq!(status, 404, "{text}");
    }
}

#[test]
fn the_banner_and_the_index_list_contract_services_with_their_wsdl() {
    let app = app(
        scenario_with(&format!(
            "  - wsdl: {}\n    path: /sdi\n    title: SF1470 Sags- og dokumentindeks v6\n",
            wsdl("sf1470-sagdokumentindeks-v6", "wsdl/SagDokumentIndeksService_6.wsdl"),
        )),
        SecurityMode::Off,
    );
    let banner = sfstub::banner(&app, "http://127.0.0.1:8080");
    assert!(
        banner
            .contains("SF1470 Sags- og dokumentindeks v6 http://127.0.0.1:8080/sdi   (http://127.0.0.1:8080/sdi?wsdl)"),
        "{banner}"
    );
    let (status, index) = get(&app, "/");
    assert_eq!(status, 200);
    assert!(index.contains("http://127.0.0.1:8080/sdi?wsdl"), "{index}");
}
