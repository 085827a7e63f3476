//! The envelope reader alone: `soap::parse_envelope` on one request, N times. `REQUEST=plain`
//! (the default) reads the request of `examples/request_cost.rs`; `REQUEST=soapui` reads a
//! KontrolsagListeHent (SF1472) request as SoapUI writes it from the WSDL: `<!--Optional:-->`
//! comments before the optional elements, and a value with `&amp;` in it.
//!
//! Made for instruction counts (`valgrind --tool=callgrind` counts the same work the same way
//! on a busy machine); collect `parse_envelope` only and divide its total by N:
//!
//! `N=1000 REQUEST=soapui valgrind --tool=callgrind --toggle-collect='sfstub::soap::parse_envelope' target/release/examples/envelope_cost`

#[path = "support/requests.rs"]
mod requests;

use std::time::Instant;

use sfstub::soap::{Limits, SoapVersion, parse_envelope};

/// The request of `examples/request_cost.rs`.
use requests::KONTROLSAG as PLAIN;

/// The same call as SoapUI generates it and a tester fills it in.
const SOAPUI: &str = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:ns="http://www.kombit.dk/int/2022/01/01/" xmlns:ns1="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">
   <soap:Header/>
   <soap:Body>
      <ns:KontrolsagListeHent_I revision="1">
         <ns1:HovedOplysninger>
            <ns1:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</ns1:TransaktionsId>
            <ns1:TransaktionsTid>2026-11-22T10:15:00Z</ns1:TransaktionsTid>
            <!--Optional:-->
            <ns1:AuthorityContext>
               <ns1:MunicipalityCVR>64942212</ns1:MunicipalityCVR>
            </ns1:AuthorityContext>
         </ns1:HovedOplysninger>
         <ns:KontrolsagSoegKriterie>
            <ns:PersonCPRNummer>150780-4329</ns:PersonCPRNummer>
            <ns:Hjemmel>UDBL_11A_STK2</ns:Hjemmel>
            <!--Optional:-->
            <ns:SagsbehandlerNavn>Jens Hansen &amp; co</ns:SagsbehandlerNavn>
         </ns:KontrolsagSoegKriterie>
      </ns:KontrolsagListeHent_I>
   </soap:Body>
</soap:Envelope>"#;

fn main() {
    let n: u32 = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let which = std::env::var("REQUEST").unwrap_or_else(|_| "plain".into());
    let request = match which.as_str() {
        "plain" => PLAIN,
        "soapui" => SOAPUI,
        other => panic!("REQUEST is plain or soapui, not {other:?}"),
    };
    let envelope = parse_envelope(request.as_bytes(), Limits::default(), SoapVersion::V12).expect("an envelope");
    assert_eq!(envelope.operation.local_name, "KontrolsagListeHent_I");
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(parse_envelope(
            std::hint::black_box(request.as_bytes()),
            Limits::default(),
            SoapVersion::V12,
        ))
        .ok();
    }
    let took = start.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1));
    println!("parse_envelope, {which} request: {took:.3} µs/parse ({n} parses after one)");
}
