//! A provider's signing key: the `openidconnect` crate's own JWK, with RSA signatures checked
//! by ring.
//!
//! The crate checks RSA signatures with the `rsa` crate, whose big-number arithmetic took
//! about 0.4 ms per ID token, the largest single cost of a sign-in on the server; ring checks
//! the same signature in a few tens of microseconds. Everything else (key ids, use, algorithms,
//! the other key types, RSA keys shorter than ring accepts) is the crate's.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use openidconnect::core::{
    CoreJsonWebKey, CoreJsonWebKeyType, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyId, JsonWebKeyUse, JwsSigningAlgorithm,
    SignatureVerificationError,
};
use ring::signature::{self, RsaParameters, RsaPublicKeyComponents};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// JWKs write `n` and `e` in base64url, with or without padding.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The RSA moduli ring checks, in bits.
const RING_RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// One key of a provider's JWKS.
#[derive(Clone, Debug)]
pub struct ProviderKey {
    core: CoreJsonWebKey,
    /// The modulus and exponent of an RSA key ring can check, big-endian.
    rsa: Option<(Vec<u8>, Vec<u8>)>,
}

impl<'de> Deserialize<'de> for ProviderKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let rsa = rsa_components(&value);
        let core = CoreJsonWebKey::deserialize(value).map_err(serde::de::Error::custom)?;
        Ok(ProviderKey { core, rsa })
    }
}

impl Serialize for ProviderKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.core.serialize(serializer)
    }
}

/// `n` and `e` of an RSA key whose modulus ring accepts.
fn rsa_components(key: &serde_json::Value) -> Option<(Vec<u8>, Vec<u8>)> {
    if key.get("kty")?.as_str()? != "RSA" {
        return None;
    }
    let decode = |field: &str| BASE64URL.decode(key.get(field)?.as_str()?).ok();
    let (n, e) = (decode("n")?, decode("e")?);
    let top = n.iter().position(|byte| *byte != 0)?;
    let bits = (n.len() - top) * 8 - n[top].leading_zeros() as usize;
    RING_RSA_BITS.contains(&bits).then_some((n, e))
}

