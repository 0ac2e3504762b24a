//! The users file (TOML): names, roles, argon2 password hashes and SHA-256
//! hashes of API tokens. Neither a password nor a token is ever stored.
//!
//! ```toml
//! [[users]]
//! name = "ana"
//! role = "analyst"
//! password_hash = "$argon2id$v=19$..."   # absent for token-only users
//! token_sha256 = "9f86d08..."
//! ```

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Dashboard only, every figure disclosure-controlled.
    Commissioner,
    /// Exact figures, SQL, record-level input tables.
    Analyst,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Commissioner => "commissioner",
            Role::Analyst => "analyst",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "analyst" => Ok(Role::Analyst),
            "commissioner" => Ok(Role::Commissioner),
            other => Err(format!(
                "unknown role `{other}`: use `analyst` or `commissioner`"
            )),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRecord {
    pub name: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    pub token_sha256: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UsersFile {
    #[serde(default)]
    pub users: Vec<UserRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("users file {path}: {problem}")]
    File { path: PathBuf, problem: String },
    #[error("{0}")]
    Invalid(String),
}

/// A signed-in user: who, and with which role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
}

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new random API token: 32 bytes from the OS generator, hex.
pub fn new_token() -> String {
    let hex: String = random_hex(32);
    format!("evd_{hex}")
}

/// `n` random bytes from the OS, as hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // The OS generator failing is not something to carry on from.
    if let Err(e) = getrandom::fill(&mut bytes) {
        // Without the OS generator no secret can be made safely.
        panic!("the operating system's random number generator failed: {e}");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Whether `password` may be set: at least [`MIN_PASSWORD_CHARS`] characters.
pub fn check_password(password: &str) -> Result<(), UsersError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UsersError::Invalid(format!(
            "the password is shorter than {MIN_PASSWORD_CHARS} characters; nothing was changed"
        )));
    }
    Ok(())
}

pub fn hash_password(password: &str) -> Result<String, UsersError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| UsersError::Invalid(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| UsersError::Invalid(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Invalid(format!("hashing the password: {e}")))
}

/// Argon2's working memory (19 MiB a check at the default cost), kept for
/// the next check. Sign-in holds one of a few permits while it checks, so
/// no more buffers exist than checks may run at once. Allocating it afresh
/// on whichever blocking thread ran the check left a copy in each thread's
/// allocator arena: 1,000 bad sign-ins raised the server's peak memory from
/// 106 MiB to 540 MiB (`scripts/bench-attacks`).
static WORK_MEMORY: std::sync::Mutex<Vec<Vec<Block>>> = std::sync::Mutex::new(Vec::new());

/// Whether `password` hashes to `hash`, as argon2's `verify_password` decides
/// (same algorithm, version, costs and salt; the outputs compared in constant
/// time), but in reused working memory.
fn argon2_matches(password: &[u8], hash: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (Params::try_from(hash), Algorithm::try_from(hash.algorithm))
    else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let pool = || WORK_MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    let mut blocks = pool().pop().unwrap_or_default();
    blocks.resize(params.block_count(), Block::default());
    let mut out = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, &mut blocks[..])
        .is_ok();
    pool().push(blocks);
    hashed && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

