//! Service agreements (serviceaftaler) in scenarios: who may call which service, and through
//! which user system's certificate.
//!
//! A certificate subject is only a name: anyone can make a certificate with any subject. An
//! agreement pinned by subject therefore accepts a certificate only when a CA sfstub trusts
//! issued it; pinning by SHA-256 thumbprint identifies one certificate exactly. A refusal
//! never names the pinned identity, only the certificate presented.

use crate::world::{Cvr, Sector, World};

/// Service agreements (serviceaftaler): who may call which service. Without a list, every
/// municipality and Udbetaling Danmark may call every service.
#[derive(Debug, Clone, Default)]
pub struct Agreements(pub Option<Vec<Agreement>>);

/// One service agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// The authority, or `None` for `cvr: "*"` (anyone).
    pub cvr: Option<Cvr>,
    /// Entity IDs of the services, or `*` for all.
    pub services: Vec<String>,
    /// Only this user system may act for the CVR. Checked in the token model.
    pub system: Option<SystemPin>,
}

/// How an agreement names the user system allowed to act under it (`agreements[].system`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemPin {
    /// Exactly this certificate: the SHA-256 of its DER.
    Thumbprint([u8; 32]),
    /// A certificate with this subject (written as KOMBIT writes `X509SubjectName`) issued by
    /// a CA sfstub trusts.
    Subject(String),
}

impl SystemPin {
    /// Reads `agreements[].system`: 64 hexadecimal digits (upper or lower case, optionally in
    /// pairs separated by `:` or spaces, as tools print thumbprints) are a SHA-256 thumbprint;
    /// anything with `=` is a subject. The error says what would be accepted.
    pub fn parse(text: &str) -> Result<SystemPin, String> {
        let text = text.trim();
        let digits: String = text.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return match digits.len() {
                64 => {
                    let mut thumbprint = [0u8; 32];
                    for (i, byte) in thumbprint.iter_mut().enumerate() {
                        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                            .map_err(|e| format!("{text:?} is not hexadecimal: {e}"))?;
                    }
                    Ok(SystemPin::Thumbprint(thumbprint))
                }
                40 => Err(format!(
                    "{text:?} looks like a SHA-1 thumbprint; sfstub pins by SHA-256 (64 hexadecimal digits, as `sfstub certs show` prints them)"
                )),
                n => Err(format!(
                    "{text:?} has {n} hexadecimal digits; a SHA-256 thumbprint has 64"
                )),
            };
        }
        if text.contains('=') {
            return Ok(SystemPin::Subject(text.to_owned()));
        }
        Err(format!(
            "{text:?} is neither a SHA-256 thumbprint (64 hexadecimal digits) nor a certificate subject \
             (such as \"SERIALNUMBER=CVR:12345674-FID:15140001 + CN=..., O=..., C=DK\")"
        ))
    }
}

/// The user system's certificate, as a service agreement judges it.
pub struct SystemCertificate<'a> {
    /// The subject, written as KOMBIT writes `X509SubjectName`.
    pub subject: &'a str,
    /// SHA-256 of the certificate's DER.
    pub thumbprint: [u8; 32],
    /// Whether a CA sfstub trusts issued the certificate. Asked only when an agreement pins a
    /// subject (it costs a signature verification).
    pub issued_by_trusted_ca: &'a dyn Fn() -> bool,
}

impl Agreements {
    /// Whether `cvr` may call the service `entity_id`; in the token model `holder` is the
    /// user system's certificate (the context model has none, and pins do not apply to it).
    /// The error explains the refusal without naming a pinned identity.
    pub fn check(
        &self,
        world: &World,
        cvr: Cvr,
        entity_id: &str,
        holder: Option<&SystemCertificate<'_>>,
    ) -> Result<(), String> {
        let name = || {
            world
                .authority_by_cvr(cvr)
                .map(|a| format!("CVR {cvr} ({})", world.authority(a).name))
                .unwrap_or_else(|| format!("CVR {cvr}"))
        };
        let Some(list) = &self.0 else {
            let allowed = world
                .authority_by_cvr(cvr)
                .is_some_and(|a| matches!(world.authority(a).sector, Sector::Udk | Sector::Kommune));
            return if allowed {
                Ok(())
            } else {
                Err(format!(
                    "{} has no service agreement for {entity_id}: without an `agreements` list in the scenario only the municipalities and Udbetaling Danmark have one",
                    name()
                ))
            };
        };
        let for_service: Vec<&Agreement> = list
            .iter()
            .filter(|a| a.cvr.is_none_or(|c| c == cvr) && a.services.iter().any(|s| s == "*" || s == entity_id))
            .collect();
        if for_service.is_empty() {
            return Err(format!(
                "no service agreement in the scenario lets {} use {entity_id}",
                name()
            ));
        }
        let Some(holder) = holder else {
            return Ok(());
        };
        let mut trusted: Option<bool> = None;
        let mut pins = |pin: &SystemPin| match pin {
            SystemPin::Thumbprint(t) => *t == holder.thumbprint,
            SystemPin::Subject(s) => {
                s == holder.subject && *trusted.get_or_insert_with(|| (holder.issued_by_trusted_ca)())
            }
        };
        if for_service.iter().any(|a| a.system.as_ref().is_none_or(&mut pins)) {
            return Ok(());
        }
        Err(format!(
            "the service agreement for {} and {entity_id} is bound to another user system than the certificate \
             presented (subject {}, SHA-256 {}). A subject identifies a user system only for a certificate issued \
             by a CA sfstub trusts (its own, or one given with --client-ca or --tls-client-ca); pin any other \
             certificate by its SHA-256 thumbprint",
            name(),
            holder.subject,
            hex(&holder.thumbprint)
        ))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_thumbprints_or_subjects() {
        let hex64 = "AB".repeat(32);
        assert_eq!(SystemPin::parse(&hex64), Ok(SystemPin::Thumbprint([0xab; 32])));
        let colons = vec!["ab"; 32].join(":");
        assert_eq!(SystemPin::parse(&colons), Ok(SystemPin::Thumbprint([0xab; 32])));
        assert_eq!(
            SystemPin::parse(" CN=x, O=y "),
            Ok(SystemPin::Subject("CN=x, O=y".into()))
        );
        assert!(SystemPin::parse(&"ab".repeat(20)).unwrap_err().contains("SHA-1"));
        assert!(
            SystemPin::parse("abcd")
                .unwrap_err()
                .contains("has 4 hexadecimal digits")
        );
        assert!(SystemPin::parse("my system").unwrap_err().contains("neither"));
    }
}
