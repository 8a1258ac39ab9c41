//! Login, refresh and authentication of access tokens.

use crate::commands::{LoginCommand, RefreshCommand};
use crate::permissions;
use crate::ports::{AgentRepository, PasswordHasher, TokenCodec, TokenError, TokenKind};
use crate::throttle::LoginThrottle;
use crate::throttle_port::{LoginAttempts, ThrottleLimit};
use chrono::{DateTime, Utc};
use kernel::{CacheInvalidation, Clock, DomainError, Invalidation, Result};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub is_superuser: bool,
    pub is_active: bool,
    pub permissions: HashSet<String>,
}

impl Principal {
    /// Superusers hold every permission.
    pub fn has_perm(&self, code: &str) -> bool {
        self.is_superuser || self.permissions.contains(code)
    }

    /// Row scope for owner-scoped resources: `None` = everything (superuser).
    pub fn owner_scope(&self) -> Option<i64> {
        (!self.is_superuser).then_some(self.id)
    }

    /// Returns `Forbidden` unless the caller holds `code`.
    pub fn require(&self, code: &str) -> Result<()> {
        if self.has_perm(code) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(None))
        }
    }
}

/// An authenticated agent as cached: the principal, the agent's `tokens_not_before` and when
/// it was loaded.
#[derive(Clone)]
struct Cached {
    principal: Arc<Principal>,
    tokens_not_before: i64,
    at: i64,
}

/// Authenticated agents by id, with the time they were loaded. Agent and group writes clear it
/// (through [`crate::agents::AgentService`] and [`crate::groups::GroupService`]), so a
/// deactivation, a password change or a permission change applies to the very next request.
///
/// With [`PrincipalCache::follow`] the clears go through the cache-invalidation port, so other
/// instances drop their principals too.
///
/// This map and `AuthService::verified` stay hand-made rather than moka: both are read on every
/// authenticated request, and a moka hit measured 4-5x the cost of this `RwLock<HashMap>` hit
/// (~330-400 ns vs ~80 ns, token cache ~470-790 ns vs ~210-260 ns), with `GET /me/` under wrk
/// about 9 % slower by median (issue 8 §1).
#[derive(Default)]
pub struct PrincipalCache {
    map: RwLock<HashMap<i64, Cached>>,
    bus: std::sync::OnceLock<Arc<dyn CacheInvalidation>>,
}

/// The principal cache's name in invalidations.
pub const PRINCIPALS: &str = "authz.principals";

impl PrincipalCache {
    /// Publishes this cache's clears on `bus`, and clears it on every [`PRINCIPALS`]
    /// invalidation from it. Call once, at wiring time.
    pub fn follow(self: &Arc<Self>, bus: Arc<dyn CacheInvalidation>) {
        let weak = Arc::downgrade(self);
        bus.subscribe(
            PRINCIPALS,
            Arc::new(move |_: &Invalidation| {
                if let Some(cache) = weak.upgrade() {
                    cache.clear();
                }
            }),
        );
        let _ = self.bus.set(bus);
    }

    fn clear(&self) {
        if let Ok(mut c) = self.map.write() {
            c.clear();
        }
    }

    fn get(&self, id: i64) -> Option<Cached> {
        self.map.read().ok()?.get(&id).cloned()
    }

    fn put(&self, id: i64, c: Cached) {
        if let Ok(mut m) = self.map.write() {
            if m.len() > 50_000 {
                m.clear();
            }
            m.insert(id, c);
        }
    }

    /// Forgets every cached principal (on every instance, once it follows a bus).
    pub fn invalidate(&self) {
        match self.bus.get() {
            Some(bus) => bus.publish(&Invalidation::all(PRINCIPALS)),
            None => self.clear(),
        }
    }
}

#[cfg(test)]
mod principal_bus_tests {
    use super::*;

    /// Two caches on one bus stand for two instances: an agent write on one clears both.
    #[test]
    fn a_clear_on_one_instance_reaches_the_other() {
        let bus: Arc<dyn CacheInvalidation> = Arc::new(kernel::LocalInvalidations::default());
        let (here, there) = (
            Arc::new(PrincipalCache::default()),
            Arc::new(PrincipalCache::default()),
        );
        here.follow(bus.clone());
        there.follow(bus);
        let cached = Cached {
            principal: Arc::new(Principal {
                id: 1,
                username: "a".into(),
                email: String::new(),
                display_name: String::new(),
                is_superuser: false,
                is_active: true,
                permissions: HashSet::new(),
            }),
            tokens_not_before: 0,
            at: 0,
        };
        here.put(1, cached.clone());
        there.put(1, cached);
        there.invalidate();
        assert!(here.get(1).is_none());
        assert!(there.get(1).is_none());
    }
}

