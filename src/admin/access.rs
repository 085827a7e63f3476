//! Who may use the admin API: open on loopback, a bearer token (`--admin-token`) or an
//! explicit `--admin open` elsewhere, or no admin API at all (`--admin off`).

use std::net::SocketAddr;

use sha2::Digest;

/// `--admin`: whether the admin API exists and who may use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AdminFlag {
    /// Open on a loopback address; on any other address only with `--admin-token`.
    #[default]
    Auto,
    /// Open to anyone who can reach sfstub, whatever the address.
    Open,
    /// No admin API: `/__sfstub/` paths are unknown paths.
    Off,
}

/// The decision: how admin requests are judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No admin API.
    Off,
    /// Anyone may use it.
    Open,
    /// `Authorization: Bearer TOKEN` is required; the SHA-256 of the token is kept.
    Token([u8; 32]),
    /// Listening beyond loopback without a token: every admin request is refused, with the
    /// way to open it.
    Locked(SocketAddr),
}

impl Access {
    /// Decides from the flags and the listen address. A contradiction is a one-line error.
    pub fn decide(flag: AdminFlag, token: Option<&str>, listen: SocketAddr) -> Result<Access, String> {
        if let Some(t) = token
            && t.trim().is_empty()
        {
            return Err("--admin-token is empty: give a secret, e.g. a random UUID".into());
        }
        match (flag, token) {
            (AdminFlag::Off, Some(_)) => {
                Err("--admin-token has no use with --admin off (there is no admin API)".into())
            }
            (AdminFlag::Open, Some(_)) => {
                Err("--admin open and --admin-token contradict each other: pick one (the token keeps it closed)".into())
            }
            (AdminFlag::Off, None) => Ok(Access::Off),
            (AdminFlag::Open, None) => Ok(Access::Open),
            (AdminFlag::Auto, Some(t)) => Ok(Access::Token(digest(t.trim()))),
            (AdminFlag::Auto, None) if listen.ip().is_loopback() => Ok(Access::Open),
            (AdminFlag::Auto, None) => Ok(Access::Locked(listen)),
        }
    }

    /// Judges an admin request's `Authorization` header: `Err` holds the reason to refuse it.
    pub fn check(&self, authorization: Option<&[u8]>) -> Result<(), String> {
        match self {
            Access::Off | Access::Open => Ok(()),
            Access::Locked(listen) => Err(format!(
                "sfstub listens on {listen}, beyond loopback: the admin API needs a token. Start sfstub with \
                 --admin-token TOKEN (or SFSTUB_ADMIN_TOKEN) and send Authorization: Bearer TOKEN, or with \
                 --admin open to open it to everyone who can reach this port"
            )),
            Access::Token(expected) => {
                let Some(header) = authorization else {
                    return Err(
                        "the admin API needs Authorization: Bearer TOKEN (the --admin-token sfstub was started with)"
                            .into(),
                    );
                };
                let given = header
                    .strip_prefix(b"Bearer ")
                    .or_else(|| header.strip_prefix(b"bearer "))
                    .ok_or("the Authorization header is not a bearer token (Authorization: Bearer TOKEN)")?;
                let given = trim(given);
                // Compare digests in constant time: neither the token nor its length leaks.
                let d: [u8; 32] = sha2::Sha256::digest(given).into();
                let differs = d.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b));
                if differs == 0 {
                    Ok(())
                } else {
                    Err("the bearer token is not the --admin-token sfstub was started with".into())
                }
            }
        }
    }

    /// The banner's words on the admin API.
    pub fn describe(&self) -> String {
        match self {
            Access::Off => "off (--admin off)".into(),
            Access::Open => "open".into(),
            Access::Token(_) => "bearer token required (--admin-token)".into(),
            Access::Locked(_) => {
                "locked: listening beyond loopback; start with --admin-token TOKEN or --admin open".into()
            }
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.as_bytes()).into()
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_is_open_and_other_addresses_need_a_token_or_open() {
        let auto = AdminFlag::Auto;
        assert_eq!(Access::decide(auto, None, addr("127.0.0.1:8080")), Ok(Access::Open));
        assert_eq!(Access::decide(auto, None, addr("127.0.0.2:8080")), Ok(Access::Open));
        assert_eq!(Access::decide(auto, None, addr("[::1]:8080")), Ok(Access::Open));
        for beyond in ["0.0.0.0:8080", "192.0.2.7:8080", "[::]:8080"] {
            let a = Access::decide(auto, None, addr(beyond)).unwrap();
            assert_eq!(a, Access::Locked(addr(beyond)));
            assert!(a.check(None).unwrap_err().contains("--admin-token"));
            assert_eq!(Access::decide(AdminFlag::Open, None, addr(beyond)), Ok(Access::Open));
            let t = Access::decide(auto, Some("s3cret"), addr(beyond)).unwrap();
            assert_eq!(t.check(Some(b"Bearer s3cret")), Ok(()));
        }
        assert_eq!(Access::decide(AdminFlag::Off, None, addr("0.0.0.0:1")), Ok(Access::Off));
    }

    #[test]
    fn a_token_is_required_when_given_even_on_loopback() {
        let t = Access::decide(AdminFlag::Auto, Some("s3cret"), addr("127.0.0.1:8080")).unwrap();
        assert!(t.check(None).is_err());
        assert!(t.check(Some(b"Bearer wrong")).is_err());
        assert!(t.check(Some(b"Bearer s3cre")).is_err());
        assert!(t.check(Some(b"Basic czNjcmV0")).is_err());
        assert_eq!(t.check(Some(b"Bearer  s3cret ")), Ok(()));
    }

    #[test]
    fn contradictions_are_errors() {
        let a = addr("127.0.0.1:8080");
        assert!(Access::decide(AdminFlag::Off, Some("x"), a).is_err());
        assert!(Access::decide(AdminFlag::Open, Some("x"), a).is_err());
        assert!(Access::decide(AdminFlag::Auto, Some("  "), a).is_err());
    }
}
