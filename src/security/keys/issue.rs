//! Creating certificates: RSA keys (aws-lc-rs, in parallel), certificates issued by the
//! local CA (rcgen with ring, which signs with RSA keys given as PKCS#8), and the FOCES-style
//! multi-valued subject of the sample client certificate (patched in with x509-cert and
//! re-signed, as rcgen writes one attribute per RDN).

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use x509_cert::Certificate;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::der::asn1::{Any, BitString};
use x509_cert::der::{Decode, Encode, Tag};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::spki::ObjectIdentifier;

use super::{
    CA_COMMON_NAME, Identity, KeyError, KeyMaterial, PrivateKey, SERVICE_ALIAS, SERVICE_ALIASES, STS_ALIAS,
    TLS_DEFAULT_NAMES, sample_client_subject,
};

impl KeyMaterial {
    /// Creates a fresh CA and certificates in memory; the TLS certificate also holds
    /// `tls_names` (host names or IP addresses) beside [`TLS_DEFAULT_NAMES`].
    pub fn generate(tls_names: &[String]) -> Result<KeyMaterial, KeyError> {
        let [ca_key, sts_key, service_key, tls_key, client_key] = new_rsa_keys::<5>()?;
        let memory = |f: &str| PathBuf::from(format!("<new>/{f}"));
        let ca_params = ca_params();
        let ca_signer = signing_key_pair(&ca_key, &memory("ca-key.pem"))?;
        let ca_der = ca_params
            .self_signed(&ca_signer)
            .map_err(|e| generate_error("ca.pem", e))?
            .der()
            .to_vec();
        let ca = Identity::new(ca_der, ca_key, &memory("ca.pem"), &memory("ca-key.pem"))?;
        let issuer = Issuer::new(ca_params, ca_signer);
        let sts = issue(
            &issuer,
            leaf_params(STS_ALIAS, &[STS_ALIAS], Usage::Signing),
            sts_key,
            "sts",
        )?;
        let service = issue(
            &issuer,
            leaf_params(SERVICE_ALIAS, &SERVICE_ALIASES, Usage::Signing),
            service_key,
            "service",
        )?;
        let tls = issue(&issuer, tls_params(tls_names)?, tls_key, "tls")?;
        let client = issue(
            &issuer,
            leaf_params("sfstub testsystem (funktionscertifikat)", &[], Usage::Client),
            client_key,
            "client",
        )?;
        let client = with_subject(client, &sample_client_subject(), &ca.key)?;
        Ok(KeyMaterial {
            ca,
            sts,
            service,
            tls,
            client,
        })
    }

    /// Makes sure the TLS certificate holds every name in `names` (host names or IP
    /// addresses): if one is missing, a new TLS certificate for the same key is issued by the
    /// CA, in memory only (the file in the state directory is left alone). Returns whether it
    /// was reissued.
    pub fn ensure_tls_names(&mut self, names: &[String]) -> Result<bool, KeyError> {
        let info = self.tls.info();
        let missing = names.iter().any(|n| match n.parse::<IpAddr>() {
            Ok(ip) => !info.ip_addresses.contains(&ip),
            Err(_) => !info.dns_names.iter().any(|d| d.eq_ignore_ascii_case(n)),
        });
        if !missing {
            return Ok(false);
        }
        let mut all: Vec<String> = info.dns_names.clone();
        all.extend(info.ip_addresses.iter().map(IpAddr::to_string));
        all.extend(names.iter().cloned());
        let ca_signer = signing_key_pair(&self.ca.key, Path::new("ca-key.pem"))?;
        let issuer = Issuer::new(ca_params(), ca_signer);
        self.tls = issue(&issuer, tls_params(&all)?, self.tls.key.clone(), "tls")?;
        Ok(true)
    }
}

/// `n` RSA 2048 keys, generated in parallel.
fn new_rsa_keys<const N: usize>() -> Result<[PrivateKey; N], KeyError> {
    let keys: Vec<Result<PrivateKey, KeyError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N).map(|_| s.spawn(PrivateKey::generate)).collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(Ok(key)) => Ok(key),
                Ok(Err(e)) => Err(generate_error("RSA key", e)),
                Err(_) => Err(generate_error("RSA key", "the generating thread panicked")),
            })
            .collect()
    });
    let keys = keys.into_iter().collect::<Result<Vec<_>, _>>()?;
    keys.try_into()
        .map_err(|_| generate_error("RSA key", "wrong number of keys"))
}

fn generate_error(what: &str, e: impl std::fmt::Display) -> KeyError {
    KeyError::Generate {
        file: PathBuf::from(what),
        reason: e.to_string(),
    }
}

/// The key as rcgen's signer (ring signs with RSA keys given as PKCS#8).
fn signing_key_pair(key: &PrivateKey, file: &Path) -> Result<KeyPair, KeyError> {
    KeyPair::from_pkcs8_pem_and_sign_algo(&key.to_pkcs8_pem(), &rcgen::PKCS_RSA_SHA256).map_err(|e| KeyError::KeyPem {
        file: file.to_owned(),
        reason: format!("cannot sign with it: {e}"),
    })
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("DK".try_into().unwrap_or_else(|_| unreachable!())),
    );
    dn.push(DnType::OrganizationName, "sfstub");
    dn.push(DnType::CommonName, cn);
    dn
}

/// Validity from a day ago (clock skew, pinned scenario clocks) for `years`.
fn validity(params: &mut CertificateParams, years: u64) {
    let now = SystemTime::now();
    params.not_before = (now - Duration::from_secs(24 * 3600)).into();
    params.not_after = (now + Duration::from_secs(years * 365 * 24 * 3600)).into();
}

