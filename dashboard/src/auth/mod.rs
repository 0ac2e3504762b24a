//! Who may see what. Users sign in with a password (a session) or send an
//! API token; every route declares an [`Access`], which `web::access`
//! enforces before the handler runs. Nothing here knows of HTTP: the web
//! layer reads the token and session cookie and asks [`Auth`].

pub mod users;

pub use users::{Role, User, UsersFile};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The cookies' names carry the `__Host-` prefix: browsers then accept them
/// only when `Secure`, on `Path=/` and with no `Domain`, so no other site
/// (nor a subdomain) can set them.
pub const SESSION_COOKIE: &str = "__Host-evidence_session";
pub const CSRF_COOKIE: &str = "__Host-evidence_csrf";
/// A session lasts a working day at most...
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// ...and ends after half an hour without a request.
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);

/// A signed-in session: its user, when it started and was last used, and
/// the token its forms carry (tied to the session, so it lives as long as
/// the session does and no longer).
#[derive(Debug)]
struct Session {
    user: User,
    started: Instant,
    seen: Mutex<Instant>,
    csrf: String,
}

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

/// Failed sign-ins allowed per name and address before they are locked for
/// a while. Counted per address, so that someone elsewhere cannot lock a
/// user out of their own machine.
pub const MAX_FAILED_SIGN_INS: u32 = 5;
pub const SIGN_IN_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// The most password checks (argon2id, about 19 MiB each) that run at
/// once; a sign-in beyond them is answered 429 straight away.
pub const MOST_PASSWORD_CHECKS: usize = 4;
/// The most (name, address) failure records kept: only real users' names
/// are counted, and expired records are dropped first.
pub const MOST_FAILURE_RECORDS: usize = 10_000;

/// Why a sign-in is refused before any password is checked.
#[derive(Debug, Clone, PartialEq)]
pub enum SignInRefused {
    /// Not a user name at all (`users::valid_name`).
    BadName,
    /// Too many failures from this address for this name: for how long.
    Locked(Duration),
    /// Every password check is in use.
    Busy,
}

/// A sign-in allowed to check its password: it holds one of the
/// [`MOST_PASSWORD_CHECKS`] places, and its failure is already counted (so
/// that guesses sent at once cannot all run); [`Auth::sign_in_succeeded`]
/// takes the count back.
pub struct SignInAttempt {
    key: Option<(String, Option<IpAddr>)>,
    pub permit: OwnedSemaphorePermit,
}

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

type FailureKey = (String, Option<IpAddr>);

