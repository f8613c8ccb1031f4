//! Building detached CMS `SignedData` (RFC 5652) in the CAdES/PAdES baseline profile:
//! content-type, message-digest and ESS signing-certificate-v2 as signed attributes; a
//! signing-time attribute only outside PDFs (PAdES forbids it there).

use cms::{
    cert::{CertificateChoices, IssuerAndSerialNumber},
    content_info::{CmsVersion, ContentInfo},
    signed_data::{
        CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo,
        SignerInfos,
    },
};
use der::{
    Any, Decode as _, Encode as _, Sequence,
    asn1::{OctetString, SetOfVec},
};
use sha2::{Digest as _, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::{Certificate, attr::Attribute, time::Time};

use crate::{SignError, keys::KeySigner, oids};

/// ESSCertIDv2 with the default hash algorithm (SHA-256) left out, as DER requires.
#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// SigningCertificateV2 without policies.
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

fn cms_err(e: impl std::fmt::Display) -> SignError {
    SignError::MalformedCms(e.to_string())
}

fn attribute(oid: const_oid::ObjectIdentifier, value: Any) -> Result<Attribute, SignError> {
    let mut values = SetOfVec::new();
    values.insert(value).map_err(cms_err)?;
    Ok(Attribute { oid, values })
}

/// Turns a signature value into an RFC 3161 timestamp token (DER).
pub type Timestamper<'a> = &'a dyn Fn(&[u8]) -> Result<Vec<u8>, SignError>;

/// How the signature is to be made.
pub struct SignRequest<'a> {
    /// The signer's key.
    pub key: &'a dyn KeySigner,
    /// The signer's certificate.
    pub certificate: &'a Certificate,
    /// Further certificates to embed (issuing CAs).
    pub chain: &'a [Certificate],
    /// `Some(time)`: add a signing-time attribute (plain CMS); `None` for PAdES.
    pub signing_time: Option<std::time::SystemTime>,
}

/// A `SignedData` over content whose SHA-256 is `digest`, without the content, DER-encoded.
/// `timestamp` is called with the signature value and may return an RFC 3161 token to add.
pub fn sign_digest(
    req: &SignRequest<'_>,
    digest: &[u8; 32],
    timestamp: Option<Timestamper<'_>>,
) -> Result<Vec<u8>, SignError> {
    signed_data(req, oids::DATA, None, digest, timestamp)
}

/// `SignedData` of content type `econtent_type` whose SHA-256 is `digest`, carrying the
/// content itself when `econtent` is given (timestamp tokens carry their TSTInfo).
pub(crate) fn signed_data(
    req: &SignRequest<'_>,
    econtent_type: const_oid::ObjectIdentifier,
    econtent: Option<&[u8]>,
    digest: &[u8; 32],
    timestamp: Option<Timestamper<'_>>,
) -> Result<Vec<u8>, SignError> {
    let cert_der = req.certificate.to_der().map_err(cms_err)?;
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(Sha256::digest(&cert_der).to_vec()).map_err(cms_err)?,
        }],
    };
    let mut attrs = SetOfVec::new();
    attrs
        .insert(attribute(
            oids::CONTENT_TYPE,
            Any::encode_from(&econtent_type).map_err(cms_err)?,
        )?)
        .map_err(cms_err)?;
    attrs
        .insert(attribute(
            oids::MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec()).map_err(cms_err)?)
                .map_err(cms_err)?,
        )?)
        .map_err(cms_err)?;
    attrs
        .insert(attribute(
            oids::SIGNING_CERTIFICATE_V2,
            Any::encode_from(&ess).map_err(cms_err)?,
        )?)
        .map_err(cms_err)?;
    if let Some(t) = req.signing_time {
        let since = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| SignError::Unsupported("signing time before 1970".into()))?;
        let time: Time = crate::ca::x509_time(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(since.as_secs()),
        )?;
        attrs
            .insert(attribute(
                oids::SIGNING_TIME,
                Any::encode_from(&time).map_err(cms_err)?,
            )?)
            .map_err(cms_err)?;
    }
    let to_sign = attrs.to_der().map_err(cms_err)?;
    let signature = req.key.sign_sha256(&Sha256::digest(&to_sign).into())?;

    let unsigned_attrs = match timestamp {
        Some(ts) => {
            let token = ts(&signature)?;
            let mut u = SetOfVec::new();
            u.insert(attribute(
                oids::TIMESTAMP_TOKEN,
                Any::from_der(&token).map_err(cms_err)?,
            )?)
            .map_err(cms_err)?;
            Some(u)
        }
        None => None,
    };

    let sha256 = AlgorithmIdentifierOwned {
        oid: oids::SHA256,
        parameters: None,
    };
    let tbs = &req.certificate.tbs_certificate;
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: req.key.kind().signature_algorithm(),
        signature: OctetString::new(signature).map_err(cms_err)?,
        unsigned_attrs,
    };
    let mut certs = SetOfVec::new();
    for c in std::iter::once(req.certificate).chain(req.chain.iter()) {
        certs
            .insert(CertificateChoices::Certificate(c.clone()))
            .map_err(cms_err)?;
    }
    let mut digests = SetOfVec::new();
    digests.insert(sha256).map_err(cms_err)?;
    let mut signers = SetOfVec::new();
    signers.insert(signer).map_err(cms_err)?;
    let sd = SignedData {
        // v3 when the content is not id-data (RFC 5652 §5.1).
        version: if econtent_type == oids::DATA {
            CmsVersion::V1
        } else {
            CmsVersion::V3
        },
        digest_algorithms: digests,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type,
            econtent: econtent
                .map(|c| {
                    OctetString::new(c.to_vec())
                        .map_err(cms_err)
                        .and_then(|o| Any::encode_from(&o).map_err(cms_err))
                })
                .transpose()?,
        },
        certificates: Some(CertificateSet(certs)),
        crls: None,
        signer_infos: SignerInfos(signers),
    };
    ContentInfo {
        content_type: oids::SIGNED_DATA,
        content: Any::encode_from(&sd).map_err(cms_err)?,
    }
    .to_der()
    .map_err(cms_err)
}

/// A detached CMS signature over `data` (with a signing-time attribute), as `.p7s` DER.
pub fn sign_detached(
    key: &dyn KeySigner,
    certificate: &Certificate,
    chain: &[Certificate],
    data: &[u8],
    now: std::time::SystemTime,
) -> Result<Vec<u8>, SignError> {
    let digest: [u8; 32] = Sha256::digest(data).into();
    sign_digest(
        &SignRequest {
            key,
            certificate,
            chain,
            signing_time: Some(now),
        },
        &digest,
        None,
    )
}
