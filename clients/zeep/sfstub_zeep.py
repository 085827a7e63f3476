"""Calls every sfstub service through zeep clients generated from the WSDLs sfstub serves.

    python3 sfstub_zeep.py http://127.0.0.1:8080                 # security off (context model)
    python3 sfstub_zeep.py http://127.0.0.1:8080 --token client.pem
                                                  # security token: a token from sfstub's STS per
                                                  # service, sent in a wsse:Security header

client.pem is the sample client certificate `sfstub certs export DIR` writes. Prints one
"OK ..." line per call and exits non-zero on the first failure. sfstub's README ("Pointing your
client at sfstub") explains each step.
"""

import copy
import sys
import uuid

import zeep
from lxml import etree

CVR = "29189846"  # Viborg Kommune
CPR = "1507804329"  # Jens, a hand-written citizen of the default scenario
TRUST = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
STS_PATH = "/runtime/services/kombittrust/14/certificatemixed"
ENTITY_IDS = {
    "sf1472": "http://entityid.kombit.dk/service/kontrolsaglistehent/1",
    "sf1520": "http://cpr.serviceplatformen.dk/service/personbasedataextended/4",
    "sf1500": "http://stoettesystemerne.dk/service/organisation/3",
    "klasse": "http://entityid.kombit.dk/service/klassifikation/7",
    "listehent": "http://entityid.kombit.dk/service/klassifikationlistehent/2",
}


def request_token(base, certificate_pem, entity_id):
    """A SAML assertion for `entity_id` from sfstub's SOAP STS (an unsigned RST, which the STS
    accepts outside --security strict)."""
    cert = "".join(l for l in certificate_pem.splitlines() if l and not l.startswith("-----"))
    rst = f"""<r xmlns:t="{TRUST}" xmlns:wsse="{WSSE}">
      <t:RequestType>{TRUST}/Issue</t:RequestType>
      <t:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0</t:TokenType>
      <t:KeyType>{TRUST}/PublicKey</t:KeyType>
      <wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:EndpointReference
        xmlns:a="http://www.w3.org/2005/08/addressing"><a:Address>{entity_id}</a:Address></a:EndpointReference></wsp:AppliesTo>
      <t:Claims Dialect="http://docs.oasis-open.org/wsfed/authorization/200706/authclaims"><auth:ClaimType
        xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706" Uri="dk:gov:saml:attribute:CvrNumberIdentifier"><auth:Value>{CVR}</auth:Value></auth:ClaimType></t:Claims>
      <t:UseKey><wsse:BinarySecurityToken
        ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
        EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">{cert}</wsse:BinarySecurityToken></t:UseKey>
    </r>"""
    sts = zeep.Client(f"{base}{STS_PATH}?wsdl")
    rstrc = sts.service.Trust13Issue(_value_1=list(etree.fromstring(rst)))
    response = rstrc.RequestSecurityTokenResponse[0]
    for choice in response._value_1:
        elements = choice if isinstance(choice, list) else [choice]
        for element in elements:
            element = getattr(element, "_value_1", element)
            if not isinstance(element, etree._Element):
                continue
            found = element if element.tag == f"{{{SAML}}}Assertion" else element.find(f".//{{{SAML}}}Assertion")
            if found is not None:
                return found
    raise RuntimeError(f"the STS answered without an assertion: {response}")


def security_header(assertion):
    """The wsse:Security header carrying the assertion (token mode; strict mode also wants the
    message signed with the holder-of-key, e.g. zeep.wsse.signature.BinarySignature)."""
    header = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE})
    header.append(copy.deepcopy(assertion))
    return header


