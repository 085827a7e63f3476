//! The key material: created once in a state directory and loaded after, damaged files named
//! in errors and never overwritten, exports without secrets, the sample client certificate's
//! FOCES shape, PEM overrides.

use std::path::Path;

use sfstub::security::keys::{
    self, Identity, KeyError, KeyMaterial, SAMPLE_CLIENT_CVR, SERVICE_ALIASES, STS_ALIAS, parse_certificate,
    shared_test_keys,
};
use sfstub::world::Cvr;

use crate::helpers::TempDir;

const KEY_FILES: [&str; 10] = [
    "ca.pem",
    "ca-key.pem",
    "sts.pem",
    "sts-key.pem",
    "service.pem",
    "service-key.pem",
    "tls.pem",
    "tls-key.pem",
    "client.pem",
    "client-key.pem",
];

fn thumbprints(keys: &KeyMaterial) -> Vec<[u8; 32]> {
    keys.identities().iter().map(|(_, id)| id.sha256_thumbprint()).collect()
}

#[test]
fn load_or_create_twice_gives_the_same_certificates() {
    let dir = TempDir::new("state");
    let (first, created) = KeyMaterial::load_or_create(dir.path()).expect("created");
    assert!(created);
    for f in KEY_FILES {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    let (second, created) = KeyMaterial::load_or_create(dir.path()).expect("loaded");
    assert!(!created);
    assert_eq!(thumbprints(&first), thumbprints(&second));
    assert_eq!(first.client.key_pem, second.client.key_pem);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !KEY_FILES.contains(&n.as_str()))
        .collect();
    assert!(leftovers.is_empty(), "no lock or staging left behind: {leftovers:?}");
}

#[cfg(unix)]
#[test]
fn a_state_directory_written_by_an_earlier_sfstub_still_loads_and_signs() {
    // Written by sfstub when the pure-Rust rsa crate made and wrote its keys (PKCS#8).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/state-dir-rsa-0.9");
    let (keys, created) = KeyMaterial::load_or_create(&dir).expect("the earlier key set loads");
    assert!(!created);
    for (role, id) in keys.identities() {
        let on_disk = std::fs::read_to_string(dir.join(format!("{role}-key.pem"))).unwrap();
        assert_eq!(id.key_pem, on_disk, "{role}: the key is kept as written");
        let signature = id.key.sign_pkcs1_sha256(b"KontrolsagListeHent").unwrap();
        assert!(
            id.public_key().verify_pkcs1_sha256(b"KontrolsagListeHent", &signature),
            "{role}"
        );
        assert_eq!(id.info().issuer, keys.ca.subject(), "{role}");
    }
    assert!(keys::issued_by(&keys.client.cert_der, keys.ca.info()));
    assert!(
        !keys
            .sts
            .public_key()
            .verify_pkcs1_sha256(b"x", &keys.service.key.sign_pkcs1_sha256(b"x").unwrap())
    );
}

#[test]
fn the_state_directory_and_the_key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("modes");
    KeyMaterial::load_or_create(dir.path()).expect("created");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.path()), 0o700);
    for f in KEY_FILES {
        let expected = if f.ends_with("-key.pem") { 0o600 } else { 0o644 };
        assert_eq!(mode(&dir.join(f)), expected, "{f}");
    }
}

