//! Loading: what a contract tells about its operations, files from memory, and the errors of a
//! contract that does not load — each naming the file, the line and what is missing.

use sfstub::soap::SoapVersion;
use sfstub::xsd::{Contract, QName, SchemaSet, Source};

use crate::sets::contracts;

const XS: &str = r#"xmlns:xs="http://www.w3.org/2001/XMLSchema""#;

#[test]
fn sf1470_operations_with_actions_body_and_header_elements() {
    let c = Contract::load(
        &Source::dir(contracts().join("sf1470-sagdokumentindeks-v6")),
        "wsdl/SagDokumentIndeksService_6.wsdl",
    )
    .unwrap();
    let names: Vec<&str> = c.operations().iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["fjern", "importer", "opdater", "fremsoeg"]);
    let op = c
        .operation_by_action("\"http://kombit.dk/sts/sagdokumentindeks/fremsoeg\"")
        .unwrap();
    assert_eq!(op.name, "fremsoeg");
    assert_eq!(op.soap, Some(SoapVersion::V12));
    assert_eq!(op.soap_action_required, Some(true));
    let input = op.input.as_ref().unwrap();
    assert_eq!(
        input.body,
        [QName::new(
            "urn:oio:sts:sagdok:sagdokumentindeks:6",
            "FremsoegSagDokumentIndeksInput"
        )]
    );
    assert_eq!(
        input.headers,
        [QName::new(
            "http://kombit.dk/xml/schemas/RequestHeader/1/",
            "RequestHeader"
        )]
    );
    assert_eq!(
        op.output.as_ref().unwrap().body[0].local,
        "FremsoegSagDokumentIndeksOutput"
    );
    assert_eq!(op.policy_refs, ["#ServiceplatformBindingPolicy"]);
    let policy = c
        .wsdl
        .policy("#ServiceplatformBindingPolicy")
        .expect("the policy is read from the imported WSDL");
    assert!(
        policy
            .assertions
            .iter()
            .any(|a| a.local == "PolicyReference" || a.local == "IssuedToken" || a.local == "AsymmetricBinding"),
        "{policy:?}"
    );
    // Dispatch: by action, else by the body element, namespace-agnostic.
    assert_eq!(
        c.find_operation(
            None,
            Some("urn:unknown"),
            Some(("urn:other", "ImporterSagDokumentIndeksInput"))
        )
        .unwrap()
        .name,
        "importer"
    );
    assert_eq!(
        c.find_operation(
            None,
            None,
            Some(("urn:oio:sts:sagdok:sagdokumentindeks:6", "FjernSagDokumentIndeksInput"))
        )
        .unwrap()
        .name,
        "fjern"
    );
    assert!(c.find_operation(None, None, Some(("", "Nothing"))).is_none());
    let endpoints = c.endpoints();
    assert_eq!(endpoints.len(), 1);
    assert!(
        endpoints[0].address.as_deref().unwrap_or("").starts_with("https://"),
        "{endpoints:?}"
    );
}

#[test]
fn sf2900_is_soap11_with_faults_and_sf1514_has_addressing_actions() {
    let c = Contract::load(
        &Source::dir(contracts().join("sf2900-fordelingskomponent")),
        "resources/sf2900/wsdl/context/DistributionService.wsdl",
    )
    .unwrap();
    let op = c
        .operation_by_action(
            "http://serviceplatformen.dk/xml/wsdl/soap11/DistributionService/3/port/FordelingsobjektAfsend",
        )
        .unwrap();
    assert_eq!(op.soap, Some(SoapVersion::V11));
    assert_eq!(op.faults.len(), 1);
    assert_eq!(op.faults[0].name, "TransportKvittering");
    assert_eq!(op.faults[0].element.as_ref().unwrap().local, "TransportKvittering");

    let sts = Contract::load(&Source::dir(contracts().join("sf1514-sts")), "sts.wsdl").unwrap();
    let issue = sts
        .operation_by_action("http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue")
        .unwrap();
    assert_eq!(
        issue.input.as_ref().unwrap().action.as_deref(),
        Some("http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue")
    );
    assert_eq!(
        issue.output.as_ref().unwrap().action.as_deref(),
        Some("http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal")
    );
}

