//! Residents' accounts: a pod name, a display name, an optional email, an argon2id password hash.
//!
//! Why argon2id (the `argon2` crate of RustCrypto): it is the password hash OWASP recommends,
//! pure Rust, and its PHC strings carry their own parameters, so they can be raised later
//! without invalidating old hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use kommon_rdf::{Keyspace, QuadStore, StoreError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Names no pod may take: the server's own routes, and ActivityPods' reserved names.
pub const RESERVED_NAMES: &[&str] = &[
    "sparql",
    "auth",
    "common",
    "data",
    "settings",
    "localdata",
    "testdata",
    "admin",
    "api",
    "inbox",
    "outbox",
    "actor",
    "activities",
    "proxy",
    "static",
    "assets",
    "health",
    "metrics",
    "nodeinfo",
    "users",
    "login",
    "logout",
    "signup",
    "register",
    "account",
    "accounts",
    "about",
    "help",
    "www",
    "root",
    "kommon",
    "pod",
    "pods",
    "oidc",
    "well-known",
    "notifications",
    "favicon.ico",
    "robots.txt",
    "contact",
    "support",
    "system",
    "public",
    "null",
    "undefined",
];

/// Why an account could not be created or used.
#[derive(Debug, Error)]
pub enum AccountError {
    /// The name breaks the naming rules; the message says which.
    #[error("{0}")]
    InvalidName(String),
    /// The name is taken by another pod.
    #[error("the name « {0} » is already taken / ce nom est déjà pris")]
    Taken(String),
    /// The password is too short or too long.
    #[error("{0}")]
    InvalidPassword(String),
    /// The email address is not one.
    #[error("{0}")]
    InvalidEmail(String),
    /// No pod has this name.
    #[error("there is no pod « {0} » / il n'y a pas de pod « {0} »")]
    Unknown(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A resident's account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    /// The pod name (`alice` for `/alice`).
    pub name: String,
    /// The name shown to others.
    pub display_name: String,
    /// Contact address, if given.
    #[serde(default)]
    pub email: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// Checks a pod name: 2 to 40 characters, lowercase letters, digits, `-` and `_`, starting with
/// a letter or digit, not reserved.
pub fn check_name(name: &str) -> Result<(), AccountError> {
    if name.len() < 2 || name.len() > 40 {
        return Err(AccountError::InvalidName(
            "a name has 2 to 40 characters / un nom a de 2 à 40 caractères".into(),
        ));
    }
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !first_ok || !rest_ok {
        return Err(AccountError::InvalidName(
            "a name uses lowercase letters, digits, - and _, and starts with a letter or a digit / un nom utilise des minuscules sans accent, des chiffres, - et _, et commence par une lettre ou un chiffre".into(),
        ));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(AccountError::InvalidName(format!(
            "« {name} » is reserved / « {name} » est réservé"
        )));
    }
    Ok(())
}

/// The accounts of a server, kept in the store's `accounts` keyspace.
#[derive(Clone)]
pub struct AccountStore {
    keyspace: Keyspace,
    retired: Keyspace,
}

impl AccountStore {
    /// The accounts kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            keyspace: store.keyspace("accounts"),
            retired: store.keyspace("retired-names"),
        }
    }

    /// Removes an account and keeps its name from being taken again for a year, so that nobody
    /// can pose as the deleted pod to the servers that knew it (as ActivityPods does).
    pub fn retire(&self, name: &str) -> Result<(), AccountError> {
        let until = kommon_solid::resource::now_ms() + 365 * 24 * 3600 * 1000;
        self.retired.insert(name.as_bytes(), &until.to_be_bytes())?;
        self.keyspace.remove(name.as_bytes())?;
        Ok(())
    }

