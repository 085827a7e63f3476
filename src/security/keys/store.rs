//! The state directory: key material created once and loaded on every later start, written so
//! that neither a crash nor two sfstubs starting together leave a half set, and never
//! overwriting a file that is there.
//!
//! Creation: take `.sfstub-keys.lock` (create-new), generate everything, write the ten files
//! into `.staging-<uuid>/` (synced), mark it `COMPLETE`, then rename the files into place. A
//! crash during the renames leaves the lock and a complete staging directory; the next start
//! finds the lock stale and finishes the renames.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::{Identity, KeyError, KeyMaterial, ROLES};

const LOCK: &str = ".sfstub-keys.lock";
const STAGING_PREFIX: &str = ".staging-";
const COMPLETE: &str = "COMPLETE";
/// A lock older than this is left over from a crash.
const STALE_LOCK: Duration = Duration::from_secs(120);
/// How long to wait for another sfstub creating keys.
const LOCK_WAIT: Duration = Duration::from_secs(150);

/// `dirs::data_dir()/sfstub` (on Linux `~/.local/share/sfstub`), or `./.sfstub` when there is
/// no data directory.
pub fn default_state_dir() -> PathBuf {
    match dirs::data_dir() {
        Some(d) => d.join("sfstub"),
        None => PathBuf::from(".sfstub"),
    }
}

fn io(file: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        file: file.to_owned(),
        source,
    }
}

impl KeyMaterial {
    /// Loads the key set in `dir`, or creates it (and `dir`, mode 0700) when none of its files
    /// exist. Returns the material and whether it was created now. Each key is checked against
    /// its certificate; a damaged, mismatched or partial set is an error naming the file, never
    /// replaced.
    pub fn load_or_create(dir: &Path) -> Result<(KeyMaterial, bool), KeyError> {
        let lock = dir.join(LOCK);
        if missing_files(dir).is_empty() && !lock.exists() {
            return Ok((KeyMaterial::load(dir)?, false));
        }
        create_private_dir(dir)?;
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    let _guard = RemoveOnDrop(lock.clone());
                    finish_interrupted(dir)?;
                    let missing = missing_files(dir);
                    if missing.is_empty() {
                        return Ok((KeyMaterial::load(dir)?, false));
                    }
                    if missing.len() < ROLES.len() * 2 {
                        return Err(KeyError::Incomplete {
                            dir: dir.to_owned(),
                            missing,
                        });
                    }
                    let keys = KeyMaterial::generate(&[])?;
                    install(dir, &keys)?;
                    return Ok((keys, true));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = fs::metadata(&lock)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok());
                    if age.is_some_and(|a| a > STALE_LOCK) {
                        tracing::warn!("removing the stale lock {}", lock.display());
                        let _ = fs::remove_file(&lock);
                        continue;
                    }
                    if Instant::now() > deadline {
                        return Err(KeyError::Locked { file: lock });
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(io(&lock)(e)),
            }
        }
    }

    /// Loads the ten files of a key set from `dir`, checking each key against its certificate.
    pub fn load(dir: &Path) -> Result<KeyMaterial, KeyError> {
        let load = |i: usize| {
            let (_, cert, key) = ROLES[i];
            Identity::from_pem_files(&dir.join(cert), &dir.join(key))
        };
        Ok(KeyMaterial {
            ca: load(0)?,
            sts: load(1)?,
            service: load(2)?,
            tls: load(3)?,
            client: load(4)?,
        })
    }

    /// Writes what a client needs into `dir` (created if missing): `ca.pem`, `sts.pem`,
    /// `service.pem`, `client.pem`, `client-key.pem` (mode 0600) and `README.txt`. Never the
    /// CA's, the STS's, the service's or the TLS server's private key. Returns the files
    /// written.
    pub fn export(&self, dir: &Path) -> Result<Vec<PathBuf>, KeyError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let files: [(&str, &str, bool); 6] = [
            ("ca.pem", &self.ca.cert_pem, false),
            ("sts.pem", &self.sts.cert_pem, false),
            ("service.pem", &self.service.cert_pem, false),
            ("client.pem", &self.client.cert_pem, false),
            ("client-key.pem", &self.client.key_pem, true),
            ("README.txt", &self.export_readme(), false),
        ];
        let mut written = Vec::new();
        for (name, text, private) in files {
            let path = dir.join(name);
            write_replacing(&path, text.as_bytes(), private)?;
            written.push(path);
        }
        Ok(written)
    }

    fn export_readme(&self) -> String {
        let line = |file: &str, id: &Identity, what: &str| {
            format!(
                "{file:<16} {what}\n                 subject {}\n                 SHA-256 {}\n",
                id.subject(),
                super::thumbprint(&id.cert_der)
            )
        };
        let mut s = String::from(
            "Certificates of a local sfstub (a stand-in for KOMBIT's Serviceplatformen). Test material only:\n\
             nothing here is trusted anywhere else, and the client key is not secret.\n\n",
        );
        s.push_str(&line(
            "ca.pem",
            &self.ca,
            "sfstub's local CA. Trust it for HTTPS (curl --cacert, a Java truststore, the Windows\n                 \
             trusted root store); it issued every certificate below.",
        ));
        s.push_str(&line(
            "sts.pem",
            &self.sts,
            "The STS signing certificate: verifies the STS's responses and the SAML assertions it issues\n                 \
             (configure it where you pin KOMBIT's ADG_EXTTEST_Adgangsstyring certificate).",
        ));
        s.push_str(&line(
            "service.pem",
            &self.service,
            "The service signing certificate: verifies signed service responses in the token model\n                 \
             (where you pin SP_EXTTEST_Signing_1, ORG_EXTTEST_Organisation_1, ...).",
        ));
        s.push_str(&line(
            "client.pem",
            &self.client,
            "A sample FOCES-like function certificate for your user system: sign STS requests and\n                 \
             service calls with it, or present it as a TLS client certificate.",
        ));
        s.push_str("client-key.pem   The private key of client.pem (PKCS#8, unencrypted).\n\n");
        s.push_str(
            "A PKCS#12 file (.p12/.pfx) of the client, for Java, .NET and Windows:\n  \
             openssl pkcs12 -export -in client.pem -inkey client-key.pem -out client.p12 -passout pass:sfstub\n",
        );
        s
    }
}

