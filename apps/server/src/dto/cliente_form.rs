//! Parsing of the cliente bodies (JSON, form or multipart) and list queries into the domain's
//! typed commands, with the contract's DRF-style field errors (contract §4.2). The request
//! type (`ClienteIn`) is in [`super::clientes`]; a test below checks that its schema states the
//! limits applied here.

use crate::http::body::Body;
use clientes::cliente::{self, IMAGE_FIELDS, NOT_A_FILE, REGIMES, STATUS};
use clientes::commands::{
    ClienteChanges, ClienteQuery, Imagem, ImagemEnviada, InvalidCliente, cliente_limits as lim,
};
use clientes::filter::{
    CLIENTE_ICONTAINS, CLIENTE_ORDERING, ClienteFilter, DATETIME_MSG, choice, last, parse_datetime,
    set_icontains,
};
use kernel::input::{Input, Nullable};
use kernel::page::search_terms;
use kernel::values::{Cep, Cnpj, Cpf, Email, Telefone};
use kernel::{FieldErrors, OrderBy, Result};
use serde_json::Value;

type Query = [(String, String)];

/// The cliente lists' query: `search` and `q` (the last of each), the choice, datetime and
/// `icontains` filters, `busca_geral` and `ordering`. Empty values are ignored; bad choices
/// and datetimes are field errors.
pub fn cliente_query(query: &Query) -> Result<ClienteQuery> {
    let mut f = ClienteFilter::default();
    let mut errors = FieldErrors::new();
    for (k, v) in query {
        let k = k.as_str();
        match k {
            // The last `search`/`q` is the one used (below), as DRF reads them.
            "search" | "q" => {}
            "status" if !v.is_empty() => f.status = choice(k, v, &STATUS, &mut errors),
            "regime_tributario" if !v.is_empty() => {
                f.regime_tributario = choice(k, v, &REGIMES, &mut errors)
            }
            "estado" if !v.is_empty() => f.estado = Some(v.to_lowercase()),
            "busca_geral" if !v.trim().is_empty() => f.busca_geral = Some(v.trim().to_lowercase()),
            "criado_apos" | "criado_antes" | "atualizado_apos" | "atualizado_antes"
                if !v.is_empty() =>
            {
                let dt = parse_datetime(v);
                if dt.is_none() {
                    errors.add(k, DATETIME_MSG);
                }
                match k {
                    "criado_apos" => f.criado_apos = dt,
                    "criado_antes" => f.criado_antes = dt,
                    "atualizado_apos" => f.atualizado_apos = dt,
                    _ => f.atualizado_antes = dt,
                }
            }
            _ => {
                if let Some(col) = CLIENTE_ICONTAINS.iter().find(|c| **c == k)
                    && !v.is_empty()
                {
                    set_icontains(&mut f.icontains, col, v);
                }
            }
        }
    }
    f.search = search_terms("search", last(query, "search"), &mut errors);
    f.q = search_terms("q", last(query, "q"), &mut errors);
    errors.into_result()?;
    let raw = query
        .iter()
        .find(|(k, _)| k == "ordering")
        .map(|(_, v)| v.as_str());
    Ok(ClienteQuery {
        filter: f,
        ordering: OrderBy::parse(raw, &CLIENTE_ORDERING, &[]),
    })
}

/// A nullable, blank-allowed text field (blank kept as given).
fn opt_text(
    input: &Input,
    key: &str,
    max: Option<usize>,
    errors: &mut FieldErrors,
) -> Nullable<String> {
    input.string(key, max, true, true, errors)
}

/// A nullable, blank-allowed field parsed into a value object (blank and null: `None`).
fn opt_value<T>(
    input: &Input,
    key: &str,
    max: usize,
    parse: impl Fn(&str) -> std::result::Result<T, &'static str>,
    errors: &mut FieldErrors,
) -> Nullable<T> {
    match input
        .string(key, Some(max), true, true, errors)?
        .filter(|s| !s.is_empty())
    {
        None => Some(None),
        Some(s) => match parse(&s) {
            Ok(v) => Some(Some(v)),
            Err(msg) => {
                errors.add(key, msg);
                None
            }
        },
    }
}

/// A required (non-null, non-blank) field parsed into a value object.
fn value<T>(
    input: &Input,
    key: &str,
    parse: impl Fn(&str) -> std::result::Result<T, &'static str>,
    errors: &mut FieldErrors,
) -> Option<T> {
    let s = input.text(key, None, false, errors)?;
    match parse(&s) {
        Ok(v) => Some(v),
        Err(msg) => {
            errors.add(key, msg);
            None
        }
    }
}

/// An image field: a file part wins; else null or `""` clears it, and any other value is
/// not a file (a client can never name a stored path).
fn image(body: &Body, field: &str, errors: &mut FieldErrors) -> Option<Imagem> {
    if let Some(f) = body.file(field) {
        return Some(Imagem::Enviar(ImagemEnviada {
            filename: f.filename.clone(),
            data: f.data.clone(),
        }));
    }
    match body.input.raw(field)? {
        Value::Null => Some(Imagem::Remover),
        Value::String(s) if s.is_empty() => Some(Imagem::Remover),
        _ => {
            errors.add(field, NOT_A_FILE);
            None
        }
    }
}