fn random_serial() -> SerialNumber {
    let mut bytes = uuid::Uuid::new_v4().into_bytes().to_vec();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

/// The CA's parameters; always the same, so a loaded CA can issue again.
fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(CA_COMMON_NAME);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut p, 10);
    p.serial_number = Some(random_serial());
    p
}

#[derive(Clone, Copy)]
enum Usage {
    Signing,
    Client,
    Server,
}

fn leaf_params(cn: &str, dns: &[&str], usage: Usage) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.subject_alt_names = dns
        .iter()
        .filter_map(|d| (*d).to_owned().try_into().ok().map(SanType::DnsName))
        .collect();
    p.is_ca = IsCa::ExplicitNoCa;
    p.use_authority_key_identifier_extension = true;
    match usage {
        Usage::Signing => {
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
        }
        Usage::Client => {
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
        Usage::Server => {
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        }
    }
    validity(&mut p, 5);
    if matches!(usage, Usage::Client) {
        // The holder-of-key certificate's validity is checked against the security clock,
        // which a scenario or test may pin in the past: valid from long before any such clock.
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    }
    p.serial_number = Some(random_serial());
    p
}

fn tls_params(extra: &[String]) -> Result<CertificateParams, KeyError> {
    let mut p = leaf_params("localhost", &[], Usage::Server);
    let mut seen: Vec<String> = Vec::new();
    for name in TLS_DEFAULT_NAMES
        .iter()
        .map(|s| (*s).to_owned())
        .chain(extra.iter().cloned())
    {
        let name = name.trim().to_owned();
        if name.is_empty() || seen.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let san = match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => {
                let valid = name.len() <= 253
                    && name.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*')
                    });
                if !valid {
                    return Err(KeyError::Name {
                        file: PathBuf::from("tls.pem"),
                        name,
                        reason: "not a host name (letters, digits, hyphens and dots) or an IP address".into(),
                    });
                }
                SanType::DnsName(name.clone().try_into().map_err(|e: rcgen::Error| KeyError::Name {
                    file: PathBuf::from("tls.pem"),
                    name: name.clone(),
                    reason: e.to_string(),
                })?)
            }
        };
        seen.push(name);
        p.subject_alt_names.push(san);
    }
    Ok(p)
}

/// Issues a certificate for `key` with `params`, signed by `issuer`.
fn issue(
    issuer: &Issuer<'_, KeyPair>,
    params: CertificateParams,
    key: PrivateKey,
    role: &str,
) -> Result<Identity, KeyError> {
    let cert_file = PathBuf::from(format!("<new>/{role}.pem"));
    let key_file = PathBuf::from(format!("<new>/{role}-key.pem"));
    let subject_key = signing_key_pair(&key, &key_file)?;
    let cert = params
        .signed_by(&subject_key, issuer)
        .map_err(|e| generate_error(&format!("{role}.pem"), e))?;
    Identity::new(cert.der().to_vec(), key, &cert_file, &key_file)
}

/// The same certificate with `subject` (written as [`super::name_to_string`] writes, `+` joining
/// the attributes of one RDN), re-signed by `ca_key`. rcgen writes one attribute per RDN
/// only; FOCES subjects have a multi-valued RDN (serialNumber + CN).
fn with_subject(identity: Identity, subject: &str, ca_key: &PrivateKey) -> Result<Identity, KeyError> {
    let file = PathBuf::from("<new>/client.pem");
    let fail = |e: x509_cert::der::Error| generate_error("client.pem", e);
    let mut cert = Certificate::from_der(&identity.cert_der).map_err(fail)?;
    cert.tbs_certificate.subject = parse_subject(subject).map_err(fail)?;
    let tbs = cert.tbs_certificate.to_der().map_err(fail)?;
    let signature = ca_key
        .sign_pkcs1_sha256(&tbs)
        .map_err(|e| generate_error("client.pem", e))?;
    cert.signature = BitString::from_bytes(&signature).map_err(fail)?;
    let der = cert.to_der().map_err(fail)?;
    Identity::new(der, identity.key, &file, Path::new("<new>/client-key.pem"))
}

/// Parses the simple subjects sfstub writes: `K=V + K=V, K=V, ...`, most specific first, with
/// no quoting (the values sfstub uses need none).
fn parse_subject(subject: &str) -> Result<Name, x509_cert::der::Error> {
    let mut rdns = Vec::new();
    for rdn in subject.split(", ") {
        let mut atvs = Vec::new();
        for atv in rdn.split(" + ") {
            let (key, value) = atv.split_once('=').ok_or(x509_cert::der::ErrorKind::Failed)?;
            let (oid, tag) = match key {
                "C" => ("2.5.4.6", Tag::PrintableString),
                "SERIALNUMBER" => ("2.5.4.5", Tag::PrintableString),
                "O" => ("2.5.4.10", Tag::Utf8String),
                "OU" => ("2.5.4.11", Tag::Utf8String),
                "CN" => ("2.5.4.3", Tag::Utf8String),
                _ => return Err(x509_cert::der::ErrorKind::Failed.into()),
            };
            atvs.push(AttributeTypeAndValue {
                oid: ObjectIdentifier::new(oid)?,
                value: Any::new(tag, value.as_bytes())?,
            });
        }
        rdns.push(RelativeDistinguishedName::try_from(atvs)?);
    }
    rdns.reverse();
    Ok(RdnSequence(rdns))
}