/// The files of a key set not present in `dir`.
fn missing_files(dir: &Path) -> Vec<String> {
    ROLES
        .iter()
        .flat_map(|(_, cert, key)| [*cert, *key])
        .filter(|f| !dir.join(f).exists())
        .map(str::to_owned)
        .collect()
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io(dir))
}

/// Writes `bytes` to a new file at `path` (mode 0600 if `private`, on unix) and syncs it.
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), KeyError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, if private { 0o600 } else { 0o644 });
    #[cfg(not(unix))]
    let _ = private;
    let mut f = options.open(path).map_err(io(path))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io(path))
}

/// Writes `path` through a temporary file renamed over it.
fn write_replacing(path: &Path, bytes: &[u8], private: bool) -> Result<(), KeyError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    write_new(&tmp, bytes, private)?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(path)(e)
    })
}

/// Writes a complete key set into `dir`, where none of its files exist.
fn install(dir: &Path, keys: &KeyMaterial) -> Result<(), KeyError> {
    let staging = dir.join(format!("{STAGING_PREFIX}{}", uuid::Uuid::new_v4().simple()));
    create_private_dir(&staging)?;
    for ((_, cert, key), (_, id)) in ROLES.iter().zip(keys.identities()) {
        write_new(&staging.join(cert), id.cert_pem.as_bytes(), false)?;
        write_new(&staging.join(key), id.key_pem.as_bytes(), true)?;
    }
    write_new(&staging.join(COMPLETE), b"", false)?;
    move_into_place(&staging, dir)
}

/// Renames the key files of a complete staging directory into `dir` (those not there yet)
/// and removes it.
fn move_into_place(staging: &Path, dir: &Path) -> Result<(), KeyError> {
    for (_, cert, key) in ROLES {
        for f in [cert, key] {
            let target = dir.join(f);
            if !target.exists() {
                fs::rename(staging.join(f), &target).map_err(io(&target))?;
            }
        }
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    fs::remove_dir_all(staging).map_err(io(staging))
}

/// After a crash: completes the installation of a complete staging directory, removes
/// incomplete ones. Only called while holding the lock.
fn finish_interrupted(dir: &Path) -> Result<(), KeyError> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(STAGING_PREFIX) {
            continue;
        }
        let staging = entry.path();
        if staging.join(COMPLETE).exists() {
            tracing::warn!("completing an interrupted key creation from {}", staging.display());
            move_into_place(&staging, dir)?;
        } else {
            fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
    }
    Ok(())
}

