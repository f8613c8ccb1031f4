//! Raw signature checks: RSA PKCS#1 v1.5 (SHA-1/256/384/512) and ECDSA P-256, over a message
//! or a digest, and the digests themselves.

use const_oid::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use sha2::Digest as _;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use crate::oids;

/// Hash algorithms a signature may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-1 (accepted only for certificates of old roots).
    Sha1,
    /// SHA-256
    Sha256,
    /// SHA-384
    Sha384,
    /// SHA-512
    Sha512,
}

impl Hash {
    /// The hash named by a digest-algorithm OID.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        Some(match *oid {
            oids::SHA1 => Hash::Sha1,
            oids::SHA256 => Hash::Sha256,
            oids::SHA384 => Hash::Sha384,
            oids::SHA512 => Hash::Sha512,
            _ => return None,
        })
    }

    /// The hash a signature-algorithm OID implies (`None` for bare key OIDs).
    pub fn of_signature(oid: &ObjectIdentifier) -> Option<Self> {
        Some(match *oid {
            oids::SHA1_RSA => Hash::Sha1,
            oids::SHA256_RSA | oids::ECDSA_SHA256 => Hash::Sha256,
            oids::SHA384_RSA | oids::ECDSA_SHA384 => Hash::Sha384,
            oids::SHA512_RSA | oids::ECDSA_SHA512 => Hash::Sha512,
            _ => return None,
        })
    }

    /// Digest of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut h = D::new();
            for p in parts {
                h.update(p);
            }
            h.finalize().to_vec()
        }
        match self {
            Hash::Sha1 => run::<sha1::Sha1>(parts),
            Hash::Sha256 => run::<sha2::Sha256>(parts),
            Hash::Sha384 => run::<sha2::Sha384>(parts),
            Hash::Sha512 => run::<sha2::Sha512>(parts),
        }
    }
}

/// Outcome of a raw signature check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The signature is correct.
    Good,
    /// It is not.
    Bad,
    /// The key or algorithm is not supported.
    Unsupported,
}

/// Checks `signature` over a `digest` made with `hash`, under `key`.
pub fn verify_digest(
    key: &SubjectPublicKeyInfoOwned,
    hash: Hash,
    digest: &[u8],
    signature: &[u8],
) -> Check {
    let bits = key.subject_public_key.raw_bytes();
    if key.algorithm.oid == oids::RSA {
        use rsa::pkcs1::DecodeRsaPublicKey as _;
        let Ok(pk) = rsa::RsaPublicKey::from_pkcs1_der(bits) else {
            return Check::Bad;
        };
        let scheme = match hash {
            Hash::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
            Hash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
            Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
        };
        return if pk.verify(scheme, digest, signature).is_ok() {
            Check::Good
        } else {
            Check::Bad
        };
    }
    if key.algorithm.oid == oids::EC_PUBLIC_KEY {
        let curve = key
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        if curve != Some(oids::P256) {
            return Check::Unsupported;
        }
        let (Ok(vk), Ok(sig)) = (
            p256::ecdsa::VerifyingKey::from_sec1_bytes(bits),
            p256::ecdsa::Signature::from_der(signature),
        ) else {
            return Check::Bad;
        };
        return if vk.verify_prehash(digest, &sig).is_ok() {
            Check::Good
        } else {
            Check::Bad
        };
    }
    Check::Unsupported
}

/// Checks that `issuer`'s key signed `cert`.
pub fn issued_by(cert: &Certificate, issuer: &Certificate) -> Check {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return Check::Bad;
    }
    let Some(hash) = Hash::of_signature(&cert.signature_algorithm.oid) else {
        return Check::Unsupported;
    };
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return Check::Bad;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return Check::Bad;
    };
    verify_digest(
        &issuer.tbs_certificate.subject_public_key_info,
        hash,
        &hash.digest(&[&tbs]),
        sig,
    )
}

/// Parses a certificate from DER or PEM.
pub fn parse_certificate(bytes: &[u8]) -> Option<Certificate> {
    Certificate::from_der(bytes).ok().or_else(|| {
        let (label, der) = der::pem::decode_vec(bytes).ok()?;
        (label == "CERTIFICATE").then_some(())?;
        Certificate::from_der(&der).ok()
    })
}

/// SHA-256 of `b`, hex.
pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}