    /// Whether a deleted pod's name is still kept.
    pub fn is_retired(&self, name: &str) -> Result<bool, AccountError> {
        Ok(self.retired.get(name.as_bytes())?.is_some_and(|v| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&v[..8.min(v.len())]);
            u64::from_be_bytes(b) > kommon_solid::resource::now_ms()
        }))
    }

    /// The account of a pod name.
    pub fn get(&self, name: &str) -> Result<Option<Account>, AccountError> {
        Ok(self
            .keyspace
            .get(name.as_bytes())?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Whether a pod exists.
    pub fn exists(&self, name: &str) -> Result<bool, AccountError> {
        Ok(self.keyspace.get(name.as_bytes())?.is_some())
    }

    /// Checks everything about a new account without writing it.
    pub fn check_new(
        &self,
        name: &str,
        password: &str,
        email: Option<&str>,
    ) -> Result<(), AccountError> {
        check_name(name)?;
        if self.exists(name)? || self.is_retired(name)? {
            return Err(AccountError::Taken(name.to_owned()));
        }
        if password.chars().count() < 8 {
            return Err(AccountError::InvalidPassword(
                "the password needs at least 8 characters / le mot de passe doit avoir au moins 8 caractères".into(),
            ));
        }
        if password.len() > 1024 {
            return Err(AccountError::InvalidPassword(
                "the password is longer than 1024 bytes / le mot de passe dépasse 1024 octets"
                    .into(),
            ));
        }
        if let Some(email) = email {
            let ok = email.len() <= 254
                && email.split_once('@').is_some_and(|(l, d)| {
                    !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
                })
                && !email.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(AccountError::InvalidEmail(format!(
                    "« {email} » is not an email address / n'est pas une adresse électronique"
                )));
            }
        }
        Ok(())
    }

    /// The account record for a new pod, with its password hashed (not yet written).
    pub fn prepare(
        &self,
        name: &str,
        display_name: &str,
        password: &str,
        email: Option<&str>,
    ) -> Result<Account, AccountError> {
        self.check_new(name, password, email)?;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| AccountError::InvalidPassword(e.to_string()))?
            .to_string();
        let display_name = if display_name.trim().is_empty() {
            name.to_owned()
        } else {
            display_name.trim().chars().take(120).collect()
        };
        Ok(Account {
            name: name.to_owned(),
            display_name,
            email: email.map(str::to_owned),
            password_hash: hash,
            created_ms: kommon_solid::resource::now_ms(),
        })
    }

    /// Gives account `name` a new password (an admin's reset: the resident lost theirs). The
    /// sessions already open stay open; tokens already issued run until they expire.
    pub fn reset_password(&self, name: &str, password: &str) -> Result<(), AccountError> {
        let mut account = self
            .get(name)?
            .ok_or_else(|| AccountError::Unknown(name.chars().take(60).collect()))?;
        if password.chars().count() < 8 || password.len() > 1024 {
            return Err(AccountError::InvalidPassword(
                "the password needs 8 characters to 1024 bytes / le mot de passe doit avoir de 8 caractères à 1024 octets".into(),
            ));
        }
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        account.password_hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| AccountError::InvalidPassword(e.to_string()))?
            .to_string();
        self.keyspace
            .insert(name.as_bytes(), &Self::record(&account))?;
        Ok(())
    }

    /// The bytes stored for an account (written in the pod's creation transaction).
    pub fn record(account: &Account) -> Vec<u8> {
        serde_json::to_vec(account).unwrap_or_default()
    }

    /// Whether `password` is the account's password.
    pub fn verify_password(account: &Account, password: &str) -> bool {
        PasswordHash::new(&account.password_hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    }

    /// Every pod name, in order.
    pub fn names(&self) -> impl Iterator<Item = Result<String, StoreError>> + use<> {
        self.keyspace
            .scan_prefix(b"")
            .map(|e| e.map(|(k, _)| String::from_utf8_lossy(&k).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("alice").is_ok());
        assert!(check_name("le-6b_2").is_ok());
        assert!(check_name("a").is_err());
        assert!(check_name("Alice").is_err());
        assert!(check_name("-alice").is_err());
        assert!(check_name("al/ice").is_err());
        assert!(check_name("élodie").is_err());
        assert!(check_name("sparql").is_err());
        assert!(check_name("data").is_err());
        assert!(check_name(&"x".repeat(41)).is_err());
    }

    #[test]
    fn passwords() {
        let store = QuadStore::temporary().unwrap();
        let accounts = AccountStore::new(&store);
        let a = accounts
            .prepare("alice", "Alice", "correct horse", None)
            .unwrap();
        assert!(a.password_hash.starts_with("$argon2id$"));
        assert!(AccountStore::verify_password(&a, "correct horse"));
        assert!(!AccountStore::verify_password(&a, "wrong"));
        assert!(matches!(
            accounts.prepare("bob", "", "short", None),
            Err(AccountError::InvalidPassword(_))
        ));
        assert!(matches!(
            accounts.prepare("bob", "", "long enough", Some("not-an-email")),
            Err(AccountError::InvalidEmail(_))
        ));
    }
}
