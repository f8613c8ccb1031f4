//! A small certification authority: root, issuing CA, end-entity certificates for officials,
//! agency seals and the timestamp authority, and CRLs (RFC 5280 profile).

use std::time::SystemTime;

use const_oid::AssociatedOid;
use der::{
    Any, Encode as _,
    asn1::{
        BitString, GeneralizedTime, OctetString, PrintableStringRef, SetOfVec, UtcTime,
        Utf8StringRef,
    },
};
use sha1::{Digest as _, Sha1};
use sha2::Sha256;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::{
    Certificate, TbsCertificate, Version,
    attr::AttributeTypeAndValue,
    crl::{CertificateList, RevokedCert, TbsCertList},
    ext::{
        Extension,
        pkix::{
            AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, CrlNumber,
            ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
            crl::dp::DistributionPoint,
            name::{DistributionPointName, GeneralName},
        },
    },
    name::{Name, RdnSequence, RelativeDistinguishedName},
    serial_number::SerialNumber,
    time::{Time, Validity},
};

use crate::{SignError, keys::KeySigner, oids};

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Self-signed root.
    Root,
    /// CA issuing end-entity certificates (path length 0).
    IssuingCa,
    /// A person who signs (digital signature, non-repudiation, document signing).
    Person,
    /// An agency's electronic seal.
    Seal,
    /// The timestamp authority (critical extended key usage time stamping).
    Tsa,
}

/// A subject's distinguished name, Vietnamese text as UTF-8.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    /// CN
    pub common_name: String,
    /// O
    pub organization: Option<String>,
    /// OU
    pub unit: Option<String>,
    /// L
    pub locality: Option<String>,
    /// ST
    pub province: Option<String>,
}

fn cert_err(e: impl std::fmt::Display) -> SignError {
    SignError::Certificate(e.to_string())
}

impl Subject {
    /// The X.501 name (C=VN first, CN last).
    pub fn to_name(&self) -> Result<Name, SignError> {
        let mut rdns = Vec::new();
        let mut push = |oid, value: Any| -> Result<(), SignError> {
            let mut set = SetOfVec::new();
            set.insert(AttributeTypeAndValue { oid, value })
                .map_err(cert_err)?;
            rdns.push(RelativeDistinguishedName(set));
            Ok(())
        };
        push(
            oids::C,
            Any::encode_from(&PrintableStringRef::new("VN").map_err(cert_err)?)
                .map_err(cert_err)?,
        )?;
        for (oid, v) in [
            (oids::ST, &self.province),
            (oids::L, &self.locality),
            (oids::O, &self.organization),
            (oids::OU, &self.unit),
            (oids::CN, &Some(self.common_name.clone())),
        ] {
            if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
                push(
                    oid,
                    Any::encode_from(&Utf8StringRef::new(v).map_err(cert_err)?)
                        .map_err(cert_err)?,
                )?;
            }
        }
        Ok(RdnSequence(rdns))
    }
}

/// RFC 5280 time: UTCTime before 2050, GeneralizedTime after.
pub fn x509_time(t: SystemTime) -> Result<Time, SignError> {
    match UtcTime::from_system_time(t) {
        Ok(u) => Ok(Time::UtcTime(u)),
        Err(_) => GeneralizedTime::from_system_time(t)
            .map(Time::GeneralTime)
            .map_err(cert_err),
    }
}

fn extension<T: AssociatedOid + der::Encode>(
    value: &T,
    critical: bool,
) -> Result<Extension, SignError> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(cert_err)?).map_err(cert_err)?,
    })
}

/// Key identifier: SHA-1 of the subject public key bits (RFC 5280 §4.2.1.2 method 1).
pub fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

/// A random positive 127-bit serial number.
pub fn random_serial() -> Result<SerialNumber, SignError> {
    let mut b = [0u8; 16];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut b).map_err(cert_err)?;
    if let Some(first) = b.first_mut() {
        *first = (*first & 0x7f) | 0x01;
    }
    SerialNumber::new(&b).map_err(cert_err)
}

/// Everything a new certificate needs.
pub struct CertSpec<'a> {
    /// Purpose.
    pub profile: Profile,
    /// Subject.
    pub subject: &'a Subject,
    /// Subject's public key.
    pub public_key: SubjectPublicKeyInfoOwned,
    /// Validity.
    pub not_before: SystemTime,
    /// Validity.
    pub not_after: SystemTime,
    /// Where the issuer's CRL is published, if anywhere.
    pub crl_url: Option<&'a str>,
}