/// Where `serve` got its keys, for the one line it prints.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Loaded from this state directory.
    Loaded(PathBuf),
    /// Created now in this state directory.
    Created(PathBuf),
    /// The default state directory was unusable; keys live in memory for this run only.
    Ephemeral { dir: PathBuf, reason: String },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Loaded(d) => write!(f, "keys and certificates: {}", d.display()),
            KeySource::Created(d) => write!(
                f,
                "keys and certificates: {} (created; `sfstub certs export DIR` writes what clients need)",
                d.display()
            ),
            KeySource::Ephemeral { dir, reason } => write!(
                f,
                "keys and certificates: in memory for this run only, {} is unusable ({reason}); give --state-dir \
                 or SFSTUB_STATE_DIR a writable directory to keep them",
                dir.display()
            ),
        }
    }
}

/// The key material for `serve`: from `state_dir` if given (an error if unusable), else from
/// [`default_state_dir`], falling back to in-memory keys if that cannot be created (a
/// container without a home directory).
pub fn load_for_serve(state_dir: Option<&Path>) -> Result<(KeyMaterial, KeySource), KeyError> {
    match state_dir {
        Some(dir) => {
            let (keys, created) = KeyMaterial::load_or_create(dir)?;
            let src = if created { KeySource::Created } else { KeySource::Loaded };
            Ok((keys, src(dir.to_owned())))
        }
        None => {
            let dir = default_state_dir();
            match KeyMaterial::load_or_create(&dir) {
                Ok((keys, true)) => Ok((keys, KeySource::Created(dir))),
                Ok((keys, false)) => Ok((keys, KeySource::Loaded(dir))),
                Err(KeyError::Io { file, source }) if !dir.exists() || !writable(&dir) => {
                    let keys = KeyMaterial::generate(&[])?;
                    let reason = if file == dir {
                        source.to_string()
                    } else {
                        format!("{}: {source}", file.display())
                    };
                    Ok((keys, KeySource::Ephemeral { dir, reason }))
                }
                Err(e) => Err(e),
            }
        }
    }
}

fn writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".probe-{}", uuid::Uuid::new_v4().simple()));
    let ok = fs::File::create(&probe).is_ok();
    let _ = fs::remove_file(&probe);
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(label: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "sfstub-store-{label}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ))
    }

    fn stale_lock(dir: &Path) {
        let lock = fs::File::create(dir.join(LOCK)).unwrap();
        lock.set_modified(SystemTime::now() - Duration::from_secs(600)).unwrap();
    }

    #[test]
    fn a_creation_interrupted_during_the_renames_is_completed_on_the_next_start() {
        let original = temp_dir("orig");
        let (keys, _) = KeyMaterial::load_or_create(&original).unwrap();
        let dir = temp_dir("crashed");
        let staging = dir.join(format!("{STAGING_PREFIX}crashed"));
        fs::create_dir_all(&staging).unwrap();
        for (i, (_, cert, key)) in ROLES.iter().enumerate() {
            let into = if i < 2 { &dir } else { &staging };
            fs::copy(original.join(cert), into.join(cert)).unwrap();
            fs::copy(original.join(key), into.join(key)).unwrap();
        }
        fs::write(staging.join(COMPLETE), b"").unwrap();
        stale_lock(&dir);

        let (loaded, created) = KeyMaterial::load_or_create(&dir).unwrap();
        assert!(!created);
        assert_eq!(loaded.client.cert_der, keys.client.cert_der);
        assert_eq!(loaded.ca.cert_der, keys.ca.cert_der);
        assert!(!staging.exists() && !dir.join(LOCK).exists());
        let _ = fs::remove_dir_all(&original);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_incomplete_staging_directory_is_discarded_and_a_fresh_set_created() {
        let dir = temp_dir("half");
        let staging = dir.join(format!("{STAGING_PREFIX}half"));
        fs::create_dir_all(&staging).unwrap();
        fs::write(staging.join("ca.pem"), b"half written").unwrap();
        stale_lock(&dir);
        let (_, created) = KeyMaterial::load_or_create(&dir).unwrap();
        assert!(created);
        assert!(!staging.exists());
        KeyMaterial::load(&dir).unwrap();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unusable_default_is_reported_as_in_memory_keys() {
        let source = KeySource::Ephemeral {
            dir: PathBuf::from("/nonexistent/sfstub"),
            reason: "Permission denied".into(),
        };
        let line = source.to_string();
        assert!(line.contains("in memory") && line.contains("/nonexistent/sfstub") && line.contains("--state-dir"));
    }
}
