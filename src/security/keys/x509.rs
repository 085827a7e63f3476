//! Reading certificates and keys: X.509 parsing (x509-cert), subject names written the way
//! KOMBIT writes `X509SubjectName`, and PEM files with RSA keys in PKCS#8 or PKCS#1.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

use super::super::crypto::{CertHash, PrivateKey, PublicKey};
use chrono::{DateTime, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::{Any, BmpString};
use x509_cert::der::{Decode, Encode, Tag, Tagged};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::spki::ObjectIdentifier;

use super::KeyError;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");

/// What sfstub needs to know about a certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject as KOMBIT writes `X509SubjectName`, see [`name_to_string`].
    pub subject: String,
    /// The issuer, written the same way.
    pub issuer: String,
    pub public_key: PublicKey,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// SHA-256 of the certificate's DER.
    pub thumbprint_sha256: [u8; 32],
    /// The serial number, big-endian.
    pub serial: Vec<u8>,
    /// DNS names in the subject alternative name extension.
    pub dns_names: Vec<String>,
    /// IP addresses in the subject alternative name extension.
    pub ip_addresses: Vec<IpAddr>,
}

impl std::fmt::Debug for CertInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertInfo")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("thumbprint_sha256", &hex(&self.thumbprint_sha256))
            .field("dns_names", &self.dns_names)
            .field("ip_addresses", &self.ip_addresses)
            .finish_non_exhaustive()
    }
}

/// Parses a DER certificate with an RSA key. Anything else (garbage, another key type) is an
/// error, never a panic.
pub fn parse_certificate(der: &[u8]) -> Result<CertInfo, KeyError> {
    parse_named(der, Path::new("<certificate>"))
}

/// [`parse_certificate`], naming `file` in errors.
pub(super) fn parse_named(der: &[u8], file: &Path) -> Result<CertInfo, KeyError> {
    let bad = |reason: String| KeyError::Certificate {
        file: file.to_owned(),
        reason,
    };
    let cert = Certificate::from_der(der).map_err(|e| bad(format!("not an X.509 certificate: {e}")))?;
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    if spki.algorithm.oid != RSA_ENCRYPTION {
        return Err(KeyError::NotRsa {
            file: file.to_owned(),
            algorithm: spki.algorithm.oid.to_string(),
        });
    }
    let public_key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| bad("its public key is not a whole number of bytes".into()))
        .and_then(|der| {
            PublicKey::from_pkcs1_der(der).map_err(|e| bad(format!("its RSA public key is malformed: {e}")))
        })?;
    let time = |t: x509_cert::time::Time| {
        let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
        DateTime::from_timestamp(secs, 0).ok_or_else(|| bad(format!("validity time {t} is out of range")))
    };
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    for ext in tbs.extensions.iter().flatten() {
        if ext.extn_id != SUBJECT_ALT_NAME {
            continue;
        }
        let san = SubjectAltName::from_der(ext.extn_value.as_bytes())
            .map_err(|e| bad(format!("malformed subject alternative names: {e}")))?;
        for name in san.0 {
            match name {
                GeneralName::DnsName(n) => dns_names.push(n.to_string()),
                GeneralName::IpAddress(ip) => match ip.as_bytes().len() {
                    4 => ip_addresses.extend(<[u8; 4]>::try_from(ip.as_bytes()).ok().map(IpAddr::from)),
                    16 => ip_addresses.extend(<[u8; 16]>::try_from(ip.as_bytes()).ok().map(IpAddr::from)),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    Ok(CertInfo {
        subject: name_to_string(&tbs.subject),
        issuer: name_to_string(&tbs.issuer),
        public_key,
        not_before: time(tbs.validity.not_before)?,
        not_after: time(tbs.validity.not_after)?,
        thumbprint_sha256: Sha256::digest(der).into(),
        serial: tbs.serial_number.as_bytes().to_vec(),
        dns_names,
        ip_addresses,
    })
}

/// The smallest RSA key sfstub accepts in a user system's (holder-of-key) certificate.
pub const MIN_RSA_BITS: usize = 2048;

/// Whether a user system's certificate may prove who is calling at `now`: within its
/// validity period and with an RSA key of at least [`MIN_RSA_BITS`]. The error names the
/// certificate and what is wrong with it.
pub fn check_usable(info: &CertInfo, now: DateTime<Utc>) -> Result<(), String> {
    let time = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    if now < info.not_before {
        return Err(format!(
            "the certificate {} is not valid before {} (sfstub's clock says {})",
            info.subject,
            time(info.not_before),
            time(now)
        ));
    }
    if now > info.not_after {
        return Err(format!(
            "the certificate {} expired at {} (sfstub's clock says {})",
            info.subject,
            time(info.not_after),
            time(now)
        ));
    }
    let bits = info.public_key.bits();
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "the certificate {} has a {bits}-bit RSA key; sfstub requires at least {MIN_RSA_BITS} bits",
            info.subject
        ));
    }
    Ok(())
}

const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");

/// Whether the CA `issuer` issued the DER certificate `der`: the certificate names it as
/// issuer and its signature (PKCS#1 v1.5 with SHA-256, -384 or -512) verifies with the CA's
/// key. Anything unreadable is `false`.
pub fn issued_by(der: &[u8], issuer: &CertInfo) -> bool {
    let Ok(cert) = Certificate::from_der(der) else {
        return false;
    };
    if name_to_string(&cert.tbs_certificate.issuer) != issuer.subject {
        return false;
    }
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(bytes) = cert.signature.as_bytes() else {
        return false;
    };
    let hash = match cert.signature_algorithm.oid {
        SHA256_WITH_RSA => CertHash::Sha256,
        SHA384_WITH_RSA => CertHash::Sha384,
        SHA512_WITH_RSA => CertHash::Sha512,
        _ => return false,
    };
    issuer.public_key.verify_pkcs1(hash, &tbs, bytes)
}

