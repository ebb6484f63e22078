//! The demo hub's sessions, in memory: one per browser (an HttpOnly cookie carries only its
//! random id), each with a short TTL. A session holds the pending login's `state` (checked on
//! the callback: login-CSRF defence), then the consumed identity for the consent and
//! signed-in pages. The identity never travels through the cookie.
//!
//! The clock is an argument (`now`), so that the TTLs are tested without waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::texts::Lang;
use super::view::{Failure, Identity};

/// Why a session operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// No session cookie, or its session expired or never existed.
    #[error("no session")]
    NoSession,
    /// The session is not waiting for a callback (none started, or already answered).
    #[error("no login is pending in this session")]
    NotPending,
    /// The callback's `state` is not the one this session started with (login CSRF).
    #[error("the state does not match")]
    StateMismatch,
    /// The session is not at the consent step, or the form's token is not its own.
    #[error("nothing to continue")]
    NotAtConsent,
    /// Too many live sessions.
    #[error("too many sessions")]
    Full,
    /// The random generator failed.
    #[error("no randomness")]
    Random,
}

impl SessionError {
    /// Stable code (shown on the error page).
    pub fn code(self) -> &'static str {
        match self {
            Self::NoSession => "session_missing",
            Self::NotPending => "login_not_pending",
            Self::StateMismatch => "state_mismatch",
            Self::NotAtConsent => "consent_not_pending",
            Self::Full => "sessions_full",
            Self::Random => "technical_error",
        }
    }
}

/// A login sent to the connector, waiting for the browser to come back.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// The `state` given to the connector, echoed on the callback.
    pub state: String,
    /// The connector's request id.
    pub request_id: String,
}

/// Where a session stands.
#[derive(Debug, Clone)]
pub enum Stage {
    /// Sent to the connector.
    Pending(PendingLogin),
    /// Back from the connector: its result is being consumed.
    Consuming,
    /// Step 4: the identity, waiting for "continue" with this form token.
    Consent {
        /// What the connector gave.
        identity: Box<Identity>,
        /// The consent form's anti-CSRF token.
        token: String,
    },
    /// The connector answered with a failure.
    Failed(Failure),
    /// Step 5.
    SignedIn(Box<Identity>),
}

/// One browser's session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The language of its pages.
    pub lang: Lang,
    /// Where it stands.
    pub stage: Stage,
    expires_at: Instant,
}

/// Every live session, by id.
#[derive(Debug)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
    ttl: Duration,
    max: usize,
}

impl Sessions {
    /// At most `max` sessions, each living `ttl` after its last change.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self { inner: Mutex::new(HashMap::new()), ttl, max }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock leaves plain data behind: keep serving.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh session for a login just started; `previous` (the browser's old session) is
    /// dropped, so that every login gets a new id. Returns the new id.
    pub fn begin(
        &self,
        now: Instant,
        previous: Option<&str>,
        lang: Lang,
        pending: PendingLogin,
    ) -> Result<String, SessionError> {
        let id = crate::flow::new_handle().map_err(|_| SessionError::Random)?;
        let mut all = self.lock();
        if let Some(old) = previous {
            all.remove(old);
        }
        all.retain(|_, s| s.expires_at > now);
        if all.len() >= self.max {
            return Err(SessionError::Full);
        }
        all.insert(id.clone(), Session { lang, stage: Stage::Pending(pending), expires_at: now + self.ttl });
        Ok(id)
    }

    /// The session `id`, when live.
    pub fn get(&self, now: Instant, id: Option<&str>) -> Option<Session> {
        let mut all = self.lock();
        let id = id?;
        match all.get(id) {
            Some(s) if s.expires_at > now => Some(s.clone()),
            Some(_) => {
                all.remove(id);
                None
            }
            None => None,
        }
    }

