//! The one place where domain errors become HTTP responses (contract §1.2–§1.4).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use authz::auth::AuthFailure;
use kernel::DomainError;
use kernel::error::CepFailure;
use serde_json::{Value, json};
use std::fmt;

pub const NO_CREDENTIALS: &str = "As credenciais de autenticação não foram fornecidas.";
pub const FORBIDDEN: &str = "Você não tem permissão para executar essa ação.";
pub const NOT_FOUND: &str = "Não encontrado.";
pub const INTERNAL: &str = "Erro interno do servidor.";

#[derive(Debug)]
pub enum ApiError {
    Domain(DomainError),
    /// 401 variants of §1.2.
    NoCredentials,
    BadAuthHeader,
    Token(AuthFailure),
    /// Any other status with a JSON body.
    Status(StatusCode, Value),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn not_found_route() -> Self {
        ApiError::Status(StatusCode::NOT_FOUND, json!({"detail": NOT_FOUND}))
    }

    pub fn detail(status: StatusCode, msg: impl Into<String>) -> Self {
        ApiError::Status(status, json!({"detail": msg.into()}))
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::Domain(e)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

fn token_invalid(message: &str) -> Value {
    json!({
        "detail": "O token informado não é válido para qualquer tipo de token",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}]
    })
}

pub const INVALID_PAGE: &str = "Página inválida.";

/// Contract §4.10 bodies of a CEP that could not be resolved.
fn cep_failure(f: &CepFailure) -> (StatusCode, Value) {
    match f {
        CepFailure::Invalid(raw) => (
            StatusCode::BAD_REQUEST,
            json!({"error": "CEP inválido", "message": format!("CEP inválido: {raw}")}),
        ),
        CepFailure::NotFound => (
            StatusCode::NOT_FOUND,
            json!({"error": "CEP não encontrado",
                   "message": "O CEP informado não foi encontrado na base de dados"}),
        ),
        CepFailure::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "Erro ao consultar CEP",
                   "message": "Não foi possível consultar o CEP. Tente novamente mais tarde."}),
        ),
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, Value) {
        use DomainError as D;
        match self {
            ApiError::NoCredentials => {
                (StatusCode::UNAUTHORIZED, json!({"detail": NO_CREDENTIALS}))
            }
            ApiError::BadAuthHeader => (
                StatusCode::UNAUTHORIZED,
                json!({"detail": "Cabeçalho de autorização deve conter dois valores delimitados por espaço",
                       "code": "bad_authorization_header"}),
            ),
            ApiError::Token(f) => (
                StatusCode::UNAUTHORIZED,
                match f {
                    AuthFailure::InvalidToken => token_invalid("O token é inválido ou expirado"),
                    AuthFailure::WrongType => token_invalid("Token tem tipo errado"),
                    AuthFailure::UserNotFound => {
                        json!({"detail": "Usuário não encontrado", "code": "user_not_found"})
                    }
                    AuthFailure::UserInactive => {
                        json!({"detail": "Usuário está inativo", "code": "user_inactive"})
                    }
                },
            ),
            ApiError::Status(s, v) => (*s, v.clone()),
            ApiError::Domain(e) => match e {
                D::NotFound(model) => (
                    StatusCode::NOT_FOUND,
                    json!({"detail": format!("No {model} matches the given query.")}),
                ),
                D::NotFoundMsg(m) => (StatusCode::NOT_FOUND, json!({"error": m})),
                D::InvalidPage => (StatusCode::NOT_FOUND, json!({"detail": INVALID_PAGE})),
                D::Validation(fe) => (StatusCode::BAD_REQUEST, fe.to_json()),
                D::BadRequest(m) => (StatusCode::BAD_REQUEST, json!({"error": m})),
                D::Refused(m) => (StatusCode::BAD_REQUEST, json!({"detail": m})),
                D::BadCredentials => (
                    StatusCode::UNAUTHORIZED,
                    json!({"detail": authz::auth::BAD_CREDENTIALS}),
                ),
                D::InvalidToken(m) => (
                    StatusCode::UNAUTHORIZED,
                    json!({"detail": m, "code": "token_not_valid"}),
                ),
                D::Forbidden(None) => (StatusCode::FORBIDDEN, json!({"detail": FORBIDDEN})),
                D::Forbidden(Some(m)) => (StatusCode::FORBIDDEN, json!({"error": m})),
                D::Conflict(m) => (StatusCode::CONFLICT, json!({"detail": m})),
                D::Locked(m) => (StatusCode::LOCKED, json!({"error": m})),
                D::Throttled(s) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    json!({"detail": format!("Muitas tentativas de login. Tente novamente em {s} segundos.")}),
                ),
                D::Cep(f) => cep_failure(f),
                D::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, json!({"error": m})),
                D::Internal(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"detail": INTERNAL}),
                ),
            },
        }
    }
}

/// `error: its source: its source's source…`, the whole chain on one line.
pub fn source_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Domain(DomainError::Internal(cause)) = self {
            // Inside the request's span (see `request_id_and_log`): the line carries its id.
            tracing::error!(cause = %source_chain(cause.as_ref()), "internal error");
        }
        let (status, body) = self.parts();
        let mut resp = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED && !matches!(self, ApiError::Domain(_)) {
            resp.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"api\""),
            ));
        }
        if let ApiError::Domain(DomainError::Throttled(s)) = self {
            resp.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        resp.json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::source_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("query failed")]
    struct Query(#[source] std::io::Error);

    #[test]
    fn the_logged_cause_holds_the_whole_chain() {
        let e = kernel::DomainError::internal(Query(std::io::Error::other("connection reset")));
        let kernel::DomainError::Internal(cause) = &e else {
            panic!("internal")
        };
        assert_eq!(
            source_chain(cause.as_ref()),
            "query failed: connection reset"
        );
    }
}