/// Issues a certificate. `issuer` is `None` for a self-signed root (then `key` is the
/// subject's own key); otherwise the issuing certificate and its key.
pub fn issue(
    spec: &CertSpec<'_>,
    issuer: Option<&Certificate>,
    key: &dyn KeySigner,
) -> Result<Certificate, SignError> {
    let subject = spec.subject.to_name()?;
    let issuer_name = issuer.map_or_else(|| subject.clone(), |c| c.tbs_certificate.subject.clone());
    let issuer_spki = match issuer {
        Some(c) => c.tbs_certificate.subject_public_key_info.clone(),
        None => key.public_key()?,
    };
    let ca = matches!(spec.profile, Profile::Root | Profile::IssuingCa);
    let mut exts = vec![
        extension(
            &BasicConstraints {
                ca,
                path_len_constraint: (spec.profile == Profile::IssuingCa).then_some(0),
            },
            true,
        )?,
        extension(
            &KeyUsage(if ca {
                KeyUsages::KeyCertSign | KeyUsages::CRLSign
            } else {
                KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
            }),
            true,
        )?,
        extension(
            &SubjectKeyIdentifier(OctetString::new(key_id(&spec.public_key)).map_err(cert_err)?),
            false,
        )?,
    ];
    if issuer.is_some() {
        exts.push(extension(
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(key_id(&issuer_spki)).map_err(cert_err)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
            false,
        )?);
    }
    match spec.profile {
        Profile::Tsa => exts.push(extension(
            &ExtendedKeyUsage(vec![oids::KP_TIME_STAMPING]),
            true,
        )?),
        Profile::Person | Profile::Seal => {
            // Document signing (RFC 9336), and e-mail protection, which NSS-based
            // validators (pdfsig) require of a CMS signer whenever the extension is present.
            exts.push(extension(
                &ExtendedKeyUsage(vec![oids::KP_DOCUMENT_SIGNING, oids::KP_EMAIL_PROTECTION]),
                false,
            )?);
        }
        Profile::Root | Profile::IssuingCa => {}
    }
    if let (Some(url), Some(_)) = (spec.crl_url, issuer) {
        let uri = der::asn1::Ia5String::new(url).map_err(cert_err)?;
        exts.push(extension(
            &CrlDistributionPoints(vec![DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![
                    GeneralName::UniformResourceIdentifier(uri),
                ])),
                reasons: None,
                crl_issuer: None,
            }]),
            false,
        )?);
    }
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: random_serial()?,
        signature: key.kind().signature_algorithm(),
        issuer: issuer_name,
        validity: Validity {
            not_before: x509_time(spec.not_before)?,
            not_after: x509_time(spec.not_after)?,
        },
        subject,
        subject_public_key_info: spec.public_key.clone(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(exts),
    };
    let signature = sign_tbs(&tbs.to_der().map_err(cert_err)?, key)?;
    Ok(Certificate {
        signature_algorithm: tbs.signature.clone(),
        tbs_certificate: tbs,
        signature,
    })
}

fn sign_tbs(tbs_der: &[u8], key: &dyn KeySigner) -> Result<BitString, SignError> {
    let digest: [u8; 32] = Sha256::digest(tbs_der).into();
    BitString::from_bytes(&key.sign_sha256(&digest)?).map_err(cert_err)
}

/// A revoked certificate for a CRL.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// Serial number, as DER content bytes.
    pub serial: Vec<u8>,
    /// When.
    pub at: SystemTime,
}

/// A CRL signed by `issuer`.
pub fn crl(
    issuer: &Certificate,
    key: &dyn KeySigner,
    revoked: &[Revoked],
    number: u64,
    this_update: SystemTime,
    next_update: SystemTime,
) -> Result<CertificateList, SignError> {
    let entries = revoked
        .iter()
        .map(|r| {
            Ok(RevokedCert {
                serial_number: SerialNumber::new(&r.serial).map_err(cert_err)?,
                revocation_date: x509_time(r.at)?,
                crl_entry_extensions: None,
            })
        })
        .collect::<Result<Vec<_>, SignError>>()?;
    let tbs = TbsCertList {
        version: Version::V2,
        signature: key.kind().signature_algorithm(),
        issuer: issuer.tbs_certificate.subject.clone(),
        this_update: x509_time(this_update)?,
        next_update: Some(x509_time(next_update)?),
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(vec![
            extension(
                &AuthorityKeyIdentifier {
                    key_identifier: Some(
                        OctetString::new(key_id(&issuer.tbs_certificate.subject_public_key_info))
                            .map_err(cert_err)?,
                    ),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
                false,
            )?,
            extension(
                &CrlNumber(der::asn1::Uint::new(&number.to_be_bytes()).map_err(cert_err)?),
                false,
            )?,
        ]),
    };
    let signature = sign_tbs(&tbs.to_der().map_err(cert_err)?, key)?;
    Ok(CertificateList {
        signature_algorithm: tbs.signature.clone(),
        tbs_cert_list: tbs,
        signature,
    })
}
