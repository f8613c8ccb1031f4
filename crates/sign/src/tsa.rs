//! RFC 3161 timestamps: the client (request, response check, a small HTTP/1.1 transport) and
//! a timestamp authority the platform can run itself (the demo's, and for tests).

use std::time::{Duration, SystemTime};

use cms::content_info::ContentInfo;
use der::{
    Any, Decode as _, Encode as _,
    asn1::{GeneralizedTime, Int, OctetString},
};
use sha2::{Digest as _, Sha256};
use spki::AlgorithmIdentifier;
use x509_cert::Certificate;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::{
    SignError,
    cms_build::{SignRequest, signed_data},
    keys::KeySigner,
    oids,
};

/// Policy under which the platform's own (demo) TSA issues tokens: the placeholder policy of
/// OpenSSL's example TSA configuration, since that authority is not an accredited one.
pub const POLICY: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.3.4.1");

/// Largest timestamp response accepted from a server.
const MAX_RESPONSE: u64 = 64 * 1024;

fn ts_err(e: impl std::fmt::Display) -> SignError {
    SignError::Timestamp(e.to_string())
}

fn imprint(digest: &[u8]) -> Result<MessageImprint, SignError> {
    Ok(MessageImprint {
        hash_algorithm: AlgorithmIdentifier {
            oid: oids::SHA256,
            parameters: None,
        },
        hashed_message: OctetString::new(digest.to_vec()).map_err(ts_err)?,
    })
}

/// A positive INTEGER in its minimal (DER) form.
fn int(v: u64) -> Result<Int, SignError> {
    let mut bytes: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    if bytes.first().is_none_or(|b| *b >= 0x80) {
        bytes.insert(0, 0);
    }
    Int::new(&bytes).map_err(ts_err)
}

/// A DER `TimeStampReq` for a SHA-256 `digest`, asking for the TSA's certificate.
pub fn request(digest: &[u8; 32], nonce: u64) -> Result<Vec<u8>, SignError> {
    TimeStampReq {
        version: TspVersion::V1,
        message_imprint: imprint(digest)?,
        req_policy: None,
        nonce: Some(int(nonce)?),
        cert_req: true,
        extensions: None,
    }
    .to_der()
    .map_err(ts_err)
}

/// The token of a DER `TimeStampResp`, after checking its status and that it stamps `digest`.
pub fn token_from_response(resp: &[u8], digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
    let r = TimeStampResp::from_der(resp).map_err(ts_err)?;
    let status = r.status.status as u8;
    if status > 1 {
        return Err(SignError::Timestamp(format!(
            "request refused (status {status})"
        )));
    }
    let token = r
        .time_stamp_token
        .ok_or_else(|| SignError::Timestamp("no token in the response".into()))?;
    let info = tst_info(&token)?;
    if info.message_imprint.hashed_message.as_bytes() != digest {
        return Err(SignError::Timestamp(
            "the token stamps another digest".into(),
        ));
    }
    token.to_der().map_err(ts_err)
}

/// The TSTInfo inside a token.
pub fn tst_info(token: &ContentInfo) -> Result<TstInfo, SignError> {
    let sd = token
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(ts_err)?;
    if sd.encap_content_info.econtent_type != oids::TST_INFO {
        return Err(ts_err("not a timestamp token"));
    }
    let content = sd
        .encap_content_info
        .econtent
        .ok_or_else(|| ts_err("token without TSTInfo"))?;
    let bytes = content.decode_as::<OctetString>().map_err(ts_err)?;
    TstInfo::from_der(bytes.as_bytes()).map_err(ts_err)
}

/// A timestamp authority: its key, certificate (extended key usage timeStamping) and chain.
pub struct Authority<'a> {
    /// The TSA's key.
    pub key: &'a dyn KeySigner,
    /// Its certificate.
    pub certificate: &'a Certificate,
    /// Issuing CAs to embed.
    pub chain: &'a [Certificate],
}

/// `TimeStampResp { status { rejection(2) } }`.
const REJECTION: [u8; 7] = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02];

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![u8::try_from(n).unwrap_or(0)];
    }
    let bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    let mut out = vec![0x80 | u8::try_from(bytes.len()).unwrap_or(0)];
    out.extend(bytes);
    out
}

impl Authority<'_> {
    /// Answers a DER `TimeStampReq` at time `now` with serial `serial`: a granted response
    /// with a token, or a rejection saying why.
    pub fn respond(&self, req: &[u8], serial: u64, now: SystemTime) -> Vec<u8> {
        self.grant(req, serial, now)
            .unwrap_or_else(|_| REJECTION.to_vec())
    }

    /// Like [`Authority::respond`], but says why a request is refused.
    pub fn grant(&self, req: &[u8], serial: u64, now: SystemTime) -> Result<Vec<u8>, SignError> {
        let req = TimeStampReq::from_der(req).map_err(ts_err)?;
        let hash = crate::crypto::Hash::from_oid(&req.message_imprint.hash_algorithm.oid)
            .ok_or_else(|| ts_err("unsupported hash algorithm"))?;
        let expected = hash.digest(&[b""]).len();
        if req.message_imprint.hashed_message.as_bytes().len() != expected {
            return Err(ts_err("message imprint of the wrong length"));
        }
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(ts_err)?
            .as_secs();
        let info = TstInfo {
            version: TspVersion::V1,
            policy: POLICY,
            message_imprint: req.message_imprint.clone(),
            serial_number: int(serial)?,
            gen_time: GeneralizedTime::from_system_time(
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            )
            .map_err(ts_err)?,
            accuracy: Some(x509_tsp::Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: req.nonce.clone(),
            tsa: None,
            extensions: None,
        }
        .to_der()
        .map_err(ts_err)?;
        let digest: [u8; 32] = Sha256::digest(&info).into();
        let chain: &[Certificate] = if req.cert_req { self.chain } else { &[] };
        let token = signed_data(
            &SignRequest {
                key: self.key,
                certificate: self.certificate,
                chain,
                signing_time: None,
            },
            oids::TST_INFO,
            Some(&info),
            &digest,
            None,
        )?;
        // TimeStampResp { status { granted(0) }, timeStampToken }
        let status = [0x30, 0x03, 0x02, 0x01, 0x00];
        let mut body = status.to_vec();
        body.extend_from_slice(&token);
        let mut out = vec![0x30];
        out.extend(der_len(body.len()));
        out.extend(body);
        Ok(out)
    }
}

/// Asks the TSA at `url` (plain `http://host:port/path`) to stamp `signature`, with a
/// 10-second bound on connecting, sending and reading.
pub fn fetch(url: &str, signature: &[u8], nonce: u64) -> Result<Vec<u8>, SignError> {
    let digest: [u8; 32] = Sha256::digest(signature).into();
    let body = request(&digest, nonce)?;
    let reply = crate::http::request(
        "POST",
        url,
        Some("application/timestamp-query"),
        &body,
        MAX_RESPONSE,
        Duration::from_secs(10),
    )
    .map_err(SignError::Timestamp)?;
    token_from_response(&reply, &digest)
}

/// Whether the token's imprint is the hash of `signature`.
pub fn imprint_matches(info: &TstInfo, signature: &[u8]) -> bool {
    crate::crypto::Hash::from_oid(&info.message_imprint.hash_algorithm.oid)
        .is_some_and(|h| h.digest(&[signature]) == info.message_imprint.hashed_message.as_bytes())
}

/// Decodes a token from an attribute value.
pub fn token_of(value: &Any) -> Result<ContentInfo, SignError> {
    ContentInfo::from_der(&value.to_der().map_err(ts_err)?).map_err(ts_err)
}
