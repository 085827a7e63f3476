//! XML Schema features one by one, each document judged by sfstub's validator and by xmllint
//! (both must give the expected verdict), and what the findings say.

use sfstub::xsd::{Code, Finding, Instance, Limits, SchemaSet, Source};

use crate::xmllint;

const HEAD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">"#;

fn schema(body: &str) -> (SchemaSet, String) {
    let text = format!("{HEAD}{body}</xs:schema>");
    let set = SchemaSet::load(&Source::memory([("t.xsd", text.clone())]), &["t.xsd"]).unwrap_or_else(|e| panic!("{e}"));
    (set, text)
}

fn ours(set: &SchemaSet, doc: &str) -> Vec<Finding> {
    set.validate(doc.as_bytes(), None)
}

/// Asserts the verdict of both validators on each (document, valid?) pair.
#[track_caller]
fn judge(body: &str, cases: &[(&str, bool)]) {
    let (set, text) = schema(body);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("xsd-features-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xsd = dir.join(format!(
        "{:x}.xsd",
        text.len() * 31 + text.bytes().map(|b| b as usize).sum::<usize>()
    ));
    std::fs::write(&xsd, &text).unwrap();
    for (doc, valid) in cases {
        let doc = doc.replacen('>', " xmlns:t=\"urn:t\">", 1);
        let findings = ours(&set, &doc);
        assert_eq!(findings.is_empty(), *valid, "sfstub on {doc}: {findings:#?}");
        let lint = xmllint::validate(&doc, &xsd);
        assert_eq!(lint.is_ok(), *valid, "xmllint on {doc}: {lint:?}");
    }
}

#[test]
fn sequence_choice_and_occurrences() {
    judge(
        r#"<xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="a" type="xs:string"/>
             <xs:choice><xs:element name="b" type="xs:int"/><xs:element name="c" type="xs:int" maxOccurs="2"/></xs:choice>
             <xs:element name="d" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
           </xs:sequence></xs:complexType></xs:element>"#,
        &[
            ("<t:r><t:a>x</t:a><t:b>1</t:b></t:r>", true),
            (
                "<t:r><t:a>x</t:a><t:c>1</t:c><t:c>2</t:c><t:d/><t:d/><t:d/></t:r>",
                true,
            ),
            ("<t:r><t:a>x</t:a><t:c>1</t:c><t:c>2</t:c><t:c>3</t:c></t:r>", false),
            ("<t:r><t:a>x</t:a><t:b>1</t:b><t:c>1</t:c></t:r>", false),
            ("<t:r><t:b>1</t:b><t:a>x</t:a></t:r>", false),
            ("<t:r><t:a>x</t:a></t:r>", false),
            ("<t:r><t:a>x</t:a><t:b>one</t:b></t:r>", false),
        ],
    );
}

#[test]
fn all_groups_and_nested_repeating_sequences() {
    judge(
        r#"<xs:group name="g"><xs:sequence><xs:element name="x" type="xs:string"/><xs:element name="y" type="xs:string" minOccurs="0"/></xs:sequence></xs:group>
           <xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="all"><xs:complexType><xs:all><xs:element name="p" type="xs:string"/><xs:element name="q" type="xs:string" minOccurs="0"/></xs:all></xs:complexType></xs:element>
             <xs:sequence maxOccurs="3"><xs:group ref="t:g"/></xs:sequence>
           </xs:sequence></xs:complexType></xs:element>"#,
        &[
            ("<t:r><t:all><t:q/><t:p/></t:all><t:x/><t:y/><t:x/></t:r>", true),
            ("<t:r><t:all><t:p/></t:all><t:x/></t:r>", true),
            ("<t:r><t:all><t:q/></t:all><t:x/></t:r>", false),
            ("<t:r><t:all><t:p/><t:p/></t:all><t:x/></t:r>", false),
            ("<t:r><t:all><t:p/></t:all><t:x/><t:x/><t:x/><t:x/></t:r>", false),
            ("<t:r><t:all><t:p/></t:all><t:y/></t:r>", false),
        ],
    );
}