    /// The callback: the pending login of session `id` when `state` is its own. It is taken
    /// (one callback per login); a wrong `state` leaves it in place, so that a forged callback
    /// cannot abort the citizen's own login.
    pub fn take_pending(&self, now: Instant, id: Option<&str>, state: &str) -> Result<PendingLogin, SessionError> {
        let mut all = self.lock();
        let session =
            id.and_then(|id| all.get_mut(id)).filter(|s| s.expires_at > now).ok_or(SessionError::NoSession)?;
        let Stage::Pending(pending) = &session.stage else {
            return Err(SessionError::NotPending);
        };
        // Compared in constant time, as a secret.
        if pending.state.len() != state.len() || !openssl::memcmp::eq(pending.state.as_bytes(), state.as_bytes()) {
            return Err(SessionError::StateMismatch);
        }
        let taken = pending.clone();
        session.stage = Stage::Consuming;
        Ok(taken)
    }

    /// Moves session `id` to `stage` (and changes its language when `lang` is given), renewing
    /// its TTL.
    pub fn set(&self, now: Instant, id: &str, stage: Stage, lang: Option<Lang>) -> Result<(), SessionError> {
        let mut all = self.lock();
        let session = all.get_mut(id).filter(|s| s.expires_at > now).ok_or(SessionError::NoSession)?;
        session.stage = stage;
        if let Some(lang) = lang {
            session.lang = lang;
        }
        session.expires_at = now + self.ttl;
        Ok(())
    }

    /// Remembers the language chosen on a page of session `id`.
    pub fn set_lang(&self, now: Instant, id: Option<&str>, lang: Lang) {
        let mut all = self.lock();
        if let Some(session) = id.and_then(|id| all.get_mut(id)).filter(|s| s.expires_at > now) {
            session.lang = lang;
        }
    }

    /// "Continue" on the consent page: session `id` moves to signed in when `token` is its
    /// consent form's. Returns the identity.
    pub fn sign_in(&self, now: Instant, id: Option<&str>, token: &str) -> Result<Box<Identity>, SessionError> {
        let mut all = self.lock();
        let session =
            id.and_then(|id| all.get_mut(id)).filter(|s| s.expires_at > now).ok_or(SessionError::NoSession)?;
        let identity = Box::new(consent_identity(&session.stage, token)?.clone());
        session.stage = Stage::SignedIn(identity.clone());
        session.expires_at = now + self.ttl;
        Ok(identity)
    }

    /// "Cancel" on the consent page: session `id` is forgotten when `token` is its consent
    /// form's.
    pub fn cancel_consent(&self, now: Instant, id: Option<&str>, token: &str) -> Result<(), SessionError> {
        let mut all = self.lock();
        let key = id.filter(|id| all.get(*id).is_some_and(|s| s.expires_at > now)).ok_or(SessionError::NoSession)?;
        if let Some(session) = all.get(key) {
            consent_identity(&session.stage, token)?;
        }
        all.remove(key);
        Ok(())
    }

    /// Forgets session `id` (sign out, cancel).
    pub fn remove(&self, id: Option<&str>) {
        if let Some(id) = id {
            self.lock().remove(id);
        }
    }