#[test]
fn concurrent_first_starts_create_one_consistent_set() {
    let dir = TempDir::new("race");
    let results: Vec<(Vec<[u8; 32]>, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let (keys, created) = KeyMaterial::load_or_create(dir.path()).expect("load or create");
                    (thumbprints(&keys), created)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    assert!(
        results.windows(2).all(|w| w[0].0 == w[1].0),
        "every caller sees the same set"
    );
    let reloaded = KeyMaterial::load(dir.path()).expect("the set on disk is consistent");
    assert_eq!(thumbprints(&reloaded), results[0].0);
}

#[test]
fn a_corrupted_key_file_is_named_in_the_error_and_left_alone() {
    let dir = TempDir::new("corrupt");
    KeyMaterial::load_or_create(dir.path()).expect("created");
    let damaged = dir.join("sts-key.pem");
    let mut text = std::fs::read_to_string(&damaged).unwrap();
    text.replace_range(40..60, "!!!!!!!!!!!!!!!!!!!!");
    std::fs::write(&damaged, &text).unwrap();
    let err = KeyMaterial::load_or_create(dir.path()).unwrap_err();
    assert!(matches!(err, KeyError::KeyPem { .. }), "{err:?}");
    assert!(err.to_string().contains(&damaged.display().to_string()), "{err}");
    assert_eq!(std::fs::read_to_string(&damaged).unwrap(), text, "not overwritten");
}

#[test]
fn a_key_that_belongs_to_another_certificate_is_named() {
    let dir = TempDir::new("swapped");
    KeyMaterial::load_or_create(dir.path()).expect("created");
    std::fs::copy(dir.join("service-key.pem"), dir.join("tls-key.pem")).unwrap();
    let err = KeyMaterial::load_or_create(dir.path()).unwrap_err().to_string();
    assert!(err.contains("tls-key.pem") && err.contains("tls.pem"), "{err}");
    assert!(err.contains("does not belong"), "{err}");
}

#[test]
fn an_incomplete_key_set_is_refused_and_left_alone() {
    let dir = TempDir::new("incomplete");
    KeyMaterial::load_or_create(dir.path()).expect("created");
    std::fs::remove_file(dir.join("client-key.pem")).unwrap();
    let ca_before = std::fs::read(dir.join("ca.pem")).unwrap();
    let err = KeyMaterial::load_or_create(dir.path()).unwrap_err();
    assert!(
        matches!(&err, KeyError::Incomplete { missing, .. } if missing == &["client-key.pem"]),
        "{err:?}"
    );
    assert!(err.to_string().contains("client-key.pem"), "{err}");
    assert_eq!(std::fs::read(dir.join("ca.pem")).unwrap(), ca_before);
    assert!(!dir.join("client-key.pem").exists());
}

#[test]
fn export_writes_what_a_client_needs_and_no_private_key_but_the_clients() {
    let keys = shared_test_keys();
    let dir = TempDir::new("export");
    let written = keys.export(dir.path()).expect("export");
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "ca.pem",
            "sts.pem",
            "service.pem",
            "client.pem",
            "client-key.pem",
            "README.txt"
        ]
    );
    for path in &written {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        if name == "client-key.pem" {
            assert_eq!(text, keys.client.key_pem);
        } else {
            assert!(!text.contains("PRIVATE KEY-----"), "{name} holds a private key");
        }
        for secret in [
            &keys.ca.key_pem,
            &keys.sts.key_pem,
            &keys.service.key_pem,
            &keys.tls.key_pem,
        ] {
            assert!(!text.contains(secret.as_str()), "{name} holds a secret key");
        }
    }
    assert_eq!(std::fs::read_to_string(dir.join("ca.pem")).unwrap(), keys.ca.cert_pem);
    let readme = std::fs::read_to_string(dir.join("README.txt")).unwrap();
    for f in ["ca.pem", "sts.pem", "service.pem", "client.pem", "client-key.pem"] {
        assert!(readme.contains(f), "README.txt explains {f}");
    }
}

#[test]
fn the_sample_client_certificate_is_foces_like_with_a_fictitious_modulus_11_cvr() {
    let subject = shared_test_keys().client.subject();
    // SERIALNUMBER=CVR:<cvr>-FID:<digits> + CN=... (funktionscertifikat), O=... // CVR:<cvr>, C=DK
    let rest = subject.strip_prefix("SERIALNUMBER=CVR:").expect(&subject);
    let (cvr, rest) = rest.split_at(8);
    let rest = rest.strip_prefix("-FID:").expect(&subject);
    let (fid, rest) = rest.split_once(" + CN=").expect(&subject);
    assert!(!fid.is_empty() && fid.bytes().all(|b| b.is_ascii_digit()), "{subject}");
    let (cn, rest) = rest.split_once(", O=").expect(&subject);
    assert!(cn.ends_with(" (funktionscertifikat)"), "{subject}");
    let org = rest.strip_suffix(", C=DK").expect(&subject);
    assert!(org.ends_with(&format!(" // CVR:{cvr}")), "{subject}");

    assert_eq!(cvr, SAMPLE_CLIENT_CVR);
    Cvr::parse(cvr).expect("the CVR passes modulus 11");
    assert!(!["14720006", "43405810"].contains(&cvr), "not UDK's or ATP's");
    let kommuner = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/world/kommuner.csv")).unwrap();
    assert!(!kommuner.contains(cvr), "not a municipality's CVR");
}

