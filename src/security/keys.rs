//! sfstub's keys and certificates: a local CA, the STS and service signing certificates, a TLS
//! server certificate and a sample FOCES-like client certificate, all RSA 2048 / SHA-256.
//!
//! Created on first start in a state directory ([`KeyMaterial::load_or_create`], see
//! [`store`]), in memory for tests ([`shared_test_keys`]), or partly given as PEM files
//! ([`Identity::from_pem_files`]). [`KeyMaterial::export`] writes what a client needs.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use base64::Engine as _;

pub use super::crypto::{PrivateKey, PublicKey};

mod issue;
pub mod store;
mod x509;

pub use store::{KeySource, default_state_dir, load_for_serve};
pub use x509::{CertInfo, MIN_RSA_BITS, check_usable, issued_by, name_to_string, parse_certificate};

/// The alias of KOMBIT's STS signing certificate in EXTTEST: the STS certificate's CN.
pub const STS_ALIAS: &str = "ADG_EXTTEST_Adgangsstyring_2";
/// The alias of Serviceplatformen's response signing certificate in EXTTEST: the service
/// certificate's CN.
pub const SERVICE_ALIAS: &str = "SP_EXTTEST_Signing_1";
/// Every alias .NET clients may expect as the DNS identity of a response signer; all are DNS
/// names of the service certificate.
pub const SERVICE_ALIASES: [&str; 4] = [
    SERVICE_ALIAS,
    "ORG_EXTTEST_Organisation_1",
    "KLA_EXTTEST_Klassifikation_1",
    "SDI_EXTTEST_Sags-og-Dokindeks_1",
];
/// The sample client's (user system supplier's) CVR: fictitious, passes modulus 11, belongs to
/// no municipality, to neither UDK's default 14720006 nor ATP.
pub const SAMPLE_CLIENT_CVR: &str = "12345674";
/// The sample client's FID (the number of the function certificate).
pub const SAMPLE_CLIENT_FID: &str = "15140001";
/// The CN of sfstub's CA.
pub const CA_COMMON_NAME: &str = "sfstub local CA";
/// Names every generated TLS server certificate holds.
pub const TLS_DEFAULT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why key material could not be created, loaded or written. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{}: {source}", file.display())]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{}: not a usable PEM certificate: {reason}", file.display())]
    CertificatePem { file: PathBuf, reason: String },
    #[error("{}: {reason}", file.display())]
    Certificate { file: PathBuf, reason: String },
    #[error("{}: not a usable PEM private key: {reason}", file.display())]
    KeyPem { file: PathBuf, reason: String },
    #[error("{}: sfstub needs an RSA key, this is {algorithm}", file.display())]
    NotRsa { file: PathBuf, algorithm: String },
    #[error("{}: this private key does not belong to the certificate in {}", key.display(), cert.display())]
    Mismatch { key: PathBuf, cert: PathBuf },
    #[error(
        "{}: incomplete key set, missing {}; sfstub does not overwrite the files that are there: \
         restore the missing ones, or move the directory away to start afresh",
        dir.display(), missing.join(", ")
    )]
    Incomplete { dir: PathBuf, missing: Vec<String> },
    #[error("{}: another sfstub has been creating keys here for too long; remove the file if no sfstub is running", file.display())]
    Locked { file: PathBuf },
    #[error("{}: {name:?} cannot go into a TLS certificate: {reason}", file.display())]
    Name {
        file: PathBuf,
        name: String,
        reason: String,
    },
    #[error("{}: cannot create the certificate: {reason}", file.display())]
    Generate { file: PathBuf, reason: String },
}

/// A certificate with its RSA private key.
#[derive(Clone)]
pub struct Identity {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The certificate, PEM.
    pub cert_pem: String,
    pub key: PrivateKey,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    /// Certificates that followed the first in a PEM file given with
    /// [`Identity::from_pem_files`] (intermediate CAs, for a TLS chain). Empty for sfstub's own.
    pub chain_der: Vec<Vec<u8>>,
    info: CertInfo,
    /// The certificate as one line of base64, written once.
    cert_base64: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("cert", &self.info)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Pairs a DER certificate with its key, checking that they belong together. `cert_file`
    /// and `key_file` name them in errors.
    pub fn new(cert_der: Vec<u8>, key: PrivateKey, cert_file: &Path, key_file: &Path) -> Result<Identity, KeyError> {
        let info = x509::parse_named(&cert_der, cert_file)?;
        if &info.public_key != key.public_key() {
            return Err(KeyError::Mismatch {
                key: key_file.to_owned(),
                cert: cert_file.to_owned(),
            });
        }
        let key_pem = key.to_pkcs8_pem();
        Ok(Identity {
            cert_pem: pem("CERTIFICATE", &cert_der),
            cert_base64: base64::engine::general_purpose::STANDARD.encode(&cert_der),
            cert_der,
            key,
            key_pem,
            chain_der: Vec::new(),
            info,
        })
    }