/// Why a token was refused (each has its own contract body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    InvalidToken,
    WrongType,
    UserNotFound,
    UserInactive,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenPair {
    pub refresh: String,
    pub access: String,
}

pub struct AuthConfig {
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    /// How long an authenticated principal may be served from memory.
    pub cache_ttl_secs: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            access_ttl_secs: 300,
            refresh_ttl_secs: 86_400,
            cache_ttl_secs: 10,
        }
    }
}

pub struct AuthService {
    agents: Arc<dyn AgentRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenCodec>,
    clock: Arc<dyn Clock>,
    /// Failed logins (see [`AuthService::with_login_attempts`]).
    throttle: Arc<dyn LoginAttempts>,
    /// The in-process throttle when it is the one in use (its size, for diagnostics).
    local_throttle: Option<Arc<LoginThrottle>>,
    config: AuthConfig,
    cache: Arc<PrincipalCache>,
    /// Access tokens whose signature was already verified: token → (user id, exp, iat). Saves
    /// the signature check on every request; expiry is still checked against the clock, and
    /// `iat` against the agent's `tokens_not_before`, each time.
    verified: RwLock<HashMap<String, (i64, i64, i64)>>,
}

/// Failures per address (and per username from one address) inside the window.
pub const LOGIN_MAX_FAILURES: usize = 10;
pub const LOGIN_WINDOW_SECS: i64 = 300;
/// Longest username an agent can have; longer ones are refused without a lookup.
const USERNAME_MAX_CHARS: usize = 150;

pub const BAD_CREDENTIALS: &str = "Usuário e/ou senha incorreto(s)";

impl AuthService {
    pub fn new(
        agents: Arc<dyn AgentRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenCodec>,
        clock: Arc<dyn Clock>,
        config: AuthConfig,
    ) -> Self {
        let local = Arc::new(LoginThrottle::new(LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECS));
        Self {
            agents,
            hasher,
            tokens,
            clock,
            throttle: local.clone(),
            local_throttle: Some(local),
            config,
            cache: Arc::new(PrincipalCache::default()),
            verified: RwLock::new(HashMap::new()),
        }
    }

    /// Counts failed logins in `attempts` (a store shared by several instances, say) instead
    /// of the in-process throttle.
    pub fn with_login_attempts(mut self, attempts: Arc<dyn LoginAttempts>) -> Self {
        self.throttle = attempts;
        self.local_throttle = None;
        self
    }

    /// `POST /auth/token/`. `client` identifies the caller's address for throttling.
    ///
    /// Throttling: an address with [`LOGIN_MAX_FAILURES`] failures in the window is blocked
    /// (whatever the username), and so is a (username, address) pair with as many. Failures
    /// for a username from other addresses never block an address that has not failed for
    /// it, so nobody can lock an agent out; but once a username has had that many failures
    /// from all addresses together, an address that failed for it even once is blocked for it.
    pub async fn login(&self, cmd: LoginCommand) -> Result<TokenPair> {
        let LoginCommand {
            username,
            password,
            client,
        } = cmd;
        let client = client.as_str();
        let now = self.clock.now().timestamp();
        let name = if username.len() > 4 * USERNAME_MAX_CHARS {
            // Too long for any agent: only its (hashed) key matters, not its case.
            username.clone()
        } else {
            username.to_lowercase()
        };
        let ip_key = self.throttle.key("ip", client);
        let user_key = self.throttle.key("user", &name);
        let pair_key = self.throttle.key(&format!("pair:{client}"), &name);
        // The attempt is counted before the password is checked, in one step with the check
        // of the limits: a parallel burst cannot get more attempts through than the limit.
        // Once the username has `max` failures from all addresses together, the pair is
        // limited to one (read just before: a burst is still bounded by the pair's limit).
        let max = self.throttle.max();
        let pair_limit = if self.throttle.failures(&user_key, now).await >= max {
            1
        } else {
            max
        };
        let limits = [
            ThrottleLimit {
                key: ip_key.clone(),
                limit: max,
            },
            ThrottleLimit {
                key: pair_key.clone(),
                limit: pair_limit,
            },
        ];
        let keys = [ip_key, pair_key.clone(), user_key];
        let attempt = self
            .throttle
            .attempt(&limits, &keys, now)
            .await
            .map_err(DomainError::Throttled)?;
        let agent = if username.chars().count() > USERNAME_MAX_CHARS {
            None
        } else {
            match self.agents.find_by_username(&username).await {
                Ok(a) => a,
                Err(e) => {
                    self.throttle.abandoned(attempt).await;
                    return Err(e);
                }
            }
        };
        drop(username);
        let ok = match &agent {
            Some(a) => self.hasher.verify(&password, &a.password_hash).await && a.is_active,
            None => {
                // Same work as a real check so timing does not reveal unknown usernames.
                let _ = self.hasher.verify(&password, DUMMY_HASH).await;
                false
            }
        };
        let Some(agent) = agent.filter(|_| ok) else {
            self.throttle.failed(attempt).await;
            return Err(DomainError::BadCredentials);
        };
        self.throttle
            .succeeded(attempt, std::slice::from_ref(&pair_key))
            .await;
        let now = issue_time(self.clock.now(), agent.tokens_not_before);
        Ok(TokenPair {
            refresh: self.tokens.issue(
                agent.id,
                TokenKind::Refresh,
                now,
                self.config.refresh_ttl_secs,
            )?,
            access: self.tokens.issue(
                agent.id,
                TokenKind::Access,
                now,
                self.config.access_ttl_secs,
            )?,
        })
    }