/// `POST`, `PUT` and `PATCH /clientes/…` bodies (every field optional for all three, as
/// observed). A refused body keeps the fields that parsed, for the use case's own checks.
pub fn cliente_changes(body: &Body) -> std::result::Result<ClienteChanges, Box<InvalidCliente>> {
    let input = &body.input;
    let mut e = FieldErrors::new();
    let errors = &mut e;
    let [logo_field, assinatura_field] = IMAGE_FIELDS;
    let changes = ClienteChanges {
        grupo_empresa: input.int("grupo_empresa", true, errors),
        razao_social: input.text("razao_social", Some(lim::RAZAO_SOCIAL), false, errors),
        nome_fantasia: opt_text(input, "nome_fantasia", Some(lim::NOME_FANTASIA), errors),
        cnpj: value(input, "cnpj", Cnpj::parse_formatted, errors),
        inscricao_estadual: opt_text(input, "inscricao_estadual", Some(lim::INSCRICAO), errors),
        inscricao_municipal: opt_text(input, "inscricao_municipal", Some(lim::INSCRICAO), errors),
        ramo_atividade: opt_text(input, "ramo_atividade", Some(lim::RAMO_ATIVIDADE), errors),
        regime_tributario: input.choice("regime_tributario", &REGIMES, errors),
        responsavel_legal_nome: input.text(
            "responsavel_legal_nome",
            Some(lim::RESPONSAVEL_NOME),
            false,
            errors,
        ),
        responsavel_legal_cpf: value(input, "responsavel_legal_cpf", Cpf::parse_formatted, errors),
        responsavel_legal_cargo: opt_text(
            input,
            "responsavel_legal_cargo",
            Some(lim::RESPONSAVEL_CARGO),
            errors,
        ),
        email_principal: input.email("email_principal", true, true, errors).map(|v| {
            v.filter(|s| !s.is_empty())
                .and_then(|s| Email::parse(&s).ok())
        }),
        telefone_principal: opt_value(
            input,
            "telefone_principal",
            Telefone::MAX_CHARS,
            Telefone::parse,
            errors,
        ),
        endereco: opt_text(input, "endereco", None, errors),
        numero: opt_text(input, "numero", Some(lim::NUMERO), errors),
        complemento: opt_text(input, "complemento", Some(lim::COMPLEMENTO), errors),
        bairro: opt_text(input, "bairro", Some(lim::BAIRRO), errors),
        cidade: opt_text(input, "cidade", Some(lim::CIDADE), errors),
        estado: opt_text(input, "estado", Some(lim::ESTADO), errors),
        cep: opt_value(input, "cep", Cep::MAX_CHARS, Cep::parse, errors),
        status: input.choice("status", &STATUS, errors),
        observacoes: opt_text(input, "observacoes", None, errors),
        logo: image(body, logo_field, errors),
        assinatura_digital: image(body, assinatura_field, errors),
    };
    if e.is_empty() {
        Ok(changes)
    } else {
        Err(Box::new(InvalidCliente { errors: e, changes }))
    }
}

