//! What each served service's contract says about its requests, for the conformance checks:
//! each operation's request element and action, the headers its generation requires, and where
//! the CPR number sits (the SOAP versions its WSDL binds are the service's own
//! [`crate::services::Service::soap_versions`]). Facts from the WSDLs sfstub
//! publishes (SF1472, KlassifikationListeHent) and KOMBIT's (`../shared/contracts`).

/// The contract facts of one service.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The service's title, as in the banner.
    pub service: &'static str,
    /// The operations: request element, WSDL name, action.
    pub operations: Vec<OperationSpec>,
    /// The støttesystem (SD6) `RequestHeader` SOAP header is a part of every operation.
    pub request_header: bool,
    /// The contract is token-only (OIO IDWS policy): in `token` and `strict` modes a request
    /// without wsse:Security is a finding.
    pub token: bool,
    /// Where the request carries a CPR number, and its form.
    pub cpr: Option<CprRule>,
    /// The service's compiled contract, which each request's operation element is validated
    /// against: compiled once when the scenario is loaded ([`crate::app::Loaded::new`]).
    pub schema: Option<std::sync::Arc<super::schema::SchemaCheck>>,
}

/// One operation of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationSpec {
    /// The local name of the request element, the first child of Body.
    pub element: &'static str,
    /// The WSDL operation name.
    pub name: &'static str,
    /// The `soapAction` the WSDL binding gives it (also the `wsa:Action`).
    pub action: String,
}

/// Where and how a request carries a CPR number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CprRule {
    /// The element's local name.
    pub element: &'static str,
    /// Its path below the operation element, for findings.
    pub path: &'static str,
    /// The schema allows `DDMMYY-SSSS`.
    pub hyphen: bool,
    /// The schema's type, for the refusal's text.
    pub schema_type: &'static str,
    /// The schema's pattern, when the schema has one.
    pub pattern: &'static str,
    /// The schema's maxLength, when the schema restricts only the length.
    pub max_length: Option<usize>,
}

impl Profile {
    /// The operation whose request element is `local_name`.
    pub fn operation(&self, local_name: &str) -> Option<&OperationSpec> {
        self.operations.iter().find(|o| o.element == local_name)
    }
}

/// The profiles of every service sfstub serves, by title. `sf1472_namespace` is the scenario's
/// SF1472 namespace (its actions derive from it).
pub fn all(sf1472_namespace: &str) -> Vec<Profile> {
    use crate::services::sf1510_klassifikation::listehent;
    let sagdok = |service: &'static str, system_objekt: &str, request_header: bool| Profile {
        service,
        operations: [("LaesInput", "laes"), ("SoegInput", "soeg"), ("ListInput", "list")]
            .into_iter()
            .map(|(element, name)| OperationSpec {
                element,
                name,
                action: format!("http://kombit.dk/sts/{system_objekt}/{name}"),
            })
            .collect(),
        request_header,
        token: true,
        cpr: None,
        schema: None,
    };
    let pnr = CprRule {
        element: "PNR",
        path: "PersonLookupRequest/PNR",
        hyphen: false,
        schema_type: "PNRType",
        pattern: "",
        max_length: Some(10),
    };
    let person_lookup = |service: &'static str, version: u8| Profile {
        service,
        operations: vec![OperationSpec {
            element: "PersonLookupRequest",
            name: "PersonLookup",
            action: format!(
                "http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/{version}/PersonLookup"
            ),
        }],
        request_header: false,
        token: false,
        cpr: Some(pnr),
        schema: None,
    };
    vec![
        Profile {
            service: "SF1472 KontrolsagListeHent",
            operations: vec![OperationSpec {
                element: "KontrolsagListeHent_I",
                name: "KontrolsagListeHent",
                action: format!("{sf1472_namespace}KontrolsagListeHentService#KontrolsagListeHent"),
            }],
            request_header: false,
            token: false,
            cpr: Some(CprRule {
                element: "PersonCPRNummer",
                path: "KontrolsagListeHent_I/KontrolsagSoegKriterie/PersonCPRNummer",
                hyphen: true,
                schema_type: "CPRNummerType",
                pattern: "[0-9]{6}-?[0-9]{4}",
                max_length: None,
            }),
            schema: None,
        },
        person_lookup("SF1520 CPR replika opslag v4", 4),
        person_lookup("SF1520 CPR replika opslag v5", 5),
        sagdok("SF1510 Klasse v7", "klassifikation/klasse", true),
        Profile {
            service: "SF1510 KlassifikationListeHent",
            operations: vec![OperationSpec {
                element: listehent::OPERATION,
                name: "KlassifikationListeHent",
                action: format!(
                    "{}KlassifikationListeHentService_2#KlassifikationListeHent",
                    listehent::DEFAULT_NAMESPACE
                ),
            }],
            request_header: false,
            token: false,
            cpr: None,
            schema: None,
        },
        sagdok("SF1500 Virksomhed v6", "organisation/virksomhed", true),
        sagdok("SF1500 Organisation v6", "organisation/organisation", true),
        sagdok("SF1500 OrganisationEnhed v6", "organisation/organisationenhed", true),
        Profile {
            service: "SF1514 Security Token Service",
            operations: vec![OperationSpec {
                element: "RequestSecurityToken",
                name: "Issue",
                action: "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue".into(),
            }],
            request_header: false,
            token: false,
            cpr: None,
            schema: None,
        },
    ]
}