    /// How many sessions are held (expired ones included until the next login start).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The identity of a session at the consent step whose form token is `token`.
fn consent_identity<'a>(stage: &'a Stage, token: &str) -> Result<&'a Identity, SessionError> {
    let Stage::Consent { identity, token: expected } = stage else {
        return Err(SessionError::NotAtConsent);
    };
    // Compared in constant time, as a secret.
    if expected.len() != token.len() || !openssl::memcmp::eq(expected.as_bytes(), token.as_bytes()) {
        return Err(SessionError::NotAtConsent);
    }
    Ok(identity.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(state: &str) -> PendingLogin {
        PendingLogin { state: state.into(), request_id: "req-1".into() }
    }

    fn sessions() -> Sessions {
        Sessions::new(Duration::from_secs(600), 3)
    }

    #[test]
    fn the_callback_is_accepted_once_with_its_own_state() {
        let (s, now) = (sessions(), Instant::now());
        let id = s.begin(now, None, Lang::En, pending("state-abc")).unwrap();
        assert_eq!(s.take_pending(now, Some(&id), "state-abc").unwrap().request_id, "req-1");
        assert_eq!(s.take_pending(now, Some(&id), "state-abc").unwrap_err(), SessionError::NotPending);
    }

    #[test]
    fn a_wrong_state_is_refused_and_leaves_the_login_pending() {
        let (s, now) = (sessions(), Instant::now());
        let id = s.begin(now, None, Lang::Fr, pending("state-abc")).unwrap();
        for wrong in ["state-abd", "state-ab", "", "state-abcd"] {
            assert_eq!(s.take_pending(now, Some(&id), wrong).unwrap_err(), SessionError::StateMismatch, "{wrong}");
        }
        assert!(s.take_pending(now, Some(&id), "state-abc").is_ok());
    }

    #[test]
    fn a_callback_without_a_live_session_is_refused() {
        let (s, now) = (sessions(), Instant::now());
        assert_eq!(s.take_pending(now, None, "x").unwrap_err(), SessionError::NoSession);
        assert_eq!(s.take_pending(now, Some("unknown"), "x").unwrap_err(), SessionError::NoSession);
        let id = s.begin(now, None, Lang::Fr, pending("st")).unwrap();
        let later = now + Duration::from_secs(601);
        assert_eq!(s.take_pending(later, Some(&id), "st").unwrap_err(), SessionError::NoSession);
        assert!(s.get(later, Some(&id)).is_none());
    }

    #[test]
    fn a_new_login_replaces_the_browser_s_session_and_the_store_is_bounded() {
        let (s, now) = (sessions(), Instant::now());
        let first = s.begin(now, None, Lang::Fr, pending("a")).unwrap();
        let second = s.begin(now, Some(&first), Lang::Fr, pending("b")).unwrap();
        assert_ne!(first, second);
        assert!(s.get(now, Some(&first)).is_none());
        s.begin(now, None, Lang::Fr, pending("c")).unwrap();
        s.begin(now, None, Lang::Fr, pending("d")).unwrap();
        assert_eq!(s.begin(now, None, Lang::Fr, pending("e")).unwrap_err(), SessionError::Full);
        // Expired ones make room.
        assert!(s.begin(now + Duration::from_secs(601), None, Lang::Fr, pending("f")).is_ok());
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn continue_needs_the_consent_stage_and_its_token() {
        let (s, now) = (sessions(), Instant::now());
        let id = s.begin(now, None, Lang::Fr, pending("st")).unwrap();
        assert_eq!(s.sign_in(now, Some(&id), "tok").unwrap_err(), SessionError::NotAtConsent);
        let identity = Box::new(Identity::sample());
        s.set(now, &id, Stage::Consent { identity, token: "tok".into() }, None).unwrap();
        assert_eq!(s.sign_in(now, Some(&id), "tok2").unwrap_err(), SessionError::NotAtConsent);
        assert_eq!(s.sign_in(now, Some(&id), "tok").unwrap().given_name, "Javier");
        assert!(matches!(s.get(now, Some(&id)).unwrap().stage, Stage::SignedIn(_)));
        s.remove(Some(&id));
        assert!(s.get(now, Some(&id)).is_none());
    }

    #[test]
    fn cancel_needs_the_consent_token_and_forgets_the_session() {
        let (s, now) = (sessions(), Instant::now());
        let id = s.begin(now, None, Lang::Fr, pending("st")).unwrap();
        s.set(now, &id, Stage::Consent { identity: Box::new(Identity::sample()), token: "tok".into() }, None).unwrap();
        assert_eq!(s.cancel_consent(now, Some(&id), "bad").unwrap_err(), SessionError::NotAtConsent);
        assert!(s.get(now, Some(&id)).is_some());
        s.cancel_consent(now, Some(&id), "tok").unwrap();
        assert!(s.get(now, Some(&id)).is_none());
        assert_eq!(s.cancel_consent(now, Some(&id), "tok").unwrap_err(), SessionError::NoSession);
    }
}