/// `PATCH /clientes/{id}/status/`: `status` is required and one of [`STATUS`].
pub fn status(body: &Body) -> Result<String> {
    match body.value().get("status") {
        None | Some(Value::Null) => Err(cliente::status_required()),
        Some(Value::String(s)) if STATUS.contains(&s.as_str()) => Ok(s.clone()),
        Some(_) => Err(cliente::invalid_status()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::body::UploadedFile;
    use kernel::DomainError;
    use kernel::messages as m;
    use kernel::values;
    use serde_json::json;

    fn body(v: Value) -> Body {
        Body {
            input: Input::json(v.as_object().cloned().unwrap()),
            files: Vec::new(),
            json: Some(v),
        }
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn bodies_report_every_field_error() {
        let bad = cliente_changes(&body(json!({
            "cnpj":"11222333000181","responsavel_legal_cpf":"529.982.247-24",
            "telefone_principal":"123","cep":"123","status":"zzz","email_principal":"no",
            "razao_social":"","estado":"SPX","grupo_empresa":"1","logo":"clientes/imagens/x.png",
            "nome_fantasia":"Padaria"
        })))
        .unwrap_err();
        assert_eq!(
            bad.errors.to_json(),
            json!({"cnpj":[values::CNPJ_FORMAT_MSG],"responsavel_legal_cpf":[values::CPF_INVALID_MSG],
                   "telefone_principal":[values::PHONE_MSG],"cep":[values::CEP_MSG],
                   "status":[m::invalid_choice("zzz")],"email_principal":[m::EMAIL],
                   "razao_social":[m::BLANK],"estado":[m::max_length(2)],"grupo_empresa":[m::INTEGER],
                   "logo":[NOT_A_FILE]})
        );
        // What did parse is kept for the use case's checks.
        assert_eq!(bad.changes.nome_fantasia, Some(Some("Padaria".into())));
        assert_eq!(bad.changes.cnpj, None);
    }

    #[test]
    fn bodies_parse_into_value_objects() {
        let c = cliente_changes(&body(json!({
            "cnpj":"12.abc.345/01de-35","responsavel_legal_cpf":"529.982.247-25",
            "nome_fantasia":null,"telefone_principal":"+5511999999999","tipo_pessoa":"fisica",
            "regime_tributario":"mei","email_principal":"","cep":"01001-000","logo":null,
            "assinatura_digital":""
        })))
        .unwrap();
        assert_eq!(c.cnpj.unwrap().as_str(), "12ABC34501DE35");
        assert_eq!(c.responsavel_legal_cpf.unwrap().as_str(), "52998224725");
        assert_eq!(c.nome_fantasia, Some(None));
        assert_eq!(c.regime_tributario.as_deref(), Some("mei"));
        assert_eq!(c.email_principal, Some(None));
        assert_eq!(c.cep.flatten().unwrap().as_str(), "01001-000");
        assert_eq!(
            c.telefone_principal.flatten().unwrap().as_str(),
            "+5511999999999"
        );
        assert_eq!(c.logo, Some(Imagem::Remover));
        assert_eq!(c.assinatura_digital, Some(Imagem::Remover));
        assert!(c.razao_social.is_none() && c.grupo_empresa.is_none());
    }

    #[test]
    fn a_file_part_is_the_image_whatever_the_text_says() {
        let mut b = body(json!({"logo":"x"}));
        b.files.push(UploadedFile {
            field: "logo".into(),
            filename: "l.png".into(),
            content_type: None,
            data: vec![1, 2],
        });
        let c = cliente_changes(&b).unwrap();
        assert!(
            matches!(c.logo, Some(Imagem::Enviar(f)) if f.filename == "l.png" && f.data == [1, 2])
        );
    }

    #[test]
    fn status_bodies() {
        assert_eq!(
            status(&body(json!({"status":"suspenso"}))).unwrap(),
            "suspenso"
        );
        for (b, msg) in [
            (json!({}), "Campo \"status\" é obrigatório"),
            (json!({"status":null}), "Campo \"status\" é obrigatório"),
            (
                json!({"status":1}),
                "Status inválido. Opções: ['ativo', 'inativo', 'suspenso', 'bloqueado']",
            ),
        ] {
            match status(&body(b)) {
                Err(DomainError::BadRequest(got)) => assert_eq!(got, msg),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn queries() {
        let cq = cliente_query(&q(&[
            ("search", "x"),
            ("search", "Acme  SA"),
            ("status", "ativo"),
            ("estado", "SP"),
            ("cidade", "Paulo"),
            ("criado_apos", "2025-01-01T00:00:00Z"),
            ("bogus", "1"),
            ("busca_geral", " X "),
            ("ordering", "razao_social"),
        ]))
        .unwrap();
        let f = cq.filter;
        assert_eq!(f.search, vec!["acme", "sa"]);
        assert_eq!(f.status.as_deref(), Some("ativo"));
        assert_eq!(f.estado.as_deref(), Some("sp"));
        assert_eq!(f.icontains, vec![("cidade", "paulo".to_string())]);
        assert_eq!(f.owner, None);
        assert_eq!(f.busca_geral.as_deref(), Some("x"));
        assert!(f.criado_apos.is_some());
        assert_eq!(cq.ordering, [OrderBy::asc("razao_social")]);
        assert!(cliente_query(&[]).unwrap().ordering.is_empty());
        match cliente_query(&q(&[("status", "x"), ("criado_antes", "ontem")])).unwrap_err() {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"status":["Faça uma escolha válida. x não é uma das escolhas disponíveis."],
                       "criado_antes":[DATETIME_MSG]})
            ),
            other => panic!("{other:?}"),
        }
    }

    /// The limits the OpenAPI schema states are the ones the parsing applies.
    #[test]
    fn schema_limits_are_the_parsing_limits() {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let RefOr::T(Schema::Object(o)) =
            <crate::dto::clientes::ClienteIn as utoipa::PartialSchema>::schema()
        else {
            panic!("not an object schema");
        };
        let max = |name: &str| match o.properties.get(name) {
            Some(RefOr::T(Schema::Object(p))) => p.max_length,
            _ => panic!("{name} is not an object property"),
        };
        for (name, limit) in [
            ("razao_social", lim::RAZAO_SOCIAL),
            ("nome_fantasia", lim::NOME_FANTASIA),
            ("inscricao_estadual", lim::INSCRICAO),
            ("inscricao_municipal", lim::INSCRICAO),
            ("ramo_atividade", lim::RAMO_ATIVIDADE),
            ("responsavel_legal_nome", lim::RESPONSAVEL_NOME),
            ("responsavel_legal_cargo", lim::RESPONSAVEL_CARGO),
            ("telefone_principal", Telefone::MAX_CHARS),
            ("numero", lim::NUMERO),
            ("complemento", lim::COMPLEMENTO),
            ("bairro", lim::BAIRRO),
            ("cidade", lim::CIDADE),
            ("estado", lim::ESTADO),
            ("cep", Cep::MAX_CHARS),
        ] {
            assert_eq!(max(name), Some(limit), "{name}");
        }
    }
}