    /// `POST /auth/refresh/`: a new access token for a valid refresh token.
    pub async fn refresh(&self, cmd: RefreshCommand) -> Result<String> {
        let refresh = cmd.refresh;
        let invalid = |msg: &str| DomainError::InvalidToken(msg.to_string());
        let now = self.clock.now();
        let claims = self
            .tokens
            .decode(&refresh, now)
            .map_err(|TokenError::Invalid| invalid("O token é inválido ou expirado"))?;
        if claims.kind != TokenKind::Refresh {
            return Err(invalid("Token tem tipo errado"));
        }
        let agent = match self.agents.get(claims.user_id).await? {
            Some(a) if a.is_active && claims.iat >= a.tokens_not_before => a,
            _ => return Err(invalid("O token é inválido ou expirado")),
        };
        let now = issue_time(now, agent.tokens_not_before);
        self.tokens.issue(
            claims.user_id,
            TokenKind::Access,
            now,
            self.config.access_ttl_secs,
        )
    }

    /// Validates an access token and loads the caller (served from a short-lived cache that
    /// every agent/group write invalidates).
    pub async fn authenticate(
        &self,
        token: &str,
    ) -> std::result::Result<Arc<Principal>, AuthOutcome> {
        let now = self.clock.now();
        let ts = now.timestamp();
        let known = self
            .verified
            .read()
            .ok()
            .and_then(|v| v.get(token).copied());
        let (user_id, iat) = match known {
            Some((user_id, exp, iat)) if exp > ts => (user_id, iat),
            _ => {
                let claims = self
                    .tokens
                    .decode(token, now)
                    .map_err(|_| AuthFailure::InvalidToken)?;
                if claims.kind != TokenKind::Access {
                    return Err(AuthFailure::WrongType.into());
                }
                if let Ok(mut v) = self.verified.write() {
                    if v.len() >= 100_000 {
                        v.retain(|_, (_, exp, _)| *exp > ts);
                        if v.len() >= 100_000 {
                            v.clear();
                        }
                    }
                    v.insert(token.to_string(), (claims.user_id, claims.exp, claims.iat));
                }
                (claims.user_id, claims.iat)
            }
        };
        let cached = match self.cache.get(user_id) {
            Some(c) if ts - c.at < self.config.cache_ttl_secs => c,
            _ => {
                let (principal, tokens_not_before) = self
                    .load_principal(user_id)
                    .await?
                    .ok_or(AuthFailure::UserNotFound)?;
                let c = Cached {
                    principal: Arc::new(principal),
                    tokens_not_before,
                    at: ts,
                };
                self.cache.put(user_id, c.clone());
                c
            }
        };
        let p = check_active(cached.principal)?;
        if iat < cached.tokens_not_before {
            // Issued before the password changed or the agent was deactivated.
            return Err(AuthFailure::InvalidToken.into());
        }
        Ok(p)
    }

    /// How many keys the login throttle holds.
    pub fn throttle_len(&self) -> usize {
        self.local_throttle.as_ref().map_or(0, |t| t.len())
    }

    /// Length in bytes of the longest key the login throttle holds.
    pub fn throttle_longest_key(&self) -> usize {
        self.local_throttle.as_ref().map_or(0, |t| t.longest_key())
    }