/// sfstub's own WSDLs, as served, load from memory: the XSDs are keyed by the URL the WSDL names.
#[test]
fn sfstubs_own_contracts_load_from_memory() {
    let app = crate::world::app(sfstub::security::SecurityMode::Off);
    let base = "http://127.0.0.1:8080/kontrolsaglistehent/1";
    let mut loaded = 0;
    for service in &app.loaded().services {
        let Some(wsdl) = service.contract(None, base) else {
            continue;
        };
        let mut files = vec![("service.wsdl".to_owned(), wsdl.into_bytes())];
        for xsd in ["KontrolsagListeHent.xsd", "KlassifikationListeHent.xsd", "Kontekst.xsd"] {
            if let Some(text) = service.contract(Some(xsd), base) {
                files.push((format!("{base}/{xsd}"), text.into_bytes()));
            }
        }
        let c = Contract::load(&Source::memory(files), "service.wsdl")
            .unwrap_or_else(|e| panic!("{}: {e}", service.title()));
        let op = &c.operations()[0];
        let body = &op.input.as_ref().unwrap().body[0];
        assert!(body.local.ends_with("ListeHent_I"), "{body}");
        assert!(c.endpoints().iter().all(|e| e.address.as_deref() == Some(base)));
        loaded += 1;
    }
    assert_eq!(
        loaded, 2,
        "SF1472 and SF1510 KlassifikationListeHent publish their WSDL"
    );
}

fn load(files: &[(&str, &str)], entry: &str) -> Result<SchemaSet, String> {
    let source = Source::memory(files.iter().map(|(p, t)| (p.to_string(), t.to_string())));
    SchemaSet::load(&source, &[entry]).map_err(|e| e.to_string())
}

#[test]
fn a_missing_file_or_component_is_named_with_where_it_is_used() {
    let main = format!(
        r#"<xs:schema {XS} xmlns:b="urn:b" targetNamespace="urn:a">
  <xs:import namespace="urn:b" schemaLocation="sub/b.xsd"/>
  <xs:element name="e" type="b:Missing"/>
</xs:schema>"#
    );
    let e = load(&[("main.xsd", &main)], "main.xsd").unwrap_err();
    assert!(
        e.contains("main.xsd:3") && e.contains("{urn:b}Missing") && e.contains("no file of that namespace was read"),
        "{e}"
    );
    assert!(
        e.contains("main.xsd:2") && e.contains("sub/b.xsd"),
        "the unread import is named: {e}"
    );

    let b = format!(
        r#"<xs:schema {XS} targetNamespace="urn:b"><xs:simpleType name="Other"><xs:restriction base="xs:string"/></xs:simpleType></xs:schema>"#
    );
    let e = load(&[("main.xsd", &main), ("sub/b.xsd", &b)], "main.xsd").unwrap_err();
    assert!(
        e.contains("{urn:b}Missing") && e.contains("sub/b.xsd"),
        "the files read for the namespace are named: {e}"
    );
}

#[test]
fn a_reference_outside_the_folder_is_refused_never_fetched() {
    let main = format!(
        r#"<xs:schema {XS} targetNamespace="urn:a" xmlns:x="urn:x">
  <xs:import namespace="urn:x" schemaLocation="https://example.invalid/x.xsd"/>
  <xs:include schemaLocation="../../etc/passwd"/>
  <xs:element name="e" type="x:T"/>
</xs:schema>"#
    );
    let e = load(&[("dir/main.xsd", &main)], "dir/main.xsd").unwrap_err();
    assert!(
        e.contains("https://example.invalid/x.xsd") && e.contains("outside the contract folder"),
        "{e}"
    );
    assert!(
        e.contains("../../etc/passwd") && e.contains("leads outside the contract folder"),
        "{e}"
    );
}