    /// Reads a PEM certificate file (the first certificate is this identity's, any further
    /// ones its chain) and a PEM RSA private key (PKCS#8 or PKCS#1, unencrypted), and checks
    /// that they belong together.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Identity, KeyError> {
        let read = |file: &Path| {
            std::fs::read(file).map_err(|source| KeyError::Io {
                file: file.to_owned(),
                source,
            })
        };
        let mut certs = x509::certificates_from_pem(&read(cert)?, cert)?;
        let rsa_key = x509::rsa_key_from_pem(&read(key)?, key)?;
        let chain = certs.split_off(1);
        let mut identity = Identity::new(certs.remove(0), rsa_key, cert, key)?;
        identity.chain_der = chain;
        Ok(identity)
    }

    /// The RSA public key of the certificate.
    pub fn public_key(&self) -> &PublicKey {
        &self.info.public_key
    }

    /// The certificate subject as KOMBIT writes `X509SubjectName` (see [`name_to_string`]).
    pub fn subject(&self) -> String {
        self.info.subject.clone()
    }

    /// The certificate as one line of base64 DER, as in `wsse:BinarySecurityToken` and
    /// `ds:X509Certificate`.
    pub fn cert_base64(&self) -> &str {
        &self.cert_base64
    }

    /// SHA-256 of the certificate's DER.
    pub fn sha256_thumbprint(&self) -> [u8; 32] {
        self.info.thumbprint_sha256
    }

    /// Everything parsed from the certificate.
    pub fn info(&self) -> &CertInfo {
        &self.info
    }
}

/// Everything sfstub signs, serves and trusts with.
#[derive(Clone, Debug)]
pub struct KeyMaterial {
    /// The local CA that issued all the others.
    pub ca: Identity,
    /// Signs the STS's responses and assertions (CN [`STS_ALIAS`]).
    pub sts: Identity,
    /// Signs service responses in the token model (CN [`SERVICE_ALIAS`]).
    pub service: Identity,
    /// The HTTPS server certificate.
    pub tls: Identity,
    /// The sample user system's FOCES-like function certificate.
    pub client: Identity,
}

/// The files of a key set in a state directory, by role: (certificate, key).
pub const ROLES: [(&str, &str, &str); 5] = [
    ("ca", "ca.pem", "ca-key.pem"),
    ("sts", "sts.pem", "sts-key.pem"),
    ("service", "service.pem", "service-key.pem"),
    ("tls", "tls.pem", "tls-key.pem"),
    ("client", "client.pem", "client-key.pem"),
];

impl KeyMaterial {
    /// Fresh key material in memory, for tests. Panics only if key generation itself fails.
    pub fn ephemeral() -> KeyMaterial {
        KeyMaterial::generate(&[]).expect("generating in-memory keys")
    }

    /// One [`KeyMaterial::ephemeral`] per process, shared: generating RSA keys is slow.
    pub fn ephemeral_shared() -> Arc<KeyMaterial> {
        static KEYS: OnceLock<Arc<KeyMaterial>> = OnceLock::new();
        KEYS.get_or_init(|| Arc::new(KeyMaterial::ephemeral())).clone()
    }

    /// The identities with their role names, in the order of [`ROLES`].
    pub fn identities(&self) -> [(&'static str, &Identity); 5] {
        [
            ("ca", &self.ca),
            ("sts", &self.sts),
            ("service", &self.service),
            ("tls", &self.tls),
            ("client", &self.client),
        ]
    }
}

impl KeyMaterial {
    /// Subject, issuer, SHA-256 thumbprint, validity and alternative names of each certificate,
    /// for `sfstub certs show`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        for (role, id) in self.identities() {
            let info = id.info();
            s.push_str(&format!("{role:<9}{}\n", info.subject));
            s.push_str(&format!("         issuer   {}\n", info.issuer));
            s.push_str(&format!("         SHA-256  {}\n", thumbprint(&id.cert_der)));
            s.push_str(&format!(
                "         valid    {} to {}\n",
                info.not_before.format("%Y-%m-%d %H:%M:%SZ"),
                info.not_after.format("%Y-%m-%d %H:%M:%SZ")
            ));
            let names: Vec<String> = info
                .dns_names
                .iter()
                .cloned()
                .chain(info.ip_addresses.iter().map(IpAddr::to_string))
                .collect();
            if !names.is_empty() {
                s.push_str(&format!("         names    {}\n", names.join(", ")));
            }
        }
        s
    }
}

/// The SHA-256 thumbprint of a DER certificate as upper-case hexadecimal without separators,
/// as Windows and .NET show thumbprints (compare case-insensitively).
pub fn thumbprint(cert_der: &[u8]) -> String {
    use sha2::Digest as _;
    x509::hex(&sha2::Sha256::digest(cert_der)).to_ascii_uppercase()
}

/// The process-wide in-memory key material for tests ([`KeyMaterial::ephemeral_shared`]).
pub fn shared_test_keys() -> &'static KeyMaterial {
    static KEYS: OnceLock<Arc<KeyMaterial>> = OnceLock::new();
    KEYS.get_or_init(KeyMaterial::ephemeral_shared)
}