def main(base, certificate_pem=None):
    def headers(service):
        if certificate_pem is None:
            return []
        return [security_header(request_token(base, certificate_pem, ENTITY_IDS[service]))]

    context = {} if certificate_pem else {"AuthorityContext": {"MunicipalityCVR": CVR}}

    # SF1472 KontrolsagListeHent (sfstub's reconstructed contract; SOAP 1.2 and 1.1 ports).
    client = zeep.Client(f"{base}/kontrolsaglistehent/1?wsdl")
    answer = client.service.KontrolsagListeHent(
        revision="1",
        HovedOplysninger={"TransaktionsId": str(uuid.uuid4()), "TransaktionsTid": "2026-11-22T10:15:00Z", **context},
        KontrolsagSoegKriterie={"PersonCPRNummer": CPR, "Hjemmel": "UDBL_11A_STK2"},
        _soapheaders=headers("sf1472"),
    )
    fejl = answer.HovedOplysningerSvar.SvarReaktion
    assert not fejl, fejl
    print("OK SF1472", len(answer.KontrolsagListe.Kontrolsag), "kontrolsag(er)")

    # SF1520 PersonLookup (KOMBIT's context WSDL in off mode, the token WSDL otherwise).
    client = zeep.Client(f"{base}/service/CPR/PersonBaseDataExtended/4?wsdl")
    person = client.service.PersonLookup(PNR=CPR, _soapheaders=headers("sf1520"), **context)
    print("OK SF1520", person.persondata.navn.personadresseringsnavn)

    # SF1500 Organisation v6 and SF1510 Klasse v7 (støttesystem): the RequestHeader with a
    # TransactionUUID is a header part of every operation, echoed in the answer.
    def stoettesystem(client, security, transaction):
        request_header = client.get_element("{http://kombit.dk/xml/schemas/RequestHeader/1/}RequestHeader")
        return [request_header(TransactionUUID=transaction), *security]

    sf1500 = headers("sf1500")
    for objekt in ["virksomhed", "organisation", "organisationenhed"]:
        client = zeep.Client(f"{base}/organisation/{objekt}/6?wsdl")
        transaction = str(uuid.uuid4())
        hits = client.service.soeg(
            MaksimalAntalKvantitet=3, AttributListe={}, TilstandListe={}, RelationListe={},
            _soapheaders=stoettesystem(client, sf1500, transaction),
        )
        assert hits.body.StandardRetur.StatusKode == 20, hits.body.StandardRetur
        assert hits.header.header.TransactionUUID == transaction, hits.header
        first = hits.body.IdListe.UUIDIdentifikator[0]
        read = client.service.laes(UUIDIdentifikator=first, _soapheaders=stoettesystem(client, sf1500, transaction))
        assert read.body.StandardRetur.StatusKode == 20, read.body.StandardRetur
        print("OK SF1500", objekt, first)

    klasse = headers("klasse")
    client = zeep.Client(f"{base}/klasse/7?wsdl")
    transaction = str(uuid.uuid4())
    hits = client.service.soeg(
        MaksimalAntalKvantitet=5, AttributListe={}, TilstandListe={}, RelationListe={},
        _soapheaders=stoettesystem(client, klasse, transaction),
    )
    assert hits.body.StandardRetur.StatusKode == 20, hits.body.StandardRetur
    first = hits.body.IdListe.UUIDIdentifikator[0]
    read = client.service.laes(UUIDIdentifikator=first, _soapheaders=stoettesystem(client, klasse, transaction))
    assert read.body.StandardRetur.StatusKode == 20, read.body.StandardRetur
    print("OK SF1510 Klasse", first)

    # SF1510 KlassifikationListeHent v2 (sfstub's reconstructed contract).
    client = zeep.Client(f"{base}/klassifikationlistehent/2?wsdl")
    answer = client.service.KlassifikationListeHent(
        HovedOplysninger={"TransaktionsId": str(uuid.uuid4()), "TransaktionsTid": "2026-11-22T10:15:00Z"},
        KlassifikationKriterieListe={
            "IdentifikationKriterie": [{"BrugervendtNøgleKriterie": {"KlassifikationBrugervendtNøgle": "SFSTUB"}}]
        },
        _soapheaders=headers("listehent"),
    )
    print("OK SF1510 KlassifikationListeHent", len(answer.KlassifikationListe.KlassifikationStruktur), "klassifikation(er)")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    pem = None
    if "--token" in arguments:
        i = arguments.index("--token")
        with open(arguments[i + 1], encoding="ascii") as f:
            pem = f.read()
        del arguments[i : i + 2]
    main(arguments[0].rstrip("/"), pem)
