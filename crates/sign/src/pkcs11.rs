//! Keys on PKCS#11 tokens and HSMs (tested with SoftHSM2): the private key never leaves the
//! token; it signs SHA-256 digests (`CKM_ECDSA` on P-256, `CKM_RSA_PKCS` over a DigestInfo).

use std::sync::{Arc, Mutex};

use cryptoki::{
    context::{CInitializeArgs, CInitializeFlags, Pkcs11},
    mechanism::Mechanism,
    object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle},
    session::{Session, UserType},
    slot::Slot,
    types::AuthPin,
};
use der::{Decode as _, Encode as _, asn1::OctetString};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::{
    SignError,
    keys::{KeyKind, KeySigner},
    oids,
};

fn p11(e: impl std::fmt::Display) -> SignError {
    SignError::Key(format!("PKCS#11: {e}"))
}

/// An initialised PKCS#11 module and one token in it, logged in as the user.
pub struct Token {
    /// Keeps the module loaded while sessions live.
    _module: Pkcs11,
    slot: Slot,
    session: Mutex<Session>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(slot {})", self.slot.id())
    }
}

/// `DigestInfo` prefix of SHA-256 for RSA PKCS#1 v1.5 (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Loads and initialises a module (an already initialised one is fine).
fn load(module: &str) -> Result<Pkcs11, SignError> {
    let ctx = Pkcs11::new(module).map_err(p11)?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::CryptokiAlreadyInitialized,
            _,
        )) => Ok(ctx),
        Err(e) => Err(p11(e)),
    }
}

