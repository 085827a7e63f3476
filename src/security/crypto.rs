//! RSA for everything sfstub signs and verifies: PKCS#1 v1.5 with SHA-256 for XML signatures
//! and certificates, PSS for the STS's JWTs. Two small types over aws-lc-rs (AWS-LC's
//! constant-time, assembly-backed RSA), so the rest of sfstub never names the library.
//!
//! Keys are read and written as PKCS#8 DER (PKCS#1 is read too), the format of the key files
//! in a state directory.

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, RsaParameters, UnparsedPublicKey};
use sha2::{Digest, Sha256};
use x509_cert::der::asn1::UintRef;
use x509_cert::der::{Decode, Reader, SliceReader};

/// An RSA private key that signs. Cheap to clone (shared).
#[derive(Clone)]
pub struct PrivateKey {
    pair: Arc<KeyPair>,
    /// PKCS#8 DER, as read or as generated.
    pkcs8: Arc<[u8]>,
    public: PublicKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({} bits)", self.public.bits)
    }
}

impl PrivateKey {
    /// A fresh RSA 2048 key.
    pub fn generate() -> Result<PrivateKey, String> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| format!("RSA key generation failed: {e}"))?;
        let pkcs8 = pair
            .as_der()
            .map_err(|e| format!("the new RSA key cannot be written as PKCS#8: {e}"))?;
        PrivateKey::new(pair, pkcs8.as_ref())
    }

    /// Reads an unencrypted PKCS#8 (`PRIVATE KEY`) RSA key, DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, String> {
        let pair = KeyPair::from_pkcs8(der).map_err(|e| format!("not a usable RSA private key in PKCS#8: {e}"))?;
        PrivateKey::new(pair, der)
    }

    /// Reads a PKCS#1 (`RSA PRIVATE KEY`) key, DER.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<PrivateKey, String> {
        let pair = KeyPair::from_der(der).map_err(|e| format!("not a usable PKCS#1 RSA private key: {e}"))?;
        let pkcs8 = pair
            .as_der()
            .map_err(|e| format!("the RSA key cannot be written as PKCS#8: {e}"))?;
        PrivateKey::new(pair, pkcs8.as_ref())
    }

    fn new(pair: KeyPair, pkcs8: &[u8]) -> Result<PrivateKey, String> {
        let public = PublicKey::from_pkcs1_der(pair.public_key().as_ref())?;
        Ok(PrivateKey {
            pair: Arc::new(pair),
            pkcs8: pkcs8.into(),
            public,
        })
    }

    /// The key as PKCS#8 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pkcs8_pem(&self) -> String {
        super::keys::pem("PRIVATE KEY", &self.pkcs8)
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message` (what `rsa-sha256` XML signatures and
    /// sfstub's certificates use).
    pub fn sign_pkcs1_sha256(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.sign(&signature::RSA_PKCS1_SHA256, message)
    }

    /// RSASSA-PSS with SHA-256 over `message` (JWT `PS256`).
    pub fn sign_pss_sha256(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.sign(&signature::RSA_PSS_SHA256, message)
    }

    fn sign(&self, encoding: &'static dyn signature::RsaEncoding, message: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(encoding, &aws_lc_rs::rand::SystemRandom::new(), message, &mut out)
            .map_err(|e| format!("RSA signing failed: {e}"))?;
        Ok(out)
    }
}

/// An RSA public key, parsed once for verifying. Equal when the keys are equal.
#[derive(Clone)]
pub struct PublicKey {
    /// RSAPublicKey (PKCS#1) DER.
    der: Arc<[u8]>,
    parsed: Arc<ParsedPublicKey>,
    bits: usize,
    fingerprint: [u8; 32],
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for PublicKey {}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({} bits)", self.bits)
    }
}

/// Verifying with keys from 1024 bits on: sfstub checks a user system's key size itself
/// (`keys::check_usable`, with a message naming it), and a CA may be older.
const PKCS1_SHA256: &RsaParameters = &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY;

/// The hash of a PKCS#1 v1.5 signature on a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertHash {
    Sha256,
    Sha384,
    Sha512,
}

impl PublicKey {
    /// Reads an RSAPublicKey (PKCS#1) DER, as a certificate's SubjectPublicKeyInfo holds it.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<PublicKey, String> {
        let bits = modulus_bits(der).ok_or("not an RSA public key (RSAPublicKey)")?;
        let parsed =
            ParsedPublicKey::new(PKCS1_SHA256, der).map_err(|e| format!("not a usable RSA public key: {e}"))?;
        Ok(PublicKey {
            der: der.into(),
            parsed: Arc::new(parsed),
            bits,
            fingerprint: Sha256::digest(der).into(),
        })
    }

    /// The size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// SHA-256 of [`PublicKey::pkcs1_der`]: names the key.
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// RSAPublicKey (PKCS#1) DER.
    pub fn pkcs1_der(&self) -> &[u8] {
        &self.der
    }

    /// The key as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), as tools such as
    /// xmlsec1 and openssl read public keys.
    pub fn to_spki_pem(&self) -> Result<String, String> {
        let key = aws_lc_rs::rsa::PublicKey::from_der(&self.der).map_err(|e| e.to_string())?;
        let spki: aws_lc_rs::encoding::PublicKeyX509Der<'static> = key.as_der().map_err(|e| e.to_string())?;
        Ok(super::keys::pem("PUBLIC KEY", spki.as_ref()))
    }

    /// Whether `signature` is an RSASSA-PKCS1-v1_5 SHA-256 signature of `message` by this key.
    pub fn verify_pkcs1_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }

    /// Whether `signature` is an RSASSA-PKCS1-v1_5 signature of `message` with `hash`.
    pub fn verify_pkcs1(&self, hash: CertHash, message: &[u8], signature: &[u8]) -> bool {
        let algorithm: &'static RsaParameters = match hash {
            CertHash::Sha256 => return self.verify_pkcs1_sha256(message, signature),
            CertHash::Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            CertHash::Sha512 => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        };
        UnparsedPublicKey::new(algorithm, &self.der[..])
            .verify(message, signature)
            .is_ok()
    }

    /// Whether `signature` is an RSASSA-PSS SHA-256 signature of `message` by this key.
    pub fn verify_pss_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &self.der[..])
            .verify(message, signature)
            .is_ok()
    }
}

/// The bit length of the modulus of an RSAPublicKey DER, `None` if it is not one.
fn modulus_bits(der: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(der).ok()?;
    let modulus = reader
        .sequence(|seq| {
            let n = UintRef::decode(seq)?;
            let _e = UintRef::decode(seq)?;
            Ok(n.as_bytes().to_vec())
        })
        .ok()?;
    reader.finish(()).ok()?;
    let first = *modulus.first()?;
    Some(modulus.len() * 8 - first.leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> &'static PrivateKey {
        static KEY: std::sync::OnceLock<PrivateKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| PrivateKey::generate().unwrap())
    }

    #[test]
    fn a_signature_verifies_with_its_key_only() {
        let signature = key().sign_pkcs1_sha256(b"hello").unwrap();
        assert_eq!(signature.len(), 256);
        assert_eq!(key().public_key().bits(), 2048);
        assert!(key().public_key().verify_pkcs1_sha256(b"hello", &signature));
        assert!(!key().public_key().verify_pkcs1_sha256(b"hellp", &signature));
        let other = PrivateKey::generate().unwrap();
        assert!(!other.public_key().verify_pkcs1_sha256(b"hello", &signature));
        assert_ne!(other.public_key(), key().public_key());
        let pss = key().sign_pss_sha256(b"hello").unwrap();
        assert!(key().public_key().verify_pss_sha256(b"hello", &pss));
        assert!(!key().public_key().verify_pkcs1_sha256(b"hello", &pss));
    }

    #[test]
    fn pkcs8_round_trips_and_garbage_is_an_error() {
        let again = PrivateKey::from_pkcs8_der(key().pkcs8_der()).unwrap();
        assert_eq!(again.public_key(), key().public_key());
        assert!(PrivateKey::from_pkcs8_der(b"garbage").is_err());
        assert!(PrivateKey::from_pkcs1_der(b"garbage").is_err());
        assert!(PublicKey::from_pkcs1_der(b"garbage").is_err());
        assert!(PublicKey::from_pkcs1_der(&[0x30, 0x00]).is_err());
    }
}
