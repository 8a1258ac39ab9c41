//! Parsing of the grupo-de-empresa and contato bodies and list queries into the domain's typed
//! commands, with the contract's DRF-style field errors (contract §4.2, §4.3). The request
//! types (`GrupoIn`, `ContatoIn`) are in [`super::clientes`]; a test below checks that their
//! schema states the limits applied here.

use clientes::commands::{
    CARGO_MAX_CHARS, ContatoQuery, CreateContato, CreateGrupo, GrupoQuery, NOME_MAX_CHARS,
    UpdateContato, UpdateGrupo,
};
use clientes::contato::{self, ContatoFilter};
use clientes::filter::{id_param, last, set_icontains};
use clientes::grupo;
use kernel::input::{Input, Nullable, parse_bool_str};
use kernel::page::search_terms;
use kernel::values::{Email, EmailField, Whatsapp};
use kernel::{FieldErrors, OrderBy, Result, messages as m};

type Query = [(String, String)];

/// The first `ordering` of the query, kept to the `allowed` fields (empty: the use case's
/// default).
fn ordering(query: &Query, allowed: &[&'static str]) -> Vec<OrderBy> {
    let raw = query
        .iter()
        .find(|(k, _)| k == "ordering")
        .map(|(_, v)| v.as_str());
    OrderBy::parse(raw, allowed, &[])
}

/// `GET /grupos-empresa/`: `search` (the last one) and `ordering`.
pub fn grupo_query(query: &Query) -> Result<GrupoQuery> {
    let mut errors = FieldErrors::new();
    let search = search_terms("search", last(query, "search"), &mut errors);
    errors.into_result()?;
    Ok(GrupoQuery {
        search,
        ordering: ordering(query, &grupo::ORDERING),
    })
}

fn grupo_changes(input: &Input, errors: &mut FieldErrors) -> UpdateGrupo {
    UpdateGrupo {
        nome: input.text("nome", Some(NOME_MAX_CHARS), false, errors),
        descricao: input.string("descricao", None, true, true, errors),
        ativo: input.boolean("ativo", errors),
    }
}

/// `POST /grupos-empresa/`: `nome` is required; a grupo is active unless told otherwise.
pub fn create_grupo(input: &Input) -> std::result::Result<CreateGrupo, FieldErrors> {
    let mut errors = FieldErrors::new();
    input.require(&["nome"], &mut errors);
    let c = grupo_changes(input, &mut errors);
    match c.nome {
        Some(nome) if errors.is_empty() => Ok(CreateGrupo {
            nome,
            descricao: c.descricao.flatten(),
            ativo: c.ativo.unwrap_or(true),
        }),
        _ => Err(errors),
    }
}

/// `PUT` (`full`: `nome` required) or `PATCH` of a grupo de empresa.
pub fn update_grupo(input: &Input, full: bool) -> std::result::Result<UpdateGrupo, FieldErrors> {
    let mut errors = FieldErrors::new();
    if full {
        input.require(&["nome"], &mut errors);
    }
    let c = grupo_changes(input, &mut errors);
    if errors.is_empty() {
        Ok(c)
    } else {
        Err(errors)
    }
}

/// `GET /contatos/`: `cliente`, `ativo`, `search` (the last one), the `icontains` filters
/// (the last of each) and `ordering`. Empty values are ignored.
pub fn contato_query(query: &Query) -> Result<ContatoQuery> {
    let mut f = ContatoFilter::default();
    let mut errors = FieldErrors::new();
    for (k, v) in query {
        match k.as_str() {
            // The last `search` is the one used (below), as DRF reads it.
            "search" => {}
            "cliente" if !v.is_empty() => f.cliente = id_param("cliente", v, &mut errors),
            "ativo" if !v.is_empty() => match parse_bool_str(v) {
                Some(b) => f.ativo = Some(b),
                None => errors.add("ativo", m::invalid_filter_choice(v)),
            },
            other => {
                if let Some(col) = contato::ICONTAINS.iter().find(|c| **c == other)
                    && !v.is_empty()
                {
                    set_icontains(&mut f.icontains, col, v);
                }
            }
        }
    }
    f.search = search_terms("search", last(query, "search"), &mut errors);
    errors.into_result()?;
    Ok(ContatoQuery {
        filter: f,
        ordering: ordering(query, &contato::ORDERING),
    })
}

/// A contato body that did not parse: its field errors, and the `cliente` if it parsed (the
/// use case checks it exists, as DRF reports every field at once).
#[derive(Debug)]
pub struct InvalidContato {
    pub errors: FieldErrors,
    pub cliente: Option<i64>,
}

fn contato_changes(input: &Input, errors: &mut FieldErrors) -> UpdateContato {
    let cliente = input.int("cliente", false, errors).flatten();
    let nome = input.text("nome", Some(NOME_MAX_CHARS), false, errors);
    let cargo = input.string("cargo", Some(CARGO_MAX_CHARS), true, true, errors);
    let whatsapp = input
        .text("whatsapp", Some(Whatsapp::MAX_CHARS), false, errors)
        .and_then(|w| match Whatsapp::parse(&w) {
            Ok(w) => Some(w),
            Err(msg) => {
                errors.add("whatsapp", msg);
                None
            }
        });
    let email = email_field(input.email("email", true, true, errors), "email", errors);
    UpdateContato {
        cliente,
        nome,
        cargo,
        whatsapp,
        email,
        ativo: input.boolean("ativo", errors),
    }
}

/// A nullable, blankable e-mail as [`Input::email`] read it.
fn email_field(v: Nullable<String>, key: &str, errors: &mut FieldErrors) -> Option<EmailField> {
    match v? {
        None => Some(EmailField::Null),
        Some(s) if s.is_empty() => Some(EmailField::Blank),
        Some(s) => match Email::parse(&s) {
            Ok(e) => Some(EmailField::Email(e)),
            Err(msg) => {
                errors.add(key, msg);
                None
            }
        },
    }
}

fn invalid(errors: FieldErrors, c: &UpdateContato) -> InvalidContato {
    InvalidContato {
        errors,
        cliente: c.cliente,
    }
}

/// `POST /contatos/`: `cliente`, `nome` and `whatsapp` are required.
pub fn create_contato(input: &Input) -> std::result::Result<CreateContato, InvalidContato> {
    let mut errors = FieldErrors::new();
    input.require(&["cliente", "nome", "whatsapp"], &mut errors);
    let c = contato_changes(input, &mut errors);
    if !errors.is_empty() {
        return Err(invalid(errors, &c));
    }
    match (c.cliente, c.nome, c.whatsapp) {
        (Some(cliente), Some(nome), Some(whatsapp)) => Ok(CreateContato {
            cliente,
            nome,
            cargo: c.cargo.flatten(),
            whatsapp,
            email: c.email.unwrap_or(EmailField::Null),
            ativo: c.ativo.unwrap_or(true),
        }),
        _ => Err(InvalidContato {
            errors,
            cliente: None,
        }),
    }
}

/// `PUT` (`full`: `cliente`, `nome` and `whatsapp` required) or `PATCH` of a contato.
pub fn update_contato(
    input: &Input,
    full: bool,
) -> std::result::Result<UpdateContato, InvalidContato> {
    let mut errors = FieldErrors::new();
    if full {
        input.require(&["cliente", "nome", "whatsapp"], &mut errors);
    }
    let c = contato_changes(input, &mut errors);
    if errors.is_empty() {
        Ok(c)
    } else {
        Err(invalid(errors, &c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::DomainError;
    use kernel::values::WHATSAPP_MSG;
    use serde_json::{Value, json};

    fn input(v: Value) -> Input {
        Input::json(v.as_object().cloned().unwrap())
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn validation<T: std::fmt::Debug>(r: Result<T>) -> Value {
        match r.unwrap_err() {
            DomainError::Validation(e) => e.into_json(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn grupo_bodies_and_query() {
        let g = create_grupo(&input(json!({"nome":" G ","descricao":null}))).unwrap();
        assert_eq!((g.nome.as_str(), g.descricao, g.ativo), ("G", None, true));
        assert_eq!(
            create_grupo(&input(json!({"ativo":"x"})))
                .unwrap_err()
                .into_json(),
            json!({"nome":[m::REQUIRED],"ativo":[m::BOOLEAN]})
        );
        let patch = update_grupo(&input(json!({"descricao":""})), false).unwrap();
        assert_eq!(patch.descricao, Some(Some(String::new())));
        assert!(patch.nome.is_none() && patch.ativo.is_none());
        assert_eq!(
            update_grupo(&input(json!({})), true)
                .unwrap_err()
                .into_json(),
            json!({"nome":[m::REQUIRED]})
        );
        assert_eq!(
            update_grupo(&input(json!({"nome": "n".repeat(256)})), false)
                .unwrap_err()
                .into_json(),
            json!({"nome":[m::max_length(255)]})
        );
        let gq = grupo_query(&q(&[
            ("search", "a"),
            ("search", "b c"),
            ("ordering", "-criado_em,x"),
        ]))
        .unwrap();
        assert_eq!(gq.search, ["b", "c"]);
        assert_eq!(gq.ordering, [OrderBy::desc("criado_em")]);
        assert!(grupo_query(&q(&[])).unwrap().ordering.is_empty());
    }

    #[test]
    fn contato_bodies() {
        let c = create_contato(&input(json!({
            "cliente":1,"nome":"Ana","whatsapp":"+5511999999999","email":""
        })))
        .unwrap();
        assert_eq!(c.whatsapp.as_str(), "+5511999999999");
        assert_eq!((c.email, c.cargo, c.ativo), (EmailField::Blank, None, true));
        let bad = create_contato(&input(json!({"cliente":2,"whatsapp":"11 9999"}))).unwrap_err();
        assert_eq!(
            bad.errors.into_json(),
            json!({"nome":[m::REQUIRED],"whatsapp":[WHATSAPP_MSG]})
        );
        assert_eq!(bad.cliente, Some(2));
        let bad = create_contato(&input(
            json!({"cliente":"1","nome":"A","whatsapp":"+5511999999999","email":"x"}),
        ))
        .unwrap_err();
        assert_eq!(
            bad.errors.into_json(),
            json!({"cliente":[m::INTEGER],"email":[m::EMAIL]})
        );
        assert_eq!(bad.cliente, None);
        let patch = update_contato(&input(json!({"email":null,"cargo":null})), false).unwrap();
        assert_eq!(patch.email, Some(EmailField::Null));
        assert_eq!(patch.cargo, Some(None));
        assert!(patch.cliente.is_none() && patch.whatsapp.is_none());
        assert_eq!(
            update_contato(&input(json!({"nome":"B"})), true)
                .unwrap_err()
                .errors
                .into_json(),
            json!({"cliente":[m::REQUIRED],"whatsapp":[m::REQUIRED]})
        );
    }

    #[test]
    fn contato_queries() {
        let cq = contato_query(&q(&[
            ("cliente", "3"),
            ("ativo", "false"),
            ("nome", "X"),
            ("nome", "Ana"),
            ("cargo", ""),
            ("search", "a b"),
            ("ordering", "ativo,-nome"),
            ("bogus", "1"),
        ]))
        .unwrap();
        assert_eq!(cq.filter.cliente, Some(3));
        assert_eq!(cq.filter.ativo, Some(false));
        assert_eq!(cq.filter.icontains, [("nome", "ana".to_string())]);
        assert_eq!(cq.filter.search, ["a", "b"]);
        assert!(!cq.filter.only_active_clientes);
        assert_eq!(cq.ordering, [OrderBy::asc("ativo"), OrderBy::desc("nome")]);
        assert_eq!(
            validation(contato_query(&q(&[("cliente", "x"), ("ativo", "talvez")]))),
            json!({"cliente":[m::INTEGER],"ativo":[m::invalid_filter_choice("talvez")]})
        );
    }

    /// The limits the OpenAPI schema states are the ones the parsing applies.
    #[test]
    fn schema_limits_are_the_domain_limits() {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let RefOr::T(Schema::Object(o)) =
            <crate::dto::clientes::ContatoIn as utoipa::PartialSchema>::schema()
        else {
            panic!("not an object schema");
        };
        let max = |name: &str| match o.properties.get(name) {
            Some(RefOr::T(Schema::Object(p))) => p.max_length,
            _ => panic!("{name} is not an object property"),
        };
        assert_eq!(max("nome"), Some(NOME_MAX_CHARS));
        assert_eq!(max("cargo"), Some(CARGO_MAX_CHARS));
        assert_eq!(max("whatsapp"), Some(Whatsapp::MAX_CHARS));
    }
}
