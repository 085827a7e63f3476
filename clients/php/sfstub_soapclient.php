<?php
// Calls every sfstub service through PHP's SoapClient, built from the WSDLs sfstub serves.
//
//   php sfstub_soapclient.php http://127.0.0.1:8080 client.pem            # security off
//   php sfstub_soapclient.php http://127.0.0.1:8080 client.pem --token    # security token
//
// client.pem is the sample client certificate `sfstub certs export DIR` writes; the STS puts it
// in the token as the holder-of-key. In `off` mode the caller is the AuthorityContext; with
// --token every call carries a wsse:Security header with a token from sfstub's STS for that
// service. Prints one "OK ..." line per call; any failure throws and exits non-zero. sfstub's
// README ("Pointing your client at sfstub") explains each step.

ini_set('soap.wsdl_cache_enabled', '0');
$base = rtrim($argv[1], '/');
$certificate = $argv[2];
$tokens = in_array('--token', $argv, true);
const CVR = '29189846';   // Viborg Kommune
const CPR = '1507804329'; // Jens, a hand-written citizen of the default scenario
const TRUST = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

function check(bool $ok, string $what): void
{
    if (!$ok) {
        throw new RuntimeException($what);
    }
}

// SF1514 STS: the RST's content is free XML in sts.wsdl, so it goes in as XSD_ANYXML; the
// assertion is read from the raw answer. An unsigned RST is accepted outside --security strict.
function token(string $base, string $certificate, string $entityId): string
{
    $cert = preg_replace('/-----[A-Z ]+-----|\s/', '', file_get_contents($certificate));
    $t = TRUST;
    $rst = "<t:RequestSecurityToken xmlns:t=\"$t\"><t:RequestType>$t/Issue</t:RequestType>"
        . '<t:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0</t:TokenType>'
        . "<t:KeyType>$t/PublicKey</t:KeyType>"
        . '<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:EndpointReference xmlns:a="http://www.w3.org/2005/08/addressing"><a:Address>'
        . $entityId . '</a:Address></a:EndpointReference></wsp:AppliesTo>'
        . '<t:Claims Dialect="http://docs.oasis-open.org/wsfed/authorization/200706/authclaims"><auth:ClaimType xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706" Uri="dk:gov:saml:attribute:CvrNumberIdentifier"><auth:Value>'
        . CVR . '</auth:Value></auth:ClaimType></t:Claims>'
        . '<t:UseKey><wsse:BinarySecurityToken xmlns:wsse="' . WSSE . '" ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3" EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">'
        . $cert . '</wsse:BinarySecurityToken></t:UseKey></t:RequestSecurityToken>';
    $sts = new SoapClient("$base/runtime/services/kombittrust/14/certificatemixed?wsdl",
        ['soap_version' => SOAP_1_2, 'exceptions' => true, 'trace' => true]);
    $sts->Trust13Issue(new SoapVar($rst, XSD_ANYXML));
    check(preg_match('#<(\w+:)?Assertion\b.*</\1Assertion>#s', $sts->__getLastResponse(), $m) === 1,
        'the STS issued no assertion');
    return $m[0];
}

// The token model: a wsse:Security header holding the assertion. XSD_ANYXML header data is
// written into the Header as it is, so it is the whole element.
function security(?string $assertion): array
{
    if ($assertion === null) {
        return [];
    }
    $xml = '<wsse:Security xmlns:wsse="' . WSSE . "\">$assertion</wsse:Security>";
    return [new SoapHeader(WSSE, 'Security', new SoapVar($xml, XSD_ANYXML))];
}

$token = fn(string $entityId) => $tokens ? token($base, $certificate, $entityId) : null;
$context = $tokens ? [] : ['AuthorityContext' => ['MunicipalityCVR' => CVR]];

// SF1472 KontrolsagListeHent: sfstub's reconstructed contract has a SOAP 1.2 and a 1.1 port;
// soap_version picks the binding.
$client = new SoapClient("$base/kontrolsaglistehent/1?wsdl", ['soap_version' => SOAP_1_2, 'exceptions' => true]);
$client->__setSoapHeaders(security($token('http://entityid.kombit.dk/service/kontrolsaglistehent/1')));
$answer = $client->KontrolsagListeHent([
    'revision' => '1',
    'HovedOplysninger' => [
        'TransaktionsId' => bin2hex(random_bytes(8)),
        'TransaktionsTid' => '2026-11-22T10:15:00Z',
    ] + $context,
    'KontrolsagSoegKriterie' => ['PersonCPRNummer' => CPR, 'Hjemmel' => 'UDBL_11A_STK2'],
]);
check(!isset($answer->HovedOplysningerSvar->SvarReaktion), 'SF1472 answered with Fejl');
$cases = $answer->KontrolsagListe->Kontrolsag;
echo 'OK SF1472 ', is_array($cases) ? count($cases) : 1, " kontrolsag(er)\n";

