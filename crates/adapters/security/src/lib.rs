//! Security adapters: argon2id password hashing and HS256 JWTs.

mod jwt;
mod password;

pub use jwt::JwtCodec;
pub use password::Argon2Hasher;

/// A new random 64-hex-character secret (used when no signing key is configured).
pub fn random_secret() -> String {
    use rand::TryRng;
    let mut b = [0u8; 32];
    rand::rngs::SysRng
        .try_fill_bytes(&mut b)
        .expect("the operating system's random source");
    hex::encode(b)
}