impl Token {
    /// Loads `module` (e.g. `/usr/lib/softhsm/libsofthsm2.so`) and logs into the token
    /// labelled `label` with `pin`.
    pub fn open(module: &str, label: &str, pin: &str) -> Result<Arc<Self>, SignError> {
        let ctx = load(module)?;
        let slot = ctx
            .get_slots_with_initialized_token()
            .map_err(p11)?
            .into_iter()
            .find(|s| ctx.get_token_info(*s).is_ok_and(|t| t.label() == label))
            .ok_or_else(|| SignError::Key(format!("PKCS#11: no token labelled {label}")))?;
        let session = ctx.open_rw_session(slot).map_err(p11)?;
        // Login is per process and token: a second handle on a token already logged in is fine.
        match session.login(UserType::User, Some(&AuthPin::from(pin.to_owned()))) {
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserAlreadyLoggedIn,
                _,
            )) => {}
            Err(e) => return Err(SignError::Key(format!("PKCS#11 login: {e}"))),
        }
        Ok(Arc::new(Token {
            _module: ctx,
            slot,
            session: Mutex::new(session),
        }))
    }

    /// Initialises a fresh token in the first free slot (test and demo set-up): SO PIN
    /// `so_pin`, user PIN `pin`.
    pub fn initialize_token(
        module: &str,
        label: &str,
        so_pin: &str,
        pin: &str,
    ) -> Result<(), SignError> {
        let ctx = load(module)?;
        let slot = ctx
            .get_all_slots()
            .map_err(p11)?
            .into_iter()
            .find(|s| ctx.get_token_info(*s).is_ok_and(|t| !t.token_initialized()))
            .ok_or_else(|| SignError::Key("PKCS#11: no free slot".into()))?;
        let so = AuthPin::from(so_pin.to_owned());
        ctx.init_token(slot, &so, label).map_err(p11)?;
        let session = ctx.open_rw_session(slot).map_err(p11)?;
        session.login(UserType::So, Some(&so)).map_err(p11)?;
        session
            .init_pin(&AuthPin::from(pin.to_owned()))
            .map_err(p11)?;
        session.logout().map_err(p11)
    }

    fn with_session<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, SignError>,
    ) -> Result<T, SignError> {
        let s = self
            .session
            .lock()
            .map_err(|_| SignError::Key("PKCS#11 session lock poisoned".into()))?;
        f(&s)
    }

    /// Generates a P-256 key pair on the token under `label`, or returns the existing one.
    pub fn ec_key(self: &Arc<Self>, label: &str) -> Result<TokenKey, SignError> {
        if let Ok(k) = self.find_key(label) {
            return Ok(k);
        }
        let params = oids::P256.to_der().map_err(p11)?;
        let id = label.as_bytes().to_vec();
        self.with_session(|s| {
            s.generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &[
                    Attribute::Token(true),
                    Attribute::Private(false),
                    Attribute::Verify(true),
                    Attribute::EcParams(params),
                    Attribute::Label(id.clone()),
                    Attribute::Id(id.clone()),
                ],
                &[
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Sign(true),
                    Attribute::Label(id.clone()),
                    Attribute::Id(id),
                ],
            )
            .map_err(p11)
        })?;
        self.find_key(label)
    }

    /// The key pair labelled `label`.
    pub fn find_key(self: &Arc<Self>, label: &str) -> Result<TokenKey, SignError> {
        let id = label.as_bytes().to_vec();
        let (private, public) = self.with_session(|s| {
            let find = |class| {
                s.find_objects(&[Attribute::Class(class), Attribute::Label(id.clone())])
                    .map_err(p11)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| SignError::Key(format!("PKCS#11: no key labelled {label}")))
            };
            Ok((
                find(ObjectClass::PRIVATE_KEY)?,
                find(ObjectClass::PUBLIC_KEY)?,
            ))
        })?;
        let attrs = self.with_session(|s| {
            s.get_attributes(
                public,
                &[
                    AttributeType::KeyType,
                    AttributeType::EcPoint,
                    AttributeType::Modulus,
                    AttributeType::PublicExponent,
                ],
            )
            .map_err(p11)
        })?;
        let mut kind = None;
        let (mut point, mut modulus, mut exponent) = (None, None, None);
        for a in attrs {
            match a {
                Attribute::KeyType(t) if t == KeyType::EC => kind = Some(KeyKind::EcdsaP256),
                Attribute::KeyType(t) if t == KeyType::RSA => kind = Some(KeyKind::Rsa),
                Attribute::EcPoint(p) => point = Some(p),
                Attribute::Modulus(m) => modulus = Some(m),
                Attribute::PublicExponent(e) => exponent = Some(e),
                _ => {}
            }
        }
        let public_key = match kind {
            Some(KeyKind::EcdsaP256) => {
                // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point.
                let raw = point.ok_or_else(|| SignError::Key("PKCS#11: no EC point".into()))?;
                let bits = OctetString::from_der(&raw)
                    .map(|o| o.as_bytes().to_vec())
                    .unwrap_or(raw);
                SubjectPublicKeyInfoOwned {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: oids::EC_PUBLIC_KEY,
                        parameters: Some(der::Any::encode_from(&oids::P256).map_err(p11)?),
                    },
                    subject_public_key: der::asn1::BitString::from_bytes(&bits).map_err(p11)?,
                }
            }
            Some(KeyKind::Rsa) => {
                use rsa::pkcs8::EncodePublicKey as _;
                let n = rsa::BigUint::from_bytes_be(&modulus.unwrap_or_default());
                let e = rsa::BigUint::from_bytes_be(&exponent.unwrap_or_default());
                let pk = rsa::RsaPublicKey::new(n, e).map_err(p11)?;
                let der = pk.to_public_key_der().map_err(p11)?;
                SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(p11)?
            }
            _ => return Err(SignError::Unsupported("PKCS#11 key type".into())),
        };
        Ok(TokenKey {
            token: self.clone(),
            private,
            kind: kind.unwrap_or(KeyKind::EcdsaP256),
            public_key,
        })
    }
}

/// A private key on a token.
pub struct TokenKey {
    token: Arc<Token>,
    private: ObjectHandle,
    kind: KeyKind,
    public_key: SubjectPublicKeyInfoOwned,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKey({:?}, {:?})", self.token, self.kind)
    }
}

/// DER `ECDSA-Sig-Value` from the raw `r || s` a token returns.
fn ecdsa_der(raw: &[u8]) -> Result<Vec<u8>, SignError> {
    let sig = p256::ecdsa::Signature::from_slice(raw).map_err(p11)?;
    Ok(sig.to_der().to_bytes().to_vec())
}

impl KeySigner for TokenKey {
    fn kind(&self) -> KeyKind {
        self.kind
    }

    fn public_key(&self) -> Result<SubjectPublicKeyInfoOwned, SignError> {
        Ok(self.public_key.clone())
    }

    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        match self.kind {
            KeyKind::EcdsaP256 => {
                let raw = self.token.with_session(|s| {
                    s.sign(&Mechanism::Ecdsa, self.private, digest).map_err(p11)
                })?;
                ecdsa_der(&raw)
            }
            KeyKind::Rsa => {
                let mut info = SHA256_DIGEST_INFO.to_vec();
                info.extend_from_slice(digest);
                self.token.with_session(|s| {
                    s.sign(&Mechanism::RsaPkcs, self.private, &info)
                        .map_err(p11)
                })
            }
        }
    }
}