/// Writes a distinguished name the way KOMBIT's (.NET) STS writes `X509SubjectName`: most
/// specific RDN first, RDNs separated by `, `, the attributes of a multi-valued RDN joined with
/// ` + ` in their encoded order, well-known attribute types by their short upper-case names
/// (`CN`, `O`, `OU`, `C`, `SERIALNUMBER`, ...), others as `OID.<dotted>`:
/// `SERIALNUMBER=CVR:19435075-FID:... + CN=..., O=... // CVR:19435075, C=DK`.
/// A value containing `,+=";<>#`, a line break, or space at either end is put in double quotes
/// (inner quotes doubled); a value that is not a string is written `#<hex of its DER>`.
pub fn name_to_string(name: &Name) -> String {
    let mut out = String::new();
    for (i, rdn) in name.0.iter().rev().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for (j, atv) in rdn.0.iter().enumerate() {
            if j > 0 {
                out.push_str(" + ");
            }
            match short_name(&atv.oid) {
                Some(key) => out.push_str(key),
                None => {
                    let _ = write!(out, "OID.{}", atv.oid);
                }
            }
            out.push('=');
            match string_value(&atv.value) {
                Some(v) if needs_quotes(&v) => {
                    out.push('"');
                    out.push_str(&v.replace('"', "\"\""));
                    out.push('"');
                }
                Some(v) => out.push_str(&v),
                None => {
                    out.push('#');
                    out.push_str(&hex(&atv.value.to_der().unwrap_or_default()));
                }
            }
        }
    }
    out
}

fn short_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "S",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.42" => "G",
        "1.2.840.113549.1.9.1" => "E",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        _ => return None,
    })
}

fn string_value(value: &Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => {
            std::str::from_utf8(value.value()).ok().map(str::to_owned)
        }
        // T.61 in theory; Latin-1 in practice.
        Tag::TeletexString => Some(value.value().iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => BmpString::from_der(&value.to_der().ok()?).ok().map(|s| s.to_string()),
        _ => None,
    }
}

fn needs_quotes(v: &str) -> bool {
    v.is_empty()
        || v.starts_with(' ')
        || v.ends_with(' ')
        || v.contains([',', '+', '=', '"', ';', '<', '>', '#', '\n', '\r'])
}

/// Lower-case hexadecimal.
pub(super) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Reads `file` (for errors, the text is given): every `CERTIFICATE` section, in order.
pub(super) fn certificates_from_pem(text: &[u8], file: &Path) -> Result<Vec<Vec<u8>>, KeyError> {
    let mut certs = Vec::new();
    for section in CertificateDer::pem_slice_iter(text) {
        let der = section.map_err(|e| KeyError::CertificatePem {
            file: file.to_owned(),
            reason: e.to_string(),
        })?;
        certs.push(der.to_vec());
    }
    if certs.is_empty() {
        return Err(KeyError::CertificatePem {
            file: file.to_owned(),
            reason: "no \"-----BEGIN CERTIFICATE-----\" section found".into(),
        });
    }
    Ok(certs)
}

/// Reads the first unencrypted private key in `text` (from `file`): PKCS#8 (`PRIVATE KEY`) or
/// PKCS#1 (`RSA PRIVATE KEY`), which must be RSA.
pub(super) fn rsa_key_from_pem(text: &[u8], file: &Path) -> Result<PrivateKey, KeyError> {
    let bad = |reason: String| KeyError::KeyPem {
        file: file.to_owned(),
        reason,
    };
    let key = PrivateKeyDer::from_pem_slice(text).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => bad(
            "no unencrypted private key found (expected \"-----BEGIN PRIVATE KEY-----\" or \
             \"-----BEGIN RSA PRIVATE KEY-----\")"
                .into(),
        ),
        e => bad(e.to_string()),
    })?;
    match key {
        PrivateKeyDer::Pkcs8(k) => PrivateKey::from_pkcs8_der(k.secret_pkcs8_der()).map_err(bad),
        PrivateKeyDer::Pkcs1(k) => PrivateKey::from_pkcs1_der(k.secret_pkcs1_der()).map_err(bad),
        PrivateKeyDer::Sec1(_) => Err(KeyError::NotRsa {
            file: file.to_owned(),
            algorithm: "an elliptic-curve (SEC1) key".into(),
        }),
        _ => Err(bad("an unsupported kind of private key".into())),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn names_are_written_most_specific_first_with_multi_valued_rdns_joined_by_plus() {
        let name = Name::from_str(
            "SERIALNUMBER=CVR:19435075-FID:1+CN=Test (funktionscertifikat),O=KOMBIT A/S // CVR:19435075,C=DK",
        )
        .unwrap();
        assert_eq!(
            name_to_string(&name),
            "SERIALNUMBER=CVR:19435075-FID:1 + CN=Test (funktionscertifikat), O=KOMBIT A/S // CVR:19435075, C=DK"
        );
    }

    #[test]
    fn special_characters_are_quoted() {
        let name = Name::from_str("CN=a\\, b,O=x\\\"y").unwrap();
        assert_eq!(name_to_string(&name), "CN=\"a, b\", O=\"x\"\"y\"");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for input in [
            &b""[..],
            b"\x30\x03\x02\x01\x01",
            b"not a certificate at all",
            &[0x30, 0x82, 0xff, 0xff],
        ] {
            assert!(matches!(parse_certificate(input), Err(KeyError::Certificate { .. })));
        }
        assert!(certificates_from_pem(b"hello", Path::new("x.pem")).is_err());
        assert!(
            rsa_key_from_pem(
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                Path::new("k.pem")
            )
            .is_err()
        );
    }
}
