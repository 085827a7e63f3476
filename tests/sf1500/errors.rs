//! What SF1500 answers to what it cannot serve: StatusKode 44 for UUIDs it does not hold,
//! 40 naming the field for bad input, and a SOAP fault for operations and namespaces that are
//! not SF1500 v6 reads.

use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

use crate::ZERO;
use crate::helpers::*;

#[test]
fn an_unknown_uuid_is_status_44() {
    let s = Session::new(SecurityMode::Off);
    let reply = s.call(Objekt::Virksomhed, &laes(Objekt::Virksomhed, ZERO, ""));
    assert_eq!(reply.status_kode(), 44);
    assert_eq!(
        reply.fejlbesked(),
        format!("Der findes ingen Virksomhed med UUID {ZERO}")
    );
    assert!(reply.snapshots(Objekt::Virksomhed).is_empty());
}

#[test]
fn a_uuid_of_another_type_is_status_44_naming_its_endpoint() {
    let s = Session::new(SecurityMode::Off);
    let org = organisation_uuid(cvr(AALBORG)).to_string();
    let reply = s.call(Objekt::Virksomhed, &laes(Objekt::Virksomhed, &org, ""));
    assert_eq!(reply.status_kode(), 44);
    assert!(
        reply.fejlbesked().contains(&format!(
            "{org} er en Organisation, ikke en Virksomhed (læs den på /organisation/organisation/6)"
        )),
        "{}",
        reply.fejlbesked()
    );
}

#[test]
fn bad_input_is_status_40_naming_the_field() {
    let s = Session::new(SecurityMode::Off);
    let uuid = virksomhed_uuid(cvr(AALBORG)).to_string();
    let v = Objekt::Virksomhed;
    let cases = [
        (
            laes(v, "not-a-uuid", ""),
            "LaesInput/UUIDIdentifikator \"not-a-uuid\" er ikke en UUID",
        ),
        (input(v, "LaesInput", ""), "LaesInput/UUIDIdentifikator mangler"),
        (
            list(v, &[&uuid, &uuid]).replace("ListInput", "LaesInput"),
            "LaesInput har 2 UUIDIdentifikator",
        ),
        (
            list(v, &[&uuid, "x"]),
            "ListInput/UUIDIdentifikator \"x\" er ikke en UUID",
        ),
        (
            laes(v, &uuid, &filter("VirkningFraFilter", "i går")),
            "VirkningFraFilter/TidsstempelDatoTid \"i går\" er ikke et tidspunkt",
        ),
        (
            laes(
                v,
                &uuid,
                "<sd:VirkningTilFilter><sd:GraenseIndikator>false</sd:GraenseIndikator></sd:VirkningTilFilter>",
            ),
            "VirkningTilFilter/GraenseIndikator \"false\": den eneste tilladte værdi er true",
        ),
        (
            laes(
                v,
                &uuid,
                &(filter("VirkningFraFilter", "2026-01-02T00:00:00Z")
                    + &filter("VirkningTilFilter", "2026-01-01T00:00:00Z")),
            ),
            "VirkningFraFilter (2026-01-02 00:00:00 UTC) ligger efter VirkningTilFilter",
        ),
        (
            soeg(v, "<sd:MaksimalAntalKvantitet>-1</sd:MaksimalAntalKvantitet>", "", ""),
            "MaksimalAntalKvantitet \"-1\" er ikke et ikke-negativt heltal",
        ),
        (
            soeg(Objekt::Organisation, "", "", &relation("Virksomhed", "123"))
                .replace(Objekt::Organisation.namespace(), Objekt::Virksomhed.namespace()),
            "SoegInput/RelationListe/Virksomhed/ReferenceID/UUIDIdentifikator \"123\" er ikke en UUID",
        ),
    ];
    for (operation, expected) in cases {
        let reply = s.call(v, &operation);
        assert_eq!(reply.status_kode(), 40, "{operation}");
        assert!(
            reply.fejlbesked().contains(expected),
            "{:?} does not contain {expected:?}",
            reply.fejlbesked()
        );
    }
    // An empty TransactionUUID: 40, and no header to echo.
    let reply = s.post(
        v.path(),
        &envelope(SoapVersion::V12, Some(&request_header("")), &laes(v, &uuid, "")),
    );
    assert_eq!(reply.status_kode(), 40);
    assert!(reply.fejlbesked().contains("RequestHeader/TransactionUUID er tom"));
    assert_eq!(reply.transaction_uuid(), None);
}

#[test]
fn write_operations_and_foreign_namespaces_are_faults() {
    let s = Session::new(SecurityMode::Off);
    let reply = s.call(Objekt::Virksomhed, &input(Objekt::Virksomhed, "OpretInput", ""));
    reply.assert_fault("OpretInput: sfstub serves SF1500 read-only (laes, soeg, list)");
    let reply = s.call(Objekt::Virksomhed, &laes(Objekt::Organisation, ZERO, ""));
    reply.assert_fault("Organisation is served at /organisation/organisation/6");
    let legacy = r#"<SoegInput xmlns="urn:oio:sts:organisation:organisationenhed:1.1.3.0"/>"#;
    let reply = s.call(Objekt::OrganisationEnhed, legacy);
    reply.assert_fault("this endpoint serves OrganisationEnhed v6");
}