/// The subject of the sample client certificate, a FOCES function certificate's shape.
pub fn sample_client_subject() -> String {
    format!(
        "SERIALNUMBER=CVR:{SAMPLE_CLIENT_CVR}-FID:{SAMPLE_CLIENT_FID} + CN=sfstub testsystem (funktionscertifikat), \
         O=sfstub testleverandør // CVR:{SAMPLE_CLIENT_CVR}, C=DK"
    )
}

/// The certificates of a PEM file of CA certificates, each with an RSA key (with
/// `skip_other_keys`, those with another key are left out instead); the error names the
/// file.
pub fn read_ca_file(file: &Path, skip_other_keys: bool) -> Result<Vec<CertInfo>, KeyError> {
    let text = std::fs::read(file).map_err(|source| KeyError::Io {
        file: file.to_owned(),
        source,
    })?;
    let mut cas = Vec::new();
    for der in x509::certificates_from_pem(&text, file)? {
        match x509::parse_named(&der, file) {
            Ok(info) => cas.push(info),
            Err(KeyError::NotRsa { .. }) if skip_other_keys => {}
            Err(e) => return Err(e),
        }
    }
    Ok(cas)
}

/// PEM text of `der` under `label`.
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(line).unwrap_or_default());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

#[cfg(test)]
mod tests {
    use x509_cert::Certificate;
    use x509_cert::der::{Decode, Encode};

    use super::*;

    #[test]
    fn generated_certificates_have_the_expected_subjects_and_issuer() {
        let keys = shared_test_keys();
        let ca = keys.ca.info();
        assert_eq!(ca.subject, "CN=sfstub local CA, O=sfstub, C=DK");
        for (role, id) in keys.identities() {
            assert_eq!(id.info().issuer, ca.subject, "{role}");
            assert_eq!(id.public_key(), id.key.public_key(), "{role}");
            assert!(id.info().not_before < chrono::Utc::now(), "{role}");
        }
        assert_eq!(keys.sts.subject(), format!("CN={STS_ALIAS}, O=sfstub, C=DK"));
        assert_eq!(keys.service.info().dns_names, SERVICE_ALIASES);
        assert_eq!(keys.client.subject(), sample_client_subject());
        assert_eq!(keys.tls.info().dns_names, ["localhost"]);
        assert_eq!(keys.tls.info().ip_addresses.len(), 2);
    }

    #[test]
    fn the_client_certificate_is_signed_by_the_ca() {
        let keys = shared_test_keys();
        let cert = Certificate::from_der(&keys.client.cert_der).unwrap();
        let tbs = cert.tbs_certificate.to_der().unwrap();
        assert!(
            keys.ca
                .public_key()
                .verify_pkcs1_sha256(&tbs, cert.signature.raw_bytes())
        );
        assert!(
            !keys
                .sts
                .public_key()
                .verify_pkcs1_sha256(&tbs, cert.signature.raw_bytes())
        );
    }

    #[test]
    fn issued_by_verifies_the_issuers_signature_not_just_its_name() {
        let keys = shared_test_keys();
        assert!(issued_by(&keys.client.cert_der, keys.ca.info()));
        assert!(!issued_by(&keys.client.cert_der, keys.sts.info()));
        // The last bytes are the CA's signature.
        let mut der = keys.client.cert_der.clone();
        let last = der.len() - 1;
        der[last] ^= 1;
        assert!(!issued_by(&der, keys.ca.info()));
        assert!(!issued_by(b"garbage", keys.ca.info()));
    }

    #[test]
    fn a_usable_certificate_is_within_its_validity() {
        let info = shared_test_keys().client.info();
        let second = chrono::Duration::seconds(1);
        assert_eq!(check_usable(info, info.not_before), Ok(()));
        assert_eq!(check_usable(info, info.not_after), Ok(()));
        assert!(
            check_usable(info, info.not_after + second)
                .unwrap_err()
                .contains("expired at")
        );
        assert!(
            check_usable(info, info.not_before - second)
                .unwrap_err()
                .contains("is not valid before")
        );
        // sfstub's sample client is usable on any clock a scenario pins after 2020.
        assert_eq!(info.not_before.format("%Y-%m-%d").to_string(), "2020-01-01");
    }

    #[test]
    fn tls_names_are_added_by_reissuing_in_memory() {
        let mut keys = shared_test_keys().clone();
        assert!(
            !keys
                .ensure_tls_names(&["localhost".into(), "127.0.0.1".into()])
                .unwrap()
        );
        assert!(
            keys.ensure_tls_names(&["sfstub.test".into(), "10.1.2.3".into()])
                .unwrap()
        );
        let info = keys.tls.info();
        assert!(info.dns_names.contains(&"sfstub.test".to_owned()));
        assert!(info.ip_addresses.contains(&"10.1.2.3".parse().unwrap()));
        assert!(info.dns_names.contains(&"localhost".to_owned()));
        assert_eq!(keys.tls.public_key(), shared_test_keys().tls.public_key());
        assert!(matches!(
            keys.ensure_tls_names(&["bad name!".into()]),
            Err(KeyError::Name { .. })
        ));
    }
}