    /// The principal cache, to hand to the services whose writes must clear it.
    pub fn principal_cache(&self) -> Arc<PrincipalCache> {
        self.cache.clone()
    }

    /// The principal and its agent's `tokens_not_before`.
    async fn load_principal(&self, id: i64) -> Result<Option<(Principal, i64)>> {
        let Some(a) = self.agents.get(id).await? else {
            return Ok(None);
        };
        let permissions = if a.is_superuser {
            permissions::all().iter().map(|p| p.code()).collect()
        } else {
            self.agents
                .permission_codes(id)
                .await?
                .into_iter()
                .collect()
        };
        Ok(Some((
            Principal {
                id: a.id,
                username: a.username,
                email: a.email,
                display_name: a.display_name,
                is_superuser: a.is_superuser,
                is_active: a.is_active,
                permissions,
            },
            a.tokens_not_before,
        )))
    }
}

/// The `iat` of a new token: now, or the agent's `tokens_not_before` when that is later (it
/// is at most a second ahead, right after a password change), so that a token issued just
/// after the change is never taken for one issued before it.
fn issue_time(now: DateTime<Utc>, tokens_not_before: i64) -> DateTime<Utc> {
    if now.timestamp() < tokens_not_before {
        DateTime::from_timestamp(tokens_not_before, 0).unwrap_or(now)
    } else {
        now
    }
}

/// Result of a failed authentication: a token problem or an infrastructure error.
#[derive(Debug)]
pub enum AuthOutcome {
    Refused(AuthFailure),
    Error(DomainError),
}

impl From<AuthFailure> for AuthOutcome {
    fn from(f: AuthFailure) -> Self {
        AuthOutcome::Refused(f)
    }
}

impl From<DomainError> for AuthOutcome {
    fn from(e: DomainError) -> Self {
        AuthOutcome::Error(e)
    }
}

fn check_active(p: Arc<Principal>) -> std::result::Result<Arc<Principal>, AuthOutcome> {
    if p.is_active {
        Ok(p)
    } else {
        Err(AuthFailure::UserInactive.into())
    }
}

