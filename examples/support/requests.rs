//! The requests the in-process examples measure, in one place. Each example uses some of them.
#![allow(dead_code)]

/// KontrolsagListeHent stk. 2, as `scripts/bench` sends it in the context model: UDK (CVR
/// 64942212) asks for a citizen with an open case held by a municipality.
pub const KONTROLSAG: &str = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">
  <soap:Body>
    <k:KontrolsagListeHent_I revision="1">
      <kontekst:HovedOplysninger>
        <kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId>
        <kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>
        <kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext>
      </kontekst:HovedOplysninger>
      <k:KontrolsagSoegKriterie>
        <k:PersonCPRNummer>150780-4329</k:PersonCPRNummer>
        <k:Hjemmel>UDBL_11A_STK2</k:Hjemmel>
      </k:KontrolsagSoegKriterie>
    </k:KontrolsagListeHent_I>
  </soap:Body>
</soap:Envelope>"#;

/// A KontrolsagListeHent stk. 1 request element alone (no envelope), with every optional
/// criterion: what `xsd_bench` and `xsd_profile` validate.
pub const KONTROLSAG_STK1_ELEMENT: &[u8] = br#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1">
  <kontekst:HovedOplysninger>
    <kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId>
    <kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>
    <kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext>
  </kontekst:HovedOplysninger>
  <k:KontrolsagSoegKriterie>
    <k:PersonCPRNummer>150780-4329</k:PersonCPRNummer>
    <k:Hjemmel>UDBL_11A_STK1</k:Hjemmel>
    <k:SamtykkeDato>2026-11-01</k:SamtykkeDato>
    <k:MyndighedCVRNummer>14720006</k:MyndighedCVRNummer>
  </k:KontrolsagSoegKriterie>
</k:KontrolsagListeHent_I>"#;
