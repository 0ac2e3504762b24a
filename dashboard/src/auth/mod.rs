//! Who may see what. Users sign in with a password (a session) or send an
//! API token; every route declares an [`Access`], which `web::access`
//! enforces before the handler runs. Nothing here knows of HTTP: the web
//! layer reads the token and session cookie and asks [`Auth`].

pub mod users;

pub use users::{Role, User, UsersFile};

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "evidence_session";
pub const CSRF_COOKIE: &str = "evidence_csrf";
/// A session lasts a working day.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// What a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the sign-in page, the stylesheet, the health check.
    Public,
    /// Any signed-in user (commissioners and analysts): disclosure-controlled
    /// pages.
    SignedIn,
    /// Analysts only: exact figures and SQL.
    Analyst,
}

impl Access {
    pub fn allows(self, user: Option<&User>) -> bool {
        match self {
            Access::Public => true,
            Access::SignedIn => user.is_some(),
            Access::Analyst => user.is_some_and(|u| u.role == Role::Analyst),
        }
    }
}

/// Failed sign-ins allowed per name before it is locked for a while.
pub const MAX_FAILED_SIGN_INS: u32 = 5;
pub const SIGN_IN_LOCKOUT: Duration = Duration::from_secs(15 * 60);

pub struct Auth {
    users: UsersFile,
    sessions: Mutex<HashMap<String, (User, Instant)>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Auth {
    pub fn new(users: UsersFile) -> Self {
        Auth {
            users,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether sign-in for `name` is locked after repeated failures, and for
    /// how much longer.
    pub fn locked_for(&self, name: &str) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let (count, since) = failures.get(name)?;
        let left = SIGN_IN_LOCKOUT.saturating_sub(since.elapsed());
        (*count >= MAX_FAILED_SIGN_INS && !left.is_zero()).then_some(left)
    }

    /// Count a failed sign-in (the window restarts after a lockout ends).
    pub fn sign_in_failed(&self, name: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            let entry = failures
                .entry(name.to_string())
                .or_insert((0, Instant::now()));
            if entry.1.elapsed() >= SIGN_IN_LOCKOUT {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    pub fn sign_in_succeeded(&self, name: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(name);
        }
    }

    pub fn users(&self) -> &UsersFile {
        &self.users
    }

    /// Start a session; its id goes in the cookie.
    pub fn start_session(&self, user: User) -> String {
        let id = users::random_hex(32);
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.retain(|_, (_, started)| started.elapsed() < SESSION_LIFETIME);
            sessions.insert(id.clone(), (user, Instant::now()));
        }
        id
    }

    pub fn end_session(&self, id: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(id);
        }
    }

    /// The user of a session id, while the session lasts.
    pub fn session_user(&self, id: &str) -> Option<User> {
        let sessions = self.sessions.lock().ok()?;
        let (user, started) = sessions.get(id)?;
        (started.elapsed() < SESSION_LIFETIME).then(|| user.clone())
    }

    /// The user an API token belongs to.
    pub fn token_user(&self, token: &str) -> Option<User> {
        self.users.user_for_token(token)
    }
}
