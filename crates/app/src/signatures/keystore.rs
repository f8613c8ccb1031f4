//! Keys in memory and at rest: software keys are stored as encrypted PKCS#8 under a
//! passphrase kept outside the database (`pki-passphrase` in the data directory, created on
//! first use with mode 0600, or given by the operator), and decrypted once per process.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex, RwLock},
};

use lienthong_sign::{
    keys::{KeySigner, SoftwareKey},
    pkcs11::Token,
};
use lienthong_store::pki::CertRow;
use x509_cert::Certificate;

use crate::AppError;

/// The platform's key store and signing settings.
pub struct Pki {
    passphrase_file: PathBuf,
    passphrase: Mutex<Option<Vec<u8>>>,
    keys: Mutex<HashMap<String, Arc<dyn KeySigner>>>,
    token: RwLock<Option<(String, Arc<Token>)>>,
    anchors: RwLock<Vec<Certificate>>,
    organization: RwLock<String>,
    public_url: RwLock<Option<String>>,
    tsa: RwLock<Option<String>>,
    /// Serialises certificate issuance (one root, one seal per agency).
    pub(crate) issuing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("passphrase_file", &self.passphrase_file)
            .finish_non_exhaustive()
    }
}

fn poisoned() -> AppError {
    AppError::Internal("key store lock poisoned".into())
}

impl Pki {
    /// A key store whose passphrase lives in `passphrase_file`.
    pub fn new(passphrase_file: PathBuf) -> Self {
        Self {
            passphrase_file,
            passphrase: Mutex::new(None),
            keys: Mutex::new(HashMap::new()),
            token: RwLock::new(None),
            anchors: RwLock::new(Vec::new()),
            organization: RwLock::new("lienthong".into()),
            public_url: RwLock::new(None),
            tsa: RwLock::new(None),
            issuing: tokio::sync::Mutex::new(()),
        }
    }

    /// Uses `passphrase` instead of the file (e.g. from a secret manager).
    pub fn set_passphrase(&self, passphrase: &str) -> Result<(), AppError> {
        *self.passphrase.lock().map_err(|_| poisoned())? = Some(passphrase.as_bytes().to_vec());
        Ok(())
    }

    /// Adds trust anchors (e.g. the roots in the configured trust directory).
    pub fn add_anchors(&self, certs: Vec<Certificate>) -> Result<(), AppError> {
        self.anchors.write().map_err(|_| poisoned())?.extend(certs);
        Ok(())
    }

    /// The configured extra anchors.
    pub fn extra_anchors(&self) -> Vec<Certificate> {
        self.anchors.read().map(|a| a.clone()).unwrap_or_default()
    }

    /// Names the organisation in the internal CA's certificates (the province).
    pub fn set_organization(&self, name: &str) -> Result<(), AppError> {
        *self.organization.write().map_err(|_| poisoned())? = name.to_owned();
        Ok(())
    }

    /// The organisation named in certificates.
    pub fn organization(&self) -> String {
        self.organization
            .read()
            .map(|o| o.clone())
            .unwrap_or_default()
    }

    /// Timestamps every signature (PAdES B-T) with the authority at `url` (`http://…`), or
    /// with the platform's own authority when `url` is `internal`.
    pub fn set_timestamp_authority(&self, url: &str) -> Result<(), AppError> {
        *self.tsa.write().map_err(|_| poisoned())? =
            Some(url.trim().to_owned()).filter(|u| !u.is_empty());
        Ok(())
    }

    /// The configured timestamp authority.
    pub fn timestamp_authority(&self) -> Option<String> {
        self.tsa.read().ok()?.clone()
    }

    /// Sets the public address printed (as a QR code) on signed results for verification.
    pub fn set_public_url(&self, url: &str) -> Result<(), AppError> {
        *self.public_url.write().map_err(|_| poisoned())? =
            Some(url.trim_end_matches('/').to_owned());
        Ok(())
    }

    /// The verification address of issued document `id`, when a public address is set.
    pub fn verification_url(&self, id: &str) -> Option<String> {
        let base = self.public_url.read().ok()?.clone()?;
        Some(format!("{base}/verify?document={id}"))
    }

