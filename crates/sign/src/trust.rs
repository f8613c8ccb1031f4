//! Trust anchors, CRLs and certification-path validation at a given time.

use std::time::SystemTime;

use der::{Decode as _, Encode as _};
use x509_cert::{Certificate, crl::CertificateList};

use crate::crypto::{Check, Hash, issued_by, verify_digest};

/// Longest certification path accepted.
const MAX_PATH: usize = 8;

/// Roots the platform trusts, with the CRLs it knows.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    /// Trusted roots (and any certificate explicitly trusted).
    pub anchors: Vec<Certificate>,
    /// Intermediate certificates known beforehand (used to build paths, not trusted as such).
    pub intermediates: Vec<Certificate>,
    /// CRLs known beforehand.
    pub crls: Vec<CertificateList>,
    /// Fetch the CRL named by a certificate's distribution point (`http://`, 5 s, 10 MB)
    /// when none is known.
    pub fetch_crls: bool,
}

/// CRL distribution point URLs (`http://`) of `c`.
pub fn crl_urls(c: &Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::{
        CrlDistributionPoints,
        name::{DistributionPointName, GeneralName},
    };
    let Ok(Some((_, points))) = c.tbs_certificate.get::<CrlDistributionPoints>() else {
        return Vec::new();
    };
    points
        .0
        .iter()
        .filter_map(|p| match &p.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names.clone()),
            _ => None,
        })
        .flatten()
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            _ => None,
        })
        .filter(|u| u.starts_with("http://"))
        .collect()
}

/// Every certificate in a DER file or PEM bundle.
pub fn parse_certificates(bytes: &[u8]) -> Vec<Certificate> {
    if let Ok(c) = Certificate::from_der(bytes) {
        return vec![c];
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let begin = "-----BEGIN CERTIFICATE-----";
    let end = "-----END CERTIFICATE-----";
    text.match_indices(begin)
        .filter_map(|(at, _)| {
            let rest = text.get(at..)?;
            let stop = rest.find(end)? + end.len();
            crate::crypto::parse_certificate(rest.get(..stop)?.as_bytes())
        })
        .collect()
}

/// One certificate of a path, as shown to people.
#[derive(Debug, Clone, PartialEq)]
pub struct CertInfo {
    /// Subject common name (or the whole name).
    pub subject: String,
    /// Issuer's common name.
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// Start of validity (RFC 3339).
    pub not_before: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// SHA-256 of the DER, hex.
    pub sha256: String,
}

/// Common name of an X.501 name, or its full string form.
pub fn common_name(name: &x509_cert::name::Name) -> String {
    for rdn in name.0.iter().rev() {
        for atv in rdn.0.iter() {
            if atv.oid == crate::oids::CN {
                if let Ok(s) = atv.value.decode_as::<der::asn1::Utf8StringRef<'_>>() {
                    return s.as_str().to_owned();
                }
                if let Ok(s) = atv.value.decode_as::<der::asn1::PrintableStringRef<'_>>() {
                    return s.as_str().to_owned();
                }
                if let Ok(s) = atv.value.decode_as::<der::asn1::BmpString>() {
                    return s.to_string();
                }
            }
        }
    }
    name.to_string()
}

/// RFC 3339 of a system time.
pub fn rfc3339(t: SystemTime) -> String {
    der::DateTime::from_system_time(t).map_or_else(|_| String::new(), |d| d.to_string())
}

impl CertInfo {
    /// The summary of `c`.
    pub fn of(c: &Certificate) -> Self {
        let v = &c.tbs_certificate.validity;
        CertInfo {
            subject: common_name(&c.tbs_certificate.subject),
            issuer: common_name(&c.tbs_certificate.issuer),
            serial: hex::encode(c.tbs_certificate.serial_number.as_bytes()),
            not_before: rfc3339(v.not_before.to_system_time()),
            not_after: rfc3339(v.not_after.to_system_time()),
            sha256: c
                .to_der()
                .map(|d| crate::crypto::sha256_hex(&d))
                .unwrap_or_default(),
        }
    }
}

/// How a path fared.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStatus {
    /// Chains to a trust anchor, every certificate valid at the time, none revoked.
    Good,
    /// No path to a trusted root.
    Untrusted,
    /// A certificate was not valid at the time (name, from, to).
    OutOfValidity {
        /// Subject of the certificate.
        subject: String,
        /// Validity start.
        not_before: String,
        /// Validity end.
        not_after: String,
    },
    /// A certificate was revoked (subject, revocation time).
    Revoked {
        /// Subject of the certificate.
        subject: String,
        /// When it was revoked.
        at: String,
    },
}

/// A path and what was found about it.
#[derive(Debug, Clone)]
pub struct PathResult {
    /// Signer first, root last.
    pub chain: Vec<Certificate>,
    /// Verdict.
    pub status: PathStatus,
    /// Whether revocation could be checked for every non-root certificate.
    pub revocation_checked: bool,
}