/// A valid argon2id hash of a random string, verified against when the username is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0T3q0V0cS0b4i9bY4m6jv8o0mKkq3fS0xkYg6vZ2t5Q";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Agent;
    use crate::ports::{Claims, MockAgentRepository, MockPasswordHasher, MockTokenCodec};
    use chrono::{TimeZone, Utc};
    use futures_executor::block_on;
    use kernel::clock::MockClock;
    use mockall::predicate::eq;

    fn cmd(username: &str, password: &str, client: &str) -> LoginCommand {
        LoginCommand {
            username: username.into(),
            password: password.into(),
            client: client.into(),
        }
    }

    fn refresh(token: &str) -> RefreshCommand {
        RefreshCommand {
            refresh: token.into(),
        }
    }

    fn agent(active: bool) -> Agent {
        Agent {
            id: 7,
            username: "maria".into(),
            email: "m@x.com".into(),
            display_name: "Maria".into(),
            phone_number: String::new(),
            is_active: active,
            is_superuser: false,
            password_hash: "H".into(),
            criado_em: Utc.timestamp_opt(0, 0).unwrap(),
            groups: vec![],
            tokens_not_before: 0,
        }
    }

    fn clock() -> Arc<MockClock> {
        let mut c = MockClock::new();
        c.expect_now()
            .returning(|| Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        Arc::new(c)
    }

    fn service(
        repo: MockAgentRepository,
        hasher: MockPasswordHasher,
        tokens: MockTokenCodec,
    ) -> AuthService {
        AuthService::new(
            Arc::new(repo),
            Arc::new(hasher),
            Arc::new(tokens),
            clock(),
            AuthConfig::default(),
        )
    }

    /// Login goes through the `LoginAttempts` port: each admitted attempt ends with exactly
    /// one of failed (bad password), succeeded (clearing the pair) or abandoned (the
    /// database failed); a refused attempt is the port's wait, and reads nothing.
    #[test]
    fn login_counts_attempts_through_the_port() {
        use crate::throttle_port::{Attempt, MockLoginAttempts};
        let mut attempts = MockLoginAttempts::new();
        attempts.expect_key().returning(|p, k| format!("{p}:{k}"));
        attempts.expect_max().return_const(10usize);
        attempts.expect_failures().returning(|_, _| 0);
        attempts.expect_attempt().returning(|limits, keys, now| {
            assert_eq!(limits[0].key, "ip:9.9.9.9");
            if keys.iter().any(|k| k == "user:bloqueado") {
                return Err(42);
            }
            Ok(Attempt {
                keys: keys.to_vec(),
                at: now,
                restore: Vec::new(),
            })
        });
        attempts.expect_failed().times(1).returning(|_| ());
        attempts
            .expect_succeeded()
            .withf(|_, clear| clear == ["pair:9.9.9.9:maria"])
            .times(1)
            .returning(|_, _| ());
        attempts.expect_abandoned().times(1).returning(|_| ());
        let mut repo = MockAgentRepository::new();
        repo.expect_find_by_username()
            .with(eq("maria"))
            .returning(|_| Ok(Some(agent(true))));
        repo.expect_find_by_username()
            .with(eq("quebrado"))
            .returning(|_| Err(DomainError::internal("db down")));
        repo.expect_find_by_username().with(eq("bloqueado")).never();
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|p, _| p == "certa");
        let mut tokens = MockTokenCodec::new();
        tokens.expect_issue().returning(|_, _, _, _| Ok("t".into()));
        let s = service(repo, hasher, tokens).with_login_attempts(Arc::new(attempts));
        assert!(block_on(s.login(cmd("maria", "certa", "9.9.9.9"))).is_ok());
        assert!(matches!(
            block_on(s.login(cmd("maria", "x", "9.9.9.9"))),
            Err(DomainError::BadCredentials)
        ));
        assert!(matches!(
            block_on(s.login(cmd("quebrado", "x", "9.9.9.9"))),
            Err(DomainError::Internal(_))
        ));
        assert!(matches!(
            block_on(s.login(cmd("bloqueado", "x", "9.9.9.9"))),
            Err(DomainError::Throttled(42))
        ));
        assert_eq!(s.throttle_len(), 0);
    }

    #[test]
    fn login_issues_pair_and_rejects_bad_password() {
        let mut repo = MockAgentRepository::new();
        repo.expect_find_by_username()
            .with(eq("maria"))
            .returning(|_| Ok(Some(agent(true))));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|p, _| p == "certa");
        let mut tokens = MockTokenCodec::new();
        tokens
            .expect_issue()
            .returning(|id, k, _, ttl| Ok(format!("{id}-{}-{ttl}", k.as_str())));
        let s = service(repo, hasher, tokens);
        let pair = block_on(s.login(cmd("maria", "certa", "1.2.3.4"))).unwrap();
        assert_eq!(pair.access, "7-access-300");
        assert_eq!(pair.refresh, "7-refresh-86400");
        let err = block_on(s.login(cmd("maria", "x", "1.2.3.4"))).unwrap_err();
        assert!(matches!(err, DomainError::BadCredentials));
    }

    #[test]
    fn login_requires_fields_and_throttles() {
        let mut repo = MockAgentRepository::new();
        repo.expect_find_by_username().returning(|_| Ok(None));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| false);
        let s = service(repo, hasher, MockTokenCodec::new());
        for _ in 0..10 {
            let e = block_on(s.login(cmd("x", "y", "ip"))).unwrap_err();
            assert!(matches!(e, DomainError::BadCredentials));
        }
        let e = block_on(s.login(cmd("other", "y", "ip"))).unwrap_err();
        assert!(matches!(e, DomainError::Throttled(300)));
    }

    /// A hasher that counts its verifications and yields once inside each, so that every
    /// login of a burst polled together is in flight at the same time.
    struct CountingHasher(std::sync::atomic::AtomicUsize);

    #[async_trait::async_trait]
    impl PasswordHasher for CountingHasher {
        async fn hash(&self, _: &str) -> Result<String> {
            Ok("h".into())
        }
        async fn verify(&self, _: &str, _: &str) -> bool {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut yielded = false;
            std::future::poll_fn(|cx| {
                if yielded {
                    std::task::Poll::Ready(false)
                } else {
                    yielded = true;
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                }
            })
            .await
        }
    }

    /// 40 wrong passwords sent together for one user from one address: all are started
    /// before any has finished, yet at most the limit reach the password check (401); the
    /// others are throttled (429).
    #[test]
    fn a_parallel_burst_gets_at_most_the_limit_of_attempts() {
        use std::future::Future;
        use std::pin::Pin;
        use std::task::Poll;
        let mut repo = MockAgentRepository::new();
        repo.expect_find_by_username()
            .returning(|_| Ok(Some(agent(true))));
        let hasher = Arc::new(CountingHasher(Default::default()));
        let s = AuthService::new(
            Arc::new(repo),
            hasher.clone(),
            Arc::new(MockTokenCodec::new()),
            clock(),
            AuthConfig::default(),
        );
        let mut logins: Vec<Pin<Box<dyn Future<Output = Result<TokenPair>> + '_>>> = (0..40)
            .map(|_| {
                Box::pin(s.login(cmd("maria", "errada", "10.0.0.1")))
                    as Pin<Box<dyn Future<Output = _>>>
            })
            .collect();
        let mut results: Vec<Option<Result<TokenPair>>> = logins.iter().map(|_| None).collect();
        // Polls every unfinished login in turn until all have finished.
        block_on(std::future::poll_fn(|cx| {
            for (login, result) in logins.iter_mut().zip(results.iter_mut()) {
                if result.is_none()
                    && let Poll::Ready(r) = login.as_mut().poll(cx)
                {
                    *result = Some(r);
                }
            }
            if results.iter().all(Option::is_some) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        let verified = hasher.0.load(std::sync::atomic::Ordering::SeqCst);
        let rejected = results
            .iter()
            .filter(|r| matches!(r, Some(Err(DomainError::BadCredentials))))
            .count();
        let throttled = results
            .iter()
            .filter(|r| matches!(r, Some(Err(DomainError::Throttled(_)))))
            .count();
        assert_eq!(
            (verified, rejected, throttled),
            (
                LOGIN_MAX_FAILURES,
                LOGIN_MAX_FAILURES,
                40 - LOGIN_MAX_FAILURES
            )
        );
    }

    #[test]
    fn authenticate_checks_type_user_and_activity() {
        let mut repo = MockAgentRepository::new();
        repo.expect_get()
            .with(eq(7))
            .returning(|_| Ok(Some(agent(false))));
        repo.expect_get().with(eq(8)).returning(|_| Ok(None));
        repo.expect_permission_codes()
            .returning(|_| Ok(vec!["core.manage_config_chat".into()]));
        let mut tokens = MockTokenCodec::new();
        tokens.expect_decode().returning(|t, _| {
            let (id, kind) = match t {
                "a7" => (7, TokenKind::Access),
                "a8" => (8, TokenKind::Access),
                "r7" => (7, TokenKind::Refresh),
                _ => return Err(TokenError::Invalid),
            };
            Ok(Claims {
                user_id: id,
                kind,
                exp: 0,
                iat: 0,
                jti: String::new(),
            })
        });
        let s = service(repo, MockPasswordHasher::new(), tokens);
        let refused = |t: &str| match block_on(s.authenticate(t)) {
            Err(AuthOutcome::Refused(f)) => f,
            other => panic!("{other:?}"),
        };
        assert_eq!(refused("bad"), AuthFailure::InvalidToken);
        assert_eq!(refused("r7"), AuthFailure::WrongType);
        assert_eq!(refused("a8"), AuthFailure::UserNotFound);
        assert_eq!(refused("a7"), AuthFailure::UserInactive);
    }

    #[test]
    fn verified_tokens_skip_the_signature_check_until_they_expire() {
        let mut repo = MockAgentRepository::new();
        repo.expect_get().returning(|_| Ok(Some(agent(true))));
        repo.expect_permission_codes().returning(|_| Ok(vec![]));
        let mut tokens = MockTokenCodec::new();
        tokens.expect_decode().times(1).returning(|_, _| {
            Ok(Claims {
                user_id: 7,
                kind: TokenKind::Access,
                exp: 1_700_000_300,
                iat: 0,
                jti: String::new(),
            })
        });
        let s = service(repo, MockPasswordHasher::new(), tokens);
        for _ in 0..3 {
            assert_eq!(block_on(s.authenticate("tok")).unwrap().id, 7);
        }
    }

    #[test]
    fn agent_writes_clear_cached_principals() {
        use crate::agents::AgentService;
        use crate::ports::MockGroupRepository;
        use std::sync::atomic::{AtomicBool, Ordering};
        let active = Arc::new(AtomicBool::new(true));
        let mut repo = MockAgentRepository::new();
        let flag = active.clone();
        repo.expect_get()
            .returning(move |_| Ok(Some(agent(flag.load(Ordering::SeqCst)))));
        repo.expect_permission_codes().returning(|_| Ok(vec![]));
        let mut tokens = MockTokenCodec::new();
        tokens.expect_decode().returning(|_, _| {
            Ok(Claims {
                user_id: 7,
                kind: TokenKind::Access,
                exp: 1_700_000_300,
                iat: 0,
                jti: String::new(),
            })
        });
        let auth = service(repo, MockPasswordHasher::new(), tokens);
        assert!(block_on(auth.authenticate("tok")).is_ok());

        let mut writes = MockAgentRepository::new();
        writes.expect_get().returning(|_| Ok(Some(agent(true))));
        let flag = active.clone();
        writes.expect_update().returning(move |_, _| {
            flag.store(false, Ordering::SeqCst);
            Ok(agent(false))
        });
        let agents = AgentService::new(
            Arc::new(writes),
            Arc::new(MockGroupRepository::new()),
            Arc::new(MockPasswordHasher::new()),
        )
        .with_principal_cache(auth.principal_cache());
        block_on(agents.deactivate(7)).unwrap();
        assert!(matches!(
            block_on(auth.authenticate("tok")),
            Err(AuthOutcome::Refused(AuthFailure::UserInactive))
        ));
    }

    #[test]
    fn refresh_rules() {
        let mut repo = MockAgentRepository::new();
        repo.expect_get().returning(|_| Ok(Some(agent(true))));
        let mut tokens = MockTokenCodec::new();
        tokens.expect_decode().returning(|t, _| match t {
            "r" => Ok(Claims {
                user_id: 7,
                kind: TokenKind::Refresh,
                exp: 0,
                iat: 0,
                jti: String::new(),
            }),
            "a" => Ok(Claims {
                user_id: 7,
                kind: TokenKind::Access,
                exp: 0,
                iat: 0,
                jti: String::new(),
            }),
            _ => Err(TokenError::Invalid),
        });
        tokens
            .expect_issue()
            .returning(|_, _, _, _| Ok("new".into()));
        let s = service(repo, MockPasswordHasher::new(), tokens);
        assert_eq!(block_on(s.refresh(refresh("r"))).unwrap(), "new");
        let body = |t| match block_on(s.refresh(refresh(t))).unwrap_err() {
            DomainError::InvalidToken(m) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(body("a"), "Token tem tipo errado");
        assert_eq!(body("zz"), "O token é inválido ou expirado");
    }

    fn claims(user_id: i64, kind: TokenKind, iat: i64) -> Claims {
        Claims {
            user_id,
            kind,
            exp: 1_700_000_300,
            iat,
            jti: String::new(),
        }
    }

    /// Ten wrong passwords for `maria` from ten addresses do not lock her out of an address
    /// that has not failed; an address that failed for her is blocked for her meanwhile, and an
    /// address with ten failures is blocked for everyone.
    #[test]
    fn failures_from_other_addresses_do_not_lock_an_agent_out() {
        let mut repo = MockAgentRepository::new();
        repo.expect_find_by_username()
            .returning(|_| Ok(Some(agent(true))));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|p, _| p == "certa");
        let mut tokens = MockTokenCodec::new();
        tokens.expect_issue().returning(|_, _, _, _| Ok("t".into()));
        let s = service(repo, hasher, tokens);
        let login = |user: &str, pass: &str, ip: &str| block_on(s.login(cmd(user, pass, ip)));
        for i in 0..10 {
            let e = login("maria", "errada", &format!("10.0.0.{i}")).unwrap_err();
            assert!(matches!(e, DomainError::BadCredentials));
        }
        // Case does not matter for the username's counters.
        assert!(login("MARIA", "certa", "192.0.2.1").is_ok());
        assert!(login("maria", "certa", "192.0.2.2").is_ok());
        assert!(matches!(
            login("maria", "certa", "10.0.0.3").unwrap_err(),
            DomainError::Throttled(300)
        ));
        // The per-address limit stays, whatever the username.
        for i in 0..10 {
            let e = login(&format!("ninguem{i}"), "errada", "198.51.100.9").unwrap_err();
            assert!(matches!(e, DomainError::BadCredentials));
        }
        assert!(matches!(
            login("joao", "certa", "198.51.100.9").unwrap_err(),
            DomainError::Throttled(300)
        ));
    }

    /// Failed logins with huge distinct usernames keep the throttle small: its keys are short,
    /// such usernames are not even looked up, and it never holds more than its capacity.
    #[test]
    fn huge_usernames_leave_the_throttle_bounded() {
        let mut repo = MockAgentRepository::new();
        repo.expect_find_by_username()
            .withf(|u: &str| u.len() <= 150)
            .returning(|_| Ok(None));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| false);
        let s = service(repo, hasher, MockTokenCodec::new());
        let big = "u".repeat(1_000_000);
        for i in 0..200 {
            let ip = format!("10.1.{}.{}", i / 250, i % 250);
            let e = block_on(s.login(cmd(&format!("{big}{i}"), "x", &ip)));
            assert!(matches!(e.unwrap_err(), DomainError::BadCredentials));
        }
        assert!(s.throttle_len() <= 600);
        assert!(
            s.throttle_longest_key() <= 64,
            "{}",
            s.throttle_longest_key()
        );
        for i in 0..30_000 {
            let ip = format!("10.2.{}.{}", i / 250, i % 250);
            assert!(block_on(s.login(cmd(&format!("u{i}"), "x", &ip))).is_err());
        }
        assert!(s.throttle_len() <= crate::throttle::DEFAULT_CAPACITY);
    }

    /// A password change or a deactivation refuses the tokens issued before it, even an access
    /// token already verified and cached; tokens issued after it work.
    #[test]
    fn tokens_issued_before_tokens_not_before_are_refused() {
        use crate::agents::AgentService;
        use crate::ports::MockGroupRepository;
        use std::sync::atomic::{AtomicI64, Ordering};
        const NOW: i64 = 1_700_000_000;
        let not_before = Arc::new(AtomicI64::new(0));
        let with = |nb: &Arc<AtomicI64>| {
            let nb = nb.clone();
            move || Agent {
                tokens_not_before: nb.load(Ordering::SeqCst),
                ..agent(true)
            }
        };
        let mut repo = MockAgentRepository::new();
        let current = with(&not_before);
        repo.expect_get().returning(move |_| Ok(Some(current())));
        let current = with(&not_before);
        repo.expect_find_by_username()
            .returning(move |_| Ok(Some(current())));
        repo.expect_permission_codes().returning(|_| Ok(vec![]));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| true);
        let mut tokens = MockTokenCodec::new();
        tokens.expect_decode().returning(|t, _| {
            Ok(match t {
                "old-access" => claims(7, TokenKind::Access, NOW - 5),
                "old-refresh" => claims(7, TokenKind::Refresh, NOW - 5),
                "new-access" => claims(7, TokenKind::Access, NOW + 1),
                "new-refresh" => claims(7, TokenKind::Refresh, NOW + 1),
                _ => return Err(TokenError::Invalid),
            })
        });
        // New tokens are issued at `tokens_not_before` when that is ahead of the clock.
        tokens
            .expect_issue()
            .withf(|_, _, at, _| at.timestamp() == NOW + 1)
            .returning(|_, k, _, _| Ok(format!("new-{}", k.as_str())));
        tokens
            .expect_issue()
            .returning(|_, k, _, _| Ok(format!("old-{}", k.as_str())));
        let auth = service(repo, hasher, tokens);
        assert!(block_on(auth.authenticate("old-access")).is_ok());
        assert_eq!(
            block_on(auth.refresh(refresh("old-refresh"))).unwrap(),
            "old-access"
        );

        let mut writes = MockAgentRepository::new();
        writes.expect_get().returning(|_| Ok(Some(agent(true))));
        let nb = not_before.clone();
        writes.expect_update().returning(move |_, c| {
            assert!(c.revoke_tokens);
            nb.store(NOW + 1, Ordering::SeqCst);
            Ok(agent(true))
        });
        let mut h = MockPasswordHasher::new();
        h.expect_hash().returning(|p| Ok(format!("hashed:{p}")));
        let agents = AgentService::new(
            Arc::new(writes),
            Arc::new(MockGroupRepository::new()),
            Arc::new(h),
        )
        .with_principal_cache(auth.principal_cache());
        block_on(agents.update(
            7,
            crate::commands::UpdateAgent {
                password: Some(crate::commands::Password::parse("outra-senha").unwrap()),
                ..Default::default()
            },
        ))
        .unwrap();

        assert!(matches!(
            block_on(auth.authenticate("old-access")),
            Err(AuthOutcome::Refused(AuthFailure::InvalidToken))
        ));
        match block_on(auth.refresh(refresh("old-refresh"))).unwrap_err() {
            DomainError::InvalidToken(m) => assert_eq!(m, "O token é inválido ou expirado"),
            other => panic!("{other:?}"),
        }
        let pair = block_on(auth.login(cmd("maria", "outra-senha", "ip"))).unwrap();
        assert_eq!(
            (pair.access.as_str(), pair.refresh.as_str()),
            ("new-access", "new-refresh")
        );
        assert!(block_on(auth.authenticate("new-access")).is_ok());
        assert_eq!(
            block_on(auth.refresh(refresh("new-refresh"))).unwrap(),
            "new-access"
        );
    }
}