/// OIO style: a namespace imported from several files, the component wanted is in a file of
/// that namespace nobody imports, and a file importing its own namespace.
#[test]
fn the_files_of_a_namespace_are_gathered_from_the_folder() {
    let main = format!(
        r#"<xs:schema {XS} xmlns:b="urn:b" targetNamespace="urn:a" elementFormDefault="qualified">
  <xs:import namespace="urn:b" schemaLocation="B1.xsd"/>
  <xs:import namespace="urn:b" schemaLocation="B2.xsd"/>
  <xs:element name="e"><xs:complexType><xs:sequence><xs:element ref="b:One"/><xs:element ref="b:Two"/><xs:element ref="b:Three"/></xs:sequence></xs:complexType></xs:element>
</xs:schema>"#
    );
    let b1 = format!(r#"<xs:schema {XS} targetNamespace="urn:b"><xs:element name="One" type="xs:int"/></xs:schema>"#);
    let b2 = format!(
        r#"<xs:schema {XS} xmlns:b="urn:b" targetNamespace="urn:b"><xs:import namespace="urn:b" schemaLocation="B1.xsd"/><xs:element name="Two" type="xs:int"/></xs:schema>"#
    );
    let b3 = format!(r#"<xs:schema {XS} targetNamespace="urn:b"><xs:element name="Three" type="xs:int"/></xs:schema>"#);
    let set = load(
        &[
            ("main.xsd", &main),
            ("B1.xsd", &b1),
            ("B2.xsd", &b2),
            ("other/B3.xsd", &b3),
        ],
        "main.xsd",
    )
    .unwrap();
    assert!(
        set.notes().iter().any(|n| n.contains("other/B3.xsd")),
        "{:?}",
        set.notes()
    );
    assert!(
        set.notes().iter().any(|n| n.contains("imports its own namespace")),
        "{:?}",
        set.notes()
    );
    let doc = br#"<a:e xmlns:a="urn:a" xmlns:b="urn:b"><b:One>1</b:One><b:Two>2</b:Two><b:Three>3</b:Three></a:e>"#;
    assert!(set.validate(doc, None).is_empty());
}

#[test]
fn unsupported_and_broken_schemas_are_refused_with_the_reason() {
    for (body, expect) in [
        (
            r#"<xs:redefine schemaLocation="x.xsd"/>"#,
            "xs:redefine is not supported",
        ),
        (
            r#"<xs:simpleType name="P"><xs:restriction base="xs:string"><xs:pattern value="(a"/></xs:restriction></xs:simpleType>"#,
            "unclosed '('",
        ),
        (
            r#"<xs:simpleType name="D"><xs:restriction base="xs:duration"><xs:minInclusive value="P1D"/></xs:restriction></xs:simpleType>"#,
            "not numeric or a date/time",
        ),
        (r#"<xs:element name="e" type="xs:nonsense"/>"#, "not a built-in type"),
        (
            r#"<xs:complexType name="A"><xs:complexContent><xs:extension base="t:B"/></xs:complexContent></xs:complexType><xs:complexType name="B"><xs:complexContent><xs:extension base="t:A"/></xs:complexContent></xs:complexType>"#,
            "derives from itself",
        ),
        (
            r#"<xs:group name="g"><xs:sequence><xs:group ref="t:g"/></xs:sequence></xs:group>"#,
            "contains itself",
        ),
        (
            r#"<xs:element name="e"><xs:complexType><xs:sequence><xs:element name="x" minOccurs="2" maxOccurs="1"/></xs:sequence></xs:complexType></xs:element>"#,
            "less than minOccurs",
        ),
    ] {
        let text = format!(r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">{body}</xs:schema>"#);
        let e = load(&[("t.xsd", &text)], "t.xsd").unwrap_err();
        assert!(e.contains(expect) && e.contains("t.xsd:1"), "{body}: {e}");
    }
    let e = load(&[("t.xsd", "<not-xml")], "t.xsd").unwrap_err();
    assert!(e.contains("t.xsd") && e.contains("not well-formed"), "{e}");
}

#[test]
fn a_wsdl_naming_an_undeclared_element_does_not_load() {
    let wsdl = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:t="urn:t" targetNamespace="urn:t">
  <types><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t"><xs:element name="In" type="xs:string"/></xs:schema></types>
  <message name="m"><part name="p" element="t:Nope"/></message>
  <portType name="pt"><operation name="op"><input message="t:m"/></operation></portType>
  <binding name="b" type="t:pt"><soap:binding xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" style="document"/><operation name="op"><input/></operation></binding>
</definitions>"#;
    let e = Contract::load(&Source::memory([("x.wsdl", wsdl)]), "x.wsdl")
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.wsdl:3") && e.contains("{urn:t}Nope"), "{e}");
}

/// Long chains of named types compile without deep recursion; an absurd derivation chain is a
/// clear error, never a stack overflow.
#[test]
fn long_chains_of_types_load_and_absurd_derivations_are_refused() {
    let mut body = String::new();
    for i in 0..3000 {
        body.push_str(&format!(
            r#"<xs:complexType name="T{i}"><xs:sequence><xs:element name="e" type="t:T{}" minOccurs="0"/></xs:sequence></xs:complexType>"#,
            i + 1
        ));
    }
    body.push_str(r#"<xs:complexType name="T3000"/><xs:element name="root" type="t:T0"/>"#);
    let text = format!(r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">{body}</xs:schema>"#);
    let set = load(&[("t.xsd", &text)], "t.xsd").unwrap();
    assert!(
        set.validate(b"<t:root xmlns:t='urn:t'><e><e/></e></t:root>", None)
            .is_empty()
    );

    let mut body = String::from(r#"<xs:complexType name="D0"/>"#);
    for i in 1..1000 {
        body.push_str(&format!(
            r#"<xs:complexType name="D{i}"><xs:complexContent><xs:extension base="t:D{}"/></xs:complexContent></xs:complexType>"#,
            i - 1
        ));
    }
    let text = format!(r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">{body}</xs:schema>"#);
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || load(&[("t.xsd", &text)], "t.xsd"))
        .unwrap();
    let e = handle.join().expect("no stack overflow on a 1 MiB stack").unwrap_err();
    assert!(e.contains("levels deep"), "{e}");
}