impl UsersFile {
    pub fn load(path: &Path) -> Result<Self, UsersError> {
        let fail = |problem: String| UsersError::File {
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            fail(format!(
                "cannot read it ({e}); create users with `evidence user add NAME --role ROLE --users {}`",
                path.display()
            ))
        })?;
        let file: UsersFile =
            toml::from_str(&text).map_err(|e| fail(format!("not a valid users file: {e}")))?;
        for u in &file.users {
            if let Some(h) = &u.password_hash {
                PasswordHash::new(h)
                    .map_err(|e| fail(format!("user `{}`: bad password hash: {e}", u.name)))?;
            }
        }
        Ok(file)
    }

    /// The file at `path`, or an empty one if there is none yet.
    pub fn load_or_new(path: &Path) -> Result<Self, UsersError> {
        if path.exists() {
            Self::load(path)
        } else {
            Ok(UsersFile::default())
        }
    }

    /// Write the file whole to a temporary sibling, then rename it into
    /// place, so a reader never sees half a file.
    pub fn save(&self, path: &Path) -> Result<(), UsersError> {
        let fail = |problem: String| UsersError::File {
            path: path.to_path_buf(),
            problem,
        };
        let text = toml::to_string_pretty(self).map_err(|e| fail(e.to_string()))?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create its folder: {e}")))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| fail(format!("cannot write beside it: {e}")))?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| fail(e.to_string()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600));
        }
        tmp.persist(path)
            .map_err(|e| fail(format!("cannot replace it: {e}")))?;
        Ok(())
    }

    /// Add (or replace) a user; returns their new API token, shown once.
    pub fn add(
        &mut self,
        name: &str,
        role: Role,
        password: Option<&str>,
    ) -> Result<String, UsersError> {
        if !valid_name(name) {
            return Err(UsersError::Invalid(format!(
                "user name `{name}`: use 1-64 letters, digits, `-`, `_` or `.`"
            )));
        }
        let password_hash = password.map(hash_password).transpose()?;
        let token = new_token();
        self.users.retain(|u| u.name != name);
        self.users.push(UserRecord {
            name: name.to_string(),
            role,
            password_hash,
            token_sha256: sha256_hex(&token),
        });
        Ok(token)
    }

    /// Whether a user of this name exists.
    pub fn exists(&self, name: &str) -> bool {
        self.users.iter().any(|u| u.name == name)
    }

    /// The user whose password this is. Every user's hash is checked the
    /// same way, so timing does not tell whether a name exists.
    pub fn verify_password(&self, name: &str, password: &str) -> Option<User> {
        // A fixed hash to spend the same time on when the name is unknown.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let dummy = DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default());
        let record = self.users.iter().find(|u| u.name == name);
        let hash = record
            .and_then(|u| u.password_hash.as_deref())
            .unwrap_or(dummy);
        let parsed = PasswordHash::new(hash).ok()?;
        let ok = argon2_matches(password.as_bytes(), &parsed);
        match (ok, record) {
            (true, Some(u)) if u.password_hash.is_some() => Some(User {
                name: u.name.clone(),
                role: u.role,
            }),
            _ => None,
        }
    }

    /// The user this API token belongs to, compared in constant time.
    pub fn user_for_token(&self, token: &str) -> Option<User> {
        let presented = sha256_hex(token);
        let mut found = None;
        for u in &self.users {
            if bool::from(presented.as_bytes().ct_eq(u.token_sha256.as_bytes())) {
                found = Some(User {
                    name: u.name.clone(),
                    role: u.role,
                });
            }
        }
        found
    }
}

/// A user name: 1-64 letters, digits, `-`, `_` or `.` (so one can never
/// carry a newline into a log line, nor be large).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_verify_and_nothing_secret_is_stored() {
        let mut file = UsersFile::default();
        let token = file
            .add("ana", Role::Analyst, Some("correct horse"))
            .unwrap();
        let text = toml::to_string(&file).unwrap();
        assert!(!text.contains("correct horse"));
        assert!(!text.contains(&token));
        let back: UsersFile = toml::from_str(&text).unwrap();
        assert_eq!(
            back.verify_password("ana", "correct horse"),
            Some(User {
                name: "ana".into(),
                role: Role::Analyst
            })
        );
        assert_eq!(back.verify_password("ana", "wrong"), None);
        assert_eq!(back.verify_password("bob", "correct horse"), None);
        assert_eq!(back.user_for_token(&token).unwrap().role, Role::Analyst);
        assert_eq!(back.user_for_token("evd_guess"), None);
    }

    #[test]
    fn checks_in_reused_memory_agree_with_argon2s_own_verifier() {
        use argon2::password_hash::PasswordVerifier;
        // Costs other than the default (and argon2i, and an older version)
        // so that each is read from the hash, not assumed.
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        for (algorithm, version, params) in [
            (
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(64, 2, 2, None).unwrap(),
            ),
            (
                Algorithm::Argon2i,
                Version::V0x10,
                Params::new(32, 1, 1, Some(16)).unwrap(),
            ),
            (Algorithm::Argon2id, Version::V0x13, Params::default()),
        ] {
            let hasher = Argon2::new(algorithm, version, params);
            let stored = hasher
                .hash_password(b"correct horse", &salt)
                .unwrap()
                .to_string();
            let parsed = PasswordHash::new(&stored).unwrap();
            for password in ["correct horse", "correct hors", "wrong", ""] {
                let theirs = Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok();
                assert_eq!(
                    argon2_matches(password.as_bytes(), &parsed),
                    theirs,
                    "{stored} {password}"
                );
                assert_eq!(theirs, password == "correct horse");
            }
        }
        // A buffer is put back after each check, and reused by the next.
        assert!(!WORK_MEMORY.lock().unwrap().is_empty());
    }

    #[test]
    fn token_only_users_cannot_sign_in_with_a_password() {
        let mut file = UsersFile::default();
        file.add("bot", Role::Commissioner, None).unwrap();
        assert_eq!(file.verify_password("bot", ""), None);
        assert_eq!(file.verify_password("bot", "not a password"), None);
    }

    #[test]
    fn names_are_checked() {
        let mut file = UsersFile::default();
        assert!(file.add("a b", Role::Analyst, None).is_err());
        assert!(file.add("", Role::Analyst, None).is_err());
    }
}