    fn passphrase(&self) -> Result<Vec<u8>, AppError> {
        let mut slot = self.passphrase.lock().map_err(|_| poisoned())?;
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        let p = match std::fs::read_to_string(&self.passphrase_file) {
            Ok(s) => s.trim().as_bytes().to_vec(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let fresh = crate::secrets::random_token()?;
                if let Some(dir) = self.passphrase_file.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| AppError::Internal(format!("key store: {e}")))?;
                }
                write_private(&self.passphrase_file, &fresh)?;
                fresh.into_bytes()
            }
            Err(e) => return Err(AppError::Internal(format!("key store passphrase: {e}"))),
        };
        *slot = Some(p.clone());
        Ok(p)
    }

    /// Encrypts `key` for storage.
    pub(crate) fn seal_key(&self, key: &SoftwareKey) -> Result<String, AppError> {
        key.to_encrypted_pem(&self.passphrase()?)
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Keeps agency seals on a PKCS#11 token (an HSM, or SoftHSM2): `module` is the
    /// library, `label` the token, `pin` the user PIN. Seals issued from now on have their
    /// key generated on the token; it never leaves it.
    pub fn use_token(&self, module: &str, label: &str, pin: &str) -> Result<(), AppError> {
        let token =
            Token::open(module, label, pin).map_err(|e| AppError::Internal(e.to_string()))?;
        *self.token.write().map_err(|_| poisoned())? = Some((label.to_owned(), token));
        Ok(())
    }

    /// The configured token, if any.
    pub(crate) fn token(&self) -> Option<(String, Arc<Token>)> {
        self.token.read().ok()?.clone()
    }

    pub(crate) fn remember(&self, id: &str, key: Arc<dyn KeySigner>) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.insert(id.to_owned(), key);
        }
    }

    /// The key of certificate `id` if it was already decrypted (or generated) here.
    pub(crate) fn known_key(&self, id: &str) -> Result<Option<Arc<dyn KeySigner>>, AppError> {
        Ok(self.keys.lock().map_err(|_| poisoned())?.get(id).cloned())
    }

    /// The key of a stored certificate, decrypted on first use.
    pub(crate) fn key(&self, row: &CertRow) -> Result<Arc<dyn KeySigner>, AppError> {
        if let Some(k) = self.known_key(&row.id)? {
            return Ok(k);
        }
        if let Some(uri) = row.key_uri.as_deref() {
            let (label, token) = self.token().ok_or_else(|| {
                AppError::Internal(format!(
                    "certificate {}: its key is on a token that is not configured",
                    row.id
                ))
            })?;
            let object = parse_uri(uri, &label).ok_or_else(|| {
                AppError::Internal(format!(
                    "certificate {}: key on another token ({uri})",
                    row.id
                ))
            })?;
            let key: Arc<dyn KeySigner> = Arc::new(
                token
                    .find_key(&object)
                    .map_err(|e| AppError::Internal(format!("certificate {}: {e}", row.id)))?,
            );
            self.remember(&row.id, key.clone());
            return Ok(key);
        }
        let pem = row.key_pem.as_deref().ok_or_else(|| {
            AppError::Internal(format!("certificate {} has no software key", row.id))
        })?;
        let key: Arc<dyn KeySigner> = Arc::new(
            SoftwareKey::from_encrypted_pem(pem, &self.passphrase()?)
                .map_err(|e| AppError::Internal(format!("certificate {}: {e}", row.id)))?,
        );
        self.remember(&row.id, key.clone());
        Ok(key)
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> Result<(), AppError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| AppError::Internal(format!("key store passphrase: {e}")))?;
    f.write_all(text.as_bytes())
        .map_err(|e| AppError::Internal(format!("key store passphrase: {e}")))
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> Result<(), AppError> {
    std::fs::write(path, text).map_err(|e| AppError::Internal(format!("key store passphrase: {e}")))
}

/// `pkcs11:token=<label>;object=<object>` (RFC 7512, the two attributes we write).
pub(crate) fn key_uri(label: &str, object: &str) -> String {
    format!("pkcs11:token={label};object={object}")
}

/// The object label of `uri` when it names token `label`.
fn parse_uri(uri: &str, label: &str) -> Option<String> {
    let rest = uri.strip_prefix("pkcs11:")?;
    let mut token = None;
    let mut object = None;
    for part in rest.split(';') {
        match part.split_once('=') {
            Some(("token", v)) => token = Some(v),
            Some(("object", v)) => object = Some(v.to_owned()),
            _ => {}
        }
    }
    (token == Some(label)).then_some(object).flatten()
}