// SF1520 PersonLookup: SOAP 1.1 (KOMBIT's context WSDL in off mode, the token WSDL otherwise).
$client = new SoapClient("$base/service/CPR/PersonBaseDataExtended/4?wsdl", ['exceptions' => true]);
$client->__setSoapHeaders(security($token('http://cpr.serviceplatformen.dk/service/personbasedataextended/4')));
$person = $client->PersonLookup($context + ['PNR' => CPR]);
echo 'OK SF1520 ', $person->persondata->navn->personadresseringsnavn, "\n";
try {
    $client->PersonLookup($context + ['PNR' => '0101010101']);
    check(false, 'SF1520 answered an unknown PNR');
} catch (SoapFault $fault) {
    check(str_contains($fault->getMessage(), 'PNR not found'), 'SF1520 fault: ' . $fault->getMessage());
    echo "OK SF1520 fault PNR not found\n";
}

// SF1500 Organisation v6 and SF1510 Klasse v7 (støttesystem, SOAP 1.2): the RequestHeader
// with a TransactionUUID goes in a SoapHeader and comes back in the answer's header.
function stoettesystem(string $wsdl, string $objekt, array $security): string
{
    $client = new SoapClient($wsdl, ['soap_version' => SOAP_1_2, 'exceptions' => true]);
    $transaction = sprintf('%04x%04x-%04x-4%03x-a%03x-%012x', random_int(0, 0xffff), random_int(0, 0xffff),
        random_int(0, 0xffff), random_int(0, 0xfff), random_int(0, 0xfff), random_int(0, 0xffffffffffff));
    $headers = array_merge([new SoapHeader('http://kombit.dk/xml/schemas/RequestHeader/1/', 'RequestHeader',
        ['TransactionUUID' => $transaction])], $security);
    $output = [];
    $hits = $client->__soapCall('soeg', [[
        'MaksimalAntalKvantitet' => 3, 'AttributListe' => [], 'TilstandListe' => [], 'RelationListe' => [],
    ]], null, $headers, $output);
    check($hits->StandardRetur->StatusKode == 20, "$objekt soeg: " . json_encode($hits->StandardRetur));
    check(($output['RequestHeader']->TransactionUUID ?? null) === $transaction, "$objekt: TransactionUUID echoed");
    $ids = (array) $hits->IdListe->UUIDIdentifikator;
    $read = $client->__soapCall('laes', [['UUIDIdentifikator' => $ids[0]]], null, $headers);
    check($read->StandardRetur->StatusKode == 20, "$objekt laes");
    return $ids[0];
}
$sf1500 = security($token('http://stoettesystemerne.dk/service/organisation/3'));
foreach (['virksomhed', 'organisation', 'organisationenhed'] as $objekt) {
    echo "OK SF1500 $objekt ", stoettesystem("$base/organisation/$objekt/6?wsdl", $objekt, $sf1500), "\n";
}
$klasse = security($token('http://entityid.kombit.dk/service/klassifikation/7'));
echo 'OK SF1510 Klasse ', stoettesystem("$base/klasse/7?wsdl", 'Klasse', $klasse), "\n";

// SF1510 KlassifikationListeHent v2 (sfstub's reconstructed contract, SOAP 1.2).
$client = new SoapClient("$base/klassifikationlistehent/2?wsdl", ['soap_version' => SOAP_1_2, 'exceptions' => true]);
$client->__setSoapHeaders(security($token('http://entityid.kombit.dk/service/klassifikationlistehent/2')));
$answer = $client->KlassifikationListeHent([
    'HovedOplysninger' => ['TransaktionsId' => 'php-1', 'TransaktionsTid' => '2026-11-22T10:15:00Z'],
    'KlassifikationKriterieListe' => ['IdentifikationKriterie' => [
        ['BrugervendtNøgleKriterie' => ['KlassifikationBrugervendtNøgle' => 'SFSTUB']],
    ]],
]);
check(isset($answer->KlassifikationListe->KlassifikationStruktur), 'KlassifikationListeHent');
echo "OK SF1510 KlassifikationListeHent\n";

$assertion = token($base, $certificate, 'http://entityid.kombit.dk/service/kontrolsaglistehent/1');
echo 'OK SF1514 token issued, ', strlen($assertion), " bytes\n";