fn same(a: &Certificate, b: &Certificate) -> bool {
    a == b
}

impl TrustStore {
    fn is_anchor(&self, c: &Certificate) -> bool {
        self.anchors.iter().any(|a| same(a, c))
    }

    /// Builds and checks the path of `leaf` at time `at` (`time_proven` when a timestamp
    /// vouches for it), with `extra` certificates and CRLs that came with the signature.
    pub fn validate(
        &self,
        leaf: &Certificate,
        extra: &[Certificate],
        extra_crls: &[CertificateList],
        at: SystemTime,
        time_proven: bool,
    ) -> PathResult {
        let mut chain = vec![leaf.clone()];
        let mut trusted = self.is_anchor(leaf);
        while !trusted && chain.len() < MAX_PATH {
            let Some(cur) = chain.last() else { break };
            let issuer = self
                .anchors
                .iter()
                .chain(extra.iter())
                .chain(self.intermediates.iter())
                .find(|c| !same(c, cur) && issued_by(cur, c) == Check::Good)
                .cloned();
            match issuer {
                Some(i) => {
                    trusted = self.is_anchor(&i);
                    chain.push(i);
                }
                None => break,
            }
        }
        if !trusted {
            return PathResult {
                chain,
                status: PathStatus::Untrusted,
                revocation_checked: false,
            };
        }
        for c in &chain {
            let v = &c.tbs_certificate.validity;
            if at < v.not_before.to_system_time() || at > v.not_after.to_system_time() {
                let info = CertInfo::of(c);
                return PathResult {
                    status: PathStatus::OutOfValidity {
                        subject: info.subject,
                        not_before: info.not_before,
                        not_after: info.not_after,
                    },
                    chain,
                    revocation_checked: false,
                };
            }
        }
        let mut checked_all = true;
        for pair in chain.windows(2) {
            let (Some(c), Some(issuer)) = (pair.first(), pair.get(1)) else {
                continue;
            };
            match self.revocation(c, issuer, extra_crls) {
                // A revocation after a proven (timestamped) signing time leaves the
                // signature valid; without such proof any revocation counts.
                Some(Some(revoked_at)) if revoked_at <= at || !time_proven => {
                    return PathResult {
                        status: PathStatus::Revoked {
                            subject: common_name(&c.tbs_certificate.subject),
                            at: rfc3339(revoked_at),
                        },
                        chain,
                        revocation_checked: true,
                    };
                }
                Some(_) => {}
                None => checked_all = false,
            }
        }
        PathResult {
            chain,
            status: PathStatus::Good,
            revocation_checked: checked_all,
        }
    }

    /// `None`: no usable CRL; `Some(None)`: not revoked; `Some(Some(t))`: revoked at `t`.
    fn revocation(
        &self,
        c: &Certificate,
        issuer: &Certificate,
        extra: &[CertificateList],
    ) -> Option<Option<SystemTime>> {
        let fetched: Vec<CertificateList> = if self.fetch_crls
            && !self
                .crls
                .iter()
                .chain(extra.iter())
                .any(|l| l.tbs_cert_list.issuer == issuer.tbs_certificate.subject)
        {
            crl_urls(c)
                .iter()
                .take(2)
                .filter_map(|u| {
                    crate::http::request(
                        "GET",
                        u,
                        None,
                        b"",
                        10 << 20,
                        std::time::Duration::from_secs(5),
                    )
                    .ok()
                })
                .filter_map(|der| CertificateList::from_der(&der).ok())
                .collect()
        } else {
            Vec::new()
        };
        let crl = self
            .crls
            .iter()
            .chain(extra.iter())
            .chain(fetched.iter())
            .filter(|l| l.tbs_cert_list.issuer == issuer.tbs_certificate.subject)
            .filter(|l| crl_signed_by(l, issuer))
            .max_by_key(|l| l.tbs_cert_list.this_update.to_unix_duration())?;
        let serial = &c.tbs_certificate.serial_number;
        Some(
            crl.tbs_cert_list
                .revoked_certificates
                .iter()
                .flatten()
                .find(|r| &r.serial_number == serial)
                .map(|r| r.revocation_date.to_system_time()),
        )
    }
}

fn crl_signed_by(l: &CertificateList, issuer: &Certificate) -> bool {
    let Some(hash) = Hash::of_signature(&l.signature_algorithm.oid) else {
        return false;
    };
    let (Ok(tbs), Some(sig)) = (l.tbs_cert_list.to_der(), l.signature.as_bytes()) else {
        return false;
    };
    verify_digest(
        &issuer.tbs_certificate.subject_public_key_info,
        hash,
        &hash.digest(&[&tbs]),
        sig,
    ) == Check::Good
}
