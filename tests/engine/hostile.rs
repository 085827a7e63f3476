//! Contracts no answer can be generated for are refused when they load, each naming why —
//! never a hang, a huge answer or an invalid one: a required recursion with no way out,
//! minOccurs too large to write, facets no value satisfies.

use std::path::{Path, PathBuf};

/// A one-operation SOAP 1.1 contract whose response is `Answer` of the given schema content.
fn contract(name: &str, types: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-hostile").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let wsdl = format!(
        r#"<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
             xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">
  <types>
    <xs:schema targetNamespace="urn:t" elementFormDefault="qualified">
      <xs:element name="Ask"><xs:complexType/></xs:element>
      {types}
    </xs:schema>
  </types>
  <message name="In"><part name="p" element="t:Ask"/></message>
  <message name="Out"><part name="p" element="t:Answer"/></message>
  <portType name="P"><operation name="op"><input message="t:In"/><output message="t:Out"/></operation></portType>
  <binding name="B" type="t:P">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="op"><soap:operation soapAction="urn:t:op"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  <service name="S"><port name="p" binding="t:B"><soap:address location="http://x/t/1"/></port></service>
</definitions>"#
    );
    let file = dir.join("t.wsdl");
    std::fs::write(&file, wsdl).unwrap();
    file
}

fn refused(name: &str, types: &str) -> String {
    let file = contract(name, types);
    match sfstub::engine::prepare_file(&file) {
        Ok(p) => panic!("{name} loads: {p:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_required_recursion_with_no_way_out_is_refused() {
    let e = refused(
        "recursion",
        r#"<xs:element name="Answer" type="t:Node"/>
      <xs:complexType name="Node"><xs:sequence><xs:element name="Child" type="t:Node"/></xs:sequence></xs:complexType>"#,
    );
    assert!(e.contains("the response of op") && e.contains("recurses"), "{e}");
}

#[test]
fn a_recursion_with_an_optional_way_out_is_generated() {
    let file = contract(
        "recursion-ok",
        r#"<xs:element name="Answer" type="t:Node"/>
      <xs:complexType name="Node"><xs:choice><xs:element name="Child" type="t:Node"/><xs:element name="Leaf" type="xs:string"/></xs:choice></xs:complexType>"#,
    );
    let p = sfstub::engine::prepare_file(&file).unwrap_or_else(|e| panic!("{e}"));
    let skeleton = p.operations[0].skeleton.as_ref().unwrap();
    assert_eq!(skeleton.leaves.len(), 1, "the choice takes the leaf: {skeleton:?}");
}

#[test]
fn minoccurs_too_large_to_write_is_refused() {
    let e = refused(
        "huge",
        r#"<xs:element name="Answer"><xs:complexType><xs:sequence>
        <xs:element name="Row" minOccurs="1000" maxOccurs="unbounded"><xs:complexType><xs:sequence>
          <xs:element name="Cell" type="xs:string" minOccurs="1000" maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType></xs:element>
      </xs:sequence></xs:complexType></xs:element>"#,
    );
    assert!(e.contains("more than 50000 elements"), "{e}");
}

#[test]
fn facets_no_value_satisfies_are_named() {
    let e = refused(
        "facets",
        r#"<xs:element name="Answer"><xs:simpleType><xs:restriction base="xs:string">
        <xs:pattern value="[a-z]{3}"/><xs:length value="5"/>
      </xs:restriction></xs:simpleType></xs:element>"#,
    );
    assert!(
        e.contains("cannot generate a value") && e.contains("[a-z]{3}") && e.contains("length 5"),
        "{e}"
    );
}
