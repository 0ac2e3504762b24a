//! Who may see what. Users sign in with a password (a session) or send an
//! API token; every route declares an [`Access`], which `web::access`
//! enforces before the handler runs. Nothing here knows of HTTP: the web
//! layer reads the token and session cookie and asks [`Auth`].

pub mod users;

pub use users::{Role, User, UsersFile};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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

/// Where sessions and lockouts read the time: the system's monotonic clock,
/// or in tests one that is moved by hand.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

pub struct Auth {
    users: UsersFile,
    sessions: Mutex<HashMap<String, (User, Instant)>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    clock: Arc<dyn Clock>,
}

impl Auth {
    pub fn new(users: UsersFile) -> Self {
        Auth::with_clock(users, Arc::new(SystemClock))
    }

    pub fn with_clock(users: UsersFile, clock: Arc<dyn Clock>) -> Self {
        Auth {
            users,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn since(&self, then: Instant) -> Duration {
        self.clock.now().saturating_duration_since(then)
    }

    /// Whether sign-in for `name` is locked after repeated failures, and for
    /// how much longer.
    pub fn locked_for(&self, name: &str) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let (count, since) = failures.get(name)?;
        let left = SIGN_IN_LOCKOUT.saturating_sub(self.since(*since));
        (*count >= MAX_FAILED_SIGN_INS && !left.is_zero()).then_some(left)
    }

    /// Count a failed sign-in (the window restarts after a lockout ends).
    pub fn sign_in_failed(&self, name: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            let now = self.clock.now();
            let entry = failures.entry(name.to_string()).or_insert((0, now));
            if now.saturating_duration_since(entry.1) >= SIGN_IN_LOCKOUT {
                *entry = (0, now);
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
            let now = self.clock.now();
            sessions.retain(|_, (_, started)| {
                now.saturating_duration_since(*started) < SESSION_LIFETIME
            });
            sessions.insert(id.clone(), (user, now));
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
        (self.since(*started) < SESSION_LIFETIME).then(|| user.clone())
    }

    /// The user an API token belongs to.
    pub fn token_user(&self, token: &str) -> Option<User> {
        self.users.user_for_token(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock moved by hand.
    struct HandClock(Mutex<Instant>);

    impl Clock for HandClock {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap()
        }
    }

    impl HandClock {
        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    fn auth() -> (Auth, Arc<HandClock>) {
        let clock = Arc::new(HandClock(Mutex::new(Instant::now())));
        (Auth::with_clock(UsersFile::default(), clock.clone()), clock)
    }

    fn user() -> User {
        User {
            name: "cora".into(),
            role: Role::Commissioner,
        }
    }

    #[test]
    fn a_session_ends_after_its_lifetime() {
        let (auth, clock) = auth();
        let id = auth.start_session(user());
        clock.advance(SESSION_LIFETIME - Duration::from_secs(1));
        assert_eq!(auth.session_user(&id), Some(user()));
        clock.advance(Duration::from_secs(1));
        assert_eq!(auth.session_user(&id), None);
        // Expired sessions are dropped when the next one starts.
        let _ = auth.start_session(user());
        assert_eq!(auth.sessions.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_lockout_ends_and_the_count_starts_again() {
        let (auth, clock) = auth();
        for _ in 0..MAX_FAILED_SIGN_INS - 1 {
            auth.sign_in_failed("cora");
        }
        assert_eq!(auth.locked_for("cora"), None);
        auth.sign_in_failed("cora");
        assert_eq!(auth.locked_for("cora"), Some(SIGN_IN_LOCKOUT));
        clock.advance(SIGN_IN_LOCKOUT - Duration::from_secs(60));
        assert_eq!(auth.locked_for("cora"), Some(Duration::from_secs(60)));
        clock.advance(Duration::from_secs(60));
        assert_eq!(auth.locked_for("cora"), None);
        // After the lockout, one failure starts a new count.
        auth.sign_in_failed("cora");
        assert_eq!(auth.failures.lock().unwrap()["cora"].0, 1);
        assert_eq!(auth.locked_for("cora"), None);
        // A success clears it.
        auth.sign_in_succeeded("cora");
        assert!(auth.failures.lock().unwrap().get("cora").is_none());
    }
}
