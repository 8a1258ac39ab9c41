//! Integrações: CEP lookup (contract §4.10).

use crate::http::middleware::Res;
use crate::http::{ApiResult, MaybeAuth, ok};
use actix_web::{HttpResponse, web};

/// What this area's handlers use.
pub struct Area {
    pub cep: std::sync::Arc<dyn kernel::cep::CepLookup>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self { cep: s.cep.clone() }
    }
}

/// Look up a CEP (ViaCEP with BrasilAPI fallback and a 24 h cache, or the offline table).
#[utoipa::path(get, operation_id = "integrations_cep", path = "/api/v1/integrations/cep/{cep}/", tag = "Integrações",
    params(("cep" = String, Path, description = "8 digits, punctuation ignored")),
    responses((status = 200, description = "ViaCEP object plus `cidade` and `estado`", body = Object),
              (status = 400, description = "CEP inválido"), (status = 404, description = "CEP não encontrado"),
              (status = 503, description = "Every provider failed")))]
pub async fn cep(
    _who: MaybeAuth,
    state: web::Data<Area>,
    cep: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let addr = kernel::cep::consultar(state.cep.as_ref(), &cep).await?;
    Ok(ok(addr))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/integrations/cep/{cep}/", false)
            .get(cep)
            .build(),
    );
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(cep,))]
pub struct AreaDoc;
