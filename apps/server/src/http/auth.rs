//! Authentication extractors (Bearer JWT) and the reusable permission guard.

use super::error::ApiError;
use crate::routes::auth::Area as AuthArea;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use authz::Principal;
use authz::auth::AuthOutcome;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

/// The authenticated caller; anonymous requests get the contract's 401.
pub struct Auth(pub Arc<Principal>);

/// Optional authentication for public endpoints: no credentials → `None`, but a present
/// invalid token is still a 401.
pub struct MaybeAuth(pub Option<Arc<Principal>>);

impl Deref for Auth {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

enum Credential {
    None,
    Bad,
    Token(String),
}

fn credential(req: &HttpRequest) -> Credential {
    let Some(raw) = req.headers().get(header::AUTHORIZATION) else {
        return Credential::None;
    };
    let Ok(raw) = raw.to_str() else {
        return Credential::Bad;
    };
    let mut parts = raw.split_whitespace();
    match parts.next() {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer") => {}
        _ => return Credential::None,
    }
    match (parts.next(), parts.next()) {
        (Some(token), None) => Credential::Token(token.to_string()),
        _ => Credential::Bad,
    }
}

/// Authenticates a raw token (also used by the WebSocket handshake).
pub async fn authenticate(state: &AuthArea, token: &str) -> Result<Arc<Principal>, ApiError> {
    match state.auth.authenticate(token).await {
        Ok(p) => Ok(p),
        Err(AuthOutcome::Refused(f)) => Err(ApiError::Token(f)),
        Err(AuthOutcome::Error(e)) => Err(ApiError::Domain(e)),
    }
}

async fn resolve(req: HttpRequest) -> Result<Option<Arc<Principal>>, ApiError> {
    let state = req
        .app_data::<web::Data<AuthArea>>()
        .cloned()
        .ok_or_else(|| ApiError::Domain(kernel::DomainError::internal("state missing")))?;
    match credential(&req) {
        Credential::None => Ok(None),
        Credential::Bad => Err(ApiError::BadAuthHeader),
        Credential::Token(t) => authenticate(&state, &t).await.map(Some),
    }
}

type BoxFut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = BoxFut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve(req).await?.map(Auth).ok_or(ApiError::NoCredentials) })
    }
}

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = BoxFut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve(req).await.map(MaybeAuth) })
    }
}

/// A permission code, as a type, for the [`Perm`] guard.
pub trait PermCode {
    const CODE: &'static str;
}

/// Extractor that authenticates and then requires a permission (403 otherwise).
pub struct Perm<P: PermCode>(pub Arc<Principal>, PhantomData<P>);

impl<P: PermCode> Deref for Perm<P> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<P: PermCode + 'static> FromRequest for Perm<P> {
    type Error = ApiError;
    type Future = BoxFut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let p = resolve(req).await?.ok_or(ApiError::NoCredentials)?;
            p.require(P::CODE)?;
            Ok(Perm(p, PhantomData))
        })
    }
}

/// `accounts.manage_auth`.
pub struct ManageAuth;
impl PermCode for ManageAuth {
    const CODE: &'static str = authz::permissions::MANAGE_AUTH;
}
