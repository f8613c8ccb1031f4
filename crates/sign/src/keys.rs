//! Signing keys: software keys (ECDSA P-256 or RSA, stored as encrypted PKCS#8) and the trait
//! every key source — software or PKCS#11 token — implements.

use der::{Decode as _, Encode as _, asn1::AnyRef};
use p256::ecdsa::signature::hazmat::PrehashSigner as _;
use pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::{SignError, oids};

/// The kind of a key, which fixes the CMS signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on P-256, signatures `ecdsa-with-SHA256`.
    EcdsaP256,
    /// RSA, signatures `sha256WithRSAEncryption` (PKCS#1 v1.5).
    Rsa,
}

impl KeyKind {
    /// The signature algorithm identifier this key produces with SHA-256.
    pub fn signature_algorithm(self) -> AlgorithmIdentifierOwned {
        match self {
            KeyKind::EcdsaP256 => AlgorithmIdentifierOwned {
                oid: oids::ECDSA_SHA256,
                parameters: None,
            },
            KeyKind::Rsa => AlgorithmIdentifierOwned {
                oid: oids::SHA256_RSA,
                parameters: Some(AnyRef::NULL.into()),
            },
        }
    }
}

/// Something that signs SHA-256 digests: a software key or a key on a token.
pub trait KeySigner: Send + Sync {
    /// The key's kind.
    fn kind(&self) -> KeyKind;
    /// The public key.
    fn public_key(&self) -> Result<SubjectPublicKeyInfoOwned, SignError>;
    /// Signs a SHA-256 digest; ECDSA signatures are DER, RSA ones PKCS#1 v1.5.
    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError>;
}

/// A key held in memory.
pub enum SoftwareKey {
    /// ECDSA P-256.
    Ec(p256::ecdsa::SigningKey),
    /// RSA.
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl std::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SoftwareKey({:?})", self.kind())
    }
}

fn key_err(e: impl std::fmt::Display) -> SignError {
    SignError::Key(e.to_string())
}

impl SoftwareKey {
    /// A fresh P-256 key.
    pub fn generate_ec() -> Self {
        SoftwareKey::Ec(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    /// A fresh RSA key of `bits` bits.
    pub fn generate_rsa(bits: usize) -> Result<Self, SignError> {
        rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
            .map(|k| SoftwareKey::Rsa(Box::new(k)))
            .map_err(key_err)
    }

    /// PKCS#8 DER of the private key (unencrypted: keep it in memory only).
    fn pkcs8_der(&self) -> Result<pkcs8::SecretDocument, SignError> {
        match self {
            SoftwareKey::Ec(k) => k.to_pkcs8_der(),
            SoftwareKey::Rsa(k) => k.to_pkcs8_der(),
        }
        .map_err(key_err)
    }

    /// The key as an encrypted PKCS#8 PEM (PBES2: scrypt and AES-256-CBC).
    pub fn to_encrypted_pem(&self, passphrase: &[u8]) -> Result<String, SignError> {
        let doc = self.pkcs8_der()?;
        let info = pkcs8::PrivateKeyInfo::try_from(doc.as_bytes()).map_err(key_err)?;
        let enc = info
            .encrypt(rand_core::OsRng, passphrase)
            .map_err(key_err)?;
        enc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .map(|z| z.to_string())
            .map_err(key_err)
    }

    /// Reads an encrypted PKCS#8 PEM.
    pub fn from_encrypted_pem(pem: &str, passphrase: &[u8]) -> Result<Self, SignError> {
        let (label, doc) = pkcs8::SecretDocument::from_pem(pem).map_err(key_err)?;
        if label != "ENCRYPTED PRIVATE KEY" {
            return Err(SignError::Key(format!(
                "expected an encrypted key, found {label}"
            )));
        }
        let enc = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).map_err(key_err)?;
        let plain = enc
            .decrypt(passphrase)
            .map_err(|_| SignError::Key("wrong passphrase or damaged key".into()))?;
        Self::from_pkcs8_der(plain.as_bytes())
    }

    /// Reads an unencrypted PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SignError> {
        let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(key_err)?;
        if info.algorithm.oid == oids::EC_PUBLIC_KEY {
            p256::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(SoftwareKey::Ec)
                .map_err(key_err)
        } else if info.algorithm.oid == oids::RSA {
            rsa::RsaPrivateKey::from_pkcs8_der(der)
                .map(|k| SoftwareKey::Rsa(Box::new(k)))
                .map_err(key_err)
        } else {
            Err(SignError::Unsupported(format!(
                "key algorithm {}",
                info.algorithm.oid
            )))
        }
    }

    /// The key as an unencrypted PKCS#8 PEM, for handing to external tools in tests.
    pub fn to_pkcs8_pem(&self) -> Result<String, SignError> {
        self.pkcs8_der()?
            .to_pem("PRIVATE KEY", LineEnding::LF)
            .map(|z| z.to_string())
            .map_err(key_err)
    }
}

impl KeySigner for SoftwareKey {
    fn kind(&self) -> KeyKind {
        match self {
            SoftwareKey::Ec(_) => KeyKind::EcdsaP256,
            SoftwareKey::Rsa(_) => KeyKind::Rsa,
        }
    }

    fn public_key(&self) -> Result<SubjectPublicKeyInfoOwned, SignError> {
        let der = match self {
            SoftwareKey::Ec(k) => k.verifying_key().to_public_key_der(),
            SoftwareKey::Rsa(k) => k.to_public_key().to_public_key_der(),
        }
        .map_err(key_err)?;
        SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(key_err)
    }

    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        match self {
            SoftwareKey::Ec(k) => {
                let sig: p256::ecdsa::Signature = k.sign_prehash(digest).map_err(key_err)?;
                Ok(sig.to_der().to_bytes().to_vec())
            }
            SoftwareKey::Rsa(k) => k
                .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), digest)
                .map_err(key_err),
        }
    }
}

/// DER of a public key, for fingerprints and comparisons.
pub fn spki_der(spki: &SubjectPublicKeyInfoOwned) -> Result<Vec<u8>, SignError> {
    spki.to_der().map_err(key_err)
}