pub struct Auth {
    users: UsersFile,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<FailureKey, (u32, Instant)>>,
    password_checks: Arc<Semaphore>,
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
            password_checks: Arc::new(Semaphore::new(MOST_PASSWORD_CHECKS)),
            clock,
        }
    }

    fn since(&self, then: Instant) -> Duration {
        self.clock.now().saturating_duration_since(then)
    }

    /// Whether sign-in for `name` from `from` is locked after repeated
    /// failures, and for how much longer.
    pub fn locked_for(&self, name: &str, from: Option<IpAddr>) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let (count, since) = failures.get(&(name.to_string(), from))?;
        let left = SIGN_IN_LOCKOUT.saturating_sub(self.since(*since));
        (*count >= MAX_FAILED_SIGN_INS && !left.is_zero()).then_some(left)
    }

    /// May `name`, from `from`, try a password? In order: the name must be
    /// a name at all; a password check must be free; a real user's
    /// (name, address) must not be locked, and its failure is counted now,
    /// before the check, so that N guesses sent at once cannot all run.
    /// Unknown names are checked against a dummy hash (the timing is the
    /// same) but counted nowhere, so the record stays bounded.
    pub fn begin_sign_in(
        &self,
        name: &str,
        from: Option<IpAddr>,
    ) -> Result<SignInAttempt, SignInRefused> {
        if !users::valid_name(name) {
            return Err(SignInRefused::BadName);
        }
        let permit = self
            .password_checks
            .clone()
            .try_acquire_owned()
            .map_err(|_| SignInRefused::Busy)?;
        if !self.users.exists(name) {
            return Ok(SignInAttempt { key: None, permit });
        }
        let key = (name.to_string(), from);
        let mut failures = self.failures.lock().map_err(|_| SignInRefused::Busy)?;
        let now = self.clock.now();
        let entry = failures.entry(key.clone()).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= SIGN_IN_LOCKOUT {
            *entry = (0, now);
        }
        if entry.0 >= MAX_FAILED_SIGN_INS {
            let left = SIGN_IN_LOCKOUT.saturating_sub(now.saturating_duration_since(entry.1));
            return Err(SignInRefused::Locked(left));
        }
        entry.0 += 1;
        if failures.len() > MOST_FAILURE_RECORDS {
            failures
                .retain(|_, (_, since)| now.saturating_duration_since(*since) < SIGN_IN_LOCKOUT);
            while failures.len() > MOST_FAILURE_RECORDS {
                let Some(oldest) = failures
                    .iter()
                    .min_by_key(|(_, (_, since))| *since)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                failures.remove(&oldest);
            }
        }
        Ok(SignInAttempt {
            key: Some(key),
            permit,
        })
    }

    /// The password was right: the failure counted in advance is taken
    /// back, with any before it.
    pub fn sign_in_succeeded(&self, attempt: SignInAttempt) {
        if let (Some(key), Ok(mut failures)) = (attempt.key, self.failures.lock()) {
            failures.remove(&key);
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
            sessions.retain(|_, s| self.live(s, now));
            sessions.insert(
                id.clone(),
                Session {
                    user,
                    started: now,
                    seen: Mutex::new(now),
                    csrf: users::random_hex(32),
                },
            );
        }
        id
    }

    fn live(&self, s: &Session, now: Instant) -> bool {
        let seen = s.seen.lock().map(|t| *t).unwrap_or(s.started);
        now.saturating_duration_since(s.started) < SESSION_LIFETIME
            && now.saturating_duration_since(seen) < SESSION_IDLE
    }

    pub fn end_session(&self, id: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(id);
        }
    }

    /// The user of a session id, while the session lasts (and it is used
    /// now: its idle time starts again).
    pub fn session_user(&self, id: &str) -> Option<User> {
        let sessions = self.sessions.lock().ok()?;
        let s = sessions.get(id)?;
        let now = self.clock.now();
        if !self.live(s, now) {
            return None;
        }
        if let Ok(mut seen) = s.seen.lock() {
            *seen = now;
        }
        Some(s.user.clone())
    }

    /// The token a live session's forms carry.
    pub fn session_csrf(&self, id: &str) -> Option<String> {
        let sessions = self.sessions.lock().ok()?;
        let s = sessions.get(id)?;
        self.live(s, self.clock.now()).then(|| s.csrf.clone())
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
    fn a_session_ends_after_its_lifetime_even_when_used() {
        let (auth, clock) = auth();
        let id = auth.start_session(user());
        // Used every 20 minutes, it lasts its lifetime and no longer.
        let step = Duration::from_secs(20 * 60);
        let mut waited = Duration::ZERO;
        while waited + step < SESSION_LIFETIME {
            clock.advance(step);
            waited += step;
            assert_eq!(auth.session_user(&id), Some(user()));
        }
        clock.advance(SESSION_LIFETIME - waited);
        assert_eq!(auth.session_user(&id), None);
        // Expired sessions are dropped when the next one starts.
        let _ = auth.start_session(user());
        assert_eq!(auth.sessions.lock().unwrap().len(), 1);
    }

    fn auth_with_cora() -> (Auth, Arc<HandClock>) {
        let clock = Arc::new(HandClock(Mutex::new(Instant::now())));
        let mut users = UsersFile::default();
        users
            .add("cora", Role::Commissioner, Some("right"))
            .unwrap();
        (Auth::with_clock(users, clock.clone()), clock)
    }

    #[test]
    fn an_idle_session_ends_and_its_token_with_it() {
        let (auth, clock) = auth();
        let id = auth.start_session(user());
        let csrf = auth.session_csrf(&id).unwrap();
        assert_eq!(csrf.len(), 64);
        clock.advance(SESSION_IDLE - Duration::from_secs(1));
        assert_eq!(auth.session_user(&id), Some(user()), "used in time");
        clock.advance(SESSION_IDLE - Duration::from_secs(1));
        assert_eq!(
            auth.session_csrf(&id),
            Some(csrf),
            "the token lives with the session"
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(auth.session_user(&id), None, "idle for half an hour");
        assert_eq!(auth.session_csrf(&id), None);
    }

    #[test]
    fn a_lockout_counts_before_the_check_ends_and_starts_again() {
        let (auth, clock) = auth_with_cora();
        let here = Some(IpAddr::from([10, 0, 0, 1]));
        // Five attempts may run (each counted as it starts); the sixth is
        // refused before its password is checked.
        let attempts: Vec<_> = (0..MAX_FAILED_SIGN_INS)
            .map(|_| auth.begin_sign_in("cora", here))
            .map(|a| a.map(|a| drop(a.permit)).map(|_| ()))
            .collect();
        assert!(attempts.iter().all(Result::is_ok));
        assert_eq!(
            auth.begin_sign_in("cora", here).err(),
            Some(SignInRefused::Locked(SIGN_IN_LOCKOUT))
        );
        assert_eq!(auth.locked_for("cora", here), Some(SIGN_IN_LOCKOUT));
        // Another address is not locked out by this one's failures.
        let elsewhere = Some(IpAddr::from([10, 0, 0, 2]));
        assert!(auth.begin_sign_in("cora", elsewhere).is_ok());
        clock.advance(SIGN_IN_LOCKOUT);
        assert_eq!(auth.locked_for("cora", here), None);
        // After the lockout a new count starts; a success clears it.
        let attempt = auth.begin_sign_in("cora", here).unwrap();
        assert_eq!(
            auth.failures.lock().unwrap()[&("cora".to_string(), here)].0,
            1
        );
        auth.sign_in_succeeded(attempt);
        assert!(
            auth.failures
                .lock()
                .unwrap()
                .get(&("cora".to_string(), here))
                .is_none()
        );
    }

    #[test]
    fn unknown_and_malformed_names_are_never_recorded() {
        let (auth, _) = auth_with_cora();
        for i in 0..1000 {
            let attempt = auth.begin_sign_in(&format!("nobody{i}"), None).unwrap();
            drop(attempt);
        }
        assert!(auth.failures.lock().unwrap().is_empty());
        assert_eq!(
            auth.begin_sign_in("ana\nINFO forged line", None).err(),
            Some(SignInRefused::BadName)
        );
        assert_eq!(
            auth.begin_sign_in(&"x".repeat(65), None).err(),
            Some(SignInRefused::BadName)
        );
    }

    #[test]
    fn password_checks_are_capped() {
        let (auth, _) = auth_with_cora();
        let held: Vec<_> = (0..MOST_PASSWORD_CHECKS)
            .map(|i| auth.begin_sign_in(&format!("n{i}"), None).unwrap())
            .collect();
        assert_eq!(
            auth.begin_sign_in("n", None).err(),
            Some(SignInRefused::Busy)
        );
        drop(held);
        assert!(auth.begin_sign_in("n", None).is_ok());
    }
}