#[test]
fn the_signing_certificates_carry_the_platform_aliases() {
    let keys = shared_test_keys();
    assert!(keys.sts.subject().starts_with(&format!("CN={STS_ALIAS},")));
    assert_eq!(keys.sts.info().dns_names, [STS_ALIAS]);
    assert!(keys.service.subject().starts_with("CN=SP_EXTTEST_Signing_1,"));
    for alias in SERVICE_ALIASES {
        assert!(keys.service.info().dns_names.iter().any(|d| d == alias), "{alias}");
    }
    for (role, id) in keys.identities() {
        assert_eq!(id.key.public_key().bits(), 2048, "{role} is RSA 2048");
        assert_eq!(id.info().issuer, keys.ca.subject(), "{role} is issued by the CA");
    }
    let b64 = keys.sts.cert_base64();
    assert!(!b64.contains('\n') && b64.len() > 1000);
}

/// The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo (its privateKey OCTET STRING).
fn pkcs1_of(pkcs8: &[u8]) -> Vec<u8> {
    use x509_cert::der::asn1::{Any, OctetStringRef};
    use x509_cert::der::{Decode, Reader, SliceReader};
    let mut reader = SliceReader::new(pkcs8).unwrap();
    reader
        .sequence(|seq| {
            let _version = u8::decode(seq)?;
            let _algorithm = Any::decode(seq)?;
            Ok(OctetStringRef::decode(seq)?.as_bytes().to_vec())
        })
        .unwrap()
}

#[test]
fn pem_overrides_accept_pkcs8_and_pkcs1_keys_and_refuse_a_foreign_key() {
    let keys = shared_test_keys();
    let dir = TempDir::new("override");
    std::fs::create_dir_all(dir.path()).unwrap();
    let cert = dir.join("sts.pem");
    let pkcs8 = dir.join("sts-key.pem");
    let pkcs1 = dir.join("sts-key-pkcs1.pem");
    std::fs::write(&cert, &keys.sts.cert_pem).unwrap();
    std::fs::write(&pkcs8, &keys.sts.key_pem).unwrap();
    std::fs::write(
        &pkcs1,
        keys::pem("RSA PRIVATE KEY", &pkcs1_of(keys.sts.key.pkcs8_der())),
    )
    .unwrap();
    let from8 = Identity::from_pem_files(&cert, &pkcs8).expect("PKCS#8");
    let from1 = Identity::from_pem_files(&cert, &pkcs1).expect("PKCS#1");
    assert_eq!(from8.sha256_thumbprint(), keys.sts.sha256_thumbprint());
    assert_eq!(from1.key_pem, keys.sts.key_pem, "kept as PKCS#8");
    assert!(
        std::fs::read_to_string(&pkcs1)
            .unwrap()
            .contains("BEGIN RSA PRIVATE KEY")
    );

    let foreign = dir.join("service-key.pem");
    std::fs::write(&foreign, &keys.service.key_pem).unwrap();
    let err = Identity::from_pem_files(&cert, &foreign).unwrap_err();
    assert!(matches!(err, KeyError::Mismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("service-key.pem"), "{err}");

    let err = Identity::from_pem_files(&dir.join("missing.pem"), &pkcs8).unwrap_err();
    assert!(err.to_string().contains("missing.pem"), "{err}");
}

#[test]
fn parse_certificate_refuses_garbage_and_keys_that_are_not_rsa() {
    assert!(matches!(
        parse_certificate(b"garbage"),
        Err(KeyError::Certificate { .. })
    ));
    let ec = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["ec.test".to_owned()])
        .unwrap()
        .self_signed(&ec)
        .unwrap();
    assert!(matches!(parse_certificate(cert.der()), Err(KeyError::NotRsa { .. })));
    let info = parse_certificate(&shared_test_keys().tls.cert_der).expect("an RSA certificate");
    assert!(info.not_before < info.not_after);
    assert_eq!(info.thumbprint_sha256, shared_test_keys().tls.sha256_thumbprint());
    assert_eq!(&info.public_key, shared_test_keys().tls.public_key());
    assert_eq!(keys::thumbprint(&shared_test_keys().tls.cert_der).len(), 64);
}