#[test]
fn extension_restriction_attributes_and_simple_content() {
    judge(
        r#"<xs:attributeGroup name="ag"><xs:attribute name="id" type="xs:ID"/></xs:attributeGroup>
           <xs:complexType name="Base"><xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence>
             <xs:attribute name="v" type="xs:int" use="required"/><xs:attributeGroup ref="t:ag"/></xs:complexType>
           <xs:complexType name="Ext"><xs:complexContent><xs:extension base="t:Base">
             <xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence><xs:attribute name="w" type="xs:boolean"/>
           </xs:extension></xs:complexContent></xs:complexType>
           <xs:complexType name="Amount"><xs:simpleContent><xs:extension base="xs:decimal">
             <xs:attribute name="currency" type="xs:string" fixed="DKK"/></xs:extension></xs:simpleContent></xs:complexType>
           <xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="e" type="t:Ext"/><xs:element name="m" type="t:Amount"/>
           </xs:sequence></xs:complexType></xs:element>"#,
        &[
            (
                r#"<t:r><t:e v="1" w="true" id="x1"><t:a/><t:b/></t:e><t:m currency="DKK">12.50</t:m></t:r>"#,
                true,
            ),
            (r#"<t:r><t:e v="1"><t:a/><t:b/></t:e><t:m>1</t:m></t:r>"#, true),
            (r#"<t:r><t:e><t:a/><t:b/></t:e><t:m>1</t:m></t:r>"#, false),
            (r#"<t:r><t:e v="1" u="2"><t:a/><t:b/></t:e><t:m>1</t:m></t:r>"#, false),
            (r#"<t:r><t:e v="1"><t:b/><t:a/></t:e><t:m>1</t:m></t:r>"#, false),
            (r#"<t:r><t:e v="1"><t:a/></t:e><t:m>1</t:m></t:r>"#, false),
            (
                r#"<t:r><t:e v="1"><t:a/><t:b/></t:e><t:m currency="EUR">1</t:m></t:r>"#,
                false,
            ),
            (r#"<t:r><t:e v="1"><t:a/><t:b/></t:e><t:m>1<t:x/></t:m></t:r>"#, false),
            (r#"<t:r><t:e v="x"><t:a/><t:b/></t:e><t:m>1</t:m></t:r>"#, false),
        ],
    );
}

#[test]
fn substitution_groups_abstract_elements_nil_and_xsi_type() {
    judge(
        r#"<xs:element name="head" type="t:Base" abstract="true"/>
           <xs:element name="member" type="t:Derived" substitutionGroup="t:head"/>
           <xs:complexType name="Base"><xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence></xs:complexType>
           <xs:complexType name="Derived"><xs:complexContent><xs:extension base="t:Base"><xs:sequence><xs:element name="b" type="xs:string" minOccurs="0"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>
           <xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element ref="t:head" maxOccurs="2"/><xs:element name="n" type="xs:date" nillable="true"/><xs:element name="p" type="t:Base"/>
           </xs:sequence></xs:complexType></xs:element>"#,
        &[
            (
                r#"<t:r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><t:member><t:a/><t:b/></t:member><t:n xsi:nil="true"/><t:p xsi:type="t:Derived"><t:a/><t:b/></t:p></t:r>"#,
                true,
            ),
            (
                r#"<t:r><t:head><t:a/></t:head><t:n>2026-01-01</t:n><t:p><t:a/></t:p></t:r>"#,
                false,
            ),
            (
                r#"<t:r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><t:member><t:a/></t:member><t:n xsi:nil="true">2026-01-01</t:n><t:p><t:a/></t:p></t:r>"#,
                false,
            ),
            (
                r#"<t:r><t:member><t:a/></t:member><t:n></t:n><t:p><t:a/></t:p></t:r>"#,
                false,
            ),
            (
                r#"<t:r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><t:member><t:a/></t:member><t:n>2026-01-01</t:n><t:p xsi:type="t:Nope"><t:a/></t:p></t:r>"#,
                false,
            ),
            (
                r#"<t:r><t:member><t:a/></t:member><t:member><t:a/></t:member><t:member><t:a/></t:member><t:n>2026-01-01</t:n><t:p><t:a/></t:p></t:r>"#,
                false,
            ),
        ],
    );
}

#[test]
fn wildcards_strict_lax_skip_and_other() {
    judge(
        r###"<xs:element name="known" type="xs:int"/>
           <xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="lax"><xs:complexType><xs:sequence><xs:any namespace="##any" processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
             <xs:element name="skip"><xs:complexType><xs:sequence><xs:any namespace="##other" processContents="skip"/></xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>
             <xs:element name="strict"><xs:complexType><xs:sequence><xs:any namespace="##targetNamespace"/></xs:sequence></xs:complexType></xs:element>
           </xs:sequence></xs:complexType></xs:element>"###,
        &[
            (
                r###"<t:r><t:lax><t:known>1</t:known><o:x xmlns:o="urn:o"><o:y/></o:x></t:lax><t:skip z="1"><o:q xmlns:o="urn:o">anything</o:q></t:skip><t:strict><t:known>2</t:known></t:strict></t:r>"###,
                true,
            ),
            (
                r###"<t:r><t:lax><t:known>one</t:known></t:lax><t:skip><o:q xmlns:o="urn:o"/></t:skip><t:strict><t:known>2</t:known></t:strict></t:r>"###,
                false,
            ),
            (
                r###"<t:r><t:lax/><t:skip><t:q/></t:skip><t:strict><t:known>2</t:known></t:strict></t:r>"###,
                false,
            ),
            (
                r###"<t:r><t:lax/><t:skip><o:q xmlns:o="urn:o"/></t:skip><t:strict><t:unknown/></t:strict></t:r>"###,
                false,
            ),
        ],
    );
}

#[test]
fn facets_lists_unions_and_builtins() {
    judge(
        r#"<xs:simpleType name="Code"><xs:restriction base="xs:token"><xs:enumeration value="A1"/><xs:enumeration value="B2"/></xs:restriction></xs:simpleType>
           <xs:simpleType name="Money"><xs:restriction base="xs:decimal"><xs:totalDigits value="6"/><xs:fractionDigits value="2"/><xs:minInclusive value="0"/><xs:maxExclusive value="1000"/></xs:restriction></xs:simpleType>
           <xs:simpleType name="Short"><xs:restriction base="xs:string"><xs:minLength value="2"/><xs:maxLength value="4"/><xs:pattern value="[A-Z]+"/></xs:restriction></xs:simpleType>
           <xs:simpleType name="Codes"><xs:list itemType="t:Code"/></xs:simpleType>
           <xs:simpleType name="IntOrCode"><xs:union memberTypes="xs:int t:Code"/></xs:simpleType>
           <xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="code" type="t:Code"/><xs:element name="money" type="t:Money"/><xs:element name="short" type="t:Short"/>
             <xs:element name="codes" type="t:Codes"/><xs:element name="u" type="t:IntOrCode"/><xs:element name="when" type="xs:dateTime"/>
             <xs:element name="year" type="xs:gYear"/><xs:element name="bin" type="xs:base64Binary"/><xs:element name="flag" type="xs:boolean"/>
           </xs:sequence></xs:complexType></xs:element>"#,
        &[
            (
                "<t:r><t:code> A1 </t:code><t:money>999.99</t:money><t:short>ABC</t:short><t:codes>A1 B2  A1</t:codes><t:u>-5</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                true,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>999.99</t:money><t:short>ABC</t:short><t:codes>A1</t:codes><t:u>B2</t:u><t:when>2026-11-22T12:00:00.5+01:00</t:when><t:year>2026</t:year><t:bin></t:bin><t:flag>false</t:flag></t:r>",
                true,
            ),
            (
                "<t:r><t:code>C3</t:code><t:money>1</t:money><t:short>ABC</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1000</t:money><t:short>ABC</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1.005</t:money><t:short>ABC</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1</t:money><t:short>ABCDE</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1</t:money><t:short>Ab</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1</t:money><t:short>AB</t:short><t:codes>A1 C3</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1</t:money><t:short>AB</t:short><t:codes>A1</t:codes><t:u>x</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1</t:money><t:short>AB</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1</t:money><t:short>AB</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>26</t:year><t:bin>QUJD</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1</t:money><t:short>AB</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJ</t:bin><t:flag>1</t:flag></t:r>",
                false,
            ),
            (
                "<t:r><t:code>A1</t:code><t:money>1</t:money><t:short>AB</t:short><t:codes>A1</t:codes><t:u>1</t:u><t:when>2026-11-22T12:00:00Z</t:when><t:year>2026</t:year><t:bin>QUJD</t:bin><t:flag>yes</t:flag></t:r>",
                false,
            ),
        ],
    );
}

#[test]
fn mixed_content_and_text_where_none_belongs() {
    judge(
        r#"<xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="mixed"><xs:complexType mixed="true"><xs:sequence><xs:element name="b" type="xs:string" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>
             <xs:element name="empty"><xs:complexType/></xs:element>
           </xs:sequence></xs:complexType></xs:element>"#,
        &[
            (
                "<t:r><t:mixed>text <t:b>bold</t:b> more</t:mixed><t:empty/></t:r>",
                true,
            ),
            ("<t:r>\n  <t:mixed/>\n  <t:empty></t:empty>\n</t:r>", true),
            ("<t:r>stray<t:mixed/><t:empty/></t:r>", false),
            ("<t:r><t:mixed/><t:empty>x</t:empty></t:r>", false),
        ],
    );
}

/// What a finding tells: code, path of local names, line and column, and expected vs found.
#[test]
fn every_finding_names_code_path_position_and_expectation() {
    let (set, _) = schema(
        r#"<xs:simpleType name="Hjemmel"><xs:restriction base="xs:string"><xs:enumeration value="STK1"/><xs:enumeration value="STK2"/></xs:restriction></xs:simpleType>
           <xs:element name="Soeg"><xs:complexType><xs:sequence>
             <xs:element name="CPR"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9]{10}"/></xs:restriction></xs:simpleType></xs:element>
             <xs:element name="Hjemmel" type="t:Hjemmel"/>
             <xs:element name="Tid" type="xs:dateTime"/>
             <xs:element name="Antal" type="xs:int" minOccurs="0"/>
             <xs:element name="Slut" type="xs:string"/>
           </xs:sequence><xs:attribute name="revision" type="xs:int" use="required"/></xs:complexType></xs:element>"#,
    );
    let doc = "<t:Soeg xmlns:t=\"urn:t\" extra=\"1\">\n  <t:CPR>12345</t:CPR>\n  <t:Hjemmel>STK3</t:Hjemmel>\n  <t:Tid>2026-13-45T99:00:00</t:Tid>\n  <t:Ukendt/>\n  <t:Antal>1</t:Antal><t:Antal>2</t:Antal>\n</t:Soeg>";
    let findings = ours(&set, doc);
    let summary: Vec<(Code, &str, u32)> = findings.iter().map(|f| (f.code, f.path.as_str(), f.line)).collect();
    assert_eq!(
        summary,
        vec![
            (Code::UnexpectedAttribute, "/Soeg/@extra", 1),
            (Code::MissingAttribute, "/Soeg", 1),
            (Code::InvalidPattern, "/Soeg/CPR", 2),
            (Code::InvalidEnumeration, "/Soeg/Hjemmel", 3),
            (Code::InvalidLexical, "/Soeg/Tid", 4),
            (Code::UnexpectedElement, "/Soeg/Ukendt", 5),
            (Code::TooManyElements, "/Soeg/Antal", 6),
            (Code::MissingElement, "/Soeg", 7),
        ],
        "{findings:#?}"
    );
    let by = |c: Code| findings.iter().find(|f| f.code == c).unwrap();
    assert_eq!(by(Code::InvalidPattern).column, 3);
    assert!(
        by(Code::InvalidPattern).message.contains("[0-9]{10}"),
        "{}",
        by(Code::InvalidPattern).message
    );
    assert!(
        by(Code::InvalidEnumeration).message.contains("\"STK3\"")
            && by(Code::InvalidEnumeration).message.contains("\"STK1\"")
    );
    assert!(
        by(Code::UnexpectedElement)
            .message
            .contains("expected one of Antal, Slut"),
        "{}",
        by(Code::UnexpectedElement).message
    );
    assert!(
        by(Code::MissingElement).message.contains("Slut"),
        "{}",
        by(Code::MissingElement).message
    );
    assert_eq!(by(Code::InvalidPattern).offset, doc.find("<t:CPR>").unwrap());
    assert_eq!(Code::MissingElement.as_str(), "missing-element");
}

#[test]
fn positions_count_from_where_the_element_sits_in_its_envelope() {
    let (set, _) = schema(
        r#"<xs:element name="e"><xs:complexType><xs:sequence><xs:element name="n" type="xs:int"/></xs:sequence></xs:complexType></xs:element>"#,
    );
    let envelope = "<s:Envelope xmlns:s=\"urn:soap\" xmlns:t=\"urn:t\">\n<s:Body>\n  <t:e>\n    <t:n>x</t:n></t:e></s:Body></s:Envelope>";
    let start = envelope.find("<t:e>").unwrap();
    let end = envelope.find("</s:Body>").unwrap();
    let input = Instance::within(envelope.as_bytes(), start..end);
    assert_eq!(input.position(), (3, 3));
    let id = set.find_element("urn:t", "e");
    let findings = set.validate_instance(&input, id, Limits::default());
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(
        (f.code, f.line, f.column, f.offset),
        (Code::InvalidLexical, 4, 5, envelope.find("<t:n>").unwrap())
    );
    assert_eq!(f.path, "/e/n");
}

#[test]
fn the_wrong_root_element_is_named() {
    let (set, _) = schema(r#"<xs:element name="a" type="xs:string"/><xs:element name="b" type="xs:string"/>"#);
    let findings = set.validate(b"<b xmlns='urn:t'/>", set.find_element("urn:t", "a"));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, Code::WrongElement);
    assert!(
        findings[0].message.contains("{urn:t}a") && findings[0].message.contains("{urn:t}b"),
        "{}",
        findings[0].message
    );
    let findings = set.validate(b"<c xmlns='urn:t'/>", None);
    assert_eq!(findings[0].code, Code::UndeclaredElement);
}

#[test]
fn malformed_input_is_one_clear_finding() {
    let (set, _) = schema(r#"<xs:element name="a" type="xs:string"/>"#);
    for bad in [
        &b"<a xmlns='urn:t'>x</b>"[..],
        b"<a xmlns='urn:t'>x",
        b"<p:a>x</p:a>",
        b"<a xmlns='urn:t' x='1' x='2'/>",
        b"<!DOCTYPE a><a/>",
        b"",
    ] {
        let findings = set.validate(bad, None);
        assert!(
            findings.iter().any(|f| f.code == Code::NotWellFormed),
            "{}: {findings:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

/// Hostile input: deep nesting stops at the depth limit (no stack overflow), findings stop at
/// their bound, long values and many attributes cost their length.
#[test]
fn hostile_input_is_bounded() {
    let (set, _) = schema(
        r#"<xs:element name="any"><xs:complexType><xs:sequence><xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>
           <xs:element name="list"><xs:complexType><xs:sequence><xs:element name="i" type="xs:int" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
           <xs:element name="v"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="(a+)+b"/></xs:restriction></xs:simpleType></xs:element>"#,
    );
    let deep = format!(
        "<t:any xmlns:t='urn:t'>{}{}</t:any>",
        "<x>".repeat(100_000),
        "</x>".repeat(100_000)
    );
    let findings = set.validate(deep.as_bytes(), None);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, Code::DepthLimit);

    let many = format!("<t:list xmlns:t='urn:t'>{}</t:list>", "<t:i>x</t:i>".repeat(10_000));
    let findings = set.validate(many.as_bytes(), None);
    assert_eq!(findings.len(), Limits::default().max_findings + 1);
    assert_eq!(findings.last().unwrap().code, Code::TooManyFindings);

    let long = format!("<t:v xmlns:t='urn:t'>{}</t:v>", "a".repeat(2_000_000));
    let findings = set.validate(long.as_bytes(), None);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, Code::InvalidPattern);

    let attrs: String = (0..20_000).map(|i| format!(" a{i}='1'")).collect();
    let wide = format!("<t:any xmlns:t='urn:t'{attrs}/>");
    assert!(set.validate(wide.as_bytes(), None).is_empty());
}

#[test]
fn the_compiled_set_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SchemaSet>();
    send_sync::<sfstub::xsd::Contract>();
    let (set, _) = schema(r#"<xs:element name="a" type="xs:int"/>"#);
    let set = std::sync::Arc::new(set);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let set = set.clone();
            std::thread::spawn(move || {
                set.validate(format!("<a xmlns='urn:t'>{i}</a>").as_bytes(), None)
                    .is_empty()
            })
        })
        .collect();
    assert!(handles.into_iter().all(|h| h.join().unwrap()));
}

/// Random damage to a valid document (bytes flipped, cut, non-ASCII inserted) always gives
/// findings or none, never a panic.
#[test]
fn damaged_documents_never_panic() {
    use proptest::prelude::*;
    let (set, _) = schema(
        r#"<xs:element name="r"><xs:complexType><xs:sequence>
             <xs:element name="when" type="xs:dateTime"/><xs:element name="day" type="xs:date"/><xs:element name="n" type="xs:decimal"/>
             <xs:element name="id"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9a-f]{8}"/></xs:restriction></xs:simpleType></xs:element>
             <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
           </xs:sequence><xs:attribute name="a" type="xs:QName"/></xs:complexType></xs:element>"#,
    );
    let doc = r#"<t:r xmlns:t="urn:t" a="t:x"><t:when>2026-11-22T12:00:00+01:00</t:when><t:day>2026-11-22</t:day><t:n>-1.50</t:n><t:id>0123abcd</t:id><t:other>é</t:other></t:r>"#;
    assert!(ours(&set, doc).is_empty(), "{:?}", ours(&set, doc));
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 500,
        ..Default::default()
    });
    runner
        .run(
            &(
                0..doc.len(),
                prop::sample::select(vec!["é", "€", "<", ">", "&", "\"", "", "x", "+01:0", "\u{0}"]),
                0..3usize,
            ),
            |(at, insert, cut)| {
                let mut bytes = doc.as_bytes().to_vec();
                let end = (at + cut).min(bytes.len());
                bytes.splice(at..end, insert.bytes());
                let _ = set.validate(&bytes, None);
                Ok(())
            },
        )
        .unwrap();
}

/// Character and entity references in text and attribute values are resolved before the value
/// is checked (the XML reader reports a reference in text as an event of its own).
#[test]
fn references_in_values_are_resolved() {
    judge(
        r#"<xs:element name="v"><xs:complexType><xs:simpleContent><xs:extension base="t:AB"><xs:attribute name="a" type="t:AB"/></xs:extension></xs:simpleContent></xs:complexType></xs:element>
           <xs:simpleType name="AB"><xs:restriction base="xs:string"><xs:enumeration value="A&amp;B"/><xs:enumeration value="A&lt;B"/></xs:restriction></xs:simpleType>"#,
        &[
            ("<t:v>A&amp;B</t:v>", true),
            ("<t:v>A&#38;B</t:v>", true),
            ("<t:v>A&#x3C;B</t:v>", true),
            ("<t:v a='A&amp;B'>A&lt;B</t:v>", true),
            ("<t:v>AB</t:v>", false),
            ("<t:v a='AB'>A&amp;B</t:v>", false),
            ("<t:v>A&amp;&amp;B</t:v>", false),
        ],
    );
    let (set, _) = schema(r#"<xs:element name="v" type="xs:string"/>"#);
    let findings = ours(&set, "<t:v xmlns:t='urn:t'>&undeclared;</t:v>");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, Code::NotWellFormed);
}

/// Each finding also says the problem in Xerces' words, as CXF's schema validation reports it.
#[test]
fn findings_carry_the_xerces_wording() {
    let (set, _) = schema(
        r#"<xs:element name="Soeg"><xs:complexType><xs:sequence>
             <xs:element name="CPR"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9]{10}"/></xs:restriction></xs:simpleType></xs:element>
             <xs:element name="Hjemmel" type="t:Hjemmel"/>
             <xs:element name="Slut" type="xs:string"/>
           </xs:sequence></xs:complexType></xs:element>
           <xs:simpleType name="Hjemmel"><xs:restriction base="xs:string"><xs:enumeration value="STK1"/><xs:enumeration value="STK2"/></xs:restriction></xs:simpleType>"#,
    );
    let cvc = |doc: &str| -> Vec<String> { ours(&set, doc).into_iter().map(|f| f.cvc).collect() };
    assert_eq!(
        cvc("<t:Soeg xmlns:t='urn:t'><t:CPR>12</t:CPR><t:Hjemmel>STK3</t:Hjemmel><t:Slut/></t:Soeg>"),
        [
            "cvc-pattern-valid: Value '12' is not facet-valid with respect to pattern '[0-9]{10}' for type '#AnonType'.",
            "cvc-enumeration-valid: Value 'STK3' is not facet-valid with respect to enumeration '[STK1, STK2]'. It must be a value from the enumeration.",
        ]
    );
    assert_eq!(
        cvc("<t:Soeg xmlns:t='urn:t'><t:Hjemmel>STK1</t:Hjemmel></t:Soeg>")[0],
        "cvc-complex-type.2.4.a: Invalid content was found starting with element 't:Hjemmel'. One of '{\"urn:t\":CPR}' is expected."
    );
    assert_eq!(
        cvc("<t:Soeg xmlns:t='urn:t'><t:CPR>0123456789</t:CPR><t:Hjemmel>STK1</t:Hjemmel></t:Soeg>"),
        [
            "cvc-complex-type.2.4.b: The content of element 't:Soeg' is not complete. One of '{\"urn:t\":Slut}' is expected."
        ]
    );
    assert_eq!(
        cvc("<t:Soeg xmlns:t='urn:t'><t:CPR>0123456789</t:CPR><t:Hjemmel>STK1</t:Hjemmel><t:Slut/><t:Mere/></t:Soeg>"),
        [
            "cvc-complex-type.2.4.d: Invalid content was found starting with element 't:Mere'. No child element is expected at this point."
        ]
    );
    let long = "9".repeat(100_000);
    let findings = ours(
        &set,
        &format!("<t:Soeg xmlns:t='urn:t'><t:CPR>{long}</t:CPR><t:Hjemmel>STK1</t:Hjemmel><t:Slut/></t:Soeg>"),
    );
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].cvc.len() < 600 && findings[0].message.len() < 600,
        "{findings:?}"
    );
    assert!(findings[0].cvc.contains("(100000 bytes in all)"), "{}", findings[0].cvc);
}
