//! The RSA key the interop tests sign with.

use std::sync::OnceLock;

use sfstub::security::keys::PrivateKey;

/// One RSA key for the whole test binary.
pub fn test_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().unwrap())
}
