//! The RSA key the interop tests sign with.

use std::sync::OnceLock;

use rsa::RsaPrivateKey;

/// One RSA key for the whole test binary (generating keys is slow).
pub fn test_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap())
}