/// ring's parameters for an RSA algorithm; `None` for the others.
fn ring_rsa(alg: &CoreJwsSigningAlgorithm) -> Option<&'static RsaParameters> {
    use CoreJwsSigningAlgorithm as Alg;
    Some(match alg {
        Alg::RsaSsaPkcs1V15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Alg::RsaSsaPkcs1V15Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Alg::RsaSsaPkcs1V15Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Alg::RsaSsaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        Alg::RsaSsaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        Alg::RsaSsaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

impl ProviderKey {
    /// What the crate checks before it uses a key for `alg` (its own check is private).
    fn suits(&self, alg: &CoreJwsSigningAlgorithm) -> Result<(), SignatureVerificationError> {
        let refuse = |why: &str| Err(SignatureVerificationError::InvalidKey(why.to_owned()));
        if self
            .key_use()
            .is_some_and(|key_use| !key_use.allows_signature())
        {
            return refuse("key usage not permitted for digital signatures");
        }
        if alg.key_type().as_ref() != Some(self.key_type()) {
            return refuse("key type does not match signature algorithm");
        }
        match self.signing_alg() {
            JsonWebKeyAlgorithm::Unspecified => Ok(()),
            JsonWebKeyAlgorithm::Algorithm(key_alg) if key_alg == alg => Ok(()),
            JsonWebKeyAlgorithm::Algorithm(_) => refuse("incompatible key algorithm"),
            JsonWebKeyAlgorithm::Unsupported => refuse("key algorithm is not a signing algorithm"),
        }
    }
}

impl JsonWebKey for ProviderKey {
    type KeyUse = CoreJsonWebKeyUse;
    type SigningAlgorithm = CoreJwsSigningAlgorithm;

    fn key_id(&self) -> Option<&JsonWebKeyId> {
        self.core.key_id()
    }

    fn key_type(&self) -> &CoreJsonWebKeyType {
        self.core.key_type()
    }

    fn key_use(&self) -> Option<&CoreJsonWebKeyUse> {
        self.core.key_use()
    }

    fn signing_alg(&self) -> JsonWebKeyAlgorithm<&CoreJwsSigningAlgorithm> {
        self.core.signing_alg()
    }

    fn new_symmetric(key: Vec<u8>) -> Self {
        ProviderKey {
            core: CoreJsonWebKey::new_symmetric(key),
            rsa: None,
        }
    }

    fn verify_signature(
        &self,
        alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureVerificationError> {
        let (Some(params), Some((n, e))) = (ring_rsa(alg), &self.rsa) else {
            return self.core.verify_signature(alg, message, signature);
        };
        self.suits(alg)?;
        RsaPublicKeyComponents { n, e }
            .verify(params, message, signature)
            .map_err(|_| SignatureVerificationError::CryptoError("bad signature".into()))
    }

    fn hash_bytes(&self, bytes: &[u8], alg: &CoreJwsSigningAlgorithm) -> Result<Vec<u8>, String> {
        self.core.hash_bytes(bytes, alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::core::CoreRsaPrivateSigningKey;
    use openidconnect::{JsonWebKeyId, PrivateSigningKey};

    /// A 2048-bit RSA key made for these tests and used nowhere else.
    fn signing_key() -> CoreRsaPrivateSigningKey {
        let pem = include_str!("../../../tests/fixtures/keys/rsa-2048-test-only.pem");
        CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).unwrap()
    }

    #[test]
    fn ring_accepts_what_the_crate_accepts_and_refuses_what_it_refuses() {
        let private = signing_key();
        let json = serde_json::to_value(private.as_verification_key()).unwrap();
        let ours: ProviderKey = serde_json::from_value(json.clone()).unwrap();
        assert!(ours.rsa.is_some(), "a 2048-bit RSA key is checked by ring");
        let theirs: CoreJsonWebKey = serde_json::from_value(json).unwrap();
        for alg in [
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        ] {
            let message = b"header.payload";
            let signature = private.sign(&alg, message).unwrap();
            assert!(ours.verify_signature(&alg, message, &signature).is_ok());
            assert!(theirs.verify_signature(&alg, message, &signature).is_ok());
            let mut forged = signature.clone();
            forged[10] ^= 1;
            assert!(ours.verify_signature(&alg, message, &forged).is_err());
            assert!(
                ours.verify_signature(&alg, b"header.other", &signature)
                    .is_err()
            );
        }
        // A key for encryption only signs nothing, whoever checks.
        let mut encrypting = serde_json::to_value(private.as_verification_key()).unwrap();
        encrypting["use"] = "enc".into();
        let ours: ProviderKey = serde_json::from_value(encrypting).unwrap();
        let alg = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
        let signature = private.sign(&alg, b"m").unwrap();
        assert!(matches!(
            ours.verify_signature(&alg, b"m", &signature),
            Err(SignatureVerificationError::InvalidKey(_))
        ));
    }

    #[test]
    fn only_moduli_ring_accepts_are_left_to_it() {
        let key =
            |n: Vec<u8>| serde_json::json!({"kty": "RSA", "n": BASE64URL.encode(n), "e": "AQAB"});
        let modulus = |bytes: usize, top: u8| {
            let mut n = vec![0xff; bytes];
            n[0] = top;
            n
        };
        let mut padded = vec![0];
        padded.extend(modulus(256, 0x80));
        for (n, ring_checks, bits) in [
            (modulus(256, 0x80), true, "2048 bits"),
            (modulus(256, 0x40), false, "2047 bits"),
            (padded, true, "2048 bits after a zero"),
            (modulus(1024, 0xff), true, "8192 bits"),
            (modulus(1025, 0x01), false, "8193 bits"),
        ] {
            assert_eq!(rsa_components(&key(n)).is_some(), ring_checks, "{bits}");
        }
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"});
        assert!(rsa_components(&ec).is_none());
    }

    #[test]
    fn serializes_as_the_crate_does() {
        let private = signing_key();
        let json = serde_json::to_value(private.as_verification_key()).unwrap();
        let ours: ProviderKey = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&ours).unwrap(), json);
    }
}
