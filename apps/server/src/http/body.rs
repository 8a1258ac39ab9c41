//! Request bodies: JSON, form-urlencoded and multipart are accepted on every write endpoint
//! (contract §1.1); other media types → 415, malformed JSON → 400, JSON over 1 MiB → 413.

use super::error::{ApiError, ApiResult};
use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use kernel::input::Input;
use serde_json::{Map, Value, json};
use std::future::Future;
use std::pin::Pin;

pub const JSON_LIMIT: usize = 1024 * 1024;
/// Limit for small multipart uploads handled in memory (images on clientes, appearance).
pub const SMALL_UPLOAD_LIMIT: usize = 5 * 1024 * 1024;

/// A file part of a multipart body held in memory.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub field: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// A parsed write body.
#[derive(Debug, Default)]
pub struct Body {
    pub input: Input,
    pub files: Vec<UploadedFile>,
    /// The raw JSON value when the body was JSON (it may not be an object).
    pub json: Option<Value>,
}

impl Body {
    /// The body as a JSON value (form bodies as an object of strings).
    pub fn value(&self) -> Value {
        self.json
            .clone()
            .unwrap_or_else(|| Value::Object(self.input.map.clone()))
    }

    /// Requires the body to be a JSON object (DRF's "expected a dictionary" error otherwise).
    pub fn object(&self) -> ApiResult<&Input> {
        match &self.json {
            Some(Value::Object(_)) | None => Ok(&self.input),
            Some(other) => Err(ApiError::Status(
                StatusCode::BAD_REQUEST,
                json!({"non_field_errors": [format!(
                    "Dados inválidos. Esperado um dicionário, mas recebido {}.",
                    kernel::input::json_type(other)
                )]}),
            )),
        }
    }

    pub fn file(&self, field: &str) -> Option<&UploadedFile> {
        self.files.iter().find(|f| f.field == field)
    }
}

pub fn too_large(msg: &str) -> ApiError {
    ApiError::detail(StatusCode::PAYLOAD_TOO_LARGE, msg)
}

pub fn unsupported(ct: &str) -> ApiError {
    ApiError::detail(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("Tipo de mídia  \"{ct}\" no pedido não é suportado."),
    )
}

/// The essence of the request's media type (lowercase, without parameters).
pub fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| {
            s.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|s| !s.is_empty())
}

async fn read_limited(payload: &mut Payload, limit: usize) -> ApiResult<web::BytesMut> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::detail(StatusCode::BAD_REQUEST, "Corpo da requisição inválido.")
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large("Corpo da requisição muito grande."));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

fn parse_json(bytes: &[u8]) -> ApiResult<Body> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Body::default());
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::detail(StatusCode::BAD_REQUEST, format!("JSON parse error - {e}"))
    })?;
    let map = match &value {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    Ok(Body {
        input: Input { map, form: false },
        files: Vec::new(),
        json: Some(value),
    })
}

const FORM_NOT_UTF8: &str = "Erro de análise do formulário: texto que não é UTF-8 válido.";
const MULTIPART_NOT_UTF8: &str =
    "Erro de análise multipart: campo de texto que não é UTF-8 válido.";

/// One `application/x-www-form-urlencoded` name or value: `+` is a space, then
/// percent-decoding; the result must be UTF-8 (no silent replacement characters).
fn form_component(raw: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    String::from_utf8(percent_encoding::percent_decode(&spaced).collect()).ok()
}

fn parse_form(bytes: &[u8]) -> ApiResult<Body> {
    let mut map = Map::new();
    for pair in bytes.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let not_utf8 = || ApiError::detail(StatusCode::BAD_REQUEST, FORM_NOT_UTF8);
        let key = form_component(k).ok_or_else(not_utf8)?;
        let value = form_component(v).ok_or_else(not_utf8)?;
        map.insert(key, Value::String(value));
    }
    Ok(Body {
        input: Input { map, form: true },
        files: Vec::new(),
        json: None,
    })
}

/// Reads a multipart body into memory with a total size limit.
pub async fn parse_multipart(req: &HttpRequest, payload: Payload, limit: usize) -> ApiResult<Body> {
    let mut mp = Multipart::new(req.headers(), payload);
    let mut body = Body {
        input: Input {
            map: Map::new(),
            form: true,
        },
        ..Default::default()
    };
    let mut total = 0usize;
    let bad = |_| ApiError::detail(StatusCode::BAD_REQUEST, "Erro de análise multipart.");
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(bad)?;
        let cd = field.content_disposition().cloned();
        let name = cd
            .as_ref()
            .and_then(|c| c.get_name())
            .unwrap_or("")
            .to_string();
        let filename = cd
            .as_ref()
            .and_then(|c| c.get_filename())
            .map(str::to_string);
        let ct = field.content_type().map(|m| m.essence_str().to_string());
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            total += chunk.len();
            if total > limit {
                return Err(too_large("Corpo da requisição muito grande."));
            }
            data.extend_from_slice(&chunk);
        }
        match filename {
            Some(filename) => body.files.push(UploadedFile {
                field: name,
                filename,
                content_type: ct,
                data,
            }),
            None => {
                let text = String::from_utf8(data)
                    .map_err(|_| ApiError::detail(StatusCode::BAD_REQUEST, MULTIPART_NOT_UTF8))?;
                body.input.map.insert(name, Value::String(text));
            }
        }
    }
    Ok(body)
}

/// Reads and parses a write body according to its media type.
pub async fn read(req: &HttpRequest, mut payload: Payload) -> ApiResult<Body> {
    match media_type(req).as_deref() {
        None | Some("application/json") => {
            parse_json(&read_limited(&mut payload, JSON_LIMIT).await?)
        }
        Some(ct) if ct.ends_with("+json") => {
            parse_json(&read_limited(&mut payload, JSON_LIMIT).await?)
        }
        Some("application/x-www-form-urlencoded") => {
            parse_form(&read_limited(&mut payload, JSON_LIMIT).await?)
        }
        Some("multipart/form-data") => parse_multipart(req, payload, SMALL_UPLOAD_LIMIT).await,
        Some(other) => Err(unsupported(other)),
    }
}

impl FromRequest for Body {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move { read(&req, payload).await })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_form;
    use serde_json::json;

    #[test]
    fn form_bodies_decode_like_url_forms() {
        let b = parse_form(b"a=1&b=x+y%21&c&=v&d=%C3%A9&&e=").unwrap();
        assert_eq!(
            serde_json::Value::Object(b.input.map),
            json!({"a": "1", "b": "x y!", "c": "", "": "v", "d": "é", "e": ""})
        );
    }

    #[test]
    fn form_bodies_that_are_not_utf8_are_refused() {
        assert!(parse_form(b"nome=%FF").is_err());
        assert!(parse_form(b"nome=\xff").is_err());
        assert!(parse_form(b"%C3=x").is_err());
    }
}
